"""What each dataset bought: per run that names the data its model was trained on, the gain
per slice against the previous run of the same model family, divided by the human hours
and the pay of the data that is new since that run.

The previous run is the latest earlier run of the family on the same eval set with a
figure on the slice; the data credited is what the run names and the previous run did not
(all of it, if the previous run named none). Scores are the leaderboard's mean scores
(automatic, people's, else a judge's), so the gain is a difference of two figures that
each carry an interval; ``improved`` says the run's interval lies wholly above the previous
run's. Hours count people's submissions to those projects (gold included, as the effort
report does); pay is the pay ledger's entries for them. See docs/planning.md.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datafab.evals.gaps import slice_keys
from datafab.foundry import Foundry
from datafab.quality.leaderboard import Board
from datafab.services.billing import minor_digits
from datafab.services.evals.boards import Runs, mean_board, num
from datafab.services.evals.evidence import Evidence, Scored
from datafab.services.evals.shapes import load_set
from datafab.store import data_value as data_store
from datafab.store import evals as store
from datafab.store.handles import Row

OVERALL = "all"


def data_value(foundry: Foundry, organization: int, set_id: int, *, rounds: int = 1000,
               seed: int = 0) -> dict[str, Any]:
    """The dataset-value table of an eval set: one row per (run, slice) whose run names new
    training data and has a previous run of its family, best gain per hour first."""
    with foundry.db.read() as conn:
        eval_set = load_set(conn, organization, set_id)
        ev = Evidence(conn, set_id)
        trained = store.training_data(conn, [r.id for r in ev.runs])
        ids = sorted({p for projects in trained.values() for p in projects})
        data = _data_costs(data_store.people_effort(conn, ids), data_store.pay(conn, ids),
                           data_store.model_cost(conn, ids))
    boards = _boards(ev.scores(), ev.runs, rounds=rounds, seed=seed)
    rows = []
    for k, run in enumerate(ev.runs):
        if run.id not in trained:
            continue
        for key, board in boards.items():
            j = _previous(ev.runs, k, board)
            if j is None:
                continue
            new = sorted(set(trained[run.id]) - set(trained.get(ev.runs[j].id, [])))
            rows.append(_row(run, ev.runs[j], key, board, k, j, new, data))
    rows.sort(key=lambda r: (r["gain_per_hour"] is None, -(r["gain_per_hour"] or 0.0),
                             r["run_id"], r["slice"]))
    return {"eval_set_id": set_id, "name": eval_set.name, "rows": rows,
            "data": [data[p] for p in ids]}


def _boards(scored: list[Scored], runs: Runs, *, rounds: int, seed: int
            ) -> dict[str, Board]:
    """The overall board, then one per slice (sorted)."""
    if not scored:
        return {}
    by_slice: dict[str, list[Scored]] = defaultdict(list)
    for entry in scored:
        for key in slice_keys(entry[0].slices):
            by_slice[key].append(entry)
    out = {OVERALL: mean_board(scored, runs, rounds=rounds, seed=seed)[0]}
    for key, group in sorted(by_slice.items()):
        out[key] = mean_board(group, runs, rounds=rounds, seed=seed)[0]
    return out


def _family(run: Row[Any]) -> str:
    return str(run.family or run.model)


def _previous(runs: Runs, k: int, board: Board) -> int | None:
    """The latest earlier run of run ``k``'s family with a figure on this board."""
    if board.n[k] == 0:
        return None
    family = _family(runs[k])
    before = [j for j in range(k) if _family(runs[j]) == family and board.n[j]]
    return before[-1] if before else None


def _data_costs(effort: list[Row[Any]], pay: list[Row[Any]], cost: dict[int, float]
                ) -> dict[int, dict[str, Any]]:
    paid: dict[int, dict[str, int]] = defaultdict(dict)
    for r in pay:
        paid[r.project_id][r.currency] = int(r.amount_minor)
    return {r.project_id: {"project_id": r.project_id, "name": r.name,
                           "labels": int(r.labels), "hours": float(r.seconds) / 3600,
                           "pay_minor": paid.get(r.project_id, {}),
                           "model_cost": cost.get(r.project_id, 0.0)}
            for r in effort}


def _row(run: Row[Any], previous: Row[Any], key: str, board: Board, k: int, j: int,
         new: list[int], data: dict[int, dict[str, Any]]) -> dict[str, Any]:
    gain = float(board.estimate[k] - board.estimate[j])
    hours = sum(data[p]["hours"] for p in new)
    pay: dict[str, int] = defaultdict(int)
    for p in new:
        for currency, minor in data[p]["pay_minor"].items():
            pay[currency] += minor
    per_pay = None
    if len(pay) == 1:
        currency, minor = next(iter(pay.items()))
        if minor > 0:
            per_pay = round(gain / (minor / 10 ** minor_digits(currency)), 6)
    return {"run_id": run.id, "name": run.name, "model": run.model, "family": _family(run),
            "previous": {"run_id": previous.id, "name": previous.name,
                         "score": num(board.estimate[j])},
            "slice": key, "score": num(board.estimate[k]), "gain": round(gain, 6),
            "improved": bool(board.lo[k] > board.hi[j]), "data": new,
            "hours": round(hours, 6), "pay_minor": dict(pay),
            "model_cost": round(sum(data[p]["model_cost"] for p in new), 6),
            "gain_per_hour": round(gain / hours, 6) if hours > 0 else None,
            "gain_per_pay": per_pay}
