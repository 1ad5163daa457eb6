"""Inter-annotator agreement: Krippendorff's alpha (also for label sets, with the MASI
distance), Fleiss' kappa, Cohen's kappa, and each worker's agreement with a consensus."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ._inputs import as_codes, check_labels, count

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def krippendorff_alpha(reliability_data: Any, level: Level = "nominal") -> float:
    r"""Krippendorff's alpha for a (raters × units) matrix with NaN for missing values.

    K. Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): from the coincidence
    matrix ``o_ck = Σ_u (# pairs (c, k) in unit u) / (m_u - 1)`` over units with ``m_u ≥ 2``
    values, ``α = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck`` with ``n_c = Σ_k o_ck``.
    ``δ²`` is ``[c ≠ k]`` (nominal), ``(c - k)²`` (interval), ``((c - k)/(c + k))²`` (ratio), or
    ``(Σ_{g=c..k} n_g - (n_c + n_k)/2)²`` (ordinal, on the rank order of the values).
    Returns NaN when there is no variation to explain (fewer than two distinct values).
    """
    data = np.asarray(reliability_data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"reliability_data must be 2-D (raters × units), got shape {data.shape}")
    raters, units = np.nonzero(~np.isnan(data))
    return krippendorff_alpha_from_labels(units, data[raters, units], level=level)


def krippendorff_alpha_from_labels(item: Any, value: Any, level: Level = "nominal") -> float:
    """Krippendorff's alpha from long-format (item, value) pairs — one row per label.

    Same maths as :func:`krippendorff_alpha`; the rater ids are not needed.
    """
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"level must be nominal, ordinal, interval or ratio, got {level!r}")
    it = as_codes(item, "item")
    val = np.asarray(value, dtype=np.float64)
    if val.shape != it.shape:
        raise ValueError(f"item and value must have equal lengths, got {it.size}, {val.size}")
    if np.isnan(val).any():
        raise ValueError("value must not contain NaN (drop missing labels first)")
    values, code = np.unique(val, return_inverse=True)
    if values.size < 2:
        return float("nan")
    o = _coincidences(it, code.astype(np.int64), values.size)
    if o is None:
        return float("nan")
    n_c = o.sum(axis=1)
    return _alpha(o, n_c, _delta(values, n_c, level))


def _coincidences(it: np.ndarray, code: np.ndarray, v: int) -> np.ndarray | None:
    """Krippendorff's coincidence matrix ``o`` (v × v) over units with two or more values;
    ``None`` when no unit has two."""
    n_units = int(it.max()) + 1
    per_unit = np.bincount(it * v + code, minlength=n_units * v).reshape(n_units, v)
    m = per_unit.sum(axis=1)
    keep = m >= 2
    nu, mu = per_unit[keep].astype(np.float64), m[keep].astype(np.float64)
    if nu.shape[0] == 0:
        return None
    o = (nu / (mu - 1)[:, None]).T @ nu
    o -= np.diag((nu / (mu - 1)[:, None]).sum(axis=0))
    result: np.ndarray = o
    return result


def _alpha(o: np.ndarray, n_c: np.ndarray, delta: np.ndarray) -> float:
    n = n_c.sum()
    expected = (np.outer(n_c, n_c) * delta).sum()
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * (o * delta).sum() / expected)


def masi_distance(a: Any, b: Any) -> float:
    """MASI distance between two label sets (R. Passonneau, "Measuring Agreement on
    Set-valued Items (MASI) for Semantic and Pragmatic Annotation", LREC 2006):
    ``1 - J · M`` with ``J`` the Jaccard index and ``M`` 1 for equal sets, 2/3 when one
    holds the other, 1/3 when they overlap otherwise, 0 when disjoint. Two empty sets: 0."""
    x, y = frozenset(a), frozenset(b)
    if x == y:
        return 0.0
    common = len(x & y)
    if common == 0:
        return 1.0
    monotonicity = 2 / 3 if x <= y or y <= x else 1 / 3
    return 1.0 - common / len(x | y) * monotonicity


def krippendorff_alpha_sets(item: Any, sets: Any) -> float:
    """Krippendorff's alpha for set-valued labels (multi-label answers), with the MASI
    distance as ``δ`` — the general form of :func:`krippendorff_alpha` (Krippendorff 2011)
    with a distance of one's own; ``item`` codes and ``sets`` (iterables of hashable labels)
    one per label. NaN with fewer than two distinct sets or no item labelled twice."""
    it = as_codes(item, "item")
    values = [frozenset(s) for s in sets]
    if len(values) != it.size:
        raise ValueError(f"item and sets must have equal lengths, got {it.size}, {len(values)}")
    distinct = sorted(set(values), key=lambda s: sorted(map(str, s)))
    if len(distinct) < 2:
        return float("nan")
    index = {s: n for n, s in enumerate(distinct)}
    code = np.fromiter((index[s] for s in values), dtype=np.int64, count=len(values))
    o = _coincidences(it, code, len(distinct))
    if o is None:
        return float("nan")
    delta = np.array([[masi_distance(a, b) for b in distinct] for a in distinct])
    return _alpha(o, o.sum(axis=1), delta)


def set_agreement(
    item: Any, worker: Any, sets: Any, consensus: Any, *, n_workers: int | None = None
) -> np.ndarray:
    """Per worker, the mean of ``1 - masi_distance`` between their label sets and the
    item's ``consensus`` set (``None``: no consensus); NaN for a worker with none to
    compare."""
    it = as_codes(item, "item")
    wk = as_codes(worker, "worker")
    values = list(sets)
    if not (it.size == wk.size == len(values)):
        raise ValueError("item, worker and sets must have equal lengths")
    nw = count(n_workers, wk, "n_workers", "worker")
    score, total = np.zeros(nw), np.zeros(nw)
    for i, w, s in zip(it.tolist(), wk.tolist(), values, strict=True):
        if consensus[i] is None:
            continue
        score[w] += 1.0 - masi_distance(s, consensus[i])
        total[w] += 1
    result: np.ndarray = np.divide(score, total, out=np.full(nw, np.nan), where=total > 0)
    return result


def _delta(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        result: np.ndarray = (values[:, None] - values[None, :]) ** 2
        return result
    if level == "ratio":
        s = values[:, None] + values[None, :]
        d = values[:, None] - values[None, :]
        result = np.divide(d, s, out=np.zeros_like(d), where=s != 0) ** 2
        return result
    cum = np.concatenate([[0.0], np.cumsum(n_c)])
    lo = np.minimum.outer(np.arange(values.size), np.arange(values.size))
    hi = np.maximum.outer(np.arange(values.size), np.arange(values.size))
    between = cum[hi + 1] - cum[lo]
    result = (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2
    return result


def category_counts(
    item: Any, label: Any, *, n_items: int | None = None, n_classes: int | None = None
) -> np.ndarray:
    """(n_items, n_classes) number of labels of each class per item (the Fleiss table)."""
    it = as_codes(item, "item")
    lb = as_codes(label, "label")
    if it.size != lb.size:
        raise ValueError(f"item and label must have equal lengths, got {it.size}, {lb.size}")
    ni = count(n_items, it, "n_items", "item")
    nc = count(n_classes, lb, "n_classes", "label")
    return np.bincount(it * nc + lb, minlength=ni * nc).reshape(ni, nc)


def fleiss_kappa(counts: Any) -> float:
    r"""Fleiss' kappa from an (items × categories) table of rater counts.

    J. L. Fleiss, "Measuring nominal scale agreement among many raters", *Psychological
    Bulletin* 76(5), 1971: ``κ = (P̄ - P̄_e) / (1 - P̄_e)`` with
    ``P_i = (Σ_j n_ij² - n_i) / (n_i (n_i - 1))``, ``p_j = Σ_i n_ij / Σ_i n_i``,
    ``P̄_e = Σ_j p_j²``. Items rated fewer than twice are skipped; with the same number of
    raters per item this is exactly Fleiss' statistic. NaN when ``P̄_e = 1``.
    """
    table = np.asarray(counts)
    if table.ndim != 2:
        raise ValueError(f"counts must be 2-D (items × categories), got shape {table.shape}")
    if table.size and (table.min() < 0 or not np.all(np.isfinite(table))):
        raise ValueError("counts must be finite and non-negative")
    table = table.astype(np.float64)
    n_i = table.sum(axis=1)
    keep = n_i >= 2
    table, n_i = table[keep], n_i[keep]
    if table.shape[0] == 0:
        return float("nan")
    p_i = ((table**2).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    p_j = table.sum(axis=0) / n_i.sum()
    pe = float((p_j**2).sum())
    if pe >= 1.0:
        return float("nan")
    return float((p_i.mean() - pe) / (1.0 - pe))


def cohen_kappa(a: Any, b: Any, *, n_classes: int | None = None) -> float:
    r"""Cohen's kappa between two raters' codes on the same items.

    J. Cohen, "A Coefficient of Agreement for Nominal Scales", *Educational and Psychological
    Measurement* 20(1), 1960: ``κ = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the observed
    agreement and ``p_e = Σ_c p_a(c) p_b(c)``. NaN when ``p_e = 1`` (both raters constant and
    equal).
    """
    x = as_codes(a, "a")
    y = as_codes(b, "b")
    if x.size != y.size:
        raise ValueError(f"a and b must have equal lengths, got {x.size}, {y.size}")
    if x.size == 0:
        raise ValueError("a and b must not be empty")
    k = count(n_classes, np.concatenate([x, y]), "n_classes", "a/b")
    po = float(np.mean(x == y))
    pe = float(np.dot(np.bincount(x, minlength=k), np.bincount(y, minlength=k))) / x.size**2
    if pe >= 1.0:
        return float("nan")
    return (po - pe) / (1.0 - pe)


def worker_agreement(
    item: Any, worker: Any, label: Any, consensus: Any, *, n_workers: int | None = None
) -> np.ndarray:
    """Per worker, the share of their labels equal to ``consensus[item]`` (NaN when the worker
    has no label on an item with a consensus; consensus ``-1`` means none)."""
    cons = np.asarray(consensus)
    if cons.ndim != 1 or not np.issubdtype(cons.dtype, np.integer):
        raise ValueError("consensus must be a 1-D array of integer class codes (-1 for none)")
    lab = check_labels(item, worker, label, n_items=cons.size, n_workers=n_workers)
    ok = cons[lab.item] >= 0
    hit = (lab.label[ok] == cons[lab.item[ok]]).astype(np.float64)
    hits = np.bincount(lab.worker[ok], weights=hit, minlength=lab.n_workers)
    total = np.bincount(lab.worker[ok], minlength=lab.n_workers)
    result: np.ndarray = np.divide(hits, total, out=np.full(lab.n_workers, np.nan), where=total > 0)
    return result
