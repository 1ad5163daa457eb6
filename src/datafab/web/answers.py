"""From a workbench form to a primitive's answer. Each primitive's template posts plain form
fields; these functions turn them into the answer dict the primitive validates (through
``services.work.submit``, exactly like an API submission). Anything that cannot even be read
is an ``InvalidInput`` naming the answer field, so the message lands next to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData

from datafab.errors import InvalidInput


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(form: FormData, name: str) -> str | None:
    return _text(form, name) or None


def classify(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    if settings.get("multi_label"):
        return {"labels": [str(v) for v in form.getlist("labels")]}
    label = _text(form, "label")
    if not label:
        raise InvalidInput("answer.label: pick a label", field="answer.label")
    return {"label": label}


def compare(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    choice = _text(form, "choice")
    if not choice:
        raise InvalidInput("answer.choice: pick the better response (1, 2, or 3 for a tie)",
                           field="answer.choice")
    answer: dict[str, Any] = {"choice": choice}
    if choice != "tie":
        answer["strength"] = _text(form, "strength") or None
    criteria = {}
    for name in settings.get("criteria") or []:
        given = _text(form, f"criterion.{name}")
        if given:
            criteria[name] = given
    if criteria:
        answer["criteria"] = criteria
    if _text(form, "rationale"):
        answer["rationale"] = _text(form, "rationale")
    return {k: v for k, v in answer.items() if v is not None}


def rank(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    raw = _text(form, "order")
    n = len(item["responses"])
    try:
        order = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        order = []
    if len(order) != n:
        raise InvalidInput(
            f"answer.order: rank all {n} responses, best first (press their numbers in order)",
            field="answer.order")
    answer: dict[str, Any] = {"order": order}
    if _text(form, "rationale"):
        answer["rationale"] = _text(form, "rationale")
    return answer


def spans(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    raw = _text(form, "spans") or "[]"
    try:
        marked = json.loads(raw)
    except ValueError:
        raise InvalidInput("answer.spans: the marked spans could not be read; mark them again",
                           field="answer.spans") from None
    if not isinstance(marked, list):
        raise InvalidInput("answer.spans: expected a list of spans", field="answer.spans")
    return {"spans": marked}


def redaction_review(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    """Ticked replacements are wrong; each line ``TYPE: text`` of ``missed`` is personal data
    still in the text (its first occurrence)."""
    try:
        # an uploaded file in place of a number is refused like any other non-number
        wrong = sorted({int(v if isinstance(v, str) else "") for v in form.getlist("wrong")})
    except ValueError:
        raise InvalidInput("answer.wrong: tick replacements from the list",
                           field="answer.wrong") from None
    missed = []
    for n, line in enumerate(_text(form, "missed").splitlines(), start=1):
        if not line.strip():
            continue
        kind, sep, value = line.partition(":")
        value = value.strip()
        start = item["text"].find(value) if sep and value else -1
        if start < 0:
            raise InvalidInput(f"answer.missed: line {n}: write TYPE: text, with the text "
                               "exactly as it appears", field="answer.missed")
        missed.append({"type": kind.strip().upper(), "start": start, "end": start + len(value)})
    return {"wrong": wrong, "missed": missed}


RATINGS = {"1": 1, "0": 0, "-1": -1}


def steps(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    ratings: list[int] = []
    for i in range(len(item["steps"])):
        given = _text(form, f"rating.{i}")
        if given not in RATINGS:
            break
        ratings.append(RATINGS[given])
        if ratings[-1] == -1:
            break
    answer: dict[str, Any] = {"ratings": ratings}
    if -1 in ratings:
        answer["finish_reason"] = "found_error"
        for name in ("explanation", "corrected_step"):
            if _text(form, name):
                answer[name] = _text(form, name)
    return answer


def write(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {"final": form.get("final") if isinstance(form.get("final"), str)
                              else ""}
    if _text(form, "critique"):
        answer["critique"] = _text(form, "critique")
    if settings.get("writes") == "task":
        answer["task"] = form.get("task") if isinstance(form.get("task"), str) else ""
    return answer


_STEP_FIELDS = ("type", "text", "id", "name", "arguments", "call_id", "content", "is_error")


def trajectory(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    recorded = item.get("steps")
    if not recorded:
        steps_ = parse_trace(_text(form, "trace"))
    else:
        steps_ = []
        for i, step in enumerate(recorded):
            kept = {k: step[k] for k in _STEP_FIELDS if step.get(k) is not None}
            verdict = _text(form, f"verdict.{i}")
            if verdict:
                kept["verdict"] = verdict
            if _text(form, f"note.{i}"):
                kept["note"] = _text(form, f"note.{i}")
            steps_.append(kept)
    final = _text(form, "final")
    if final:
        if steps_ and steps_[-1]["type"] == "final":
            steps_[-1]["text"] = final
        else:
            steps_.append({"type": "final", "text": final})
    if not steps_:
        raise InvalidInput("answer.steps: write the trace, one step per line",
                           field="answer.steps")
    return {"steps": steps_}


def parse_trace(text: str) -> list[dict[str, Any]]:
    """A trace written one step per line: ``thought: …``, ``call: tool {"arg": 1}``,
    ``result: …``, ``error: …`` (a failed tool result) and ``final: …``."""
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        kind, _, rest = line.partition(":")
        kind, rest = kind.strip().lower(), rest.strip()
        if kind == "thought":
            out.append({"type": "thought", "text": rest})
        elif kind == "final":
            out.append({"type": "final", "text": rest})
        elif kind in ("result", "error"):
            out.append({"type": "tool_result", "content": rest, "is_error": kind == "error"})
        elif kind == "call":
            name, _, args = rest.partition(" ")
            try:
                arguments = json.loads(args) if args.strip() else {}
            except ValueError:
                arguments = None
            if not name or not isinstance(arguments, dict):
                raise InvalidInput(
                    f"answer.steps: line {number}: write a call as: call: tool_name "
                    '{"argument": "value"}', field="answer.steps")
            out.append({"type": "tool_call", "name": name, "arguments": arguments})
        else:
            raise InvalidInput(
                f"answer.steps: line {number} starts with {kind!r}; start each line with "
                "thought:, call:, result:, error: or final:", field="answer.steps")
    return out


def grade(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    rubric = item.get("rubric") or settings.get("rubric") or []
    scores: dict[str, int] = {}
    notes: dict[str, str] = {}
    for criterion in rubric:
        cid = criterion["id"]
        given = _text(form, f"score.{cid}")
        if given:
            try:
                scores[cid] = int(given)
            except ValueError:
                raise InvalidInput(f"answer.scores.{cid}: pick a score",
                                   field=f"answer.scores.{cid}") from None
        if _text(form, f"justification.{cid}"):
            notes[cid] = _text(form, f"justification.{cid}")
    answer: dict[str, Any] = {"scores": scores}
    if notes:
        answer["justifications"] = notes
    return answer


def _objects(kind: str) -> Callable[[FormData, dict, dict], dict[str, Any]]:
    """The canvas's objects (boxes, polygons), JSON in the hidden input of their name."""
    def read(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
        try:
            drawn = json.loads(_text(form, kind) or "[]")
        except ValueError:
            drawn = None
        if not isinstance(drawn, list):
            raise InvalidInput(f"answer.{kind}: the drawing could not be read; draw again",
                               field=f"answer.{kind}")
        return {kind: drawn}
    return read


def keypoints(form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    """The canvas's points, a JSON object (name -> point) in the hidden ``keypoints`` input."""
    try:
        placed = json.loads(_text(form, "keypoints") or "{}")
    except ValueError:
        placed = None
    if not isinstance(placed, dict):
        raise InvalidInput("answer.points: the points could not be read; place them again",
                           field="answer.points")
    return {"points": placed}


READERS: dict[str, Callable[[FormData, dict, dict], dict[str, Any]]] = {
    "classify": classify, "compare": compare, "rank": rank, "spans": spans, "steps": steps,
    "write": write, "trajectory": trajectory, "grade": grade,
    "redaction_review": redaction_review,
    "boxes": _objects("boxes"), "polygons": _objects("polygons"),
    "keypoints": keypoints, "tracks": _objects("tracks"),
}


def answer_from(primitive: str, form: FormData, item: dict, settings: dict) -> dict[str, Any]:
    reader = READERS.get(primitive)
    if reader is None:
        raise InvalidInput(f"the workbench has no form for {primitive!r} projects",
                           field="answer")
    return reader(form, item, settings)
