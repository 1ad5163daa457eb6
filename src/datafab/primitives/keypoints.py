"""``keypoints``: the contributor places the project's named points on the object an image
shows (a person's joints, a car's corners), each visible, occluded (placed where it must be)
or absent (not in the image); the settings name the points and the skeleton joining them.

Answer: ``{"points": {"nose": {"x": 40, "y": 12, "visibility": "visible"},
"left_eye": {"visibility": "absent"}, …}}`` — every named point, once; a placed point lies
inside the image (when its size is known). An error names the point
(``answer.points.nose.x``).

Aggregation, per point, weighted by the contributors' measured skill: it is placed when
those who placed it carry more than half the weight; its position is the weighted mean of
the placements within ``tolerance`` (a share of the image's diagonal, or pixels when the size
is unknown) of their weighted median — a stray click does not drag it —; it is occluded when
most of that weight said so. A point's confidence is the share of the weight that agrees
with the decision (and, placed, lies within tolerance); the record's is the least of them.

Gold: right when every point's placed/absent decision matches and each placed point lies
within ``gold_pixels`` of the gold point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from datafab.errors import InvalidInput
from datafab.primitives import coco, coco_keypoints, object_edits
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.images import ImageItem, check_inside

Visibility = Literal["visible", "occluded", "absent"]
DEFAULT_PIXELS = 10.0  # the tolerance when an image's size is not known
DEFAULT_CATEGORY = "object"  # a project that names no category (an import may name it)


class KeypointsSettings(Schema):
    keypoints: list[str] = Field(min_length=1, max_length=200)
    skeleton: list[tuple[str, str]] = Field(default_factory=list, max_length=1000)
    tolerance: float = Field(0.02, gt=0.0, le=1.0, description=(
        "How close two placements of a point must be to agree, as a share of the image's "
        "diagonal."))
    gold_pixels: float = Field(10.0, gt=0.0, description=(
        "How far (pixels) a placed point may lie from the gold point and still be right."))
    category: str = Field(DEFAULT_CATEGORY, min_length=1,
                          max_length=coco_keypoints.CATEGORY_LENGTH, description=(
        "The object's class in COCO exports (the one category, carrying the keypoints)."))

    @field_validator("keypoints")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        if any(not n.strip() for n in names) or len(set(names)) != len(names):
            raise ValueError("keypoints must be distinct non-empty names")
        return names

    @model_validator(mode="after")
    def _joined(self) -> KeypointsSettings:
        for k, (a, b) in enumerate(self.skeleton):
            if a not in self.keypoints or b not in self.keypoints or a == b:
                raise ValueError(f"skeleton.{k}: joins two different named keypoints")
        return self


class Point(Schema):
    x: float | None = None
    y: float | None = None
    visibility: Visibility = "visible"


class KeypointsAnswer(Schema):
    points: dict[str, Point]


def tolerance_px(settings: KeypointsSettings, item: dict[str, Any]) -> float:
    if item.get("width") and item.get("height"):
        return settings.tolerance * float(np.hypot(item["width"], item["height"]))
    return DEFAULT_PIXELS


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


class Keypoints(Primitive[KeypointsSettings, ImageItem, KeypointsAnswer]):
    name = "keypoints"
    settings_model = KeypointsSettings
    item_model = ImageItem
    answer_model = KeypointsAnswer
    export_formats = ("records", "coco")
    skill_weighted: ClassVar[bool] = True

    def check_answer(self, settings: KeypointsSettings, item: dict[str, Any],
                     answer: KeypointsAnswer, prefix: str) -> None:
        for name, point in answer.points.items():
            field = f"{prefix}.points.{name}"
            if name not in settings.keypoints:
                raise InvalidInput(f"{field}: {name!r} is not one of the project's keypoints "
                                   f"{settings.keypoints}", field=field)
            placed = point.visibility != "absent"
            for axis in ("x", "y"):
                if (getattr(point, axis) is None) == placed:
                    need = "needs" if placed else "takes no"
                    raise InvalidInput(f"{field}.{axis}: a {point.visibility} point {need} "
                                       f"{axis}", field=f"{field}.{axis}")
            if placed:
                check_inside(item, float(point.x or 0), float(point.y or 0), field)
        missing = [n for n in settings.keypoints if n not in answer.points]
        if missing:
            field = f"{prefix}.points.{missing[0]}"
            raise InvalidInput(f"{field}: every keypoint needs an answer (absent if it is not "
                               "in the image)", field=field)

    def aggregate(self, settings: KeypointsSettings, item: dict[str, Any],
                  votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="keypoint_vote")
        tol = tolerance_px(settings, item)
        weights = np.array([max(v.weight, 1e-12) for v in votes])
        total = weights.sum()
        points: dict[str, Any] = {}
        confidence = 1.0
        for name in settings.keypoints:
            fused, sure = _fuse_point([v.answer["points"][name] for v in votes], weights,
                                      total, tol)
            points[name] = fused
            confidence = min(confidence, sure)
        return Outcome(answer={"points": points}, confidence=round(confidence, 6),
                       method="keypoint_vote")

    def matches_gold(self, settings: KeypointsSettings, answer: dict[str, Any],
                     gold: dict[str, Any]) -> bool:
        for name, truth in gold["points"].items():
            mine = answer["points"].get(name, {"visibility": "absent"})
            if (mine["visibility"] == "absent") != (truth["visibility"] == "absent"):
                return False
            if truth["visibility"] != "absent" and np.hypot(
                    mine["x"] - truth["x"], mine["y"] - truth["y"]) > settings.gold_pixels:
                return False
        return True

    def export_row(self, fmt: str, settings: KeypointsSettings,
                   record: RecordView) -> dict[str, Any] | None:
        item = record.item
        if fmt == "coco":
            found = {"label": settings.category, "names": settings.keypoints,
                     "points": (record.answer or {}).get("points", {}),
                     "confidence": record.confidence}
            return coco.coco_row("keypoints", item, record.external_id, record.item_id,
                                 [found], record.lineage())
        if fmt != "records":
            raise InvalidInput(f"keypoints exports 'records' or 'coco', not {fmt!r}",
                               field="format")
        return {"image": item.get("image"), "media": item.get("media"),
                "width": item.get("width"), "height": item.get("height"),
                "points": (record.answer or {}).get("points", {}),
                "skeleton": [list(pair) for pair in settings.skeleton],
                "edits": object_edits.submission_edits("keypoints", record.submissions),
                **record.lineage()}


def _fuse_point(answers: list[dict[str, Any]], weights: np.ndarray, total: float,
                tol: float) -> tuple[dict[str, Any], float]:
    placed = np.array([a["visibility"] != "absent" for a in answers])
    share = float(weights[placed].sum() / total)
    if share <= 0.5:
        return {"visibility": "absent"}, 1.0 - share
    w = weights[placed]
    xy = np.array([[a["x"], a["y"]] for a, p in zip(answers, placed, strict=True) if p])
    centre = np.array([_weighted_median(xy[:, 0], w), _weighted_median(xy[:, 1], w)])
    near = np.hypot(*(xy - centre).T) <= tol
    x, y = np.average(xy[near], axis=0, weights=w[near])
    occluded = [a["visibility"] == "occluded" for a, p in zip(answers, placed, strict=True) if p]
    occluded_share = float(w[np.array(occluded)].sum() / w.sum())
    agree = float(w[near].sum() / total)
    return ({"x": round(float(x), 2), "y": round(float(y), 2),
             "visibility": "occluded" if occluded_share > 0.5 else "visible"}, agree)


KEYPOINTS = Keypoints()
