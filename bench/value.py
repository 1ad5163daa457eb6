"""Contributor value benchmark: every contributor's leave-one-out value on a synthetic project
of 100k labels and 500 contributors (plus a planted contributor answering at random), warm
started, against naive full refits for a few contributors.

    .venv/bin/python bench/value.py                 # 100k labels, 500 contributors, 4 refits
    .venv/bin/python bench/value.py --labels 20000 --contributors 100 --refits 3

Each item gets 5 labels from distinct contributors; honest contributors are right 55-95% of
the time (wrong uniformly otherwise), 3 classes, 2% of items gold. Reports the time of the
Dawid–Skene fit, of the values of every contributor, the naive full refits' time per
contributor and the ratio, the largest difference between warm-started and refitted values,
and where the planted contributor ranks. Ends with one line:
``RESULT loo_seconds_100k=… naive_per_contributor_s=… speedup=… max_abs_diff=… spammer_rank=…``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from datafab.quality import DawidSkene  # noqa: E402
from datafab.quality.value import contributor_values, refit_values  # noqa: E402


def crowd(n_labels: int, n_workers: int, k: int, per_item: int, seed: int):
    rng = np.random.default_rng(seed)
    n_items = n_labels // per_item
    truth = rng.integers(0, k, n_items)
    acc = rng.uniform(0.55, 0.95, n_workers)
    item = np.repeat(np.arange(n_items), per_item)
    # five distinct contributors per item: a random start, then steps of 97 (coprime to 500)
    start = rng.integers(0, n_workers, n_items)
    worker = (start[:, None] + np.arange(per_item)[None, :] * 97) % n_workers
    worker = worker.ravel()
    right = rng.random(item.size) < acc[worker]
    wrong = (truth[item] + rng.integers(1, k, item.size)) % k
    label = np.where(right, truth[item], wrong)
    spam = worker == 0  # the planted contributor answers at random
    label[spam] = rng.integers(0, k, int(spam.sum()))
    acc[0] = 1 / k
    n_gold = n_items // 50
    gold_items = rng.choice(n_items, n_gold, replace=False)
    return item, worker, label, (gold_items, truth[gold_items]), acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=100_000)
    parser.add_argument("--contributors", type=int, default=500)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--refits", type=int, default=4, help="contributors refitted naively")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    item, worker, label, gold, acc = crowd(args.labels, args.contributors, args.classes, 5,
                                           args.seed)
    t0 = time.perf_counter()
    fit = DawidSkene().fit(item, worker, label, gold=gold)
    t1 = time.perf_counter()
    values = contributor_values(item, worker, label, confusions=fit.confusions_,
                                prior=fit.priors_, gold=gold)
    t2 = time.perf_counter()
    fit_s, loo_s = t1 - t0, t2 - t1

    rng = np.random.default_rng(args.seed + 1)
    chosen = [0, *rng.choice(np.arange(1, args.contributors), args.refits - 1, replace=False)]
    t3 = time.perf_counter()
    full = refit_values(item, worker, label, gold=gold, workers=chosen)
    naive_each = (time.perf_counter() - t3) / len(chosen)
    per_contributor = loo_s / args.contributors
    diff = np.abs(values[chosen] - full[chosen])

    order = np.argsort(-values)
    rank = int(np.flatnonzero(order == 0)[0]) + 1
    honest = values[1:]
    print(f"{len(label):,} labels, {args.contributors} contributors, {args.classes} classes, "
          f"{gold[0].size} gold items")
    print(f"Dawid–Skene fit              {fit_s:8.2f} s")
    print(f"values of every contributor  {loo_s:8.2f} s  ({1000 * per_contributor:.1f} ms each)")
    print(f"naive full refit             {naive_each:8.2f} s per contributor "
          f"(x{naive_each / per_contributor:.0f}; all {args.contributors}: "
          f"{naive_each * args.contributors:.0f} s)")
    for w, a, b in zip(chosen, values[chosen], full[chosen], strict=True):
        print(f"  contributor {w:4d} (accuracy {acc[w]:.2f}): warm {a:8.3f}  refit {b:8.3f}")
    print(f"honest contributors: value min {honest.min():.2f}, median {np.median(honest):.2f}, "
          f"max {honest.max():.2f}; correlation with accuracy "
          f"{np.corrcoef(acc[1:], honest)[0, 1]:.2f}")
    below = acc[order[rank:]]
    print(f"planted random contributor: value {values[0]:.3f}, rank {rank} of "
          f"{args.contributors}" + (f"; the {below.size} below it are right "
                                    f"{below.min():.2f}-{below.max():.2f} of the time"
                                    if below.size else ""))
    print(f"RESULT loo_seconds_100k={loo_s:.2f} naive_per_contributor_s={naive_each:.2f} "
          f"speedup={naive_each / per_contributor:.0f} max_abs_diff={diff.max():.3f} "
          f"spammer_rank={rank}/{args.contributors}")


if __name__ == "__main__":
    main()
