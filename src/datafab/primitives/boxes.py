"""``boxes``: the contributor draws axis-aligned boxes around the objects of an image, each
with a class from the project's ``labels``.

Answer: ``{"boxes": [{"label": "car", "x": 10, "y": 20, "w": 30, "h": 40}]}`` in pixels,
``x, y`` the top-left corner. Each box must have a positive size and lie inside the image
(when its size is known); an error names the box and field (``answer.boxes.2.w``). An empty
list says "nothing to box".

Aggregation (:mod:`datafab.quality.geometry`): boxes are matched across contributors by the
Hungarian method on IoU (at least ``iou_threshold``), each match fused as the mean of its
corners weighted by the contributors' measured skill, its class voted by ``class_vote``; a
match is kept when its contributors carry more than ``keep`` of the weight. Each kept box
carries its ``confidence`` (presence × class probability × agreement); the record's
confidence is its least certain decision, so an image the contributors disagree on stays
open for another contributor while the policy allows more labels. The record's details count
each contributor's misses, false positives and wrong classes.

Gold: an answer is right when its F1 against the gold boxes (matched at ``gold_iou`` with the
same label) reaches ``gold_f1``.

Exports: ``records`` — the image, the fused boxes, the per-contributor counts and lineage;
``coco`` (one JSON document), ``yolo`` and ``voc`` (a zip of label files), the lineage in
each annotation's extra fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives import coco, object_edits, yolo_voc
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.images import (
    MAX_OBJECTS,
    ImageItem,
    ObjectSettings,
    check_inside,
    check_label,
)
from datafab.quality import geometry


class Box(Schema):
    label: str
    x: float
    y: float
    w: float
    h: float
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class BoxesAnswer(Schema):
    boxes: list[Box] = Field(max_length=MAX_OBJECTS)


def box_array(boxes: Sequence[dict[str, Any]]) -> np.ndarray:
    return np.array([[b["x"], b["y"], b["w"], b["h"]] for b in boxes],
                    dtype=np.float64).reshape(-1, 4)


def check_box(settings: ObjectSettings, item: dict[str, Any], box: Box, field: str) -> None:
    check_label(settings, box.label, f"{field}.label")
    for name in ("w", "h"):
        if getattr(box, name) <= 0:
            raise InvalidInput(f"{field}.{name}: must be positive", field=f"{field}.{name}")
    check_inside(item, box.x, box.y, field)
    check_inside(item, box.x + box.w, box.y + box.h, field, "w", "h")


def gold_score(settings: ObjectSettings, found: Sequence[dict[str, Any]],
               truth: Sequence[dict[str, Any]]) -> float:
    """F1 of the boxes ``found`` against the gold boxes ``truth``."""
    iou = geometry.box_iou(box_array(found), box_array(truth))
    same = np.array([[a["label"] == b["label"] for b in truth] for a in found],
                    dtype=bool).reshape(len(found), len(truth))
    return geometry.f1(geometry.count_matches(iou, same, settings.gold_iou),
                       len(found), len(truth))


def annotator_counts(votes: Sequence[Vote], consensus: geometry.Consensus) -> list[dict[str, Any]]:
    return [{"contributor": v.contributor, "weight": round(v.weight, 6),
             "misses": int(consensus.misses[k]),
             "false_positives": int(consensus.false_positives[k]),
             "wrong_class": int(consensus.wrong_class[k])} for k, v in enumerate(votes)]


class Boxes(Primitive[ObjectSettings, ImageItem, BoxesAnswer]):
    name = "boxes"
    settings_model = ObjectSettings
    item_model = ImageItem
    answer_model = BoxesAnswer
    export_formats = ("records", "coco", "yolo", "voc")
    skill_weighted: ClassVar[bool] = True

    def check_answer(self, settings: ObjectSettings, item: dict[str, Any],
                     answer: BoxesAnswer, prefix: str) -> None:
        for k, box in enumerate(answer.boxes):
            check_box(settings, item, box, f"{prefix}.boxes.{k}")

    def aggregate(self, settings: ObjectSettings, item: dict[str, Any],
                  votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="box_fusion")
        code = {label: i for i, label in enumerate(settings.labels)}
        owner = [k for k, v in enumerate(votes) for _ in v.answer["boxes"]]
        drawn = [b for v in votes for b in v.answer["boxes"]]
        fused = geometry.fuse_boxes(
            np.array(owner, dtype=np.int64), box_array(drawn),
            np.array([code[b["label"]] for b in drawn], dtype=np.int64),
            np.array([v.weight for v in votes]), len(settings.labels),
            threshold=settings.iou_threshold, keep=settings.keep, method=settings.class_vote)
        con = fused.consensus
        kept = sorted(np.flatnonzero(con.kept).tolist(),
                      key=lambda j: (fused.boxes[j][1], fused.boxes[j][0]))
        boxes = [{"label": settings.labels[int(con.label[j])],
                  **_clip(fused.boxes[j], item),
                  "confidence": round(float(con.object_confidence[j]), 6)} for j in kept]
        return Outcome(
            answer={"boxes": boxes}, confidence=round(con.confidence, 6), method="box_fusion",
            details={"annotators": annotator_counts(votes, con),
                     "dropped": [{**_clip(fused.boxes[j], item),
                                  "presence": round(float(con.presence[j]), 6)}
                                 for j in np.flatnonzero(~con.kept).tolist()]},
        )

    def matches_gold(self, settings: ObjectSettings, answer: dict[str, Any],
                     gold: dict[str, Any]) -> bool:
        return gold_score(settings, answer["boxes"], gold["boxes"]) >= settings.gold_f1

    def export_row(self, fmt: str, settings: ObjectSettings,
                   record: RecordView) -> dict[str, Any] | None:
        item, boxes = record.item, (record.answer or {}).get("boxes", [])
        if fmt == "records":
            return {"image": item.get("image"), "media": item.get("media"),
                    "width": item.get("width"), "height": item.get("height"), "boxes": boxes,
                    "annotators": record.details.get("annotators", []),
                    "edits": object_edits.submission_edits("boxes", record.submissions),
                    **record.lineage()}
        if fmt == "coco":
            return coco.coco_row("boxes", item, record.external_id, record.item_id, boxes,
                                 record.lineage())
        name = yolo_voc.stem_of(item, record.external_id)
        if fmt == "yolo":
            if not item.get("width") or not item.get("height"):
                return None  # YOLO boxes are relative to a size the item does not know
            return {"name": name, "text": yolo_voc.yolo_text(
                boxes, settings.labels, item["width"], item["height"])}
        if fmt == "voc":
            file_name = str(item.get("image") or item.get("media")).rsplit("/", 1)[-1]
            return {"name": name, "text": yolo_voc.voc_xml(
                file_name, boxes, item.get("width"), item.get("height"), record.lineage())}
        raise InvalidInput(f"boxes exports records, coco, yolo or voc, not {fmt!r}",
                           field="format")


def _clip(box: np.ndarray, item: dict[str, Any]) -> dict[str, float]:
    x1, y1 = max(float(box[0]), 0.0), max(float(box[1]), 0.0)
    x2, y2 = float(box[0] + box[2]), float(box[1] + box[3])
    if item.get("width"):
        x2 = min(x2, float(item["width"]))
    if item.get("height"):
        y2 = min(y2, float(item["height"]))
    return {"x": round(x1, 2), "y": round(y1, 2), "w": round(x2 - x1, 2),
            "h": round(y2 - y1, 2)}


BOXES = Boxes()
