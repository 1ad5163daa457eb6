"""Defining, listing and removing an organization's primitives, by version.

A definition posted under a name the organization has not used is version 1; a different
definition under a used name is the next version; the same definition again changes nothing
(the version it already is answers). Naming an existing ``version`` with another definition
is refused with the first path where the two differ, and deleting a version a project is
pinned to is refused: a running project's primitive never changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.primitives import primitive_names
from datafab.primitives.declarative import check_name, parse_definition, version_of
from datafab.services import audit
from datafab.services.primitive_catalog.resolve import SEPARATOR
from datafab.store import primitive_definitions as store
from datafab.store.handles import IntegrityError


@dataclass(frozen=True)
class Version:
    name: str
    version: int
    created_at: float
    created_by: str
    definition: dict[str, Any] | None = None
    created: bool = False  # this call stored it

    @property
    def pinned(self) -> str:
        return f"{self.name}{SEPARATOR}{self.version}"


@dataclass(frozen=True)
class Summary:
    name: str
    latest: int
    versions: int
    created_at: float


def digest(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def define(foundry: Foundry, organization: int, raw: Any, actor: str = "api") -> Version:
    """Store ``raw`` as a version of the organization's primitive (checked first: a bad
    definition raises ``InvalidInput`` naming its path, and nothing is written)."""
    if not isinstance(raw, dict):
        raise InvalidInput("definition: expected a JSON object", field="definition")
    definition = parse_definition(raw)
    if definition.name in primitive_names():
        raise InvalidInput(f"name: {definition.name!r} is a built-in primitive; pick "
                           "another name", field="name")
    body = {k: v for k, v in raw.items() if k != "version"}
    wanted, hashed, now = version_of(raw), digest(body), foundry.now()
    try:
        with foundry.db.write() as conn:
            latest = store.get(conn, organization, definition.name)
            if wanted is not None and latest is not None and wanted <= latest.version:
                return _same_version(conn, organization, definition.name, wanted, body, hashed)
            if wanted is None and latest is not None and latest.digest == hashed:
                return _version(latest)
            version = (latest.version if latest is not None else 0) + 1
            if wanted is not None and wanted != version:
                raise InvalidInput(f"version: the next version of {definition.name!r} is "
                                   f"{version}", field="version")
            store.add(conn, organization, definition.name, version, body, hashed, now, actor)
            audit.record(conn, now, organization=organization, actor=actor,
                         action="primitive.defined",
                         target=f"primitive:{definition.name}{SEPARATOR}{version}")
    except IntegrityError as exc:  # the same version posted at the same moment
        raise Conflict(f"version: {definition.name!r} got a new version meanwhile; post "
                       "again", field="version") from exc
    return Version(definition.name, version, now, actor, body, created=True)


def _same_version(conn, organization: int, name: str, wanted: int, body: dict[str, Any],
                  hashed: str) -> Version:
    row = store.get(conn, organization, name, wanted)
    if row is None:  # a deleted version's number is not reused
        raise InvalidInput(f"version: version {wanted} of {name!r} was deleted; post the "
                           "definition without a version for a new one", field="version")
    if row.digest == hashed:
        return _version(row)
    path = first_difference(row.definition, body) or "definition"
    using = store.projects_using(conn, organization, f"{name}{SEPARATOR}{wanted}")
    why = (f"projects {', '.join(repr(p.name) for p in using)} work on it" if using
           else "a version never changes")
    raise InvalidInput(f"{path}: version {wanted} of {name!r} differs here and {why}; post "
                       "the definition without a version for a new one", field=path)


def first_difference(old: Any, new: Any, path: str = "") -> str | None:
    """The dotted path of the first place two JSON values differ (``None``: equal)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in old or key not in new:
                return f"{path}.{key}".lstrip(".")
            found = first_difference(old[key], new[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            found = first_difference(a, b, f"{path}.{i}")
            if found is not None:
                return found
        return None if len(old) == len(new) else f"{path}.{min(len(old), len(new))}".lstrip(".")
    return None if old == new else (path.lstrip(".") or None)


def list_primitives(foundry: Foundry, organization: int) -> list[Summary]:
    with foundry.db.read() as conn:
        return [Summary(r.name, r.latest, r.versions, r.created_at)
                for r in store.latest_per_name(conn, organization)]


def versions(foundry: Foundry, organization: int, name: str) -> list[Version]:
    """Every version of the organization's primitive (``NotFound`` for any other name)."""
    with foundry.db.read() as conn:
        rows = store.versions(conn, organization, check_known(name))
    if not rows:
        raise NotFound(f"name: no primitive {name!r}", field="name")
    return [Version(name, r.version, r.created_at, r.created_by) for r in rows]


def get_version(foundry: Foundry, organization: int, name: str, version: int) -> Version:
    with foundry.db.read() as conn:
        row = store.get(conn, organization, check_known(name), version)
    if row is None:
        raise NotFound(f"name: no primitive {name}{SEPARATOR}{version}", field="name")
    return _version(row, with_definition=True)


def delete_version(foundry: Foundry, organization: int, name: str, version: int,
                   actor: str = "api") -> None:
    """Delete a version no project is pinned to (``Conflict`` naming the projects if any)."""
    pinned = f"{check_known(name)}{SEPARATOR}{version}"
    with foundry.db.write() as conn:
        if store.get(conn, organization, name, version) is None:
            raise NotFound(f"name: no primitive {pinned}", field="name")
        using = store.projects_using(conn, organization, pinned)
        if using:
            raise Conflict(f"version: projects {', '.join(repr(p.name) for p in using)} work "
                           f"on {pinned}; it stays while they exist", field="version")
        store.remove(conn, organization, name, version)
        audit.record(conn, foundry.now(), organization=organization, actor=actor,
                     action="primitive.deleted", target=f"primitive:{pinned}")


def check_known(name: str) -> str:
    """A name as a route takes it: a malformed one is simply not found."""
    try:
        return check_name(name)
    except InvalidInput:
        raise NotFound(f"name: no primitive {name!r}", field="name") from None


def _version(row: Any, with_definition: bool = False) -> Version:
    return Version(row.name, row.version, row.created_at, row.created_by,
                   row.definition if with_definition else None)
