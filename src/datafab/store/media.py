"""The media rows: which files a project may show, and their sizes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, text

from datafab.store.tables import Json


@dataclass(frozen=True)
class MediaRow:
    media_id: str
    content_type: str
    width: int
    height: int
    size: int


_INSERT = text(
    "INSERT INTO media (project_id, media_id, content_type, width, height, size, created_at) "
    "VALUES (:project, :media, :content_type, :width, :height, :size, :now) "
    "ON CONFLICT (project_id, media_id) DO NOTHING"
)
_OF = text(
    "SELECT media_id, content_type, width, height, size FROM media "
    "WHERE project_id = :project AND media_id IN :media"
).bindparams(bindparam("media", expanding=True))
_LIVE_ITEMS = text(
    "SELECT i.id, i.data FROM leases l JOIN items i ON i.id = l.item_id "
    "WHERE l.contributor_id = :contributor AND l.project_id = :project "
    "AND l.status = 'active' AND l.expires_at > :now"
).columns(data=Json)


def add(conn: Connection, project: int, row: MediaRow, now: float) -> bool:
    """Record that the project has this file; whether it is new to the project."""
    result = conn.execute(_INSERT, {"project": project, "media": row.media_id,
                                    "content_type": row.content_type, "width": row.width,
                                    "height": row.height, "size": row.size, "now": now})
    return bool(result.rowcount)


def of(conn: Connection, project: int, media_ids: Sequence[str]) -> dict[str, MediaRow]:
    """The project's rows for these media ids (absent ids are left out)."""
    if not media_ids:
        return {}
    rows = conn.execute(_OF, {"project": project, "media": sorted(set(media_ids))})
    return {r.media_id: MediaRow(r.media_id, r.content_type, int(r.width), int(r.height),
                                 int(r.size)) for r in rows}


def live_items(conn: Connection, contributor: int, project: int,
               now: float) -> list[tuple[int, object]]:
    """(item id, data) of the items the contributor holds a live lease on in the project."""
    return [(int(r.id), r.data) for r in conn.execute(
        _LIVE_ITEMS, {"contributor": contributor, "project": project, "now": now})]
