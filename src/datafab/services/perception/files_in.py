"""Reading a perception file into records (see ``primitives.coco``): a COCO JSON file, or a
zip of YOLO label files (with ``classes.txt``) or of VOC XML files. YOLO boxes are relative
to their image's size, read from the image of the same stem in the zip. An item's image is
the image's path as the zip names it (``images/0001.jpg``; for VOC ``JPEGImages/`` and the
file's ``filename``), shown from the media folder: unpack the images there."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO, Any

from datafab import json_limits
from datafab.errors import InvalidInput
from datafab.primitives import coco, yolo_voc
from datafab.services.media.probe import NotAnImage, probe

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
MAX_MEMBER = 64 * 1024 * 1024


def file_records(fmt: str, path: Path) -> list[dict[str, Any]]:
    """The records of a perception file, in file order."""
    if fmt == "coco":
        return _coco(path.read_bytes())
    return _archive_records(fmt, path)


def body_records(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The records of a perception file sent as a request's body."""
    if fmt == "coco":
        return _coco(body)
    return _archive_records(fmt, io.BytesIO(body))


def _coco(raw: bytes) -> list[dict[str, Any]]:
    try:
        doc = json_limits.loads(raw.decode("utf-8"), field="file")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file: a COCO file is UTF-8 JSON", field="file") from exc
    return coco.coco_records(doc)


def _archive_records(fmt: str, source: Path | IO[bytes]) -> list[dict[str, Any]]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"file: {fmt} files come in a .zip ({exc})", field="file") from exc
    with archive:
        members = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        if fmt == "yolo":
            return _yolo(archive, members)
        return _voc(archive, members)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MEMBER:
        raise InvalidInput(f"file: {info.filename} is too large", field="file")
    return archive.read(info)


def _text(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    try:
        return _read(archive, info).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _yolo(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> list[dict[str, Any]]:
    names = [n for n in members if n.rsplit("/", 1)[-1] in ("classes.txt", "obj.names")]
    if not names:
        raise InvalidInput("file: a YOLO zip needs classes.txt", field="file")
    classes = [c.strip() for c in (_text(archive, members[names[0]]) or "").splitlines()
               if c.strip()]
    images = {n.rsplit(".", 1)[0].rsplit("/", 1)[-1]: n for n in members
              if n.lower().endswith(IMAGE_SUFFIXES)}
    records: list[dict[str, Any]] = []
    for name in sorted(n for n in members if n.endswith(".txt") and n not in names):
        stem = name.rsplit("/", 1)[-1][:-4]
        image = images.get(stem)
        if image is None:
            records.append({"refuse": f"{name}: no image {stem}.* beside it in the zip"})
            continue
        size = _size(archive, members[image])
        text = _text(archive, members[name])
        if size is None or text is None:
            records.append({"refuse": f"{name}: its image {image} or the file is unreadable"})
            continue
        boxes, skipped = yolo_voc.yolo_boxes(text, name, classes, classes, *size)
        records.append({"external_id": stem, "data": {"image": image, "width": size[0],
                                                      "height": size[1]},
                        "objects": {"boxes": [[f"{name} box {k + 1}", b]
                                              for k, b in enumerate(boxes)]},
                        "skipped": {"boxes": skipped}})
    return records


def _size(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int] | None:
    with archive.open(info) as f:
        head = f.read(1 << 16)
    try:
        found = probe(head)
    except NotAnImage:
        return None
    return found.width, found.height


def _voc(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for name in sorted(n for n in members if n.lower().endswith(".xml")):
        text = _text(archive, members[name])
        try:
            if text is None:
                raise ValueError(f"{name}: not UTF-8")
            file_name, width, height, boxes, skipped = yolo_voc.voc_record(text, name, None)
        except ValueError as exc:
            records.append({"refuse": str(exc)})
            continue
        data: dict[str, Any] = {"image": _image_path(name, file_name)}
        if width and height:
            data.update(width=width, height=height)
        records.append({"external_id": file_name.rsplit(".", 1)[0], "data": data,
                        "objects": {"boxes": [[f"{name} object {k + 1}", b]
                                              for k, b in enumerate(boxes)]},
                        "skipped": {"boxes": skipped}})
    return records


def _image_path(xml_name: str, file_name: str) -> str:
    folder = xml_name.rsplit("/", 2)[0] + "/" if xml_name.count("/") >= 2 else ""
    return f"{folder}JPEGImages/{file_name}"
