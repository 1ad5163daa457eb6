"""Export rows to Parquet in constant memory, with one schema for the whole file.

Rows are nested JSON whose shape can vary from record to record (a tool's parameters, an
item's free-form ``meta``). A Parquet file needs one schema, so the rows are read twice:
the first pass infers each column's Arrow type page by page and merges them; a column whose
types cannot be merged (a string here, a number there) is written as JSON text. The second
pass writes the pages with that schema.

A value the row marks as free-form JSON (``FreeJson``: a tool definition, a call's
arguments) is written as Arrow's JSON type wherever it sits, never as a struct: structs of
different rows merge into one type, and each row would read back with the others' keys as
nulls. ``datasets`` loads a JSON-typed value back as the object it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datafab.primitives.base import FreeJson

PAGE = 1000


Path_ = tuple[str, ...]  # a place in a row: field names, "[]" for a list's elements


def write(
    path: Path,
    first_pass: Iterable[dict[str, Any]],
    second_pass: Callable[[], Iterable[dict[str, Any]]],
    *,
    on_row: Callable[[], None] | None = None,
) -> int:
    """Write the rows to ``path``; ``first_pass`` and ``second_pass()`` yield the same rows."""
    free: set[Path_] = set()
    columns, as_json = _infer(_plain(row, (), free) for row in first_pass)
    storage = pa.schema([pa.field(name, pa.string() if name in as_json else kind)
                         for name, kind in columns.items()])
    schema = pa.schema([pa.field(f.name, f.type if f.name in as_json
                                 else _json_at(f.type, (f.name,), free)) for f in storage])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for page in _pages(second_pass()):
            rows = [_encode(row, as_json) for row in page]
            table = pa.Table.from_pylist(rows, schema=storage)
            writer.write_table(table.cast(schema) if free else table)
            count += len(rows)
            if on_row is not None:
                for _ in rows:
                    on_row()
    return count


def _infer(rows: Iterable[dict[str, Any]]) -> tuple[dict[str, pa.DataType], set[str]]:
    columns: dict[str, pa.DataType] = {}
    as_json: set[str] = set()
    for page in _pages(rows):
        for name in dict.fromkeys(k for row in page for k in row):
            if name in as_json:
                continue
            try:
                kind = pa.array([row.get(name) for row in page]).type
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
                as_json.add(name)
                continue
            merged = _merge(columns.get(name), kind)
            if merged is None:
                as_json.add(name)
            else:
                columns[name] = merged
        for name in as_json:
            columns.setdefault(name, pa.string())
    return columns, as_json


def _merge(known: pa.DataType | None, new: pa.DataType) -> pa.DataType | None:
    if known is None or known == new or pa.types.is_null(new):
        return known or new
    if pa.types.is_null(known):
        return new
    try:
        unified = pa.unify_schemas([pa.schema([("c", known)]), pa.schema([("c", new)])],
                                   promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, NotImplementedError):
        return None
    return unified.field("c").type


def _encode(row: dict[str, Any], as_json: set[str]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False) if k in as_json and v is not None
                else _plain(v, (), None)) for k, v in row.items()}


def _plain(value: Any, path: Path_, free: set[Path_] | None) -> Any:
    """``value`` with each ``FreeJson`` in it as JSON text (its place noted in ``free``)."""
    if isinstance(value, FreeJson):
        if free is not None:
            free.add(path)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return {k: _plain(v, (*path, k), free) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, (*path, "[]"), free) for v in value]
    return value


def _json_at(kind: pa.DataType, path: Path_, free: set[Path_]) -> pa.DataType:
    """``kind`` with Arrow's JSON type at the places in ``free``."""
    if path in free:
        return pa.json_()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _json_at(f.type, (*path, f.name), free))
                          for f in kind])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_json_at(kind.value_type, (*path, "[]"), free))
    return kind


def _pages(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while page := list(islice(iterator, PAGE)):
        yield page
