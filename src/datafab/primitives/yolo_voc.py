"""YOLO and Pascal VOC box files in and out of the ``boxes`` primitive (pure: text in, text
out; the zip around them is read and written by the services).

YOLO: one ``<stem>.txt`` per image, a line ``class cx cy w h`` per box (class the label's
index in ``classes.txt``, the rest relative to the image's size, 0 … 1). VOC: one XML file
per image (``<annotation>`` with ``filename``, ``size`` and ``object``s of ``name`` and
``bndbox`` ``xmin ymin xmax ymax`` in pixels). A line or object that cannot be taken is left
out and named (file and line, or file and object number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

_STEM = re.compile(r"[^A-Za-z0-9._-]+")


def stem_of(item: dict[str, Any], external_id: str) -> str:
    """The file stem an exported image's files share: its file's stem, else its id."""
    image = item.get("image")
    if isinstance(image, str) and "://" not in image:
        base = image.rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0] if "." in base else base
    return _STEM.sub("_", external_id).strip("._") or "item"


# --- YOLO ------------------------------------------------------------------------------------

def yolo_text(boxes: Sequence[dict[str, Any]], labels: Sequence[str], width: int,
              height: int) -> str:
    code = {label: k for k, label in enumerate(labels)}
    lines = [f"{code[b['label']]} {(b['x'] + b['w'] / 2) / width:.6f} "
             f"{(b['y'] + b['h'] / 2) / height:.6f} {b['w'] / width:.6f} {b['h'] / height:.6f}"
             for b in boxes]
    return "".join(line + "\n" for line in lines)


def yolo_boxes(text: str, name: str, classes: Sequence[str], labels: Sequence[str],
               width: int, height: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The boxes of a YOLO label file, and the lines left out (named)."""
    boxes, skipped = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name} line {n}"
        parts = line.split()
        try:
            if len(parts) != 5:
                raise ValueError(f"expected 'class cx cy w h', got {len(parts)} fields")
            cls = int(parts[0])
            cx, cy, w, h = (float(p) for p in parts[1:])
        except ValueError as exc:
            skipped.append(f"{where}: {exc}")
            continue
        if not 0 <= cls < len(classes):
            skipped.append(f"{where}: class {cls} is not in classes.txt (dangling id)")
            continue
        if classes[cls] not in labels:
            skipped.append(f"{where}: class {classes[cls]!r} is not a label of the project")
            continue
        x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        if w <= 0 or h <= 0 or x1 < -1e-6 or y1 < -1e-6 or x2 > 1 + 1e-6 or y2 > 1 + 1e-6:
            skipped.append(f"{where}: the box is outside the image or has no size")
            continue
        px1, py1 = max(x1, 0.0) * width, max(y1, 0.0) * height
        boxes.append({"label": classes[cls], "x": round(px1, 2), "y": round(py1, 2),
                      "w": round(min(x2, 1.0) * width - px1, 2),
                      "h": round(min(y2, 1.0) * height - py1, 2)})
    return boxes, skipped


# --- Pascal VOC ------------------------------------------------------------------------------

def voc_xml(file_name: str, boxes: Sequence[dict[str, Any]], width: int | None,
            height: int | None, lineage: dict[str, Any]) -> str:
    root = ElementTree.Element("annotation")
    ElementTree.SubElement(root, "filename").text = file_name
    size = ElementTree.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        ElementTree.SubElement(size, tag).text = str(value or 0)
    for box in boxes:
        obj = ElementTree.SubElement(root, "object")
        ElementTree.SubElement(obj, "name").text = box["label"]
        ElementTree.SubElement(obj, "difficult").text = "0"
        ElementTree.SubElement(obj, "confidence").text = str(box.get("confidence", 1.0))
        bnd = ElementTree.SubElement(obj, "bndbox")
        for tag, value in (("xmin", box["x"]), ("ymin", box["y"]),
                           ("xmax", box["x"] + box["w"]), ("ymax", box["y"] + box["h"])):
            ElementTree.SubElement(bnd, tag).text = f"{value:g}"
    extra = ElementTree.SubElement(root, "datafab")
    for key, value in lineage.items():
        ElementTree.SubElement(extra, key).text = str(value)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def voc_record(text: str, name: str, labels: Sequence[str] | None = None
               ) -> tuple[str, int | None, int | None, list[dict[str, Any]], list[str]]:
    """(file name, width, height, boxes, objects left out) of a VOC file; ``ValueError`` for
    a file that is not a VOC annotation at all."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError(f"{name}: document type declarations are not read")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"{name}: not XML ({exc})") from exc
    if root.tag != "annotation":
        raise ValueError(f"{name}: not a VOC <annotation>")
    file_name = (root.findtext("filename") or "").strip()
    if not file_name:
        raise ValueError(f"{name}: no <filename>")
    width = _int(root.findtext("size/width"))
    height = _int(root.findtext("size/height"))
    boxes, skipped = [], []
    for k, obj in enumerate(root.findall("object"), start=1):
        where = f"{name} object {k}"
        label = (obj.findtext("name") or "").strip()
        if not label or (labels is not None and label not in labels):
            skipped.append(f"{where}: {label!r} is not a label of the project")
            continue
        try:
            x1, y1, x2, y2 = (float(obj.findtext(f"bndbox/{t}") or "")
                              for t in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError:
            skipped.append(f"{where}: bndbox needs numbers xmin, ymin, xmax, ymax")
            continue
        if x2 <= x1 or y2 <= y1 or x1 < 0 or y1 < 0 or (width and x2 > width) \
                or (height and y2 > height):
            skipped.append(f"{where}: the box is outside the image or has no size")
            continue
        boxes.append({"label": label, "x": x1, "y": y1, "w": x2 - x1, "h": y2 - y1})
    return file_name, width, height, boxes, skipped


def _int(text: str | None) -> int | None:
    try:
        value = int(float(text or ""))
    except ValueError:
        return None
    return value if value > 0 else None
