"""Auditing labels and choosing what to label next: the maths, on plain arrays.

**Out-of-fold probabilities.** A classifier (TF-IDF weights of words, word pairs and
character n-grams, or given feature vectors such as embeddings, and a logistic regression)
is trained ``folds`` times, each time without one fold, and predicts that fold: every item
gets class probabilities from a model that never saw its own label (:func:`out_of_fold_proba`).

**Per-class thresholds** (confident learning: Northcutt, Jiang, Chuang, "Confident Learning:
Estimating Uncertainty in Dataset Labels", *JAIR* 70, 2021). A classifier trained on noisy
labels is more or less sure of each class; the threshold of class *j* is its average
probability for *j* over the items labelled *j* (:func:`class_thresholds`). Dividing each
probability by its class's threshold and renormalising (:func:`adjusted`) removes that
per-class bias, so "another class is more likely than the given one" means the same for
every class.

**Combining with the crowd.** Where several people labelled an item, the project's estimator
gives a posterior over its true class. The model's adjusted probabilities are a second,
independent piece of evidence: ``combined ∝ crowd × model / prior`` (:func:`combine`).

**p_wrong** of the current label is ``1 - combined[current]`` (:func:`p_wrong`); an item is
flagged when another class is the most probable (:func:`flagged`).

**Error rate** of a dataset: from a random sample that people checked, the share found
wrong with its Wilson interval (:func:`error_rate`).

**Selection** (:func:`select`): items of weak slices first; among the most uncertain items
(the smallest gap between the model's two most probable classes), one per k-means cluster
of their features, so the picks are uncertain and unlike each other. The probabilities it
ranks by come from :func:`selection_proba`: the model trained on every label (method
``margin``) or the average of a committee of models trained on bootstrap resamples of the
labels (method ``committee``, :func:`committee_proba`; query by bagging: Abe and Mamitsuka,
"Query Learning Strategies Using Boosting and Bagging", *ICML* 1998), whose margin is small
where the members disagree as well as where each is unsure.

Needs scikit-learn for the classifier (the ``learner`` extra); everything else is NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .gold import wilson_interval

FLOOR = 1e-3  # no probability or threshold below this: a zero would veto all other evidence
DIMS = 100  # selection clusters items in at most this many dimensions
METHODS = ("margin", "committee")  # what selection ranks by (see selection_proba)
MEMBERS = 5  # models in a selection committee


class ClassifierMissing(ImportError):
    """scikit-learn is not installed."""

    def __init__(self) -> None:
        super().__init__("the audit's classifier needs scikit-learn: "
                         "pip install 'datafab[learner]'")


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise ClassifierMissing() from exc
    return sklearn


def features_of(texts: Sequence[str]) -> Any:
    """TF-IDF weights of ``texts``' words and word pairs, side by side with those of their
    character 2- to 5-grams within words (a sparse matrix, rows of unit length)."""
    _sklearn()
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                            max_features=50_000).fit_transform(list(texts))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            max_features=100_000).fit_transform(list(texts))
    return normalize(hstack([words, chars]).tocsr())


def out_of_fold_proba(features: Any, labels: np.ndarray, n_classes: int, *, folds: int = 5,
                      c: float = 4.0, seed: int = 0) -> np.ndarray:
    """(n, n_classes) probabilities, each row from a model trained without that row's fold.

    ``features``: a matrix (dense or sparse, one row per item) or a list of texts (then TF-IDF).
    ``labels``: class codes in ``[0, n_classes)``. Needs at least two classes with two items
    each (``ValueError`` otherwise). A class missing from a training fold gets probability 0
    from that fold's model.
    """
    _sklearn()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be codes in [0, {n_classes})")
    counts = np.bincount(y, minlength=n_classes)
    if np.count_nonzero(counts) < 2:
        raise ValueError("need labels of at least two classes")
    if isinstance(features, list):
        features = features_of(features)
    if y.ndim != 1 or features.shape[0] != y.size:
        raise ValueError("need one label per row of features")
    k = int(min(folds, counts[counts > 0].min()))
    if k < 2:
        k = 2  # a class with one item: its item is predicted by a model that lacks the class
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    out = np.zeros((y.size, n_classes))
    with _one_blas_thread():
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "the least populated class has only 1 member"
            splits = list(splitter.split(np.zeros(y.size), y))
        for train, test in splits:
            present = np.unique(y[train])
            if present.size < 2:
                out[np.ix_(test, present)] = 1.0
                continue
            model = LogisticRegression(C=c, max_iter=1000).fit(features[train], y[train])
            out[np.ix_(test, model.classes_)] = model.predict_proba(features[test])
    return out


def fit_predict_proba(features: Any, labels: np.ndarray, n_classes: int, predict: Any,
                      *, c: float = 4.0) -> np.ndarray:
    """Train on all ``features``/``labels`` and give probabilities of ``predict`` (rows)."""
    _sklearn()
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels, dtype=np.int64)
    if np.unique(y).size < 2:
        raise ValueError("need labels of at least two classes")
    out = np.zeros((predict.shape[0], n_classes))
    with _one_blas_thread():
        model = LogisticRegression(C=c, max_iter=1000).fit(features, y)
        out[:, model.classes_] = model.predict_proba(predict)
    return out


def committee_proba(features: Any, labels: np.ndarray, n_classes: int, predict: Any, *,
                    members: int = MEMBERS, c: float = 4.0, seed: int = 0) -> np.ndarray:
    """Probabilities of ``predict`` (rows) averaged over ``members`` models, each trained on
    a bootstrap resample of ``features``/``labels`` (drawn with ``seed``; a resample with
    fewer than two classes is replaced by all the rows). A class missing from a resample gets
    probability 0 from that member."""
    _sklearn()
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels, dtype=np.int64)
    if np.unique(y).size < 2:
        raise ValueError("need labels of at least two classes")
    rng = np.random.default_rng(seed)
    out = np.zeros((predict.shape[0], n_classes))
    with _one_blas_thread():
        for _ in range(members):
            rows = rng.integers(0, y.size, y.size)
            if np.unique(y[rows]).size < 2:
                rows = np.arange(y.size)
            model = LogisticRegression(C=c, max_iter=1000).fit(features[rows], y[rows])
            out[:, model.classes_] += model.predict_proba(predict)
    averaged: np.ndarray = out / members
    return averaged


def selection_proba(features: Any, labels: np.ndarray, n_classes: int, predict: Any, *,
                    method: str = "margin", seed: int = 0) -> np.ndarray:
    """The probabilities :func:`select` ranks ``predict`` by: those of the model trained on
    every labelled row (``margin``) or the committee's average (``committee``, drawn with
    ``seed``). ``ValueError`` for another method."""
    if method not in METHODS:
        raise ValueError(f"method: one of {', '.join(METHODS)}, not {method!r}")
    if method == "committee":
        return committee_proba(features, labels, n_classes, predict, seed=seed)
    return fit_predict_proba(features, labels, n_classes, predict)


def _one_blas_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def class_thresholds(proba: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Per class *j*: the mean of ``proba[:, j]`` over the items whose given label is *j*
    (1/K for a class nobody was given), floored at ``FLOOR``."""
    proba, given = np.asarray(proba, dtype=np.float64), np.asarray(given, dtype=np.int64)
    k = proba.shape[1]
    sums = np.bincount(given, weights=proba[np.arange(given.size), given], minlength=k)
    counts = np.bincount(given, minlength=k)
    t = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0 / k)
    return np.maximum(t, FLOOR)


def adjusted(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Probabilities divided by their class's threshold, renormalised per row."""
    scaled = np.maximum(np.asarray(proba, dtype=np.float64), FLOOR) / thresholds[None, :]
    out: np.ndarray = scaled / scaled.sum(axis=1, keepdims=True)
    return out


def combine(model: np.ndarray, crowd: np.ndarray | None, prior: np.ndarray | None = None,
            has_crowd: np.ndarray | None = None) -> np.ndarray:
    """``model × crowd / prior`` renormalised per row, on the rows ``has_crowd`` marks (all
    rows if it is ``None``); the other rows keep the model's probabilities. ``crowd`` may be
    ``None`` (no crowd evidence anywhere)."""
    model = np.maximum(np.asarray(model, dtype=np.float64), FLOOR)
    if crowd is None:
        alone: np.ndarray = model / model.sum(axis=1, keepdims=True)
        return alone
    k = model.shape[1]
    prior = np.full(k, 1.0 / k) if prior is None else np.maximum(prior, FLOOR)
    both = model * np.maximum(np.asarray(crowd, dtype=np.float64), FLOOR) / prior[None, :]
    both /= both.sum(axis=1, keepdims=True)
    mask = np.ones(model.shape[0], bool) if has_crowd is None else np.asarray(has_crowd, bool)
    out: np.ndarray = model / model.sum(axis=1, keepdims=True)
    out[mask] = both[mask]
    return out


def p_wrong(probs: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The probability that each item's ``current`` label is not its true class."""
    current = np.asarray(current, dtype=np.int64)
    wrong: np.ndarray = 1.0 - np.asarray(probs)[np.arange(current.size), current]
    return wrong


def flagged(probs: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Items whose most probable class is not their current label (ties go to the label)."""
    probs = np.asarray(probs)
    current = np.asarray(current, dtype=np.int64)
    out: np.ndarray = probs.max(axis=1) > probs[np.arange(current.size), current] + 1e-12
    return out


def error_rate(n_wrong: int, n_checked: int, z: float = 1.96) -> tuple[float, float, float]:
    """The share of a random sample found wrong, with its Wilson interval (``(0, 0, 1)`` for
    an empty sample)."""
    if n_checked < 0 or not 0 <= n_wrong <= n_checked:
        raise ValueError("need 0 <= n_wrong <= n_checked")
    low, high = wilson_interval(n_wrong, n_checked, z)
    rate = n_wrong / n_checked if n_checked else 0.0
    return rate, float(low), float(high)


def entropy(proba: np.ndarray) -> np.ndarray:
    """Entropy of each row, in units of the maximum (0: certain, 1: uniform)."""
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    k = p.shape[1]
    return -(p * np.log(p)).sum(axis=1) / np.log(k) if k > 1 else np.zeros(p.shape[0])


def margin_uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 minus the gap between each row's two highest probabilities (0: sure, 1: a tie)."""
    p = np.asarray(proba, dtype=np.float64)
    if p.shape[1] < 2:
        return np.zeros(p.shape[0])
    top = np.sort(p, axis=1)[:, -2:]
    out: np.ndarray = 1.0 - (top[:, 1] - top[:, 0])
    return out


def _projector(features: Any, seed: int) -> Any:
    """A function from row indices to those rows as at most ``DIMS`` dense dimensions of unit
    length: latent semantic analysis (truncated SVD, fitted on up to 5,000 rows) of wider
    features such as TF-IDF, where clusters of raw word weights mean little."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    rows, dims = features.shape
    if dims <= DIMS:
        return lambda idx: normalize(np.asarray(
            features[idx].todense() if hasattr(features, "todense") else features[idx],
            dtype=np.float64))
    if rows < 3:
        return lambda idx: normalize(features[idx])
    fit_on = np.random.default_rng(seed).permutation(rows)[:5000]
    svd = TruncatedSVD(min(DIMS, fit_on.size - 1), random_state=seed).fit(features[fit_on])
    return lambda idx: normalize(svd.transform(features[idx]))


def _spread(score: np.ndarray, rows: np.ndarray, project: Any, n: int,
            seed: int) -> np.ndarray:
    """Positions of ``n`` of ``rows``: k-means of their projected features into ``n``
    clusters, the highest ``score`` of each (topped up by score if clusters come out empty),
    highest first."""
    ranked = np.argsort(-score, kind="stable")
    if score.size <= n:
        return ranked
    import warnings

    from sklearn.cluster import KMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer distinct points than clusters
        groups = KMeans(n_clusters=n, n_init=1, max_iter=100,
                        random_state=seed).fit(project(rows)).labels_
    best: dict[int, int] = {}
    for i in ranked:  # best first, so each cluster keeps its most uncertain row
        best.setdefault(int(groups[i]), int(i))
    picked = list(best.values())
    taken = set(picked)
    rest = [int(i) for i in ranked if int(i) not in taken]
    return np.asarray(picked + rest[: n - len(picked)], dtype=np.int64)


def select(proba: np.ndarray, features: Any, n: int, *, weak: np.ndarray | None = None,
           pool: int = 10, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` rows to label next, in the order chosen.

    Rows ``weak`` marks come first, then the others; within each group the ``pool × n`` most
    uncertain rows (:func:`margin_uncertainty`) are clustered into ``n`` groups by k-means
    over their features (reduced by :func:`_projector`) and the most uncertain row of each
    group is taken, most uncertain first: uncertain picks that are unlike each other.
    ``features``: one row per row of ``proba``, dense or sparse.
    """
    n = min(n, proba.shape[0])
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    with _one_blas_thread():
        score = margin_uncertainty(proba)
        marked = np.zeros(score.size, bool) if weak is None else np.asarray(weak, bool)
        project = _projector(features, seed)
        chosen: list[np.ndarray] = []
        for group in (np.flatnonzero(marked), np.flatnonzero(~marked)):
            want = n - sum(c.size for c in chosen)
            if want <= 0 or group.size == 0:
                continue
            top = group[np.argsort(-score[group], kind="stable")[: max(want, pool * want)]]
            chosen.append(top[_spread(score[top], top, project, want, seed)])
    return np.concatenate(chosen).astype(np.int64)


def learning_curves(features: Any, labels: np.ndarray, n_classes: int, *, start: int = 20,
                    batch: int = 20, steps: int = 10, test_share: float = 0.25,
                    seed: int = 0, method: str = "margin") -> dict[str, list[float]]:
    """Accuracy on a held-out share of the labelled rows against labels spent, for labels
    taken in random order and in selected order (:func:`select` under the probabilities of
    ``method`` given the labels spent so far, :func:`selection_proba`). Both orders start
    from the same ``start`` random rows; accuracy is always that of one model trained on
    the labels spent.

    Returns ``{"spent": [...], "random": [...], "selected": [...]}``.
    """
    if method not in METHODS:
        raise ValueError(f"method: one of {', '.join(METHODS)}, not {method!r}")
    y = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    order = rng.permutation(y.size)
    n_test = max(n_classes, int(round(test_share * y.size)))
    test, pool = order[:n_test], order[n_test:]
    if pool.size < start + batch:
        raise ValueError("too few labelled items for a learning curve")
    x_test = features[test]

    def accuracy(spent: np.ndarray) -> float:
        if np.unique(y[spent]).size < 2:
            return float(np.mean(y[test] == np.bincount(y[spent]).argmax()))
        proba = fit_predict_proba(features[spent], y[spent], n_classes, x_test)
        return float(np.mean(proba.argmax(axis=1) == y[test]))

    chosen_random = pool[: start]
    chosen = pool[: start].copy()
    out: dict[str, list[float]] = {"spent": [], "random": [], "selected": []}
    for step in range(steps + 1):
        size = start + step * batch
        if size > pool.size:
            break
        chosen_random = pool[:size]
        out["spent"].append(float(size))
        out["random"].append(accuracy(chosen_random))
        out["selected"].append(accuracy(chosen))
        rest = np.setdiff1d(pool, chosen, assume_unique=True)
        take = min(batch, rest.size)
        if take == 0:
            break
        if np.unique(y[chosen]).size < 2:
            picks = rest[:take]
        else:
            proba = selection_proba(features[chosen], y[chosen], n_classes, features[rest],
                                    method=method, seed=seed)
            picks = rest[select(proba, features[rest], take, seed=seed)]
        chosen = np.concatenate([chosen, picks])
    return out


def labels_to_reach(curves: dict[str, list[float]]) -> float | None:
    """The share of random order's final spend that selected order needs to reach random
    order's final accuracy (interpolated between steps; ``None``: it never does)."""
    spent, rnd, sel = curves["spent"], curves["random"], curves["selected"]
    target = rnd[-1]
    for i, acc in enumerate(sel):
        if acc >= target:
            if i == 0:
                return spent[0] / spent[-1]
            lo, hi = sel[i - 1], acc
            frac = (target - lo) / (hi - lo) if hi > lo else 1.0
            return (spent[i - 1] + frac * (spent[i] - spent[i - 1])) / spent[-1]
    return None


def confident_joint(proba: np.ndarray, given: np.ndarray,
                    thresholds: np.ndarray) -> np.ndarray:
    """(K, K) counts: given label × the class each item confidently belongs to (its most
    probable class among those at or above their threshold; items above none are left out),
    each row rescaled to the number of items given that label (Northcutt et al. 2021, eq. 1
    and the calibration of §3.1)."""
    proba, given = np.asarray(proba, dtype=np.float64), np.asarray(given, dtype=np.int64)
    k = proba.shape[1]
    above = proba >= thresholds[None, :] - 1e-12
    confident = np.where(above, proba, -1.0).argmax(axis=1)
    counted = above.any(axis=1)
    joint = np.zeros((k, k))
    np.add.at(joint, (given[counted], confident[counted]), 1.0)
    sizes = np.bincount(given, minlength=k).astype(np.float64)
    rows = joint.sum(axis=1)
    scaled: np.ndarray = joint * (sizes / np.where(rows > 0, rows, 1.0))[:, None]
    return scaled


def flag_by_count(proba: np.ndarray, given: np.ndarray, joint: np.ndarray) -> np.ndarray:
    """Flag as many items as the confident joint expects errors, cell by cell: for each given
    class *i* and other class *j*, the ``round(joint[i, j])`` items given *i* with the largest
    margin ``proba[:, j] - proba[:, i]`` (confident learning's pruning by noise rate); an
    item the model itself gives its label to is never flagged."""
    proba, given = np.asarray(proba, dtype=np.float64), np.asarray(given, dtype=np.int64)
    out = np.zeros(given.size, bool)
    k = joint.shape[0]
    for i in range(k):
        members = np.flatnonzero(given == i)
        for j in range(k):
            n = int(round(joint[i, j]))
            if j == i or n <= 0 or not members.size:
                continue
            margin = proba[members, j] - proba[members, i]
            out[members[np.argsort(-margin, kind="stable")[:n]]] = True
    agrees = proba.argmax(axis=1) == given
    out[agrees] = False
    return out
