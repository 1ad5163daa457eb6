"""Budget planner benchmark: does the plan made from a project's first labels hold on the
rest?

For each real crowdsourcing dataset (``bench/crowd_data.py``; categorical ones): the planner
(``datafab.quality.planning``) plans from the first ``--share`` of the labels in recorded
order, as a project that had collected only those, with the known answer of ``--gold`` of
their items as its gold (picked by a hash of the item code; nothing else of the truth is
seen: the posterior is calibrated on that gold), for three budgets of ``--budgets`` labels
per item over the items the rest of the labels cover (one label costs 1). Then the rest of
the labels are replayed under the recommended policy (stopping confusions from a fit on the
rest, as the line's periodic refit would give) and the records scored against the known
truth: the realised accuracy. Every other candidate is replayed the same way; the regret is
the best realised accuracy among the candidates whose realised cost fits the budget minus
the recommended one's.

    DATAFAB_DATASETS=path/to/crowd .venv/bin/python bench/plan.py
    .venv/bin/python bench/plan.py --datasets d_product,s_dog --budgets 1.5,3,5
    .venv/bin/python bench/plan.py --order shuffled --seed 1
    .venv/bin/python bench/plan.py --recorded-only   # without the simulated deeper crowd

``--order shuffled`` plans from a random ``--share`` of the labels instead of the first ones
(the same rows shuffled by ``--seed``): a control in which the labels to come are drawn like
the labels seen, so what is left of the error is the planner's own, not a change in who
labels later. The table's "first labels, by truth" column is the recommended policy replayed
on the first labels and scored by the truth: what a perfect judge would have predicted. The
line before the RESULT splits the error into the judge's part and the labels to come's.

Ends with ``RESULT planner_abs_error=… planner_regret=… loo_seconds_100k=…`` (points; mean
over datasets and budgets; the last from ``bench/value.py``'s leave-one-out timing at 100k
labels, 500 contributors).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crowd_data import NUMERIC, load, names  # noqa: E402
from value import crowd  # noqa: E402

from datafab.quality import DawidSkene  # noqa: E402
from datafab.quality.planning import (  # noqa: E402
    candidates,
    choose,
    evaluate,
    fitted_skill,
    truth_judge,
)  # noqa: E402
from datafab.quality.replay import Evidence  # noqa: E402
from datafab.quality.value import contributor_values  # noqa: E402

console = Console()
METHOD = "dawid_skene"


def evidence(ds, rows: np.ndarray, gold: dict[int, int] | None = None) -> Evidence:
    return Evidence(ds.item[rows], ds.worker[rows], ds.label[rows], ds.n_items, ds.n_workers,
                    ds.n_classes, np.ones(1), gold or {})


def gold_of(ds, rows: np.ndarray, share: float) -> dict[int, int]:
    """A project's gold: the known answer of ``share`` of the items those labels cover (the
    items picked by a hash of their code, blind to any order)."""
    items = np.unique(ds.item[rows])
    items = items[ds.truth[items] >= 0]
    picked = items[(items * 2654435761) % 2**32 < share * 2**32]
    return {int(i): int(ds.truth[i]) for i in picked}


def shuffled(ds, seed: int):
    """The same labels in a random order (the items, contributors and truth unchanged)."""
    order = np.random.default_rng(seed).permutation(ds.n_labels)
    return dataclasses.replace(ds, item=ds.item[order], worker=ds.worker[order],
                               label=ds.label[order])


def truth_only(ev: Evidence, known: np.ndarray) -> Evidence:
    """The labels of the items whose truth is known, nothing else (no gold)."""
    keep = known[ev.item]
    return Evidence(ev.item[keep], ev.worker[keep], ev.label[keep], ev.n_items, ev.n_workers,
                    ev.n_classes, np.ones(1), {})


def one(name: str, share: float, gold: float, budgets: list[float], table: Table,
        seed: int | None = None, deeper: bool = True) -> list[tuple[float, ...]]:
    ds = load(name) if seed is None else shuffled(load(name), seed)
    cut = int(round(share * ds.n_labels))
    head = evidence(ds, np.arange(cut), gold_of(ds, np.arange(cut), gold))
    rest = evidence(ds, np.arange(cut, ds.n_labels))
    known = ds.truth >= 0
    labelled = np.bincount(rest.item, minlength=ds.n_items) > 0
    items = int(labelled.sum())
    t0 = time.perf_counter()
    sk = fitted_skill(head)
    cands = candidates(head, sk=sk)
    predicted = evaluate(head, METHOD, cands, sk=sk, deeper=deeper)
    plan_s = time.perf_counter() - t0
    truth = np.zeros((ds.n_items, ds.n_classes))
    truth[known, ds.truth[known]] = 1.0
    by_truth = truth_judge(truth)
    # realised: judged by the truth, on the rest's items that have one
    realised = evaluate(truth_only(rest, known), METHOD, cands, sk=fitted_skill(rest),
                        judged=by_truth, deeper=False)
    # the same policies on the first labels, judged by the truth: what the planner would
    # have predicted with a perfect judge (the rest of the error is the labels to come)
    seen = evaluate(truth_only(head, known), METHOD, cands, sk=sk, judged=by_truth,
                    deeper=False)
    out = []
    for per_item in budgets:
        budget = per_item * items
        plan = choose(predicted, budget, items)
        at = cands.index(plan.best.policy)
        got = realised[at]
        fits = [r for r in realised if r.cost_per_record * items <= budget] or [got]
        best = max(r.accuracy for r in fits)
        err, regret = abs(plan.best.accuracy - got.accuracy), best - got.accuracy
        judged, coming = plan.best.accuracy - seen[at].accuracy, seen[at].accuracy - got.accuracy
        inside = float(plan.best.low <= got.accuracy <= plan.best.high)
        out.append((err, regret, judged, coming, inside))
        table.add_row(name, f"{per_item:g}", plan.best.policy.describe(),
                      f"{plan.best.accuracy:.4f} [{plan.best.low:.3f}, {plan.best.high:.3f}]",
                      f"{seen[at].accuracy:.4f}", f"{got.accuracy:.4f}", f"{best:.4f}",
                      f"{plan.best.labels_per_record:.2f}",
                      f"{got.labels_per_record:.2f}", f"{100 * err:.2f}", f"{100 * regret:.2f}",
                      f"{plan_s:.1f}")
    return out


def loo_seconds() -> float:
    item, worker, label, gold, _ = crowd(100_000, 500, 3, 5, 7)
    fit = DawidSkene().fit(item, worker, label, gold=gold)
    t0 = time.perf_counter()
    contributor_values(item, worker, label, confusions=fit.confusions_, prior=fit.priors_,
                       gold=gold)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="", help="Comma-separated; default: all "
                        "categorical ones.")
    parser.add_argument("--share", type=float, default=0.3)
    parser.add_argument("--gold", type=float, default=0.1, help="Share of the first labels' "
                        "items whose answer the planner knows (the project's gold).")
    parser.add_argument("--budgets", default="1.5,3,5", help="Labels per item.")
    parser.add_argument("--order", choices=("recorded", "shuffled"), default="recorded",
                        help="Plan from the first labels as recorded, or from a random share.")
    parser.add_argument("--seed", type=int, default=0, help="The shuffle's seed.")
    parser.add_argument("--recorded-only", action="store_true", help="Predict from the "
                        "recorded replay alone, without the simulated deeper crowd.")
    args = parser.parse_args()
    chosen = [d for d in args.datasets.split(",") if d] or [n for n in names()
                                                          if n not in NUMERIC]
    if not chosen:
        console.print("no datasets found: set DATAFAB_DATASETS to the folder holding d_product/")
        raise SystemExit(2)
    budgets = [float(b) for b in args.budgets.split(",")]
    table = Table("dataset", "budget / item", "recommended", "predicted [90%]",
                  "first labels, by truth", "realised",
                  "best realised", "labels/rec plan", "labels/rec real", "|err| pts",
                  "regret pts", "plan s")
    results: list[tuple[float, ...]] = []
    for name in chosen:
        seed = args.seed if args.order == "shuffled" else None
        results += one(name, args.share, args.gold, budgets, table, seed,
                       not args.recorded_only)
    console.print(table)
    errs, regrets, judged, coming, inside = np.array(results).T
    print(f"error split (points, mean |.|): the judge (predicted - first labels by truth) "
          f"{100 * np.abs(judged).mean():.2f}, the labels to come (first labels by truth - "
          f"realised) {100 * np.abs(coming).mean():.2f}")
    print(f"realised inside the 90% interval: {int(inside.sum())} of {inside.size} plans")
    loo = loo_seconds()
    print(f"RESULT planner_abs_error={100 * errs.mean():.2f} "
          f"planner_regret={100 * regrets.mean():.2f} loo_seconds_100k={loo:.2f}")


if __name__ == "__main__":
    main()
