"""Writing a perception export: COCO as one JSON document (``.json``), YOLO and VOC as a zip
of one label file per image (``.zip``; YOLO with ``classes.txt``)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import coco, coco_keypoints
from datafab.primitives.keypoints import KeypointsSettings
from datafab.services.projects import load_project

SUFFIX = {"coco": ".json", "yolo": ".zip", "voc": ".zip"}


def check_output(fmt: str, path: Path) -> None:
    if fmt not in SUFFIX:
        raise InvalidInput(f"output: {path.name}: .json and .zip files hold coco, yolo or voc "
                           f"exports; a {fmt} export is written to .jsonl or .parquet",
                           field="output")
    if path.suffix.lower() != SUFFIX[fmt]:
        raise InvalidInput(f"output: a {fmt} export is written to a {SUFFIX[fmt]} file",
                           field="output")


def write(fmt: str, path: Path, rows: Iterable[dict[str, Any]], labels: list[str],
          description: str, on_row: Callable[[], None] | None = None,
          category: dict[str, Any] | None = None) -> int:
    """Write the rows of a perception export to ``path``; how many images it holds
    (``category``: COCO fields every category carries, a keypoints project's points)."""
    check_output(fmt, path)
    count = 0

    def counted() -> Iterable[dict[str, Any]]:
        nonlocal count
        for row in rows:
            count += 1
            if on_row is not None:
                on_row()
            yield row

    if fmt == "coco":
        doc = coco.coco_document(counted(), labels, description, category)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return count
    used: set[str] = set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if fmt == "yolo":
            archive.writestr("classes.txt", "".join(f"{label}\n" for label in labels))
        for row in counted():
            name = _unique(row["name"], used)
            folder, suffix = ("labels", ".txt") if fmt == "yolo" else ("Annotations", ".xml")
            archive.writestr(f"{folder}/{name}{suffix}", row["text"])
    return count


def _unique(name: str, used: set[str]) -> str:
    candidate, k = name, 1
    while candidate in used:
        k += 1
        candidate = f"{name}-{k}"
    used.add(candidate)
    return candidate


def write_project_file(foundry: Foundry, organization: int, project_id: int, fmt: str,
                       path: Path, rows: Iterable[dict[str, Any]],
                       on_row: Callable[[], None] | None = None) -> int:
    """``write`` with the project's labels (the categories, YOLO's classes); a keypoints
    project's one category carries its points and skeleton."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
    settings = project.settings
    labels = list(getattr(settings, "labels", []))
    category = None
    if isinstance(settings, KeypointsSettings):
        labels = [settings.category]
        category = coco_keypoints.category_fields(settings.keypoints, settings.skeleton)
    return write(fmt, path, rows, labels,
                 f"Datafab export of project {project.id} ({project.name})", on_row, category)
