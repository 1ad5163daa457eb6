"""A customer primitive's definition, read and checked whole.

``parse_definition(raw)`` takes the decoded JSON (or YAML) object and returns a frozen
:class:`Definition`, or raises ``InvalidInput`` naming the path of the first problem in the
definition (``answer.fields.2.aggregation``). The layout is built only from Datafab's own
widgets (:data:`WIDGETS`): a definition carries no markup or script, only text that pages
escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Schema, parse
from datafab.primitives.declarative.fields import (
    AnswerField,
    ItemField,
    answer_fields,
    item_fields,
)

NAME = re.compile(r"^[a-z][a-z0-9_]{1,23}$")
MAX_WIDGETS = 200
MAX_ITEM_FIELDS = 500  # an item's fields in all, nested ones included
#: Widget → the kind of field it shows (``None``: no field, only its text).
WIDGETS: dict[str, tuple[str, ...] | None] = {
    "heading": None,
    "note": None,
    "show_text": ("text", "string"),
    "show_image": ("image",),
    "show_messages": ("messages",),
    "show_list": ("list",),
    "show_value": ("string", "text", "number", "boolean", "enum", "object", "list"),
    "answer": ("answer",),
}
RECORD_COLUMNS = ("record_id", "external_id", "confidence", "method", "n_submissions",
                  "guideline_version", "contributors")


@dataclass(frozen=True)
class Widget:
    widget: str
    field: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Column:
    name: str
    source: str  # "item.FIELD", "answer.FIELD", "record.KEY", "item" or "answer"


@dataclass(frozen=True)
class Definition:
    name: str
    description: str
    item: tuple[ItemField, ...]
    answer: tuple[AnswerField, ...]
    layout: tuple[Widget, ...]
    columns: tuple[Column, ...]

    def item_field(self, name: str) -> ItemField:
        return next(f for f in self.item if f.name == name)

    def answer_field(self, name: str) -> AnswerField | None:
        return next((f for f in self.answer if f.name == name), None)


class _Top(Schema):
    name: str
    description: str = Field("", max_length=5000)
    version: int | None = Field(None, ge=1, le=9999)
    item: dict[str, Any]
    answer: dict[str, Any]
    layout: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_WIDGETS)
    export: dict[str, Any] | None = None


class _Fields(Schema):
    fields: list[Any]


class _Widget(Schema):
    widget: str
    field: str | None = None
    text: str | None = Field(None, min_length=1, max_length=5000)


class _Column(Schema):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    source: str = Field(alias="from", min_length=1, max_length=200)


class _Export(Schema):
    columns: list[dict[str, Any]] = Field(min_length=1, max_length=200)


def check_name(name: Any, path: str = "name") -> str:
    """A primitive's name: 2 to 24 lowercase letters, digits and underscores."""
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput(f"{path}: a primitive's name is 2 to 24 characters: a lowercase "
                           "letter, then lowercase letters, digits or underscores", field=path)
    return name


def parse_definition(raw: Any) -> Definition:
    """The checked definition, or ``InvalidInput`` naming the path of the first problem."""
    top = parse(_Top, raw, "definition")
    name = check_name(top.name)
    item = item_fields(parse(_Fields, top.item, "item").fields, "item.fields")
    if _count(item) > MAX_ITEM_FIELDS:
        raise InvalidInput(f"item.fields: at most {MAX_ITEM_FIELDS} fields in all, nested ones "
                           "included", field="item.fields")
    answer = answer_fields(parse(_Fields, top.answer, "answer").fields, "answer.fields", item)
    _one_spans_field(answer)
    layout = _layout(top.layout, item, answer)
    columns = _columns(top.export, item, answer)
    return Definition(name=name, description=top.description, item=item, answer=answer,
                      layout=layout, columns=columns)


def version_of(raw: dict[str, Any]) -> int | None:
    """The version a definition asks to be stored as, if it names one."""
    version = raw.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _count(fields: tuple[ItemField, ...]) -> int:
    return sum(1 + _count(f.fields) + (_count((f.items,)) if f.items else 0) for f in fields)


def _one_spans_field(answer: tuple[AnswerField, ...]) -> None:
    """The workbench marks spans on one text at a time: one spans field per primitive."""
    spans = [i for i, f in enumerate(answer) if f.type == "spans"]
    if len(spans) > 1:
        path = f"answer.fields.{spans[1]}.type"
        raise InvalidInput(f"{path}: a primitive has at most one spans field", field=path)


def _layout(raw: list[dict[str, Any]], item: tuple[ItemField, ...],
            answer: tuple[AnswerField, ...]) -> tuple[Widget, ...]:
    out: list[Widget] = []
    placed: dict[str, int] = {}
    for i, one in enumerate(raw):
        path = f"layout.{i}"
        shape = parse(_Widget, one, path)
        if shape.widget not in WIDGETS:
            raise InvalidInput(f"{path}.widget: unknown widget {shape.widget!r}; the widgets "
                               f"are {', '.join(WIDGETS)}", field=f"{path}.widget")
        kinds = WIDGETS[shape.widget]
        if kinds is None:
            if shape.text is None:
                raise InvalidInput(f"{path}.text: a {shape.widget} shows a text",
                                   field=f"{path}.text")
        elif shape.widget == "answer":
            _answer_widget(shape.field, answer, placed, i, path)
        else:
            _item_widget(shape, kinds, item, path)
        out.append(Widget(shape.widget, shape.field, shape.text))
    for f in answer:
        if f.name not in placed:
            raise InvalidInput(f"layout: answer field {f.name!r} is in no 'answer' widget, so "
                               "nobody could give it", field="layout")
    return tuple(out)


def _answer_widget(field: str | None, answer: tuple[AnswerField, ...],
                   placed: dict[str, int], i: int, path: str) -> None:
    if field is None or not any(f.name == field for f in answer):
        raise InvalidInput(f"{path}.field: the answer has no field {field!r}",
                           field=f"{path}.field")
    if field in placed:
        raise InvalidInput(f"{path}.field: answer field {field!r} is already in "
                           f"layout.{placed[field]}", field=f"{path}.field")
    placed[field] = i


def _item_widget(shape: _Widget, kinds: tuple[str, ...], item: tuple[ItemField, ...],
                 path: str) -> None:
    found = next((f for f in item if f.name == shape.field), None)
    if found is None:
        raise InvalidInput(f"{path}.field: the item has no field {shape.field!r}",
                           field=f"{path}.field")
    if found.type not in kinds:
        raise InvalidInput(f"{path}.field: a {shape.widget} shows a {' or '.join(kinds)} "
                           f"field; {shape.field!r} is a {found.type}", field=f"{path}.field")


def _columns(raw: dict[str, Any] | None, item: tuple[ItemField, ...],
             answer: tuple[AnswerField, ...]) -> tuple[Column, ...]:
    if raw is None:  # the default: the item, each answer field, the record's lineage
        return (Column("item", "item"), *(Column(f.name, f"answer.{f.name}") for f in answer),
                *(Column(k, f"record.{k}") for k in RECORD_COLUMNS))
    shape = parse(_Export, raw, "export")
    out: list[Column] = []
    for i, one in enumerate(shape.columns):
        path = f"export.columns.{i}"
        column = parse(_Column, one, path)
        _check_source(column.source, item, answer, f"{path}.from")
        if any(c.name == column.name for c in out):
            raise InvalidInput(f"{path}.name: column {column.name!r} is named twice",
                               field=f"{path}.name")
        out.append(Column(column.name, column.source))
    return tuple(out)


def _check_source(source: str, item: tuple[ItemField, ...], answer: tuple[AnswerField, ...],
                  path: str) -> None:
    head, _, rest = source.partition(".")
    names = {"item": [f.name for f in item], "answer": [f.name for f in answer],
             "record": list(RECORD_COLUMNS)}
    if head not in names or (rest and rest not in names[head]):
        raise InvalidInput(
            f"{path}: {source!r} names nothing; write item, answer, item.FIELD, answer.FIELD "
            f"or record.KEY (KEY one of {', '.join(RECORD_COLUMNS)})", field=path)
    if head == "record" and not rest:
        raise InvalidInput(f"{path}: name a key of the record, as record.confidence", field=path)
