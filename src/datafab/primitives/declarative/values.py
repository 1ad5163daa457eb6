"""Items and answers checked against a definition, and the answer's JSON Schema for models.

Every check names the path of the bad value (``data.claims.2.text``,
``answer.verdicts.0.rating``), the way the built-in primitives' checks do.
"""

from __future__ import annotations

from typing import Any

from datafab.errors import InvalidInput
from datafab.primitives.declarative.definition import Definition
from datafab.primitives.declarative.fields import AnswerField, ItemField
from datafab.primitives.links import is_web_url
from datafab.primitives.messages import MAX_TEXT, MAX_TURNS

PAIR = ("a", "b", "tie")
ROLES = ("system", "user", "assistant", "tool")


def _bad(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"{path}: {message}", field=path)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- items ---------------------------------------------------------------------------------------

def check_item(definition: Definition, raw: Any, prefix: str) -> dict[str, Any]:
    return _object(definition.item, raw, prefix)


def _object(fields: tuple[ItemField, ...], raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(path, "expected a JSON object")
    known = {f.name for f in fields}
    for key in raw:
        if key not in known:
            raise _bad(f"{path}.{key}", f"no such field; the fields are {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    for f in fields:
        if raw.get(f.name) is None:
            if f.required:
                raise _bad(f"{path}.{f.name}", "field required")
            continue
        out[f.name] = _item_value(f, raw[f.name], f"{path}.{f.name}")
    return out


def _item_value(f: ItemField, value: Any, path: str) -> Any:
    kind = f.type
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise _bad(path, "expected a string")
        if len(value) > (f.max_length or MAX_TEXT):
            raise _bad(path, f"longer than {f.max_length} characters")
        return value
    if kind == "number":
        return _number(value, path, f.minimum, f.maximum, f.integer)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(path, "expected true or false")
        return value
    if kind == "enum":
        if value not in f.values:
            raise _bad(path, f"expected one of {list(f.values)}")
        return value
    if kind == "image":
        if not is_web_url(value):
            raise _bad(path, "expected an http:// or https:// image URL")
        return value
    if kind == "messages":
        return _messages(value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise _bad(path, "expected a list")
        if not f.min_items <= len(value) <= f.max_items:
            raise _bad(path, f"expected {f.min_items} to {f.max_items} entries, got {len(value)}")
        assert f.items is not None
        return [_item_value(f.items, v, f"{path}.{i}") for i, v in enumerate(value)]
    return _object(f.fields, value, path)


def _messages(value: Any, path: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TURNS:
        raise _bad(path, f"expected a string or 1 to {MAX_TURNS} messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or set(m) != {"role", "content"} \
                or m["role"] not in ROLES or not isinstance(m["content"], str) \
                or len(m["content"]) > MAX_TEXT:
            raise _bad(f"{path}.{i}", f"expected {{\"role\": one of {list(ROLES)}, "
                       "\"content\": text}")
        out.append({"role": m["role"], "content": m["content"]})
    return out


def _number(value: Any, path: str, low: float | None, high: float | None,
            integer: bool) -> float | int:
    if not _is_number(value) or value != value:
        raise _bad(path, "expected a number")
    if integer and float(value) != int(value):
        raise _bad(path, "expected a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _bad(path, f"must be between {_show(low)} and {_show(high)}")
    return int(value) if integer else value


def _show(bound: float | None) -> str:
    if bound is None:
        return "any"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


# -- answers -------------------------------------------------------------------------------------

def check_answer(definition: Definition, item: dict[str, Any], raw: Any,
                 prefix: str) -> dict[str, Any]:
    return _answer_object(definition.answer, item, raw, prefix)


def _answer_object(fields: tuple[AnswerField, ...], item: dict[str, Any], raw: Any,
                   path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(path, "expected a JSON object")
    known = {f.name for f in fields}
    for key in raw:
        if key not in known:
            raise _bad(f"{path}.{key}", f"no such field; the fields are {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    for f in fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                raise _bad(f"{path}.{f.name}", "field required")
            continue
        out[f.name] = _answer_value(f, item, value, f"{path}.{f.name}")
    return out


def _answer_value(f: AnswerField, item: dict[str, Any], value: Any, path: str) -> Any:
    kind = f.type
    if kind == "choice":
        return _choice(f, value, path)
    if kind in ("number", "rating"):
        return _number(value, path, f.minimum, f.maximum, f.integer)
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise _bad(path, "expected a text")
        if len(value) > f.max_length:
            raise _bad(path, f"longer than {f.max_length} characters")
        return value
    if kind == "spans":
        return _spans(f, str(item.get(f.over or "", "")), value, path)
    if kind == "ranking":
        return _ranking(len(item.get(f.over or "") or []), value, path)
    if kind == "pair":
        if value not in PAIR:
            raise _bad(path, "expected 'a' (the first), 'b' (the second) or 'tie'")
        return value
    return _entries(f, item, value, path)


def _choice(f: AnswerField, value: Any, path: str) -> Any:
    if not f.multiple:
        if value not in f.options:
            raise _bad(path, f"expected one of {list(f.options)}")
        return value
    if not isinstance(value, list):
        raise _bad(path, f"expected a list of options from {list(f.options)}")
    for i, v in enumerate(value):
        if v not in f.options:
            raise _bad(f"{path}.{i}", f"expected one of {list(f.options)}")
        if v in value[:i]:
            raise _bad(f"{path}.{i}", f"option {v!r} is repeated")
    return [o for o in f.options if o in value]  # in the definition's order


def _spans(f: AnswerField, text: str, value: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 1000:
        raise _bad(path, "expected a list of spans")
    out, seen = [], set()
    for i, span in enumerate(value):
        at = f"{path}.{i}"
        if not isinstance(span, dict) or set(span) - {"start", "end", "label"}:
            raise _bad(at, "expected {\"start\", \"end\", \"label\"}")
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise _bad(f"{at}.start", "expected a character offset")
        if not isinstance(end, int) or isinstance(end, bool) or not start < end <= len(text):
            raise _bad(f"{at}.end", f"expected an offset after start, at most {len(text)}")
        if label not in f.labels:
            raise _bad(f"{at}.label", f"expected one of {list(f.labels)}")
        if (start, end, label) in seen:
            raise _bad(at, "the same span twice")
        seen.add((start, end, label))
        out.append({"start": start, "end": end, "label": label})
    return sorted(out, key=lambda s: (s["start"], s["end"], s["label"]))


def _ranking(n: int, value: Any, path: str) -> list[int]:
    if not isinstance(value, list) or sorted(value) != list(range(n)) \
            or any(isinstance(v, bool) for v in value):
        raise _bad(path, f"expected every entry's index 0 to {n - 1} once, best first")
    return list(value)


def _entries(f: AnswerField, item: dict[str, Any], value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(path, "expected a list of entries")
    if f.over is not None:
        n = len(item.get(f.over) or [])
        if len(value) != n:
            raise _bad(path, f"expected one entry per entry of {f.over} ({n}), got {len(value)}")
    elif len(value) > f.max_items:
        raise _bad(path, f"at most {f.max_items} entries")
    return [_answer_object(f.fields, item, v, f"{path}.{i}") for i, v in enumerate(value)]


# -- the answer's JSON Schema, for models ----------------------------------------------------

def answer_schema(definition: Definition) -> dict[str, Any]:
    return _schema_object(definition.answer)


def _schema_object(fields: tuple[AnswerField, ...]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {f.name: _schema(f) for f in fields},
            "required": [f.name for f in fields if f.required]}


def _schema(f: AnswerField) -> dict[str, Any]:
    described: dict[str, Any] = {"description": f.label} if f.label else {}
    kind = f.type
    body: dict[str, Any]
    if kind == "choice":
        one: dict[str, Any] = {"enum": list(f.options)}
        body = {"type": "array", "items": one, "uniqueItems": True} if f.multiple else one
    elif kind in ("number", "rating"):
        body = {"type": "integer" if f.integer else "number", "minimum": f.minimum,
                "maximum": f.maximum}
    elif kind == "text":
        body = {"type": "string", "minLength": 1, "maxLength": f.max_length}
    elif kind == "spans":
        body = {"type": "array", "description": f"character spans of item field {f.over} "
                "(start inclusive, end exclusive)",
                "items": {"type": "object", "additionalProperties": False,
                          "required": ["start", "end", "label"],
                          "properties": {"start": {"type": "integer", "minimum": 0},
                                         "end": {"type": "integer", "minimum": 1},
                                         "label": {"enum": list(f.labels)}}}}
    elif kind == "ranking":
        body = {"type": "array", "items": {"type": "integer", "minimum": 0},
                "description": f"the indices of item field {f.over}, best first"}
    elif kind == "pair":
        body = {"enum": list(PAIR), "description": f"which entry of item field {f.over} is "
                "better: a (the first), b (the second) or tie"}
    else:
        body = {"type": "array", "items": _schema_object(f.fields)}
        if f.over:
            body["description"] = f"one entry per entry of item field {f.over}, in order"
    return {**body, **described}
