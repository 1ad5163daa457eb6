"""An image item's width and height, filled in from its file when the item does not give
them: an uploaded file's recorded size, or the header of a file under the media folder. An
item naming a media id the project does not have is refused, naming it."""

from __future__ import annotations

from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services.media import video
from datafab.services.media.files import relative_path, stored_path
from datafab.services.media.probe import NotAnImage, probe
from datafab.services.projects import Project
from datafab.store import media as media_sql

#: The primitives whose items are images.
IMAGE_PRIMITIVES = frozenset({"boxes", "polygons", "keypoints", "tracks"})


def with_sizes(foundry: Foundry, project: Project, raw_items: list[Any]) -> list[Any]:
    """The items of an upload with ``width``/``height`` filled in where their image is known;
    other projects' items are returned as they are."""
    if project.primitive_name not in IMAGE_PRIMITIVES:
        return raw_items
    wanted = [_data(raw).get(key) for raw in raw_items for key in ("media", "video")]
    with foundry.db.read() as conn:
        known = media_sql.of(conn, project.id, [m for m in wanted if isinstance(m, str)])
    out = []
    for index, raw in enumerate(raw_items):
        data = _data(raw)
        if project.primitive_name == "tracks" and isinstance(data.get("video"), str):
            out.append({**raw, "data": _video(foundry, data, known,
                                              f"items.{index}.data.video")})
            continue
        sized = "width" in data and "height" in data
        if not data or (sized and "media" not in data):
            out.append(raw)
            continue
        size = _size(foundry, data, known, f"items.{index}.data.media")
        if sized:
            out.append(raw)
            continue
        out.append(raw if size is None else
                   {**raw, "data": {"width": size[0], "height": size[1], **data}})
    return out


def _data(raw: Any) -> dict[str, Any]:
    data = raw.get("data") if isinstance(raw, dict) else None
    return data if isinstance(data, dict) else {}


def _size(foundry: Foundry, data: dict[str, Any], known: dict[str, media_sql.MediaRow],
          field: str) -> tuple[int, int] | None:
    media_id = data.get("media")
    if isinstance(media_id, str):
        row = known.get(media_id)
        if row is None:
            raise InvalidInput(f"{field}: no media {media_id!r} was uploaded to this project",
                               field=field)
        return row.width, row.height
    image = data.get("image")
    if isinstance(image, str) and "://" not in image:
        path = relative_path(foundry.settings, image)
        if path is not None:
            with path.open("rb") as f:
                try:
                    found = probe(f.read(1 << 16))
                except NotAnImage:
                    return None
            return found.width, found.height
    return None


def _video(foundry: Foundry, data: dict[str, Any], known: dict[str, media_sql.MediaRow],
           field: str) -> dict[str, Any]:
    """A video item with its frame count, frame rate and size read from its file (an upload
    named by its media id, or a path under the media folder) where it does not give them."""
    name = data["video"]
    path = (stored_path(foundry.settings, name) if name in known
            else relative_path(foundry.settings, name))
    return video.fill_item(path, data, field)
