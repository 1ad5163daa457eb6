"""What the leaderboard and the gap report read: everything graded about one eval set."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datafab.services import eval_guard
from datafab.store import evals as store
from datafab.store.handles import Connection, Row

Scored = tuple[Row[Any], float, str]  # (response with its item, score, where it came from)
Battle = tuple[int, int, bool, int]  # (response a, response b, tie?, winner)


class Evidence:
    """Everything graded about one eval set, read in a few queries."""

    def __init__(self, conn: Connection, set_id: int) -> None:
        self.runs = store.runs_of_set(conn, set_id)
        self.n_items = store.count_items(conn, set_id)
        self.responses = store.set_responses(conn, set_id)
        self.grades: dict[str, dict[int, float]] = defaultdict(dict)
        for g in store.set_grades(conn, set_id):
            self.grades[g.source][g.response_id] = g.score
        self.people: dict[int, tuple[float, int]] = {}  # response -> (score, raters)
        self.battles: list[Battle] = []
        for row in store.people_judgments(conn, set_id, eval_guard.GRADING):
            ext, answer, n, purpose = (row.external_id, row.answer, row.n_submissions,
                                       row.purpose)
            if answer is None:
                continue
            if purpose == "grade" and ext.startswith("evr-"):
                self.people[int(ext[4:])] = (float(answer["total_normalised"]), int(n))
            elif purpose == "compare" and ext.startswith("evc-"):
                a, b = (int(x) for x in ext[4:].split("-"))
                choice = answer.get("choice")
                self.battles.append((a, b, choice == "tie", b if choice == "b" else a))

    def scores(self) -> list[Scored]:
        """One score per response: automatic, else people's, else a judge's."""
        judges = sorted(s for s in self.grades if s.startswith("judge:"))
        out: list[Scored] = []
        for r in self.responses:
            if r.id in self.grades["auto"]:
                out.append((r, self.grades["auto"][r.id], "auto"))
            elif r.id in self.people:
                out.append((r, self.people[r.id][0], "people"))
            else:
                for judge in judges:
                    if r.id in self.grades[judge]:
                        out.append((r, self.grades[judge][r.id], judge))
                        break
        return out
