"""Uploading an image to a project: read it once (hashing and size-checking as it streams),
check it is an image whose size can be read, keep it by its SHA-256, and record that the
project has it. The same file uploaded twice is kept once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from datafab.errors import InvalidInput, PayloadTooLarge
from datafab.foundry import Foundry
from datafab.services.media import video
from datafab.services.media.files import stored_path
from datafab.services.media.probe import ImageSize, NotAnImage, probe
from datafab.services.projects import load_project
from datafab.store import media as media_sql

CHUNK = 1 << 20
HEAD = 1 << 16


@dataclass(frozen=True)
class Uploaded:
    media_id: str
    content_type: str
    width: int
    height: int
    size: int
    created: bool


def upload_media(foundry: Foundry, organization: int, project_id: int,
                 source: BinaryIO) -> Uploaded:
    """Keep the image read from ``source`` for the project. Bad or oversize files are refused
    (``file``) and nothing is written."""
    with foundry.db.read() as conn:
        load_project(conn, organization, project_id)  # another organization's: 404
    limit = foundry.settings.max_media_bytes
    first = stored_path(foundry.settings, "0" * 64).parent.parent
    first.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=first, prefix=".upload-")
    try:
        digest, size, head = _copy(source, os.fdopen(fd, "wb"), limit)
        found = _probe(head, Path(temp))
        media_id = digest.hexdigest()
        row = media_sql.MediaRow(media_id, found.content_type, found.width, found.height, size)
        target = stored_path(foundry.settings, media_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)  # same bytes under the same name: replacing changes nothing
        with foundry.db.write() as conn:
            created = media_sql.add(conn, project_id, row, foundry.now())
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return Uploaded(media_id, found.content_type, found.width, found.height, size, created)


def _probe(head: bytes, path: Path) -> ImageSize:
    """The image's kind and size, or a video's (read with PyAV, when installed)."""
    try:
        return probe(head)
    except NotAnImage as exc:
        if not video.looks_like_video(head):
            raise InvalidInput(f"file: {exc}", field="file") from exc
    try:
        facts = video.facts(path)
    except video.NoVideo as exc:
        raise InvalidInput(f"file: {exc}", field="file") from exc
    return ImageSize(video.content_type(head), facts.width, facts.height)


def _copy(source: BinaryIO, out: BinaryIO, limit: int) -> tuple[hashlib._Hash, int, bytes]:
    digest, size, head = hashlib.sha256(), 0, b""
    with out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"file: larger than the limit of {limit} bytes "
                                      "(DATAFAB_MAX_MEDIA_BYTES)", field="file")
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            digest.update(chunk)
            out.write(chunk)
    if not size:
        raise InvalidInput("file: the file is empty", field="file")
    return digest, size, head
