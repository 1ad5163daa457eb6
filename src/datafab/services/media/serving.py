"""Showing an image: to the requester who owns the project, and to a contributor only for an
item they hold a live lease on, in a project they may see (need to know); each image shown
to a contributor is written to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datafab.errors import NotFound
from datafab.foundry import Foundry
from datafab.services import access_log, confidentiality
from datafab.services.accounts import Contributor
from datafab.services.media import video
from datafab.services.media.files import relative_path, stored_path
from datafab.services.projects import load_project
from datafab.store import media as media_sql

MEDIA = "media"  # the access log's event for an image shown


@dataclass(frozen=True)
class MediaFile:
    path: Path
    content_type: str
    content: bytes | None = None  # a frame decoded from a video: the bytes, not the file


def requester_media(foundry: Foundry, organization: int, project_id: int,
                    media_id: str) -> MediaFile:
    """An uploaded file of the organization's project."""
    with foundry.db.read() as conn:
        load_project(conn, organization, project_id)
        row = media_sql.of(conn, project_id, [media_id]).get(media_id)
    if row is None:
        raise NotFound(f"media {media_id} not found", field="media_id")
    return MediaFile(stored_path(foundry.settings, media_id), row.content_type)


def item_image(foundry: Foundry, contributor: Contributor, project_id: int, item_id: int,
               address: str | None = None, frame: int | None = None) -> MediaFile:
    """The image of an item the contributor holds a live lease on (or, for a video, its
    frame number ``frame``: an image of the list, or decoded from the file); 404 for
    anything else."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        data = dict(media_sql.live_items(conn, contributor.id, project.id, now)).get(item_id)
        if not isinstance(data, dict):
            raise NotFound(f"item {item_id} not found", field="item_id")
        if frame is not None and isinstance(data.get("video"), str):
            found = _video_source(foundry, conn, project.id, data, frame)
        else:
            found = _file(foundry, conn, project.id,
                          data if frame is None else _frame(data, frame))
        if found is None:
            raise NotFound(f"item {item_id} has no image here", field="item_id")
        access_log.record_items(foundry, conn, project=project.id, event=MEDIA,
                                items=[item_id], contributor=contributor.id, address=address,
                                now=now)
    if frame is not None and isinstance(data.get("video"), str):
        found = _decoded(found, frame, float(data["fps"]))  # decoded with no lock held
        if found is None:
            raise NotFound(f"item {item_id} has no frame {frame}", field="frame")
    return found


def _file(foundry: Foundry, conn, project_id: int, data: dict) -> MediaFile | None:
    media_id = data.get("media")
    if isinstance(media_id, str):
        row = media_sql.of(conn, project_id, [media_id]).get(media_id)
        return None if row is None else MediaFile(stored_path(foundry.settings, media_id),
                                                  row.content_type)
    image = data.get("image")
    if isinstance(image, str) and "://" not in image:
        path = relative_path(foundry.settings, image)
        if path is not None:
            return MediaFile(path, _guess(path))
    return None


def _video_source(foundry: Foundry, conn, project_id: int, data: dict,
                  frame: int) -> MediaFile | None:
    """The file of a video item (an upload or a path under the media folder) when it has a
    frame ``frame`` (before its ``frame_count``)."""
    count, fps, name = data.get("frame_count"), data.get("fps"), data["video"]
    if not isinstance(count, int) or not isinstance(fps, int | float) or not 0 <= frame < count:
        return None
    if media_sql.of(conn, project_id, [name]).get(name) is not None:
        path: Path | None = stored_path(foundry.settings, name)
    else:
        path = relative_path(foundry.settings, name)
    if path is None or not path.is_file():
        return None
    return MediaFile(path, "video")


def _decoded(source: MediaFile, frame: int, fps: float) -> MediaFile | None:
    """Frame ``frame`` of the video file as a PNG image; nothing when it cannot be read."""
    try:
        content = video.frame_png(source.path, frame, fps)
    except video.NoVideo as exc:
        raise NotFound(f"video: {exc}", field="video") from exc
    except Exception:  # noqa: BLE001 - a damaged file: no such frame to show
        return None
    return None if content is None else MediaFile(source.path, "image/png", content)


def _frame(data: dict, frame: int) -> dict:
    """A video item's frame as an image item (nothing when there is no such frame)."""
    frames = data.get("frames")
    if isinstance(frames, list) and 0 <= frame < len(frames):
        return {"image": frames[frame]}
    return {}


def _guess(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".gif": "image/gif", ".webp": "image/webp"}.get(path.suffix.lower(),
                                                            "application/octet-stream")
