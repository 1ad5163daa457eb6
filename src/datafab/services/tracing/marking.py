"""The mark each contributor's copy of an item's text carries, and taking it off again.

When a project's workforce policy says ``watermark``, every prose string of an item (a
string of three words or more that is not a link) is marked on its way to a person — in a
lease answer or on a workbench page — with the contributor's own key (``contributor_key``):
``marks.embed`` over the bits of ``marks.keystream(key, "<item>:<field path>")``. The mark
changes no length, so offsets into the text (spans) stay right. Models get the original: the
mark would only harm how they read, and where their text goes is ruled by
``DATAFAB_MODEL_ALLOWED_NETWORKS``.

The key is the site's ``watermark`` key (kept with the pseudonym key, in the database:
anyone holding a copy of the database holds the unmarked originals anyway, and a restored
backup can still trace old leaks) narrowed by HMAC to one project and one contributor.

Nothing marked is stored: items, records and exports keep the original, and an answer that
comes back quoting marked text is unmarked before it is checked and stored (``unmarked``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from datafab import marks
from datafab.foundry import Foundry
from datafab.services import site_keys, workforce
from datafab.services.accounts import Contributor
from datafab.services.projects import Project
from datafab.store.handles import Connection

WATERMARK_KEY = "watermark"
MIN_WORDS = 3

Marker = Callable[[int, Any], Any]


def contributor_key(foundry: Foundry, project_id: int, contributor_id: int) -> bytes:
    secret = foundry.cache.get(("tracing", WATERMARK_KEY))
    if secret is None:
        secret = site_keys.site_key(foundry, WATERMARK_KEY)
        foundry.cache.put(("tracing", WATERMARK_KEY), secret)
    return marks.subkey(secret, f"{project_id}:{contributor_id}")


def unit(item_id: int, path: str) -> str:
    return f"{item_id}:{path}"


def is_prose(value: str) -> bool:
    return len(value.split(None, MIN_WORDS - 1)) >= MIN_WORDS and not value.startswith(
        ("http://", "https://", "data:"))


def prose(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, text) for every prose string of an item's data."""
    if isinstance(data, str):
        if is_prose(data):
            yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from prose(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            yield from prose(value, f"{path}.{k}" if path else str(k))


def mark(key: bytes, item_id: int, data: Any, path: str = "") -> Any:
    """The item's data with each prose string marked under ``key``."""
    if isinstance(data, str):
        if not is_prose(data):
            return data
        return marks.embed(data, marks.keystream(key, unit(item_id, path), len(data)))
    if isinstance(data, dict):
        return {k: mark(key, item_id, v, f"{path}.{k}" if path else str(k))
                for k, v in data.items()}
    if isinstance(data, list):
        return [mark(key, item_id, v, f"{path}.{k}" if path else str(k))
                for k, v in enumerate(data)]
    return data


def _same(item_id: int, data: Any) -> Any:
    return data


def watermarked(foundry: Foundry, conn: Connection, project_id: int) -> bool:
    policy = workforce.policy_of(foundry, conn, project_id)
    return policy is not None and policy.watermark


def marker(foundry: Foundry, project: Project, contributor: Contributor) -> Marker:
    """``(item_id, data) -> data`` as this contributor is to receive it."""
    if contributor.kind == "model":
        return _same
    with foundry.db.read() as conn:
        if not watermarked(foundry, conn, project.id):
            return _same
    key = contributor_key(foundry, project.id, contributor.id)
    return lambda item_id, data: mark(key, item_id, data)


def unmarked(foundry: Foundry, conn: Connection, project: Project, answer: Any) -> Any:
    """A submitted answer with any marked text it quotes back in the original letters."""
    if not watermarked(foundry, conn, project.id):
        return answer
    return _unmark(answer)


def _unmark(value: Any) -> Any:
    if isinstance(value, str):
        return marks.unmark(value)
    if isinstance(value, dict):
        return {k: _unmark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    return value
