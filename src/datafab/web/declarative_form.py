"""From a customer primitive's workbench form to its answer. The form (``work/_declarative.html``)
posts plain fields named ``f.FIELD`` (``f.FIELD.I.SUB`` for entry ``I`` of a list); this
reads them into the answer object the primitive then checks, exactly like an API submission.
What cannot even be read is an ``InvalidInput`` naming the answer field."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData

from datafab.errors import InvalidInput
from datafab.primitives.declarative.definition import Definition
from datafab.primitives.declarative.fields import AnswerField
from datafab.web.answers import answer_from


def answer_for(project: Any, form: FormData, item: dict[str, Any]) -> dict[str, Any]:
    """The answer a workbench form gives, for a project on any primitive."""
    definition = getattr(project.custom, "definition", None)
    if definition is None:
        return answer_from(project.primitive_name, form, item, project.settings_raw)
    return read(definition, form, item)


def read(definition: Definition, form: FormData, item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in definition.answer:
        value = _field(f, form, item, f"f.{f.name}", f"answer.{f.name}")
        if value is not None:
            out[f.name] = value
    return out


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _field(f: AnswerField, form: FormData, item: dict[str, Any], name: str,
           key: str) -> Any:
    if f.type == "choice" and f.multiple:
        return [str(v) for v in form.getlist(name)]
    if f.type in ("number", "rating"):
        return _number(_text(form, name), key)
    if f.type == "spans":
        return _json_list(_text(form, name) or "[]", key)
    if f.type == "ranking":
        return _ranking(form, len(item.get(f.over or "") or []), name, key)
    if f.type == "list":
        return _entries(f, form, item, name, key)
    return _text(form, name) or None


def _number(raw: str, key: str) -> float | int | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{key}: expected a number", field=key) from None
    return int(value) if value.is_integer() else value


def _json_list(raw: str, key: str) -> list[Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput(f"{key}: could not be read; mark it again", field=key) from None
    if not isinstance(value, list):
        raise InvalidInput(f"{key}: expected a list", field=key)
    return value


def _ranking(form: FormData, n: int, name: str, key: str) -> list[int] | None:
    places = [_text(form, f"{name}.{i}") for i in range(n)]
    if not any(places):
        return None
    if not all(p.isdigit() for p in places) or sorted(int(p) for p in places) != \
            list(range(1, n + 1)):
        raise InvalidInput(f"{key}: give every entry a different place, 1 to {n}", field=key)
    return sorted(range(n), key=lambda i: int(places[i]))


def _entries(f: AnswerField, form: FormData, item: dict[str, Any], name: str,
             key: str) -> list[Any] | None:
    if f.over is not None:
        return [{sub.name: value for sub in f.fields
                 if (value := _field(sub, form, item, f"{name}.{i}.{sub.name}",
                                     f"{key}.{i}.{sub.name}")) is not None}
                for i in range(len(item.get(f.over) or []))]
    lines = [line.strip() for line in _text(form, name).splitlines() if line.strip()]
    if not lines:
        return None
    if len(f.fields) == 1 and f.fields[0].type == "text":
        return [{f.fields[0].name: line} for line in lines]
    out = []
    for i, line in enumerate(lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            raise InvalidInput(f"{key}.{i}: write each entry as a JSON object on its line",
                               field=f"{key}.{i}") from None
    return out
