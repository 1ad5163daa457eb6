"""JSON from outside: one nesting limit for every body, checked on the raw bytes before
anything is parsed, and only values both stores can keep.

- ``too_deep(raw)`` counts brackets outside strings (a regular expression drops the strings,
  numpy sums the rest), so ``[`` × 100,000 costs a few milliseconds and no recursion.
- ``loads(raw)`` is the one parser for a body: UTF-8, the depth limit, then ``json.loads``,
  then ``check`` over the result.
- ``check(value, path)`` refuses what SQLite or PostgreSQL cannot keep, or what no caller
  means: a lone surrogate (``"\\ud800"`` decodes, but cannot be encoded), a NUL character
  (PostgreSQL's text and JSON refuse it), NaN and ±Infinity (not JSON), integers past 64
  bits. Each refusal names the field as a dotted path (``items.3.data.meta``).
- ``FreeForm`` caps a free-form object (an item's ``meta``, a submission's
  ``draft``) at ``MAX_FREE_FORM_BYTES`` of JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator

from datafab.errors import InvalidInput

MAX_DEPTH = 64  # arrays and objects inside one another, anywhere in a body
MAX_FREE_FORM_BYTES = 64 * 1024  # an item's ``meta``, a submission's ``draft``, as JSON
INT64 = 2**63

_STRING = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"', re.S)
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_OTHERS = bytes(b for b in range(256) if b not in b"[{]}")


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than ``limit`` deep in ``raw`` (JSON, or JSON
    lines), counting only brackets outside strings."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_BRACKETS, _OTHERS)
    if len(brackets) <= limit:
        return False
    steps = np.frombuffer(brackets, dtype=np.int8).astype(np.int32)
    return int(np.cumsum(steps).max()) > limit


def depth_error(field: str = "body", limit: int = MAX_DEPTH) -> InvalidInput:
    return InvalidInput(f"{field}: JSON nested more than {limit} deep", field=field)


def loads(raw: bytes | str, field: str = "body") -> Any:
    """Parse a body (or a file's text) that came from outside; ``InvalidInput`` naming the
    field when it is not UTF-8, nests too deep, is not JSON or holds a value refused by
    ``check``."""
    if isinstance(raw, str):
        text = raw
        data = raw.encode("utf-8", "surrogatepass")
    else:
        data = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{field}: not UTF-8 (byte {exc.start})", field=field) from exc
    if too_deep(data):
        raise depth_error(field)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{field}: malformed JSON", field=field) from exc
    check(value, "" if field == "body" else field)
    return value


def check(value: Any, path: str = "") -> None:
    """Refuse lone surrogates, NUL characters, NaN and ±Infinity, integers past 64 bits,
    anywhere in ``value`` (keys too); the error names the field."""
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise _bad(path, "a number past 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(path, "NaN and Infinity are not JSON numbers")
    elif isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str):
                continue
            _check_text(key, path, key=True)
            check(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            check(inner, f"{path}.{i}" if path else str(i))


def free_form(value: Any) -> Any:
    """``value`` if it is at most ``MAX_FREE_FORM_BYTES`` as compact JSON, else ``ValueError``
    (a model's validator: the error names the field)."""
    if value is not None:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                              default=str).encode("utf-8", "surrogatepass"))
        if size > MAX_FREE_FORM_BYTES:
            raise ValueError(f"{size:,} bytes as JSON; the limit is {MAX_FREE_FORM_BYTES:,}")
    return value


#: A free-form object field: an item's ``meta``, a submission's ``draft``.
FreeForm = Annotated[dict[str, Any] | None, AfterValidator(free_form)]


def text_problem(text: str) -> str | None:
    """What makes ``text`` unfit to store (a NUL character, a lone surrogate), or None."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"a lone surrogate (\\u{ord(text[exc.start]):04x}), not a character"
    return "a NUL character" if "\x00" in text else None


def _check_text(text: str, path: str, key: bool = False) -> None:
    problem = text_problem(text)
    if problem is not None:
        raise _bad(path, f"{'a key holds' if key else 'holds'} {problem}")


def _bad(path: str, why: str) -> InvalidInput:
    field = path or "body"
    return InvalidInput(f"{field}: {why}", field=field)
