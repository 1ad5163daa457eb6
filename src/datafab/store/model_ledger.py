"""What models did and what it cost: their confidence and route on each submission, their
gold results by confidence bin, their calls and tokens; and the model answers people are
shown as suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, text

from datafab.store.tables import Json

_MARK = text("UPDATE submissions SET confidence = :confidence, route = :route WHERE id = :id")
_ENSURE_BIN = text(
    "INSERT INTO model_calibration (project_id, contributor_id, bin, seen, correct, "
    "confidence_sum, updated_at) VALUES (:project, :contributor, :bin, 0, 0, 0, :now) "
    "ON CONFLICT (project_id, contributor_id, bin) DO NOTHING"
)
_ADD_BIN = text(
    "UPDATE model_calibration SET seen = seen + 1, correct = correct + :correct, "
    "confidence_sum = confidence_sum + :confidence, updated_at = :now "
    "WHERE project_id = :project AND contributor_id = :contributor AND bin = :bin"
)
_BINS = text(
    "SELECT bin, seen, correct, confidence_sum FROM model_calibration "
    "WHERE project_id = :project AND contributor_id = :contributor ORDER BY bin"
)
_USAGE = text(
    "INSERT INTO model_usage (project_id, contributor_id, item_id, model, outcome, calls, "
    "prompt_tokens, completion_tokens, cost, seconds, created_at) VALUES (:project, "
    ":contributor, :item, :model, :outcome, :calls, :prompt_tokens, :completion_tokens, "
    ":cost, :seconds, :now)"
)
_MODEL_ANSWERS = text(
    "SELECT s.item_id, s.answer, s.confidence, s.contributor_id FROM submissions s "
    "JOIN contributors c ON c.id = s.contributor_id "
    "WHERE s.item_id IN :items AND c.kind = 'model' ORDER BY s.id"
).bindparams(bindparam("items", expanding=True)).columns(answer=Json)


def mark_submission(conn: Connection, submission: int, confidence: float | None,
                    route: str | None) -> None:
    conn.execute(_MARK, {"id": submission, "confidence": confidence, "route": route})


def add_gold_result(conn: Connection, *, project: int, contributor: int, bin: int,
                    confidence: float, correct: bool, now: float) -> None:
    key = {"project": project, "contributor": contributor, "bin": bin, "now": now}
    conn.execute(_ENSURE_BIN, key)
    conn.execute(_ADD_BIN, {**key, "correct": int(correct), "confidence": confidence})


def calibration_bins(
    conn: Connection, *, project: int, contributor: int
) -> Sequence[Row[*tuple[Any, ...]]]:
    """(bin, seen, correct, confidence_sum) rows of one model in one project."""
    return conn.execute(_BINS, {"project": project, "contributor": contributor}).all()


def record_usage(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert usage rows: project, contributor, item, model, outcome, calls, prompt_tokens,
    completion_tokens, cost, seconds, now."""
    if rows:
        conn.execute(_USAGE, rows)


def model_answers(conn: Connection, item_ids: list[int]) -> dict[int, Any]:
    """The first model answer on each of these items (item id -> row)."""
    if not item_ids:
        return {}
    found: dict[int, Any] = {}
    for row in conn.execute(_MODEL_ANSWERS, {"items": sorted(set(item_ids))}).all():
        found.setdefault(row.item_id, row)
    return found
