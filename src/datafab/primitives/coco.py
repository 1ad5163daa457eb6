"""COCO detection files in and out of the ``boxes``, ``polygons`` and ``keypoints``
primitives (pure; the keypoints fields in :mod:`datafab.primitives.coco_keypoints`).

In: a COCO document (``images``, ``annotations``, ``categories``) becomes one record per
image — the item (``image`` from ``coco_url`` when it is a web address, else ``file_name`` as
a path under the media folder; ``width``, ``height``) and the boxes or polygons its
annotations carry as a prior answer. An annotation that cannot be taken (a box of no size
or outside its image, a segmentation that is no polygon, a crowd region — and, when the
project checks it, a category that is not one of its labels) is left out and named; an
annotation whose ``image_id`` or ``category_id`` names nothing in the file is a dangling id,
named the same way. Each category with ``keypoints`` (point names) follows the images as a
record of its own, ``{"category": {"name", "keypoints", "skeleton"}}``, its skeleton read as
pairs of names and the edges that cannot be read left out and named under ``skipped``.

Out: export rows (one per record) assembled into a document pycocotools loads unchanged.
Category ids are the project's labels in order, from 1; each annotation carries its object's
``score`` (the fused confidence) and the record's lineage under ``datafab``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from datafab.errors import InvalidInput
from datafab.primitives import coco_keypoints
from datafab.primitives.images import media_path
from datafab.primitives.links import is_web_url

#: One image: {"external_id", "data", "objects": {kind: [[name, object], …]},
#: "skipped": {kind: [reason, …]}} for each kind of project (boxes, polygons), or
#: {"refuse": reason} for what cannot be imported at all.
Record = dict[str, Any]
KINDS = ("boxes", "polygons", "keypoints")


def _list(doc: dict[str, Any], key: str, required: bool = True) -> list[Any]:
    value = doc.get(key, None if required else [])
    if not isinstance(value, list):
        raise InvalidInput(f"file: a COCO file has a list of {key}", field=f"file.{key}")
    return value


def coco_records(doc: Any) -> list[Record]:
    """One record per image of ``doc`` (in file order), then one refusal per annotation
    whose image is not in the file."""
    if not isinstance(doc, dict):
        raise InvalidInput("file: a COCO file is a JSON object", field="file")
    images, categories = _list(doc, "images"), _list(doc, "categories")
    annotations = _list(doc, "annotations", required=False)
    names = {c.get("id"): c.get("name") for c in categories if isinstance(c, dict)}
    points = {c.get("id"): c.get("keypoints") for c in categories if isinstance(c, dict)}
    records: list[Record] = []
    by_image: dict[Any, Record] = {}
    for k, image in enumerate(images):
        record = _image(image, k)
        records.append(record)
        if "refuse" not in record:
            if image["id"] in by_image:
                record.clear()
                record["refuse"] = f"image {image['id']}: the id is used by another image"
                continue
            by_image[image["id"]] = record
    for k, ann in enumerate(annotations):
        if not isinstance(ann, dict):
            records.append({"refuse": f"annotations.{k}: expected a JSON object"})
            continue
        name = f"annotation {ann.get('id', f'#{k}')}"
        found = by_image.get(ann.get("image_id"))
        if found is None:
            records.append({"refuse": f"{name}: image_id {ann.get('image_id')!r} is not an "
                                      "image of the file (dangling id)"})
            continue
        for kind in KINDS:  # read as each kind: the project takes one
            try:
                objects = (_objects(ann, names, found["data"], kind) if kind != "keypoints"
                           else _points(ann, names, points, found["data"]))
            except ValueError as exc:
                found["skipped"][kind].append(f"{name}: {exc}")
                continue
            found["objects"][kind].extend([name, obj] for obj in objects)
    records.extend(_category(c) for c in categories
                   if isinstance(c, dict) and _point_names(c.get("keypoints")))
    return records


def _point_names(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(n, str) for n in value)


def _category(category: dict[str, Any]) -> Record:
    """A keypoints category's record: its point names and skeleton (as pairs of names)."""
    names = category["keypoints"]
    edges, problems = coco_keypoints.skeleton_of(category, names)
    return {"category": {"name": category.get("name"), "keypoints": names, "skeleton": edges},
            "skipped": {"keypoints": problems}}


def _image(image: Any, k: int) -> Record:
    if not isinstance(image, dict) or "id" not in image:
        return {"refuse": f"images.{k}: an image needs an id"}
    name = f"image {image['id']}"
    url, file_name = image.get("coco_url"), image.get("file_name")
    if is_web_url(url):
        source = url
    else:
        try:
            source = media_path(file_name) if isinstance(file_name, str) else ""
        except ValueError as exc:
            return {"refuse": f"{name}: file_name {file_name!r} {exc}"}
        if not source:
            return {"refuse": f"{name}: needs a file_name or a coco_url"}
    data: dict[str, Any] = {"image": source}
    for side in ("width", "height"):
        if isinstance(image.get(side), int) and image[side] > 0:
            data[side] = image[side]
    extra = image.get("datafab")
    given = extra.get("external_id") if isinstance(extra, dict) else None
    external_id = given if isinstance(given, str) and given else f"coco-{image['id']}"
    return {"external_id": external_id, "data": data, "objects": {k: [] for k in KINDS},
            "skipped": {k: [] for k in KINDS}}


def _objects(ann: dict[str, Any], names: dict[Any, Any], data: dict[str, Any],
             kind: str) -> list[dict[str, Any]]:
    if ann.get("category_id") not in names:
        raise ValueError(f"category_id {ann.get('category_id')!r} is not a category of the "
                         "file (dangling id)")
    label = names[ann["category_id"]]
    if ann.get("iscrowd"):
        raise ValueError("a crowd region (iscrowd) is not an object")
    if kind == "boxes":
        return [{"label": label, **_box(ann.get("bbox"), data)}]
    segmentation = ann.get("segmentation")
    if not isinstance(segmentation, list) or not segmentation:
        raise ValueError("segmentation: expected a list of polygons (RLE is not a polygon)")
    out = []
    for part in segmentation:
        if (not isinstance(part, list) or len(part) < 6 or len(part) % 2
                or not all(isinstance(v, int | float) for v in part)):
            raise ValueError("segmentation: a polygon is a flat list of at least 3 x, y pairs")
        out.append({"label": label, "points": [[part[i], part[i + 1]]
                                               for i in range(0, len(part), 2)]})
    return out


def _points(ann: dict[str, Any], names: dict[Any, Any], points: dict[Any, Any],
            data: dict[str, Any]) -> list[dict[str, Any]]:
    if ann.get("category_id") not in names:
        raise ValueError(f"category_id {ann.get('category_id')!r} is not a category of the "
                         "file (dangling id)")
    if ann.get("iscrowd"):
        raise ValueError("a crowd region (iscrowd) is not an object")
    return [coco_keypoints.points_of(ann, points[ann["category_id"]], data)]


def _box(bbox: Any, data: dict[str, Any]) -> dict[str, float]:
    if (not isinstance(bbox, list) or len(bbox) != 4
            or not all(isinstance(v, int | float) for v in bbox)):
        raise ValueError("bbox: expected [x, y, width, height]")
    x, y, w, h = bbox
    if w <= 0 or h <= 0:
        raise ValueError(f"bbox: width and height must be positive, got {w} × {h}")
    if x < 0 or y < 0 or x + w > data.get("width", float("inf")) + 0.5 \
            or y + h > data.get("height", float("inf")) + 0.5:
        raise ValueError(f"bbox: {bbox} is outside the image")
    if "width" in data:
        w = min(w, data["width"] - x)
    if "height" in data:
        h = min(h, data["height"] - y)
    return {"x": x, "y": y, "w": w, "h": h}


# --- out -------------------------------------------------------------------------------------

def coco_row(kind: str, item: dict[str, Any], external_id: str, item_id: int,
             objects: Iterable[dict[str, Any]], lineage: dict[str, Any]) -> dict[str, Any]:
    """One record's export row: its image and its objects, each with the lineage."""
    image: dict[str, Any] = {"file_name": item.get("image") or item.get("media"),
                             "datafab": {"external_id": external_id, "item_id": item_id}}
    if is_web_url(item.get("image")):
        image["coco_url"] = item["image"]
        image["file_name"] = item["image"].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if item.get("media"):
        image["datafab"]["media"] = item["media"]
    for side in ("width", "height"):
        if item.get(side):
            image[side] = item[side]
    annotations = []
    for obj in objects:
        if kind == "keypoints":
            annotations.append({"category": obj["label"], **coco_keypoints.keypoints_annotation(
                obj["points"], obj["names"]), "score": obj.get("confidence", 1.0),
                "datafab": lineage})
            continue
        if kind == "boxes":
            bbox = [obj["x"], obj["y"], obj["w"], obj["h"]]
            extra: dict[str, Any] = {}
        else:
            xs = [p[0] for p in obj["points"]]
            ys = [p[1] for p in obj["points"]]
            bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            extra = {"segmentation": [[v for p in obj["points"] for v in p]],
                     "area": _area(obj["points"])}
        annotations.append({"category": obj["label"], "bbox": bbox, "area": bbox[2] * bbox[3],
                            **extra, "score": obj.get("confidence", 1.0),
                            "datafab": lineage})
    return {"image": image, "annotations": annotations}


def _area(points: Sequence[Sequence[float]]) -> float:
    n = len(points)
    twice = sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                for i in range(n))
    return abs(twice) / 2.0


def coco_document(rows: Iterable[dict[str, Any]], labels: Sequence[str],
                  description: str, category: dict[str, Any] | None = None) -> dict[str, Any]:
    """The COCO document of the export rows: images and annotations numbered from 1;
    ``category``: fields every category carries (a keypoints project's names, skeleton)."""
    ids = {label: k + 1 for k, label in enumerate(labels)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, row in enumerate(rows, start=1):
        images.append({"id": image_id, **row["image"]})
        for ann in row["annotations"]:
            fields = {k: v for k, v in ann.items() if k != "category"}
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": ids[ann["category"]], "iscrowd": 0,
                                **fields})
    return {"info": {"description": description, "version": "1.0"}, "licenses": [],
            "images": images, "annotations": annotations,
            "categories": [{"id": i, "name": label, "supercategory": "object",
                            **(category or {})} for label, i in ids.items()]}
