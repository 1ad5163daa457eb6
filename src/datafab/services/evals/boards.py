"""From graded evidence to a board: mean scores or Bradley–Terry per run (the maths is in
``quality.leaderboard``), the rows a leaderboard shows, and how much of each run's answers
stand behind its figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from datafab.quality.leaderboard import Board, bradley_terry_board, mean_scores
from datafab.services.evals.evidence import Battle, Evidence, Scored
from datafab.store.handles import Row

Runs = Sequence[Row[Any]]
Counts = dict[int, dict[str, int]]


def num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def mean_board(scored: Sequence[Scored], runs: Runs, *, rounds: int, seed: int
               ) -> tuple[Board, Counts]:
    code = {run.id: k for k, run in enumerate(runs)}
    item_codes: dict[int, int] = {}
    m, i, s = [], [], []
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r, score, source in scored:
        m.append(code[r.run_id])
        i.append(item_codes.setdefault(r.item_id, len(item_codes)))
        s.append(score)
        counts[r.run_id][source.split(":")[0]] += 1
    board = mean_scores(m, i, s, n_models=len(runs), n_items=len(item_codes),
                        n_rounds=rounds, seed=seed)
    return board, {k: dict(v) for k, v in counts.items()}


def bt_board(battles: Sequence[Battle], run_of: dict[int, int], runs: Runs, *, rounds: int,
             seed: int) -> tuple[Board, Counts]:
    code = {run.id: k for k, run in enumerate(runs)}
    w, lose, tie = [], [], []
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a, b, is_tie, winner in battles:
        ra, rb = run_of[a], run_of[b]
        loser = b if winner == a else a
        w.append(code[run_of[winner]])
        lose.append(code[run_of[loser]])
        tie.append(is_tie)
        counts[ra]["people"] += 1
        counts[rb]["people"] += 1
    board = bradley_terry_board(np.array(w), np.array(lose), ties=np.array(tie, dtype=bool),
                                n_models=len(runs), n_rounds=rounds, seed=seed)
    return board, {k: dict(v) for k, v in counts.items()}


def board_rows(board: Board, counts: Counts, runs: Runs,
               coverage: dict[int, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    rows = []
    for k, run in enumerate(runs):
        if board.n[k] == 0:
            continue
        row = {"run_id": run.id, "name": run.name, "model": run.model,
               "score": num(board.estimate[k]),
               "ci": [num(board.lo[k]), num(board.hi[k])], "n": int(board.n[k]),
               "rank": int(board.rank[k]), "judgments": counts.get(run.id, {})}
        if coverage is not None:
            row.update(coverage[run.id])
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"], -(r["score"] or 0.0)))
    return rows


def coverage(ev: Evidence, judged: dict[int, set[int]]) -> dict[int, dict[str, int]]:
    """Per run: the set's items, the run's answers, how many of them stand behind its figure
    (``judged``: run -> response ids) and how many do not yet (``ungraded``)."""
    answers: dict[int, int] = defaultdict(int)
    for r in ev.responses:
        answers[r.run_id] += 1
    out = {}
    for run in ev.runs:
        n = answers[run.id]
        counted = len(judged.get(run.id, ()))
        out[run.id] = {"items": ev.n_items, "responses": n, "graded": counted,
                       "ungraded": n - counted, "unanswered": ev.n_items - n}
    return out


def coverage_notes(ev: Evidence, cover: dict[int, dict[str, int]], what: str) -> list[str]:
    """What a reader must know before trusting the order: runs whose figure leaves answers
    out (ungraded, or never answered)."""
    notes = []
    for run in ev.runs:
        c = cover[run.id]
        if not c["responses"]:
            continue
        if c["ungraded"]:
            notes.append(f"{run.name}: {c['ungraded']} of {c['responses']} answers not "
                         f"{what} yet; its figure covers {c['graded']} of {c['items']} items")
        elif c["unanswered"]:
            notes.append(f"{run.name}: answered {c['responses']} of {c['items']} items")
    return notes
