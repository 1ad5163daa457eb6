"""Which primitive a project works on: a built-in one by its name, or one of its
organization's own pinned as ``NAME@VERSION``.

A pinned version never changes (see ``catalog``), so its primitive is built once per process
and kept, keyed by organization, name, version and the definition's digest (the digest keeps
two databases in one process — tests — from sharing an entry).
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from typing import Any

from datafab.errors import InvalidInput, NotFound
from datafab.primitives import Primitive, primitive_names
from datafab.primitives.declarative import DeclarativePrimitive
from datafab.primitives.declarative.definition import NAME
from datafab.store import primitive_definitions as store
from datafab.store.handles import Connection

SEPARATOR = "@"
TYPO = 0.85  # how alike a name must be to a known one to be answered as its typo
_BUILT: dict[tuple[int, str, int, str], DeclarativePrimitive] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Pinned:
    """A customer primitive as a new project pins it."""

    pinned: str  # NAME@VERSION, stored as the project's primitive
    primitive: DeclarativePrimitive


def is_pinned(primitive_name: str) -> bool:
    return SEPARATOR in primitive_name


def split(requested: str) -> tuple[str, int | None]:
    """``NAME@VERSION`` or ``NAME`` → (name, version or None); ``InvalidInput`` if malformed."""
    name, sep, version = requested.partition(SEPARATOR)
    if sep and not (version.isdigit() and 0 < int(version) < 10_000):
        raise InvalidInput(f"primitive: {requested!r}: a version is a whole number, as "
                           f"{name}@1", field="primitive")
    return name, int(version) if sep else None


def for_new_project(conn: Connection, organization: int, requested: object) -> Pinned | None:
    """The organization's primitive a new project names (``None``: a built-in name, or not a
    name at all, for the project's own checks to answer — 422). A name neither built in nor the
    organization's own is not found — unless it is very close to one of those, a typo
    answered with the name meant. Either answer depends only on the built-in names and the
    organization's own, never on another organization's."""
    if not isinstance(requested, str) or requested in primitive_names():
        return None
    name, version = split(requested)
    if not NAME.match(name):  # not a name at all: the project's own check answers 422
        return None
    row = store.get(conn, organization, name, version)
    if row is None:
        own = store.names(conn, organization)
        if name in own:
            raise NotFound(f"primitive: {name!r} has no version {version}", field="primitive")
        close = difflib.get_close_matches(name, [*primitive_names(), *own], n=1,
                                          cutoff=TYPO)
        if close:
            raise InvalidInput(f"primitive: unknown primitive {requested!r}; did you mean "
                               f"{close[0]!r}?", field="primitive")
        raise NotFound(f"primitive: no primitive {requested!r}", field="primitive")
    return Pinned(f"{name}{SEPARATOR}{row.version}",
                  _built(organization, name, row.version, row.digest, row.definition))


def primitive_of(conn: Connection, organization: int, pinned: str) -> Primitive:
    """The primitive of a project pinned to ``NAME@VERSION`` of its organization."""
    name, version = split(pinned)
    row = store.get(conn, organization, name, version)
    if row is None or version is None:  # a pinned version is never deleted; defensive
        raise NotFound(f"primitive: no primitive {pinned!r}", field="primitive")
    return _built(organization, name, version, row.digest, row.definition)


def instructions(primitive: Primitive | None) -> dict[str, Any]:
    """What a contributor (a person or a model) working on a customer primitive's project is
    told besides the usual instructions: its definition and the answer's JSON Schema."""
    if not isinstance(primitive, DeclarativePrimitive):
        return {}
    return {"definition": primitive.raw,
            "answer_schema": primitive.answer_json_schema(primitive.settings_model())}


def _built(organization: int, name: str, version: int, digest: str,
           definition: dict) -> DeclarativePrimitive:
    key = (organization, name, version, digest)
    found = _BUILT.get(key)
    if found is None:
        found = DeclarativePrimitive.from_raw(definition)
        with _LOCK:
            _BUILT[key] = found
    return found
