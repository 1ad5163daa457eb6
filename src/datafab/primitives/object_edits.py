"""What a person did to a model's proposed objects: which of the objects they submitted the
model proposed (kept as they were, moved or resized, relabelled) and which they added, and
how many proposals they deleted. Objects are paired one to one by the Hungarian method on
IoU (boxes exactly, polygons on a raster); a pair below ``threshold`` is no pair.

Keypoints and tracks are counted the same way, a placed point or a keyframe standing for an
object (:mod:`datafab.primitives.point_edits`, :mod:`datafab.primitives.keyframe_edits`):
:func:`answer_edits` gives every primitive of ``KINDS`` the same fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from datafab.primitives.keyframe_edits import keyframe_edits
from datafab.primitives.point_edits import point_edits
from datafab.quality import geometry

SAME = 0.98  # an IoU this high is the proposal left where it was
#: the primitives whose edits are counted → the answer's field holding what is counted
KINDS = {"boxes": "boxes", "polygons": "polygons", "keypoints": "points", "tracks": "tracks"}
COUNTS = ("proposed", "kept", "moved", "relabelled", "added", "deleted")


def _shapes(kind: str, objects: Sequence[dict[str, Any]]) -> list[list[np.ndarray]]:
    if kind == "boxes":
        return [[np.array([[o["x"], o["y"]], [o["x"] + o["w"], o["y"]],
                           [o["x"] + o["w"], o["y"] + o["h"]], [o["x"], o["y"] + o["h"]]],
                          dtype=np.float64)] for o in objects]
    return [[np.asarray(o["points"], dtype=np.float64)] for o in objects]


def _iou(kind: str, proposed: Sequence[dict[str, Any]],
         final: Sequence[dict[str, Any]]) -> np.ndarray:
    if kind == "boxes":
        def arr(objs: Sequence[dict[str, Any]]) -> np.ndarray:
            return np.array([[o["x"], o["y"], o["w"], o["h"]] for o in objs],
                            dtype=np.float64).reshape(-1, 4)
        return geometry.box_iou(arr(final), arr(proposed))
    both = _shapes(kind, [*final, *proposed])
    return geometry.polygon_ious(both)[: len(final), len(final):]


def object_edits(kind: str, proposed: Sequence[dict[str, Any]],
                 final: Sequence[dict[str, Any]], threshold: float = 0.3) -> dict[str, Any]:
    """``origins`` (one per final object: ``model``, ``model_moved``, ``model_relabelled``
    or ``person``) and the counts ``proposed``, ``kept``, ``moved``, ``relabelled``,
    ``added``, ``deleted``."""
    from scipy.optimize import linear_sum_assignment

    iou = _iou(kind, proposed, final)
    origins = ["person"] * len(final)
    if iou.size:
        rows, cols = linear_sum_assignment(iou, maximize=True)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if iou[r, c] < threshold:
                continue
            if final[r]["label"] != proposed[c]["label"]:
                origins[r] = "model_relabelled"
            elif iou[r, c] < SAME:
                origins[r] = "model_moved"
            else:
                origins[r] = "model"
    paired = sum(o != "person" for o in origins)
    return {"origins": origins, "proposed": len(proposed),
            "kept": origins.count("model"), "moved": origins.count("model_moved"),
            "relabelled": origins.count("model_relabelled"),
            "added": origins.count("person"), "deleted": len(proposed) - paired}


def answer_edits(kind: str, proposal: Any, final: Any) -> dict[str, Any]:
    """The edits of one answer over its proposal (the ``KINDS[kind]`` field of each):
    ``origins`` and the counts, of objects, points or keyframes."""
    if kind == "keypoints":
        return point_edits(proposal, final or {})
    if kind == "tracks":
        return keyframe_edits(proposal, final or [])
    return object_edits(kind, proposal, final or [])


def _proposal(kind: str, draft: Any) -> Any:
    """What the model proposed, from a submission's draft (None when it showed nothing)."""
    if not isinstance(draft, dict) or not isinstance(draft.get("answer"), dict):
        return None
    return draft["answer"].get(KINDS[kind])


def submission_edits(kind: str, submissions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each submission made over a model's proposal, who and what they changed."""
    out = []
    for sub in submissions:
        proposal = _proposal(kind, sub.get("draft"))
        if proposal is None or not isinstance(sub.get("answer"), dict):
            continue
        edits = answer_edits(kind, proposal, sub["answer"].get(KINDS[kind]))
        out.append({"contributor": sub.get("contributor"), **edits})
    return out


def effort_counts(kind: str, rows: Sequence[Any]) -> dict[str, int]:
    """The edit counts summed over submissions (rows with ``draft`` and ``answer``) made
    over a model's proposal: what the model proposed and what people changed."""
    total = dict.fromkeys(COUNTS, 0)
    for row in rows:
        proposal = _proposal(kind, row.draft)
        if proposal is None or not isinstance(row.answer, dict):
            continue
        edits = answer_edits(kind, proposal, row.answer.get(KINDS[kind]))
        for key in COUNTS:
            total[key] += edits[key]
    return total
