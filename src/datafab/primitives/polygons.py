"""``polygons``: the contributor outlines the objects of an image as closed polygons, each
with a class from the project's ``labels`` and, optionally, holes.

Answer: ``{"polygons": [{"label": "road", "points": [[x, y], …], "holes": [[[x, y], …]]}]}``
in pixels. A ring (the outline or a hole) has at least 3 points, all inside the image (when
its size is known), and does not cross or touch itself; an error names the polygon, ring and
point (``answer.polygons.1.points.4``).

Aggregation (:mod:`datafab.quality.geometry`): polygons are matched across contributors by
the Hungarian method on IoU (measured on a raster), each match fused by a vote of its members'
rasterised masks weighted by the contributors' measured skill (a cell is kept where more than
half the weight covers it) and its outline traced; classes voted by ``class_vote``. The fused
outline has no holes. Confidences, per-contributor counts and gold as for ``boxes``.

Exports: ``records`` — the image, the fused polygons, the per-contributor counts and lineage;
``coco`` — one JSON document, each annotation's segmentation the fused outline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives import coco, object_edits
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.boxes import annotator_counts
from datafab.primitives.images import (
    MAX_OBJECTS,
    ImageItem,
    ObjectSettings,
    check_inside,
    check_label,
)
from datafab.quality import geometry

MAX_POINTS = 1_000
Point = tuple[float, float]


class Polygon(Schema):
    label: str
    points: list[Point] = Field(max_length=MAX_POINTS)
    holes: list[list[Point]] | None = Field(default=None, max_length=100)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class PolygonsAnswer(Schema):
    polygons: list[Polygon] = Field(max_length=MAX_OBJECTS)


def rings(polygon: dict[str, Any]) -> list[np.ndarray]:
    return [np.asarray(r, dtype=np.float64).reshape(-1, 2)
            for r in [polygon["points"], *(polygon.get("holes") or [])]]


def check_ring(item: dict[str, Any], ring: list[Point], field: str) -> None:
    if len(ring) < 3:
        raise InvalidInput(f"{field}: a polygon needs at least 3 points, got {len(ring)}",
                           field=field)
    for k, (x, y) in enumerate(ring):
        check_inside(item, x, y, f"{field}.{k}", "0", "1")
    crossing = geometry.self_intersection(np.asarray(ring, dtype=np.float64))
    if crossing is not None:
        i, j = crossing
        raise InvalidInput(f"{field}: the polygon intersects itself (edge {i} meets edge {j})",
                           field=field)
    if geometry.polygon_area(np.asarray(ring)) == 0.0:
        raise InvalidInput(f"{field}: the polygon has no area", field=field)


def gold_score(settings: ObjectSettings, found: Sequence[dict[str, Any]],
               truth: Sequence[dict[str, Any]]) -> float:
    """F1 of the polygons ``found`` against the gold polygons ``truth``."""
    shapes = [rings(p) for p in [*found, *truth]]
    iou = geometry.polygon_ious(shapes)[: len(found), len(found):]
    same = np.array([[a["label"] == b["label"] for b in truth] for a in found],
                    dtype=bool).reshape(len(found), len(truth))
    return geometry.f1(geometry.count_matches(iou, same, settings.gold_iou),
                       len(found), len(truth))


class Polygons(Primitive[ObjectSettings, ImageItem, PolygonsAnswer]):
    name = "polygons"
    settings_model = ObjectSettings
    item_model = ImageItem
    answer_model = PolygonsAnswer
    export_formats = ("records", "coco")
    skill_weighted: ClassVar[bool] = True

    def check_answer(self, settings: ObjectSettings, item: dict[str, Any],
                     answer: PolygonsAnswer, prefix: str) -> None:
        for k, polygon in enumerate(answer.polygons):
            field = f"{prefix}.polygons.{k}"
            check_label(settings, polygon.label, f"{field}.label")
            check_ring(item, polygon.points, f"{field}.points")
            for h, hole in enumerate(polygon.holes or []):
                check_ring(item, hole, f"{field}.holes.{h}")

    def aggregate(self, settings: ObjectSettings, item: dict[str, Any],
                  votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="polygon_vote")
        code = {label: i for i, label in enumerate(settings.labels)}
        owner = [k for k, v in enumerate(votes) for _ in v.answer["polygons"]]
        drawn = [p for v in votes for p in v.answer["polygons"]]
        fused = geometry.fuse_polygons(
            np.array(owner, dtype=np.int64), [rings(p) for p in drawn],
            np.array([code[p["label"]] for p in drawn], dtype=np.int64),
            np.array([v.weight for v in votes]), len(settings.labels),
            threshold=settings.iou_threshold, keep=settings.keep, method=settings.class_vote)
        con = fused.consensus
        polygons = []
        for j in np.flatnonzero(con.kept).tolist():
            shape = fused.polygons[j]
            if shape is None:
                continue
            polygons.append({"label": settings.labels[int(con.label[j])],
                             "points": [[round(float(x), 2), round(float(y), 2)]
                                        for x, y in shape],
                             "confidence": round(float(con.object_confidence[j]), 6)})
        return Outcome(
            answer={"polygons": polygons}, confidence=round(con.confidence, 6),
            method="polygon_vote",
            details={"annotators": annotator_counts(votes, con),
                     "dropped": [round(float(con.presence[j]), 6)
                                 for j in np.flatnonzero(~con.kept).tolist()]},
        )

    def matches_gold(self, settings: ObjectSettings, answer: dict[str, Any],
                     gold: dict[str, Any]) -> bool:
        return gold_score(settings, answer["polygons"], gold["polygons"]) >= settings.gold_f1

    def export_row(self, fmt: str, settings: ObjectSettings,
                   record: RecordView) -> dict[str, Any] | None:
        item, polygons = record.item, (record.answer or {}).get("polygons", [])
        if fmt == "records":
            return {"image": item.get("image"), "media": item.get("media"),
                    "width": item.get("width"), "height": item.get("height"),
                    "polygons": polygons,
                    "annotators": record.details.get("annotators", []),
                    "edits": object_edits.submission_edits("polygons", record.submissions),
                    **record.lineage()}
        if fmt == "coco":
            return coco.coco_row("polygons", item, record.external_id, record.item_id,
                                 polygons, record.lineage())
        raise InvalidInput(f"polygons exports records or coco, not {fmt!r}", field="format")


POLYGONS = Polygons()
