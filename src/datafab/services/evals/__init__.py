"""Evaluations: eval sets (held out), runs of models over them, grading (automatic, people,
a model judge), leaderboards with bootstrap intervals, gap reports, and the data projects
ordered from them.

The loop: evaluate → find the gap → order targeted data → evaluate again. See docs/evals.md.

One concept per module — ``shapes`` (what the use cases take), ``sets``, ``runs``,
``grading`` (people and judges), ``evidence`` (what is graded), ``boards`` and
``leaderboard``, ``gaps`` (gap reports and ordered data), ``data_value`` (what each
dataset bought) — and their SQL in
``store/evals.py``. The use cases are importable from here.
"""

from __future__ import annotations

from datafab.services.evals.data_value import data_value
from datafab.services.evals.gaps import gap_report, order_data
from datafab.services.evals.grading import create_grading, judge_tasks, record_judgments
from datafab.services.evals.leaderboard import leaderboard
from datafab.services.evals.runs import get_run, pending, record_responses, start_run
from datafab.services.evals.sets import add_items, create_set, get_set, list_sets
from datafab.services.evals.shapes import (
    MAX_ITEMS,
    MAX_PAGE,
    SLICE_TAGS,
    EvalItemIn,
    EvalSetIn,
    GradingIn,
    JudgmentIn,
    JudgmentsIn,
    OrderIn,
    ResponseIn,
    ResponsesIn,
    RunIn,
)

__all__ = [
    "MAX_ITEMS", "MAX_PAGE", "SLICE_TAGS", "EvalItemIn", "EvalSetIn", "GradingIn",
    "JudgmentIn", "JudgmentsIn", "OrderIn", "ResponseIn", "ResponsesIn", "RunIn",
    "add_items", "create_grading", "create_set", "data_value", "gap_report", "get_run", "get_set",
    "judge_tasks", "leaderboard", "list_sets", "order_data", "pending", "record_judgments",
    "record_responses", "start_run",
]
