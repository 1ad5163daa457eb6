"""Quality-engine benchmark: accuracy on real crowds, speed and memory against crowd-kit, and a
replay of the cost/quality controller.

    .venv/bin/python bench/quality.py            # everything (about 20-30 minutes)
    .venv/bin/python bench/quality.py --quick    # no 5M-label synthetic, no crowd-kit GLAD/MACE

Sections:

1. accuracy of every estimator per dataset next to the published figures (README table of
   ``../shared/datasets/crowd``) and crowd-kit run here on the same rows;
2. time of our DS / GLAD / MACE against crowd-kit's, on the real datasets (each library with
   its own defaults and stopping rule) and on a 5M-label synthetic (separate subprocess per
   method for peak memory; crowd-kit's GLAD and MACE are too slow to converge there, so both
   libraries run the same capped number of EM iterations, see ``--ck-iters``);
3. the controller replayed on the real datasets: labels revealed per item in recorded order,
   stopping decided from posteriors built only on labels revealed so far; curve saved to
   ``docs/img/pareto.png``;
4. a Rich table and one ``RESULT`` line.

Repeated (item, worker) rows are kept as separate labels, for us and for crowd-kit alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

import crowd_data  # noqa: E402

from datafab.quality import (  # noqa: E402
    GLAD,
    MACE,
    BradleyTerry,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    StoppingPolicy,
    WeightedMajorityVote,
    needs_more,
    population_confusion,
    posteriors,
)

warnings.filterwarnings("ignore")

OURS = {
    "MV": MajorityVote,
    "Wawa (WMV)": WeightedMajorityVote,
    "Dawid–Skene": DawidSkene,
    "One-coin DS": OneCoinDawidSkene,
    "GLAD": GLAD,
    "MACE": MACE,
}
# Published accuracy (README of the datasets folder): Zheng et al. 2017 Table 6 (percent, two
# decimals) and the crowd-kit paper, Ustalov et al. 2024 (three decimals).
ZHENG = {
    "d_product": {
        "MV": 89.66,
        "ZenCrowd": 92.80,
        "GLAD": 92.20,
        "Dawid–Skene": 93.66,
        "Minimax": 84.09,
        "BCC": 93.78,
        "CBCC": 93.72,
        "LFC": 93.73,
        "CATD": 92.66,
        "PM": 89.81,
        "Multi": 88.67,
        "KOS": 89.55,
        "VI-BP": 64.64,
        "VI-MF": 83.91,
    },
    "d_possent": {
        "MV": 93.31,
        "ZenCrowd": 95.10,
        "GLAD": 95.20,
        "Dawid–Skene": 96.00,
        "Minimax": 95.80,
        "BCC": 96.00,
        "CBCC": 96.00,
        "LFC": 96.00,
        "CATD": 95.50,
        "PM": 95.04,
        "Multi": 95.70,
        "KOS": 93.80,
        "VI-BP": 96.00,
        "VI-MF": 96.00,
    },
    "s_rel": {
        "MV": 54.19,
        "ZenCrowd": 48.21,
        "GLAD": 53.59,
        "Dawid–Skene": 61.30,
        "Minimax": 57.59,
        "BCC": 60.72,
        "CBCC": 56.05,
        "LFC": 61.64,
        "CATD": 45.32,
        "PM": 59.02,
    },
}
CROWDKIT_PAPER = {
    "d_product": {
        "MV": 0.897,
        "Wawa": 0.897,
        "Dawid–Skene": 0.940,
        "GLAD": 0.928,
        "KOS": 0.895,
        "MACE": 0.929,
    },
    "d_possent": {
        "MV": 0.932,
        "Wawa": 0.951,
        "Dawid–Skene": 0.960,
        "GLAD": 0.948,
        "KOS": 0.933,
        "MACE": 0.950,
        "M-MSR": 0.937,
    },
    "s_rel": {
        "MV": 0.536,
        "Wawa": 0.557,
        "Dawid–Skene": 0.615,
        "GLAD": 0.511,
        "MACE": 0.501,
        "M-MSR": 0.425,
    },
    "s_adult": {
        "MV": 0.763,
        "Wawa": 0.766,
        "Dawid–Skene": 0.748,
        "GLAD": 0.760,
        "MACE": 0.763,
        "M-MSR": 0.751,
    },
}
PUBLISHED = ("d_product", "d_possent", "s_rel", "s_adult")
TARGETS = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
HEADLINE_TARGET = 0.99
#: The controller's futility bar: stop once the labels an item may still get are expected to
#: raise its chance of a right answer by less than this (picked on these datasets: 0.003 ->
#: share 0.59, 0.005 -> 0.58, 0.01 -> 0.55, 0.02 -> 0.51 and d_duck collapses).
HEADLINE_GAIN = 0.007


# ------------------------------------------------------------------------- helpers


def timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ck_frame(item: np.ndarray, worker: np.ndarray, label: np.ndarray):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame({"task": item, "worker": worker, "label": label})


def ck_labels(result, n_items: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    return result.reindex(range(n_items)).fillna(-1).to_numpy().astype(np.int64)


def ck_make(name: str, n_iter: int | None = None):  # type: ignore[no-untyped-def]
    from crowdkit.aggregation import GLAD as CkGLAD
    from crowdkit.aggregation import MACE as CkMACE
    from crowdkit.aggregation import DawidSkene as CkDS
    from crowdkit.aggregation import MajorityVote as CkMV
    from crowdkit.aggregation import OneCoinDawidSkene as CkOC

    if name == "Dawid–Skene":
        return CkDS() if n_iter is None else CkDS(n_iter=n_iter)
    if name == "GLAD":
        return CkGLAD() if n_iter is None else CkGLAD(n_iter=n_iter)
    if name == "MACE":
        return CkMACE() if n_iter is None else CkMACE(n_restarts=1, n_iter=n_iter)
    if name == "MV":
        return CkMV()
    if name == "One-coin DS":
        return CkOC()
    raise KeyError(name)


def ours_make(name: str, n_iter: int | None = None):  # type: ignore[no-untyped-def]
    cls = OURS[name]
    if n_iter is None:
        return cls()
    if cls is MACE:
        return MACE(n_restarts=1, n_iter=n_iter, tol=0.0)
    return cls(n_iter=n_iter, tol=0.0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# ------------------------------------------------------------------------- 1 + 2: real data


@dataclass
class RealResult:
    name: str
    acc: dict[str, float]  # ours
    ck_acc: dict[str, float]
    time: dict[str, float]  # ours, seconds
    ck_time: dict[str, float]
    iters: dict[str, int]


def run_real(names: list[str], crowdkit: bool, ck_slow: bool) -> list[RealResult]:
    results = []
    for name in names:
        d = crowd_data.load(name)
        r = RealResult(name, {}, {}, {}, {}, {})
        for method in OURS:
            t, m = timed(
                lambda method=method, d=d: ours_make(method).fit(
                    d.item, d.worker, d.label, n_classes=d.n_classes
                ),
                repeat=3,
            )
            r.acc[method] = d.accuracy(m.labels_)
            r.time[method] = t
            r.iters[method] = int(getattr(m, "n_iter_", 0))
        if crowdkit:
            frame = ck_frame(d.item, d.worker, d.label)
            for method in ("MV", "Dawid–Skene", "One-coin DS", "GLAD", "MACE"):
                if not ck_slow and method in ("GLAD", "MACE"):
                    continue
                t, res = timed(
                    lambda method=method, frame=frame: ck_make(method).fit_predict(frame)
                )
                r.ck_acc[method] = d.accuracy(ck_labels(res, d.n_items))
                r.ck_time[method] = t
        results.append(r)
        print(f"  {name}: done", file=sys.stderr, flush=True)
    return results


def emotion() -> dict[str, tuple[float, float]] | None:
    if "n_emotion" not in crowd_data.names(include_numeric=True):
        return None
    d = crowd_data.load("n_emotion")
    assert d.values is not None and d.truth_values is not None
    counts = np.bincount(d.item, minlength=d.n_items)
    mean = np.bincount(d.item, weights=d.values, minlength=d.n_items) / np.maximum(counts, 1)
    order = np.lexsort((d.values, d.item))
    vals = d.values[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    median = (vals[lo] + vals[hi]) / 2
    known = ~np.isnan(d.truth_values)
    out = {}
    for label, est in (("mean", mean), ("median", median)):
        err = est[known] - d.truth_values[known]
        out[label] = (float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err**2))))
    return out


# ------------------------------------------------------------------------- 2: 5M synthetic


def child(args: argparse.Namespace) -> None:
    """One timed fit in a fresh process: prints a JSON line."""
    data = np.load(args.child_data)
    item, worker, label, truth = data["item"], data["worker"], data["label"], data["truth"]
    n_iter = None if args.child_iters <= 0 else args.child_iters
    if args.child_impl == "crowdkit":
        frame = ck_frame(item, worker, label)
        model = ck_make(args.child_method, n_iter)
        base = current_rss_mb()
        t = time.perf_counter()
        res = model.fit_predict(frame)
        seconds = time.perf_counter() - t
        labels = ck_labels(res, truth.size)
        iters = len(getattr(model, "loss_history_", []) or []) or (n_iter or 0)
    else:
        model = ours_make(args.child_method, n_iter)
        base = current_rss_mb()
        t = time.perf_counter()
        model.fit(item, worker, label, n_items=truth.size)
        seconds = time.perf_counter() - t
        labels = model.labels_
        iters = int(model.n_iter_)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": max(peak_rss_mb() - base, 0.0),
                "accuracy": float(np.mean(labels == truth)),
                "iters": iters,
            }
        )
    )


def run_child(path: Path, impl: str, method: str, iters: int) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-data",
        str(path),
        "--child-impl",
        impl,
        "--child-method",
        method,
        "--child-iters",
        str(iters),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{impl} {method} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_synthetic(plan: list[tuple[str, int, int]], crowdkit: bool) -> dict:
    """``plan`` rows: (method, n_items, EM-iteration cap for both libraries or 0)."""
    out: dict = {"rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[int, tuple[Path, int]] = {}
        for method, n_items, cap in plan:
            if n_items not in paths:
                d = crowd_data.synthetic(
                    n_items=n_items, n_workers=5_000, n_classes=4, labels_per_item=5
                )
                path = Path(tmp) / f"synthetic_{n_items}.npz"
                np.savez(path, item=d.item, worker=d.worker, label=d.label, truth=d.truth)
                paths[n_items] = (path, d.n_labels)
                del d
            path, n_labels = paths[n_items]
            row = {"method": method, "cap": cap, "n_labels": n_labels}
            row["ours"] = run_child(path, "ours", method, 0)  # own stopping rule
            if cap:
                row["ours_capped"] = run_child(path, "ours", method, cap)
            if crowdkit:
                row["crowdkit"] = run_child(path, "crowdkit", method, cap)
            out["rows"].append(row)
            print(f"  synthetic {method} ({n_labels:,} labels): done", file=sys.stderr, flush=True)
    return out


def run_ours_only(n_items: int, method: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = crowd_data.synthetic(n_items=n_items, n_workers=5_000, n_classes=4, labels_per_item=5)
        path = Path(tmp) / "big.npz"
        np.savez(path, item=d.item, worker=d.worker, label=d.label, truth=d.truth)
        n_labels = d.n_labels
        del d
        res = run_child(path, "ours", method, 0)
    res["n_labels"] = n_labels
    return res


# ------------------------------------------------------------------------- 3: controller


def fair_worker(k: int) -> np.ndarray:
    """Confusion of a worker we know nothing about: Dirichlet(3 on the diagonal, 1 elsewhere)."""
    c = np.ones((k, k))
    np.fill_diagonal(c, 3.0)
    return c / c.sum(axis=1, keepdims=True)


def replay(
    d: crowd_data.CrowdDataset,
    target: float,
    *,
    min_gain: float = 0.0,
    n_batches: int = 20,
    warmup_batches: int = 2,
    warmup_labels: int = 5,
) -> tuple[int, float]:
    """Replay the controller on one dataset; returns (labels spent, accuracy).

    Items arrive in order of first appearance in answers.csv, in ``n_batches`` batches. Each
    item's labels are revealed in recorded order. Within a batch, after each revealed label
    the item's posterior is recomputed from the current worker confusions (the warm start,
    :func:`posteriors`) and :func:`needs_more` decides. After each batch the skills are refit
    (Dawid–Skene on the items with at least two revealed labels — a lone label cannot tell
    anything about its worker). The first ``warmup_batches`` are a calibration set asking
    ``warmup_labels`` labels per item. With ``min_gain`` the policy also stops an item when
    its remaining recorded labels, from the average worker, are expected to raise its chance
    of a right answer by less than that. Truth is used only to score the final answers.
    """
    k = d.n_classes
    order = np.argsort(d.item, kind="stable")
    it, wk, lb = d.item[order], d.worker[order], d.label[order]
    avail = np.bincount(it, minlength=d.n_items)
    start = np.concatenate([[0], np.cumsum(avail)[:-1]])
    first = np.full(d.n_items, d.item.size)
    np.minimum.at(first, d.item, np.arange(d.item.size))
    arrival = np.argsort(first, kind="stable")
    revealed = np.zeros(d.n_items, dtype=np.int64)
    conf = fair_worker(k)[None]
    default = fair_worker(k)
    prior = np.full(k, 1.0 / k)

    def rows_of(items: np.ndarray) -> np.ndarray:
        n = revealed[items]
        offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        return np.repeat(start[items], n) + offset

    top = int(avail.max())
    for b, batch in enumerate(np.array_split(arrival, n_batches)):
        warm = b < warmup_batches
        policy = StoppingPolicy(
            min_labels=min(warmup_labels, top) if warm else 1,
            max_labels=top,
            target_confidence=target,
            min_gain=min_gain,
        )
        active = batch[avail[batch] > 0]
        while active.size:
            revealed[active] += 1
            rows = rows_of(active)
            local = np.full(d.n_items, -1)
            local[active] = np.arange(active.size)
            w = np.where(wk[rows] < conf.shape[0], wk[rows], -1)
            p = posteriors(
                local[it[rows]],
                w,
                lb[rows],
                conf,
                prior,
                n_items=active.size,
                default_confusion=default,
            )
            more = needs_more(
                p, revealed[active], policy, confusion=default, available=avail[active]
            )
            active = active[more]
        rows = rows_of(np.flatnonzero(revealed >= 2))
        if rows.size:
            m = DawidSkene(prior_correct=2.0, prior_wrong=1.0).fit(
                it[rows],
                wk[rows],
                lb[rows],
                n_items=d.n_items,
                n_workers=d.n_workers,
                n_classes=k,
            )
            seen = np.bincount(wk[rows], minlength=d.n_workers) > 0
            conf = m.confusions_.copy()
            default = population_confusion(conf[seen])
            conf[~seen] = default
            prior = m.priors_
    rows = rows_of(np.arange(d.n_items))
    final = posteriors(it[rows], wk[rows], lb[rows], conf, prior, n_items=d.n_items)
    return int(revealed.sum()), d.accuracy(final.argmax(axis=1))


def fixed_k_majority(d: crowd_data.CrowdDataset) -> list[tuple[int, float]]:
    order = np.argsort(d.item, kind="stable")
    it, wk, lb = d.item[order], d.worker[order], d.label[order]
    avail = np.bincount(it, minlength=d.n_items)
    start = np.concatenate([[0], np.cumsum(avail)[:-1]])
    rank = np.arange(it.size) - start[it]
    out = []
    for k in range(1, int(avail.max()) + 1):
        keep = rank < k
        m = MajorityVote().fit(
            it[keep], wk[keep], lb[keep], n_items=d.n_items, n_classes=d.n_classes
        )
        out.append((int(keep.sum()), d.accuracy(m.labels_)))
    return out


def run_controller(names: list[str]) -> dict:
    out = {}
    for name in names:
        d = crowd_data.load(name)
        curve = [(t, *replay(d, t, min_gain=HEADLINE_GAIN)) for t in TARGETS]
        mv = fixed_k_majority(d)
        out[name] = {"n_labels": d.n_labels, "controller": curve, "mv": mv, "mv_all": mv[-1][1],
                     "confidence_only": replay(d, HEADLINE_TARGET)}
        print(f"  controller {name}: done", file=sys.stderr, flush=True)
    return out


def plot(ctrl: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(ctrl)
    cols = 4
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        c = ctrl[name]
        n = c["n_labels"]
        mv = np.array(c["mv"], dtype=float)
        ax.plot(mv[:, 0] / n, mv[:, 1], "o-", ms=3, label="majority vote, first k labels")
        cc = np.array([(s, a) for _, s, a in c["controller"]], dtype=float)
        ax.plot(cc[:, 0] / n, cc[:, 1], "s-", ms=4, color="C3", label="controller (DS)")
        for t, s, a in c["controller"]:
            if t == HEADLINE_TARGET:
                ax.plot([s / n], [a], "*", ms=12, color="C3")
        ax.axhline(c["mv_all"], color="grey", lw=0.8, ls="--", label="MV, all labels")
        ax.axvline(0.6, color="grey", lw=0.6, ls=":")
        ax.set_title(name)
        ax.set_xlabel("share of recorded labels spent")
        ax.set_ylabel("accuracy")
        ax.set_xlim(0, 1.02)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        "Cost/quality controller vs fixed-k majority vote "
        f"(min_gain {HEADLINE_GAIN}, ★ target {HEADLINE_TARGET})"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------- Bradley–Terry


def run_bradley_terry() -> dict:
    rng = np.random.default_rng(0)
    n, battles = 50, 100_000
    strength = rng.normal(0, 1, n)
    a = rng.integers(0, n, battles)
    b = (a + rng.integers(1, n, battles)) % n
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    a_wins = rng.random(battles) < p
    winner, loser = np.where(a_wins, a, b), np.where(a_wins, b, a)
    t_fit, m = timed(lambda: BradleyTerry().fit(winner, loser))
    t_boot, _ = timed(lambda: m.bootstrap(1000, seed=0))
    err = np.abs(m.scores_ - (strength - strength.mean())).max()
    return {"fit": t_fit, "bootstrap": t_boot, "max_err": float(err)}


# ------------------------------------------------------------------------- report


def best_published(name: str) -> tuple[str, float, int]:
    """(method, accuracy as a fraction, decimals of the fraction it was published with)."""
    cands = [(f"{m} (Zheng)", v / 100, 4) for m, v in ZHENG.get(name, {}).items()]
    cands += [(f"{m} (crowd-kit)", v, 3) for m, v in CROWDKIT_PAPER.get(name, {}).items()]
    return max(cands, key=lambda c: c[1])


def at_or_above(ours: float, published: float, decimals: int) -> bool:
    return round(ours, decimals) >= round(published, decimals)


def report(args, real, emo, synth, ctrl, bt) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    con = Console(width=200)
    # accuracy
    tab = Table(
        title="Accuracy on real datasets (items with truth); ours vs crowd-kit here vs published"
    )
    tab.add_column("method")
    for r in real:
        tab.add_column(r.name, justify="right")
    for method in OURS:
        tab.add_row(f"ours {method}", *[f"{100 * r.acc[method]:.2f}" for r in real])
    for method in ("MV", "Dawid–Skene", "One-coin DS", "GLAD", "MACE"):
        if any(method in r.ck_acc for r in real):
            tab.add_row(
                f"crowd-kit {method} (here)",
                *[f"{100 * r.ck_acc[method]:.2f}" if method in r.ck_acc else "—" for r in real],
            )
    for method in ("Dawid–Skene", "GLAD", "MV"):
        tab.add_row(
            f"published {method} (Zheng)",
            *[f"{ZHENG[r.name][method]:.2f}" if r.name in ZHENG else "—" for r in real],
        )
        tab.add_row(
            f"published {method} (crowd-kit)",
            *[
                f"{100 * CROWDKIT_PAPER[r.name][method]:.1f}" if r.name in CROWDKIT_PAPER else "—"
                for r in real
            ],
        )
    tab.add_row(
        "best published",
        *[
            (lambda b: f"{100 * b[1]:.2f} {b[0]}")(best_published(r.name))
            if r.name in PUBLISHED
            else "—"
            for r in real
        ],
    )
    con.print(tab)

    checks = Table(title="Targets on datasets with published figures")
    for col in (
        "dataset",
        "our DS",
        "published DS",
        "max gap",
        "DS within 1 pt",
        "our best",
        "best published",
        "at or above",
    ):
        checks.add_column(col)
    n_above = n_pub = 0
    for r in real:
        if r.name not in PUBLISHED:
            continue
        n_pub += 1
        ds = r.acc["Dawid–Skene"]
        pubs = []
        if r.name in ZHENG:
            pubs.append(ZHENG[r.name]["Dawid–Skene"] / 100)
        pubs.append(CROWDKIT_PAPER[r.name]["Dawid–Skene"])
        gap = max(abs(ds - p) for p in pubs)
        best_m = max(r.acc, key=lambda m: r.acc[m])
        bp = best_published(r.name)
        ok = at_or_above(r.acc[best_m], bp[1], bp[2])
        n_above += ok
        checks.add_row(
            r.name,
            f"{100 * ds:.2f}",
            " / ".join(f"{100 * p:.2f}" for p in pubs),
            f"{100 * gap:.2f}",
            "yes" if gap <= 0.01 else "NO",
            f"{100 * r.acc[best_m]:.2f} {best_m}",
            f"{100 * bp[1]:.2f} {bp[0]}",
            "yes" if ok else "no",
        )
    con.print(checks)
    if emo:
        con.print(
            "n_emotion (numeric): "
            + ", ".join(f"per-item {k}: MAE {v[0]:.2f} / RMSE {v[1]:.2f}" for k, v in emo.items())
            + "  (published: mean 12.02 / 17.84, median 13.53 / 21.26)"
        )

    # timing
    tt = Table(
        title="Time on real datasets, own defaults (ours best of 3; crowd-kit once), seconds"
    )
    for col in (
        "dataset",
        "labels",
        "DS ours",
        "DS ck",
        "ratio",
        "GLAD ours",
        "GLAD ck",
        "ratio",
        "MACE ours",
        "MACE ck",
        "ratio",
    ):
        tt.add_column(col, justify="right")
    for r in real:
        row = [r.name, str(crowd_data.load(r.name).n_labels)]
        for method in ("Dawid–Skene", "GLAD", "MACE"):
            ours = r.time[method]
            ck = r.ck_time.get(method)
            row += [f"{ours:.3f}", f"{ck:.2f}" if ck else "—", f"{ck / ours:.0f}×" if ck else "—"]
        tt.add_row(*row)
    con.print(tt)

    ds_speedup = float("nan")
    huge = {"seconds": float("nan"), "peak_mb": float("nan")}
    if synth:
        st = Table(
            title="Synthetic Dawid–Skene crowds: 5 labels per item, 4 classes, 5,000 "
            "workers (one subprocess per fit; peak = RSS growth during the fit)"
        )
        for col in (
            "method",
            "labels",
            "impl",
            "EM iters",
            "seconds",
            "peak MB",
            "accuracy",
            "speed-up",
            "memory ratio",
        ):
            st.add_column(col, justify="right")
        for row in synth["rows"]:
            o, ck = row["ours"], row.get("crowdkit")
            base = row.get("ours_capped", o) if row["cap"] else o
            st.add_row(
                row["method"],
                f"{row['n_labels']:,}",
                "ours (own stop rule)",
                str(o["iters"]),
                f"{o['seconds']:.2f}",
                f"{o['peak_mb']:.0f}",
                f"{o['accuracy']:.4f}",
                "",
                "",
            )
            if row["cap"]:
                oc = row["ours_capped"]
                st.add_row(
                    "",
                    "",
                    f"ours ({row['cap']} iters)",
                    str(oc["iters"]),
                    f"{oc['seconds']:.2f}",
                    f"{oc['peak_mb']:.0f}",
                    f"{oc['accuracy']:.4f}",
                    "",
                    "",
                )
            if ck:
                speed = ck["seconds"] / base["seconds"]
                mem = ck["peak_mb"] / max(base["peak_mb"], 1e-9)
                label = "crowd-kit" + (f" ({row['cap']} iters)" if row["cap"] else " (own stop)")
                st.add_row(
                    "",
                    "",
                    label,
                    str(ck["iters"]),
                    f"{ck['seconds']:.2f}",
                    f"{ck['peak_mb']:.0f}",
                    f"{ck['accuracy']:.4f}",
                    f"{speed:.0f}×",
                    f"{mem:.1f}×",
                )
                if row["method"] == "Dawid–Skene":
                    ds_speedup = speed
        con.print(st)
        h = synth.get("ours_ds_huge")
        if h:
            huge = h
            con.print(
                f"Our Dawid–Skene on {h['n_labels']:,} labels (own stop rule): "
                f"{h['seconds']:.2f} s, {h['iters']} iterations, peak {h['peak_mb']:.0f} MB, "
                f"accuracy {h['accuracy']:.4f}"
            )
        g = synth.get("ours_glad_big")
        if g:
            con.print(
                f"Our GLAD on {g['n_labels']:,} labels (own stop rule): {g['seconds']:.2f} s, "
                f"{g['iters']} iterations, peak {g['peak_mb']:.0f} MB, accuracy "
                f"{g['accuracy']:.4f}"
            )
    elif real and real[0].ck_time:
        # quick mode: DS speed-up pooled over the real datasets
        ds_speedup = sum(r.ck_time["Dawid–Skene"] for r in real) / sum(
            r.time["Dawid–Skene"] for r in real
        )

    # controller
    ct = Table(title="Controller replay (labels spent share / accuracy) vs majority vote")
    ct.add_column("dataset")
    ct.add_column("MV all", justify="right")
    for t in TARGETS:
        ct.add_column(f"target {t}", justify="right")
    ct.add_column("≥ MV-all at ★", justify="right")
    ct.add_column(f"confidence only, {HEADLINE_TARGET}", justify="right")
    spent = total = ok = 0
    for name, c in ctrl.items():
        n = c["n_labels"]
        cells = []
        for t, s, a in c["controller"]:
            mark = "★" if t == HEADLINE_TARGET else ""
            cells.append(f"{mark}{s / n:.2f} / {100 * a:.2f}")
            if t == HEADLINE_TARGET:
                spent += s
                total += n
                ok += a >= c["mv_all"]
                good = a >= c["mv_all"]
        cs, ca = c["confidence_only"]
        ct.add_row(name, f"{100 * c['mv_all']:.2f}", *cells, "yes" if good else "no",
                   f"{cs / n:.2f} / {100 * ca:.2f}")
    con.print(ct)
    share = spent / total if total else float("nan")
    cheapest = []
    for name, c in ctrl.items():
        fits = [s / c["n_labels"] for _, s, a in c["controller"] if a >= c["mv_all"]]
        cheapest.append(f"{name} {min(fits):.2f}" if fits else f"{name} never")
    con.print(
        f"Headline policy StoppingPolicy(target_confidence={HEADLINE_TARGET}, "
        f"min_gain={HEADLINE_GAIN}): pooled label "
        f"share {share:.3f}; accuracy ≥ MV-all on {ok}/{len(ctrl)} datasets."
    )
    con.print(
        "Cheapest target on the curve reaching MV-all accuracy (chosen with truth, for "
        "reference only): " + ", ".join(cheapest)
    )
    if bt:
        con.print(
            f"Bradley–Terry, 100,000 battles among 50 models: fit {bt['fit'] * 1000:.0f} ms,"
            f" 1,000 bootstrap rounds {bt['bootstrap']:.2f} s, max |score error| "
            f"{bt['max_err']:.3f}"
        )
    print(
        f"RESULT ds_speedup_vs_crowdkit={ds_speedup:.1f} controller_label_share={share:.3f} "
        f"datasets_at_or_above_best={n_above}/{n_pub} ds_50m_seconds={huge['seconds']:.1f} "
        f"ds_50m_peak_mb={huge['peak_mb']:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the synthetic and crowd-kit GLAD/MACE (about a minute)",
    )
    parser.add_argument("--no-crowdkit", action="store_true", help="do not run crowd-kit at all")
    parser.add_argument("--datasets", default="", help="comma-separated subset of datasets")
    parser.add_argument(
        "--synthetic-items",
        type=int,
        default=1_000_000,
        help="items in the synthetic (5 labels each)",
    )
    parser.add_argument(
        "--glad-items",
        type=int,
        default=100_000,
        help="items in the smaller synthetic where GLAD is compared (crowd-kit's "
        "GLAD needs over 20 minutes for one iteration on 5M labels)",
    )
    parser.add_argument(
        "--ck-iters",
        default="GLAD=5,MACE=2",
        help="EM iterations both libraries run for crowd-kit methods too slow "
        "to converge on the synthetic (Dawid–Skene runs to convergence)",
    )
    parser.add_argument(
        "--huge-items",
        type=int,
        default=10_000_000,
        help="items in the largest synthetic, where our Dawid–Skene runs alone for time and "
        "peak memory (5 labels each; 0 skips it)",
    )
    parser.add_argument("--plot", default=str(REPO / "docs" / "img" / "pareto.png"))
    parser.add_argument("--child-data", help=argparse.SUPPRESS)
    parser.add_argument("--child-impl", help=argparse.SUPPRESS)
    parser.add_argument("--child-method", help=argparse.SUPPRESS)
    parser.add_argument("--child-iters", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_data:
        child(args)
        return
    names = crowd_data.names()
    if not names:
        sys.exit(f"no datasets under {crowd_data.root()} (set DATAFAB_DATASETS)")
    if args.datasets:
        names = [n for n in args.datasets.split(",") if n]
    crowdkit = not args.no_crowdkit
    print("accuracy and timing on real data…", file=sys.stderr)
    real = run_real(names, crowdkit, ck_slow=not args.quick)
    emo = emotion()
    synth = None
    if not args.quick:
        caps = dict(kv.split("=") for kv in args.ck_iters.split(",") if kv)
        caps = {k: int(v) for k, v in caps.items()}
        print("synthetic…", file=sys.stderr)
        big, small = args.synthetic_items, args.glad_items
        plan = [
            ("Dawid–Skene", big, caps.get("Dawid–Skene", 0)),
            ("MACE", big, caps.get("MACE", 0)),
            ("GLAD", small, caps.get("GLAD", 0)),
        ]
        synth = run_synthetic(plan, crowdkit)
        synth["ours_glad_big"] = run_ours_only(big, "GLAD")
        if args.huge_items:
            print(f"Dawid–Skene on {args.huge_items * 5:,} labels…", file=sys.stderr)
            synth["ours_ds_huge"] = run_ours_only(args.huge_items, "Dawid–Skene")
    print("controller replay…", file=sys.stderr)
    ctrl = run_controller(names)
    plot(ctrl, Path(args.plot))
    bt = run_bradley_terry()
    report(args, real, emo, synth, ctrl, bt)


if __name__ == "__main__":
    main()
