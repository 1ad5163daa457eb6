"""An answer checked against gold, field by field, by the rule each field names: ``exact``,
``tolerance`` (numbers within the field's ``tolerance``), ``span_iou`` (every gold span met by
a span of the same label overlapping it by at least ``min_iou`` — intersection over union —
and no span left over), ``per_entry`` (a list's entries by their own fields' rules) or
``none`` (not scored). A field the gold leaves out is not scored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datafab.primitives.declarative.fields import AnswerField


def score(fields: Sequence[AnswerField], answer: dict[str, Any],
          gold: dict[str, Any]) -> dict[str, bool]:
    """Each scored field: whether the answer matches the gold."""
    out = {}
    for f in fields:
        if f.gold == "none" or gold.get(f.name) is None:
            continue
        out[f.name] = matches(f, answer.get(f.name), gold[f.name])
    return out


def matches(f: AnswerField, given: Any, expected: Any) -> bool:
    if given is None:
        return False
    if f.gold == "tolerance":
        return abs(float(given) - float(expected)) <= f.tolerance + 1e-9
    if f.gold == "span_iou":
        return _spans_match(given, expected, f.min_iou)
    if f.gold == "per_entry":
        return len(given) == len(expected) and all(
            all(score(f.fields, g, e).values()) for g, e in zip(given, expected, strict=True))
    return bool(given == expected)


def iou(a: dict[str, Any], b: dict[str, Any]) -> float:
    inter = max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return inter / union if union else 0.0


def _spans_match(given: list[dict[str, Any]], expected: list[dict[str, Any]],
                 least: float) -> bool:
    left = list(given)
    for g in expected:
        best = max(((iou(s, g), n) for n, s in enumerate(left) if s["label"] == g["label"]),
                   default=(0.0, -1))
        if best[0] < least:
            return False
        left.pop(best[1])
    return not left
