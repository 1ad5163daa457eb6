"""Where media files live: one folder (``DATAFAB_MEDIA_DIR``), uploads kept by their
SHA-256 (``ab/abcdef…``), items' relative image paths read from under it and never from
outside it."""

from __future__ import annotations

from pathlib import Path

from datafab.settings import Settings
from datafab.store.database import sqlite_file

UPLOADS = "sha256"


def media_dir(settings: Settings) -> Path:
    """The media folder: the setting, or beside the SQLite database, or the working one."""
    if settings.media_dir:
        return Path(settings.media_dir)
    database = sqlite_file(settings.database_url)
    if database:
        return Path(database + ".media")
    return Path("datafab-media")


def stored_path(settings: Settings, media_id: str) -> Path:
    """Where an uploaded file with this id is kept."""
    return media_dir(settings) / UPLOADS / media_id[:2] / media_id


def relative_path(settings: Settings, path: str) -> Path | None:
    """The file an item's relative ``image`` path names, if it is a file inside the media
    folder (links leading out of it are refused)."""
    root = media_dir(settings).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target
