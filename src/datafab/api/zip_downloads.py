"""A YOLO or VOC export as an HTTP answer: the audited export written to the same ``.zip``
the CLI writes, sent as ``application/zip`` and removed once sent."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.services import exports

#: The formats whose export is a zip of files (one label file per image).
ZIP_FORMATS = ("yolo", "voc")


def zip_download(foundry: Foundry, organization: int, project_id: int, format: str, *,
                 actor: str, address: str, include_open: bool = False,
                 min_confidence: float = 0.0) -> FileResponse:
    """The audited ``format`` export of ``project_id`` as a zip file."""
    if format not in ZIP_FORMATS:
        raise InvalidInput(f"file: a zip holds a yolo or voc export, not {format}",
                           field="file")
    folder = tempfile.mkdtemp(prefix="datafab-export-")
    path = Path(folder) / f"project-{project_id}-{format}.zip"
    try:
        exports.audited_export(foundry, organization, project_id, format, actor=actor,
                               path=path, min_confidence=min_confidence,
                               include_open=include_open, address=address)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, True))
