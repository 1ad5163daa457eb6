"""``write``: the contributor writes the ideal response to a prompt, or critiques and edits a
model's draft into it.

The answer's ``final`` text is required; ``draft`` is the model draft the contributor started
from (taken from the item's ``draft`` when the answer does not bring its own) and
``critique`` what was wrong with it. The primitive computes ``edit_distance`` — the
character-level Levenshtein distance from draft to final — and stores it in the answer (a
client-sent value is replaced). Distances are exact up to ``MAX_EDIT_CELLS`` = 25 million DP
cells after the common prefix and suffix are stripped (e.g. two 5,000-character middles, in
about 0.3 s); beyond that ``edit_distance`` is left out rather than stall a submission.

Aggregation: there is no vote. The record is the accepted submission — the one with the
highest weight (contributor skill), the latest on equal weight — with confidence 1.0 and
method ``accepted_submission``; whether it is good is the job of a review pass (a ``compare``
or ``grade`` project over the written responses), which can then pick among several.

With the setting ``writes: "task"`` the contributor writes a new task *and* its answer: the
item's prompt is the brief (what kind of task to write), the answer brings ``task`` (the new
task's text) and ``final`` (its ideal answer). Data ordered from an eval gap is written this
way.

Exports: ``sft`` — ``{"messages": [system?, *prompt, {"role": "assistant", "content":
final}]}`` with the draft → edit trail (``draft``, ``critique``, ``edit_distance``) and lineage;
with ``writes: "task"`` the messages are the new task as the user turn and its answer as the
assistant turn (the brief is not training text; the item's ``meta`` comes along as
``source``); ``records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import MAX_TEXT, Prompt, copy_messages

MAX_EDIT_CELLS = 25_000_000


class WriteSettings(Schema):
    require_critique: bool = False
    #: "response": the ideal response to the item's prompt; "task": a new task (``task``)
    #: and its ideal answer (``final``), the item's prompt being the brief.
    writes: Literal["response", "task"] = "response"


class WriteItem(Schema):
    prompt: Prompt
    system: str | None = Field(default=None, max_length=MAX_TEXT)
    draft: str | None = Field(default=None, max_length=MAX_TEXT)
    meta: dict[str, Any] | None = None


class WriteAnswer(Schema):
    task: str | None = Field(default=None, max_length=MAX_TEXT)
    final: str = Field(min_length=1, max_length=MAX_TEXT)
    draft: str | None = Field(default=None, max_length=MAX_TEXT)
    critique: str | None = Field(default=None, max_length=MAX_TEXT)
    edit_distance: int | None = None  # computed; a sent value is replaced


class Write(Primitive[WriteSettings, WriteItem, WriteAnswer]):
    name = "write"
    settings_model = WriteSettings
    item_model = WriteItem
    answer_model = WriteAnswer
    export_formats = ("sft", "records")

    def check_answer(
        self, settings: WriteSettings, item: dict[str, Any], answer: WriteAnswer, prefix: str
    ) -> None:
        if settings.writes == "task":
            if answer.task is None or not answer.task.strip():
                field = f"{prefix}.task"
                raise InvalidInput(f"{field}: write the new task", field=field)
        elif answer.task is not None:
            field = f"{prefix}.task"
            raise InvalidInput(f"{field}: this project asks for a response, not a task",
                               field=field)
        if not answer.final.strip():
            field = f"{prefix}.final"
            raise InvalidInput(f"{field}: the response is empty", field=field)
        if answer.draft is None:
            answer.draft = item.get("draft")
        if settings.require_critique and answer.draft is not None and not answer.critique:
            field = f"{prefix}.critique"
            raise InvalidInput(f"{field}: say what the draft got wrong", field=field)
        answer.edit_distance = (
            None if answer.draft is None else edit_distance(answer.draft, answer.final)
        )

    def aggregate(
        self, settings: WriteSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        return accepted_submission(votes)

    def export_row(
        self, fmt: str, settings: WriteSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt == "records":
            return {"item": record.item, **(record.answer or {}), **record.lineage()}
        if fmt != "sft":
            raise InvalidInput(f"write exports sft, records, not {fmt!r}", field="format")
        answer = record.answer
        if not answer:
            return None
        if answer.get("task") is not None:  # writes: task — the brief stays out
            system = record.item.get("system")
            return {
                "messages": ([{"role": "system", "content": system}] if system else [])
                + [{"role": "user", "content": answer["task"]},
                   {"role": "assistant", "content": answer["final"]}],
                "source": (record.item.get("meta") or {}),
                **record.lineage(),
            }
        return {
            "messages": conversation(record.item, answer["final"]),
            "draft": answer.get("draft"),
            "critique": answer.get("critique"),
            "edit_distance": answer.get("edit_distance"),
            **record.lineage(),
        }


def accepted_submission(votes: Sequence[Vote]) -> Outcome:
    """The record for work that is reviewed rather than voted on: the highest-weight
    submission, the latest among equals (votes come in submission order)."""
    if not votes:
        return Outcome(answer=None, confidence=0.0, method="accepted_submission")
    # max() keeps the first of equals, so scan latest first.
    chosen = max(reversed(range(len(votes))), key=lambda i: votes[i].weight)
    return Outcome(
        answer=dict(votes[chosen].answer),
        confidence=1.0,
        method="accepted_submission",
        details={"accepted": chosen, "contributor": votes[chosen].contributor,
                 "candidates": len(votes)},
    )


def conversation(item: dict[str, Any], reply: str) -> list[dict[str, str]]:
    """The item's system message (if any), its prompt, and ``reply`` as the assistant turn."""
    system = [{"role": "system", "content": item["system"]}] if item.get("system") else []
    return system + copy_messages(item["prompt"]) + [{"role": "assistant", "content": reply}]


def edit_distance(a: str, b: str) -> int | None:
    """Levenshtein distance between ``a`` and ``b`` (insertions, deletions, substitutions of
    one character each cost 1), or ``None`` past ``MAX_EDIT_CELLS``.

    Row-by-row dynamic programming with NumPy: each row's substitutions and deletions are one
    vector operation, and insertions (``d[j] = min(d[j], d[j-1] + 1)``) are a running minimum,
    ``d = cummin(d - j) + j``. O(len(a)·len(b)) time, O(min) memory."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if not a or not b:
        return len(a) + len(b)
    if len(a) * len(b) > MAX_EDIT_CELLS:
        return None
    if len(a) > len(b):
        a, b = b, a  # loop over the shorter, vectorise over the longer
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    j = np.arange(len(b) + 1, dtype=np.int64)
    row = j.copy()
    nxt = np.empty_like(row)
    codes_a = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    for i, ch in enumerate(codes_a, start=1):
        nxt[0] = i
        np.minimum(row[:-1] + (codes_b != ch), row[1:] + 1, out=nxt[1:])
        np.minimum.accumulate(nxt - j, out=nxt)
        nxt += j
        row, nxt = nxt, row
    return int(row[-1])


WRITE = Write()
