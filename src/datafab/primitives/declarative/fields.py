"""The fields a customer primitive declares: what an item holds and what an answer gives.

Each field is read from the definition by its ``type`` (an unknown type is named with its
path), checked by its own small model (unknown keys refused), and kept as a frozen
:class:`ItemField` or :class:`AnswerField`. Nesting is explicit and bounded: an object lists
its fields, a list names its entries' field, and no definition nests deeper than
:data:`MAX_NESTING` — an object without fields or a list without entries would take any JSON
at all, so both are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Schema, parse

MAX_NESTING = 4  # objects and lists inside one another in an item
MAX_FIELDS = 50  # fields on one level
FIELD_NAME = r"^[a-z][a-z0-9_]{0,39}$"

ITEM_TYPES = ("string", "text", "number", "boolean", "enum", "image", "messages", "list",
              "object")
ANSWER_TYPES = ("choice", "number", "rating", "text", "spans", "ranking", "pair", "list")
#: Which aggregations fit each answer type; the first is the default.
AGGREGATIONS: dict[str, tuple[str, ...]] = {
    "choice": ("majority_vote", "weighted_majority_vote", "dawid_skene", "one_coin", "glad",
               "mace"),
    "number": ("median", "trimmed_mean", "mean"),
    "rating": ("median", "trimmed_mean", "mean"),
    "text": ("keep_all", "best_by_vote"),
    "spans": ("span_vote",),
    "ranking": ("bradley_terry",),
    "pair": ("bradley_terry",),
    "list": ("per_entry", "keep_all"),
}
#: How gold may be compared for each answer type; the first is the default.
GOLD_RULES: dict[str, tuple[str, ...]] = {
    "choice": ("exact", "none"),
    "number": ("exact", "tolerance", "none"),
    "rating": ("exact", "tolerance", "none"),
    "text": ("none", "exact"),
    "spans": ("span_iou", "exact", "none"),
    "ranking": ("exact", "none"),
    "pair": ("exact", "none"),
    "list": ("per_entry", "none"),
}


@dataclass(frozen=True)
class ItemField:
    """One field of an item, checked."""

    name: str
    type: str
    required: bool = True
    label: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    values: tuple[str, ...] = ()
    items: ItemField | None = None  # a list's entries
    fields: tuple[ItemField, ...] = ()  # an object's fields
    min_items: int = 0
    max_items: int = 1000


@dataclass(frozen=True)
class AnswerField:
    """One field of an answer, checked, with its aggregation and gold rule."""

    name: str
    type: str
    aggregation: str
    gold: str
    required: bool = True
    label: str | None = None
    options: tuple[str, ...] = ()
    multiple: bool = False
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    max_length: int = 20_000
    over: str | None = None  # the item field spans, rankings, pairs and entries refer to
    labels: tuple[str, ...] = ()  # span labels
    fields: tuple[AnswerField, ...] = ()  # a list's entry fields
    max_items: int = 100
    tolerance: float = 0.0
    min_iou: float = 0.5


# -- the raw shapes, one per type ---------------------------------------------------------------

Name = Field(pattern=FIELD_NAME)
Label = Field(None, min_length=1, max_length=200)


class _Item(Schema):
    name: str = Name
    type: str
    required: bool = True
    label: str | None = Label


class _Str(_Item):
    max_length: int = Field(100_000, ge=1, le=200_000)


class _Num(_Item):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False


class _Enum(_Item):
    values: list[str] = Field(min_length=1, max_length=200)


class _List(_Item):
    items: dict[str, Any] | None = None
    min_items: int = Field(0, ge=0, le=1000)
    max_items: int = Field(1000, ge=1, le=1000)


class _Object(_Item):
    fields: list[dict[str, Any]] | None = None


_ITEM_SHAPES: dict[str, type[_Item]] = {
    "string": _Str, "text": _Str, "number": _Num, "boolean": _Item, "enum": _Enum,
    "image": _Item, "messages": _Item, "list": _List, "object": _Object,
}


class _Answer(Schema):
    name: str = Name
    type: str
    required: bool = True
    label: str | None = Label
    aggregation: str | None = None
    gold: str | None = None
    tolerance: float = Field(0.0, ge=0.0)
    min_iou: float = Field(0.5, gt=0.0, le=1.0)


class _Choice(_Answer):
    options: list[str] = Field(min_length=2, max_length=200)
    multiple: bool = False


class _Number(_Answer):
    minimum: float
    maximum: float
    integer: bool = False


class _Rating(_Answer):
    minimum: int = Field(1, ge=-100, le=100)
    maximum: int = Field(5, ge=-100, le=100)


class _Text(_Answer):
    max_length: int = Field(20_000, ge=1, le=200_000)


class _Spans(_Answer):
    over: str = Name
    labels: list[str] = Field(min_length=1, max_length=100)


class _Over(_Answer):
    over: str = Name


class _AnswerList(_Answer):
    fields: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_FIELDS)
    over: str | None = Field(None, pattern=FIELD_NAME)
    max_items: int = Field(100, ge=1, le=1000)


_ANSWER_SHAPES: dict[str, type[_Answer]] = {
    "choice": _Choice, "number": _Number, "rating": _Rating, "text": _Text, "spans": _Spans,
    "ranking": _Over, "pair": _Over, "list": _AnswerList,
}

GoldName = Literal["exact", "tolerance", "span_iou", "per_entry", "none"]


def _type_of(raw: Any, path: str, known: tuple[str, ...]) -> str:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: expected an object with a name and a type", field=path)
    kind = raw.get("type")
    if kind not in known:
        raise InvalidInput(
            f"{path}.type: unknown field type {kind!r}; the types are {', '.join(known)}",
            field=f"{path}.type")
    return str(kind)


def _distinct(values: list[str], path: str, what: str) -> tuple[str, ...]:
    for i, value in enumerate(values):
        if not value.strip() or len(value) > 200:
            raise InvalidInput(f"{path}.{i}: {what} must be 1 to 200 characters",
                               field=f"{path}.{i}")
        if value in values[:i]:
            raise InvalidInput(f"{path}.{i}: {what} {value!r} is repeated", field=f"{path}.{i}")
    return tuple(values)


def item_fields(raw: Any, path: str, depth: int = 0) -> tuple[ItemField, ...]:
    """The item fields listed at ``path``, nested no deeper than ``MAX_NESTING``."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{path}: expected a non-empty list of fields", field=path)
    if len(raw) > MAX_FIELDS:
        raise InvalidInput(f"{path}: at most {MAX_FIELDS} fields", field=path)
    out = [item_field(one, f"{path}.{i}", depth) for i, one in enumerate(raw)]
    _unique_names([f.name for f in out], path)
    return tuple(out)


def item_field(raw: Any, path: str, depth: int, named: bool = True) -> ItemField:
    kind = _type_of(raw, path, ITEM_TYPES)
    if not named:  # a list's entries: the list names them
        raw = {"name": "entry", **raw}
    shape = parse(_ITEM_SHAPES[kind], raw, path)
    extra: dict[str, Any] = {}
    if isinstance(shape, _Str):
        extra["max_length"] = shape.max_length
    elif isinstance(shape, _Num):
        if shape.minimum is not None and shape.maximum is not None \
                and shape.maximum < shape.minimum:
            raise InvalidInput(f"{path}.maximum: below minimum", field=f"{path}.maximum")
        extra.update(minimum=shape.minimum, maximum=shape.maximum, integer=shape.integer)
    elif isinstance(shape, _Enum):
        extra["values"] = _distinct(shape.values, f"{path}.values", "value")
    elif isinstance(shape, _List | _Object):
        extra.update(_nested(shape, path, depth))
    return ItemField(name=shape.name, type=kind, required=shape.required, label=shape.label,
                     **extra)


def _nested(shape: _List | _Object, path: str, depth: int) -> dict[str, Any]:
    key = "items" if isinstance(shape, _List) else "fields"
    inner = shape.items if isinstance(shape, _List) else shape.fields
    if inner is None:
        raise InvalidInput(
            f"{path}.{key}: a {shape.type} must declare its {key}; without them it would "
            "take JSON nested without bound", field=f"{path}.{key}")
    if depth + 1 >= MAX_NESTING:
        raise InvalidInput(
            f"{path}.{key}: nests deeper than {MAX_NESTING} levels of objects and lists",
            field=f"{path}.{key}")
    if isinstance(shape, _List):
        if shape.max_items < shape.min_items:
            raise InvalidInput(f"{path}.max_items: below min_items", field=f"{path}.max_items")
        return {"items": item_field(inner, f"{path}.items", depth + 1, named=False),
                "min_items": shape.min_items, "max_items": shape.max_items}
    return {"fields": item_fields(inner, f"{path}.fields", depth + 1)}


def _unique_names(names: list[str], path: str) -> None:
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InvalidInput(f"{path}.{i}.name: field {name!r} is declared twice",
                               field=f"{path}.{i}.name")


def answer_fields(
    raw: Any, path: str, item: tuple[ItemField, ...], in_list: bool = False
) -> tuple[AnswerField, ...]:
    """The answer fields listed at ``path``; ``over`` names a field of ``item``."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{path}: expected a non-empty list of fields", field=path)
    if len(raw) > MAX_FIELDS:
        raise InvalidInput(f"{path}: at most {MAX_FIELDS} fields", field=path)
    out = [answer_field(one, f"{path}.{i}", item, in_list) for i, one in enumerate(raw)]
    _unique_names([f.name for f in out], path)
    return tuple(out)


def answer_field(
    raw: Any, path: str, item: tuple[ItemField, ...], in_list: bool
) -> AnswerField:
    kind = _type_of(raw, path, ANSWER_TYPES)
    shape = parse(_ANSWER_SHAPES[kind], raw, path)
    allowed = AGGREGATIONS[kind][:2] if in_list and kind == "choice" else AGGREGATIONS[kind]
    aggregation = _fitting(shape.aggregation, allowed, kind, f"{path}.aggregation",
                           "aggregation" if not in_list else "aggregation inside a list entry")
    gold = _fitting(shape.gold, GOLD_RULES[kind], kind, f"{path}.gold", "gold comparison")
    extra: dict[str, Any] = {}
    if isinstance(shape, _Choice):
        extra.update(options=_distinct(shape.options, f"{path}.options", "option"),
                     multiple=shape.multiple)
    elif isinstance(shape, _Number | _Rating):
        if shape.maximum <= shape.minimum:
            raise InvalidInput(f"{path}.maximum: must be above minimum ({shape.minimum})",
                               field=f"{path}.maximum")
        extra.update(minimum=float(shape.minimum), maximum=float(shape.maximum),
                     integer=isinstance(shape, _Rating) or bool(getattr(shape, "integer", 0)))
    elif isinstance(shape, _Text):
        extra["max_length"] = shape.max_length
    elif isinstance(shape, _Spans):
        _over(item, shape.over, ("text", "string"), f"{path}.over", in_list)
        extra.update(over=shape.over, labels=_distinct(shape.labels, f"{path}.labels", "label"))
    elif isinstance(shape, _AnswerList):
        extra.update(_answer_list(shape, path, item, in_list, aggregation))
    elif isinstance(shape, _Over):
        target = _over(item, shape.over, ("list",), f"{path}.over", in_list)
        if kind == "pair" and not (target.min_items == target.max_items == 2):
            raise InvalidInput(
                f"{path}.over: a pair choice needs a list of exactly two entries "
                f"(min_items and max_items 2 on item field {shape.over!r})",
                field=f"{path}.over")
        extra["over"] = shape.over
    return AnswerField(name=shape.name, type=kind, aggregation=aggregation, gold=gold,
                       required=shape.required, label=shape.label, tolerance=shape.tolerance,
                       min_iou=shape.min_iou, **extra)


def _answer_list(shape: _AnswerList, path: str, item: tuple[ItemField, ...], in_list: bool,
                 aggregation: str) -> dict[str, Any]:
    if in_list:
        raise InvalidInput(f"{path}.type: a list inside a list would nest without bound; "
                           "an entry's fields are choices, numbers, ratings or texts",
                           field=f"{path}.type")
    if shape.over is not None:
        _over(item, shape.over, ("list",), f"{path}.over", in_list)
    elif aggregation == "per_entry":
        raise InvalidInput(
            f"{path}.aggregation: per_entry needs 'over' (the item list the entries answer); "
            "a free list aggregates with keep_all", field=f"{path}.aggregation")
    return {"fields": answer_fields(shape.fields, f"{path}.fields", item, in_list=True),
            "over": shape.over, "max_items": shape.max_items}


def _over(item: tuple[ItemField, ...], name: str, types: tuple[str, ...], path: str,
          in_list: bool) -> ItemField:
    if in_list:
        raise InvalidInput(f"{path}: an entry of a list answer cannot refer to item fields",
                           field=path)
    for one in item:
        if one.name == name:
            if one.type not in types:
                raise InvalidInput(f"{path}: item field {name!r} is a {one.type}, not a "
                                   f"{' or '.join(types)}", field=path)
            return one
    raise InvalidInput(f"{path}: the item has no field {name!r}", field=path)


def _fitting(given: str | None, allowed: tuple[str, ...], kind: str, path: str,
             what: str) -> str:
    if given is None:
        return allowed[0]
    from datafab import quality

    name = quality.ESTIMATOR_ALIASES.get(given, given) if kind == "choice" else given
    if name not in allowed:
        raise InvalidInput(
            f"{path}: {given!r} does not fit a {kind} field; its {what}s are "
            f"{', '.join(allowed)}", field=path)
    return name
