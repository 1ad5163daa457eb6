"""The leaderboard of an eval set: its runs ranked overall and per slice, with the
judgments behind each figure and each judge's agreement with people."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datafab.errors import InvalidInput
from datafab.evals.gaps import slice_keys
from datafab.foundry import Foundry
from datafab.quality.leaderboard import score_agreement
from datafab.services.evals.boards import (
    board_rows,
    bt_board,
    coverage,
    coverage_notes,
    mean_board,
)
from datafab.services.evals.evidence import Battle, Evidence, Scored
from datafab.services.evals.shapes import load_set


def leaderboard(foundry: Foundry, organization: int, set_id: int, *,
                method: str = "mean", rounds: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Runs ranked by mean score (automatic, people's, else a judge's grade per response)
    or by Bradley–Terry over people's pairwise comparisons, with bootstrap 95% intervals,
    tied ranks where intervals overlap, the same per slice, the judgments behind each figure,
    and each judge's agreement with people."""
    if method not in ("mean", "bradley_terry"):
        raise InvalidInput("method: mean or bradley_terry", field="method")
    if not 10 <= rounds <= 10_000:
        raise InvalidInput("rounds: must be between 10 and 10000", field="rounds")
    with foundry.db.read() as conn:
        eval_set = load_set(conn, organization, set_id)
        ev = Evidence(conn, set_id)
    out: dict[str, Any] = {"eval_set_id": set_id, "name": eval_set.name, "method": method,
                           "level": 0.95, "rounds": rounds}
    if method == "mean":
        out |= _by_mean(ev, rounds=rounds, seed=seed)
    else:
        out |= _by_comparisons(ev, rounds=rounds, seed=seed)
    out["judge_agreement"] = _judge_agreement(ev)
    return out


def _by_mean(ev: Evidence, *, rounds: int, seed: int) -> dict[str, Any]:
    scored = ev.scores()
    if not scored:
        raise InvalidInput("eval set: no graded responses yet", field="eval_set_id")
    board, counts = mean_board(scored, ev.runs, rounds=rounds, seed=seed)
    judged: dict[int, set[int]] = defaultdict(set)
    for r, _, _ in scored:
        judged[r.run_id].add(r.id)
    cover = coverage(ev, judged)
    by_slice: dict[str, list[Scored]] = defaultdict(list)
    for entry in scored:
        for key in slice_keys(entry[0].slices):
            by_slice[key].append(entry)
    return {"models": board_rows(board, counts, ev.runs, cover),
            "notes": coverage_notes(ev, cover, "graded"),
            "slices": {key: board_rows(*mean_board(group, ev.runs, rounds=rounds, seed=seed),
                                       ev.runs)
                       for key, group in sorted(by_slice.items())}}


def _by_comparisons(ev: Evidence, *, rounds: int, seed: int) -> dict[str, Any]:
    if not ev.battles:
        raise InvalidInput("eval set: no pairwise judgments by people yet",
                           field="eval_set_id")
    run_of = {r.id: r.run_id for r in ev.responses}
    board, counts = bt_board(ev.battles, run_of, ev.runs, rounds=rounds, seed=seed)
    judged: dict[int, set[int]] = defaultdict(set)
    for a, b, _, _ in ev.battles:
        judged[run_of[a]].add(a)
        judged[run_of[b]].add(b)
    cover = coverage(ev, judged)
    slices_of = {r.id: slice_keys(r.slices) for r in ev.responses}
    by_slice: dict[str, list[Battle]] = defaultdict(list)
    for battle in ev.battles:
        for key in slices_of[battle[0]]:
            by_slice[key].append(battle)
    return {"models": board_rows(board, counts, ev.runs, cover),
            "notes": coverage_notes(ev, cover, "compared"),
            "slices": {key: board_rows(*bt_board(group, run_of, ev.runs, rounds=rounds,
                                                 seed=seed), ev.runs)
                       for key, group in sorted(by_slice.items())}}


def _judge_agreement(ev: Evidence) -> dict[str, Any]:
    """Each judge against people's grades on the same responses."""
    out = {}
    for source, grades in sorted(ev.grades.items()):
        if not source.startswith("judge:"):
            continue
        both = [rid for rid in grades if rid in ev.people]
        report = score_agreement([grades[r] for r in both], [ev.people[r][0] for r in both])
        report["judged"] = len(grades)
        out[source.split(":", 1)[1]] = report
    return out
