"""Audit and selection benchmark: Datafab's p_wrong against cleanlab in the same run.

    DATAFAB_DATASETS=/path/to/datasets/crowd .venv/bin/python bench/audit.py
    .venv/bin/python bench/audit.py --selection-only   # the selection part alone

1. **Single labels with known noise.** A text dataset built from what installed packages ship:
   the docstrings of numpy, scipy, scikit-learn, pandas and SQLAlchemy (first paragraph of
   every documented function or class, at most ``--per-class`` each); the task is to tell
   which library a docstring comes from. Labels are flipped class-conditionally (class k
   becomes k+1 with probability 10%, then 20%). Both methods get the same out-of-fold
   probabilities (``quality.curation.out_of_fold_proba``, 5 folds); Datafab flags as many
   items as its confident joint expects errors (``quality.curation.flag_by_count``),
   cleanlab with ``filter.find_label_issues`` (its defaults).
   Precision, recall and F1 of the flags against the flipped items.
2. **Several labels per item** (the real crowds, ``crowd_data``): the majority-vote label of
   every item with a known truth; how well each score ranks its errors (AUROC). Datafab:
   ``1 - combined[label]`` with the Dawid–Skene posterior; cleanlab: CROWDLAB
   (``multiannotator.get_label_quality_multiannotator`` with ``consensus_method=
   "majority_vote"``, so both score the same label; ``1 - consensus_quality_score``). The
   crowd files carry no item features, so both get the same uninformative classifier
   probabilities (the majority labels' class frequencies).
3. **Selection.** On the docstring dataset (clean labels, a quarter held out): held-out
   accuracy against labels spent, 50 random labels then batches of 100 up to 1,250, selected
   order (``quality.curation.select`` under the model so far) against random order from the
   same start; the share of random order's 1,250 labels that selected order needs to reach
   random order's accuracy at 1,250 (``labels_to_reach``), per seed and its mean over
   ``--repeats`` seeds from ``--first-seed`` (seeds 0 and 1 were used to choose the method,
   so the default run starts at 2); also on the curves averaged over the seeds.
   ``--selection-only`` skips sections 1 and 2; ``--start`` sets the random start;
   ``--method`` the probabilities selection ranks by (``margin``: the model trained on the
   labels so far, the default; ``committee``: the average of five models trained on
   bootstrap resamples of them; ``quality.curation.selection_proba``). Seeds 0 to 22 have all
   been looked at; fresh ones start at 23. ``--time-select`` only times one selection of 100
   per method on the bench's pool, then stops.

Prints a table and one line: ``RESULT audit_f1=… cleanlab_f1=… crowd_auroc=…
crowdlab_auroc=… selection_label_share=…``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import crowd_data  # noqa: E402

from datafab.quality import DawidSkene, MajorityVote  # noqa: E402
from datafab.quality import curation as c  # noqa: E402

warnings.filterwarnings("ignore")
PACKAGES = ("numpy", "scipy", "sklearn", "pandas", "sqlalchemy")


def docstrings(per_class: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """(texts, class codes): first paragraphs of docstrings, ``per_class`` per package."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[int] = []
    for k, package in enumerate(PACKAGES):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{package} is not installed")
        found = []
        for path in sorted(Path(spec.origin).parent.rglob("*.py")):
            if "tests" in path.parts:
                continue
            try:
                tree = ast.parse(path.read_text(errors="ignore"))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    doc = ast.get_docstring(node)
                    first = doc.split("\n\n")[0].strip() if doc else ""
                    if len(first.split()) >= 6:
                        found.append(first)
        found = sorted(set(found))
        take = rng.permutation(len(found))[:per_class]
        texts += [found[i] for i in take]
        labels += [k] * len(take)
    return texts, np.asarray(labels)


def flip(labels: np.ndarray, rate: float, k: int, seed: int) -> np.ndarray:
    """Class-conditional noise: each label of class j becomes (j+1) mod k with ``rate``."""
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    hit = rng.random(labels.size) < rate
    noisy[hit] = (labels[hit] + 1) % k
    return noisy


def prf(flags: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(flags & truth))
    p = tp / max(1, flags.sum())
    r = tp / max(1, truth.sum())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def noisy_section(texts: list[str], labels: np.ndarray) -> dict:
    from cleanlab.filter import find_label_issues

    k = len(PACKAGES)
    x = c.features_of(texts)
    out = {}
    for rate in (0.10, 0.20):
        noisy = flip(labels, rate, k, seed=int(rate * 100))
        wrong = noisy != labels
        proba = c.out_of_fold_proba(x, noisy, k, folds=5)
        joint = c.confident_joint(proba, noisy, c.class_thresholds(proba, noisy))
        ours = c.flag_by_count(proba, noisy, joint)
        theirs = find_label_issues(labels=noisy, pred_probs=proba)
        out[rate] = {"ours": prf(ours, wrong), "cleanlab": prf(theirs, wrong),
                     "model_accuracy": float(np.mean(proba.argmax(1) == labels))}
    return out


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(positive, score))


def crowd_section(names: list[str]) -> dict:
    from cleanlab.multiannotator import get_label_quality_multiannotator

    out = {}
    for name in names:
        ds = crowd_data.load(name)
        known = np.flatnonzero(ds.truth >= 0)
        keep = np.isin(ds.item, known)
        item_ids, item = np.unique(ds.item[keep], return_inverse=True)
        worker_ids, worker = np.unique(ds.worker[keep], return_inverse=True)
        label, k = ds.label[keep], ds.n_classes
        n, m = item_ids.size, worker_ids.size
        # CROWDLAB takes one label per (item, worker): the last one, for both methods
        grid = np.full((n, m), np.nan)
        grid[item, worker] = label
        rows = np.argwhere(~np.isnan(grid))
        item, worker = rows[:, 0], rows[:, 1]
        label = grid[item, worker].astype(np.int64)
        has_two = np.bincount(item, minlength=n) >= 2
        if has_two.sum() < 10:
            continue
        mv = MajorityVote().fit(item, worker, label, n_items=n, n_workers=m, n_classes=k)
        prior = np.bincount(mv.labels_[mv.labels_ >= 0], minlength=k) / n
        pred_probs = np.tile(np.maximum(prior, 1e-3) / np.maximum(prior, 1e-3).sum(), (n, 1))
        started = time.perf_counter()
        import pandas as pd

        theirs = get_label_quality_multiannotator(
            pd.DataFrame(grid), pred_probs, consensus_method="majority_vote", verbose=False)
        t_cl = time.perf_counter() - started
        consensus = theirs["label_quality"]["consensus_label"].to_numpy()
        started = time.perf_counter()
        ds_fit = DawidSkene().fit(item, worker, label, n_items=n, n_workers=m, n_classes=k)
        probs = c.combine(c.adjusted(pred_probs, np.full(k, 1.0 / k)), ds_fit.probas_,
                          ds_fit.priors_)
        ours = c.p_wrong(probs, consensus)
        t_us = time.perf_counter() - started
        truth = ds.truth[item_ids]
        errors = consensus != truth
        if errors.all() or not errors.any():
            continue
        out[name] = {"items": n, "mv_errors": int(errors.sum()),
                     "ours": auroc(ours, errors),
                     "crowdlab": auroc(1 - theirs["label_quality"][
                         "consensus_quality_score"].to_numpy(), errors),
                     "seconds_ours": t_us, "seconds_crowdlab": t_cl}
    return out


def selection_section(texts: list[str], labels: np.ndarray, seeds: list[int], *,
                      start: int = 50, batch: int = 100, steps: int = 12,
                      method: str = "margin") -> dict:
    """Learning curves of both orders per seed (same split, same start, same batches), the
    label share per seed and on the curves averaged over the seeds."""
    x = c.features_of(texts)
    shares, curves, seconds = [], [], []
    for seed in seeds:
        began = time.perf_counter()
        curve = c.learning_curves(x, labels, len(PACKAGES), start=start, batch=batch,
                                  steps=steps, seed=seed, method=method)
        seconds.append(time.perf_counter() - began)
        curves.append(curve)
        share = c.labels_to_reach(curve)
        shares.append(1.0 if share is None else share)  # 1.0: selected never reached it
        print(f"  seed {seed}: label share {shares[-1]:.3f} ({seconds[-1]:.0f} s)", flush=True)
    mean = {key: list(np.mean([cv[key] for cv in curves], axis=0)) for key in curves[0]}
    share = c.labels_to_reach(mean)
    gains = [float(np.mean(np.subtract(cv["selected"][1:], cv["random"][1:]))) for cv in curves]
    return {"share": float(np.mean(shares)), "shares": shares, "curves": curves,
            "mean": mean, "mean_share": 1.0 if share is None else share, "gains": gains,
            "seconds": seconds}


def time_select(texts: list[str], labels: np.ndarray, spent: int = 650, n: int = 100,
                repeats: int = 3) -> dict[str, float]:
    """Seconds of one selection per method (the fastest of ``repeats``): the probabilities of
    the ``spent`` first labelled rows of a seed-0 permutation and ``select`` of ``n`` among
    the rest of the bench's pool (the quarter held out for testing is left out)."""
    x = c.features_of(texts)
    order = np.random.default_rng(0).permutation(labels.size)
    pool = order[round(0.25 * labels.size):]
    chosen, rest = pool[:spent], pool[spent:]
    out = {}
    for method in c.METHODS:
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            proba = c.selection_proba(x[chosen], labels[chosen], len(PACKAGES), x[rest],
                                      method=method)
            c.select(proba, x[rest], n)
            best = min(best, time.perf_counter() - began)
        out[method] = best
    return out


def print_selection(selection: dict, seeds: list[int]) -> None:
    mean = selection["mean"]
    print(f"learning curves, mean of seeds {', '.join(map(str, seeds))}: spent "
          + " ".join(f"{s:.0f}" for s in mean["spent"]))
    for seed, curve in zip(seeds, selection["curves"], strict=True):
        print(f"  seed {seed:<3d} random   " + " ".join(f"{a:.3f}" for a in curve["random"]))
        print("           selected " + " ".join(f"{a:.3f}" for a in curve["selected"]))
    print("  mean     random   " + " ".join(f"{a:.3f}" for a in mean["random"]))
    print("           selected " + " ".join(f"{a:.3f}" for a in mean["selected"]))
    print("selection label shares per seed (1.000: selected order never reached random "
          "order's final accuracy): " + ", ".join(f"{s:.3f}" for s in selection["shares"])
          + f"; on the mean curves {selection['mean_share']:.3f}")
    print("mean gain along the curve per seed (selected minus random accuracy over the "
          "selected batches, points): "
          + ", ".join(f"{100 * g:+.2f}" for g in selection["gains"])
          + f"; mean {100 * float(np.mean(selection['gains'])):+.2f}")
    print("seconds per seed: " + ", ".join(f"{s:.0f}" for s in selection["seconds"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3, help="selection: seeds to run")
    parser.add_argument("--first-seed", type=int, default=2,
                        help="selection: first seed (0 and 1 were used to choose the method)")
    parser.add_argument("--start", type=int, default=50,
                        help="selection: random labels both orders start from")
    parser.add_argument("--method", choices=c.METHODS, default="margin",
                        help="selection: what the picks are ranked by")
    parser.add_argument("--time-select", action="store_true",
                        help="only time one selection of 100 per method, then stop")
    parser.add_argument("--selection-only", action="store_true",
                        help="skip the audit and crowd sections (a faster run)")
    parser.add_argument("--crowds", default="d_product,d_possent,s_rel,s_adult,s_dog,s_face,"
                        "d_duck")
    args = parser.parse_args()
    started = time.perf_counter()
    texts, labels = docstrings(args.per_class)
    print(f"docstring dataset: {len(texts)} texts, {len(PACKAGES)} classes "
          f"({time.perf_counter() - started:.0f} s to build)")
    if args.time_select:
        seconds = time_select(texts, labels)
        print("one selection of 100 among the pool's 1,600 unlabelled items after 650 labels "
              "(fastest of 3): " + ", ".join(f"{m} {s:.2f} s" for m, s in seconds.items()))
        return
    noisy = {} if args.selection_only else noisy_section(texts, labels)
    for rate, r in noisy.items():
        print(f"noise {rate:.0%}: model accuracy {r['model_accuracy']:.3f}; "
              f"datafab P/R/F1 {r['ours'][0]:.3f}/{r['ours'][1]:.3f}/{r['ours'][2]:.3f}; "
              f"cleanlab P/R/F1 {r['cleanlab'][0]:.3f}/{r['cleanlab'][1]:.3f}/"
              f"{r['cleanlab'][2]:.3f}")
    wanted = [] if args.selection_only else [
        n for n in args.crowds.split(",") if n in crowd_data.names()]
    crowd = crowd_section(wanted)
    for name, r in crowd.items():
        print(f"{name}: {r['items']} items, {r['mv_errors']} majority-vote errors; AUROC "
              f"datafab {r['ours']:.3f} ({r['seconds_ours']:.1f} s), CROWDLAB "
              f"{r['crowdlab']:.3f} ({r['seconds_crowdlab']:.1f} s)")
    seeds = list(range(args.first_seed, args.first_seed + args.repeats))
    selection = selection_section(texts, labels, seeds, start=args.start,
                                  steps=(1250 - args.start) // 100, method=args.method)
    print(f"selection method: {args.method}")
    print_selection(selection, seeds)
    f1 = float(np.mean([r["ours"][2] for r in noisy.values()])) if noisy else float("nan")
    cl_f1 = (float(np.mean([r["cleanlab"][2] for r in noisy.values()])) if noisy
             else float("nan"))
    ours = float(np.mean([r["ours"] for r in crowd.values()])) if crowd else float("nan")
    theirs = float(np.mean([r["crowdlab"] for r in crowd.values()])) if crowd else float("nan")
    print(f"({time.perf_counter() - started:.0f} s in all)")
    print(f"RESULT audit_f1={f1:.3f} cleanlab_f1={cl_f1:.3f} crowd_auroc={ours:.3f} "
          f"crowdlab_auroc={theirs:.3f} selection_label_share={selection['share']:.3f}")


if __name__ == "__main__":
    main()
