"""A project's export as an HTTP answer, the same for the API and the dashboard's download
link: the audited export streamed as JSON Lines, or written to a Parquet file that is removed
once sent."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response, StreamingResponse

from datafab.foundry import Foundry
from datafab.services import exports


def export_download(foundry: Foundry, organization: int, project_id: int, format: str, *,
                    actor: str, address: str, file: str, include_open: bool = False,
                    min_confidence: float = 0.0, attachment: bool = False) -> Response:
    """The audited export of ``project_id`` in ``format`` as ``file`` (jsonl or parquet);
    ``attachment`` names a JSON Lines answer as a file to save (a browser download)."""
    def export(path: Path | None = None) -> exports.Exported:
        return exports.audited_export(foundry, organization, project_id, format, actor=actor,
                                      path=path, min_confidence=min_confidence,
                                      include_open=include_open, address=address)

    if file == "parquet":
        folder = tempfile.mkdtemp(prefix="datafab-export-")
        path = Path(folder) / f"project-{project_id}-{format}.parquet"
        try:
            export(path)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(path, media_type="application/vnd.apache.parquet",
                            filename=path.name,
                            background=BackgroundTask(shutil.rmtree, folder, True))
    out = export()
    assert out.lines is not None  # without a path the export streams
    name = f"project-{project_id}-{format}.jsonl"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'} if attachment else None
    return StreamingResponse(out.lines, media_type="application/x-ndjson", headers=headers)
