"""What a person did to a model's proposed tracks, in the words of the object edit counts
(:mod:`datafab.primitives.object_edits`), a keyframe standing for an object. Tracks are
paired one to one by the Hungarian method on their mean per-frame IoU (as annotators' tracks
are matched for consensus; a pair below ``threshold`` is no pair), and keyframes of a pair
by their frame. The person's keyframe is ``model`` where the model's keyframe on that frame
is the same (boxes at IoU ``SAME`` or more, or both out of view), ``model_moved`` where they
changed it (moved, resized, taken out of view or back), ``model_relabelled`` where the track's
class changed and ``person`` on a frame the model's track had no keyframe (or on a track of
their own); a keyframe of the model's the person's answer does not have is deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from datafab.quality import geometry

SAME = 0.98  # an IoU this high is the proposed box left where it was


def _dense(track: Mapping[str, Any], frames: int) -> np.ndarray:
    keys = [(k["frame"], None if k.get("outside") else
             np.array([k["x"], k["y"], k["w"], k["h"]], dtype=np.float64))
            for k in track["keyframes"]]
    return geometry.dense(keys, frames)


def _pairs(proposed: Sequence[Mapping[str, Any]], final: Sequence[Mapping[str, Any]],
           threshold: float) -> dict[int, int]:
    """Each paired final track's index → its proposed track's index."""
    from scipy.optimize import linear_sum_assignment

    if not proposed or not final:
        return {}
    frames = 1 + max(k["frame"] for t in [*proposed, *final] for k in t["keyframes"])
    both = np.stack([_dense(t, frames) for t in [*final, *proposed]])
    iou = geometry.track_ious(both)[: len(final), len(final):]
    rows, cols = linear_sum_assignment(iou, maximize=True)
    return {r: c for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            if iou[r, c] >= threshold}


def _same(proposed: Mapping[str, Any], key: Mapping[str, Any]) -> bool:
    if proposed.get("outside") or key.get("outside"):
        return bool(proposed.get("outside")) == bool(key.get("outside"))
    boxes = np.array([[k["x"], k["y"], k["w"], k["h"]] for k in (key, proposed)],
                     dtype=np.float64)
    return float(geometry.box_iou(boxes[:1], boxes[1:])[0, 0]) >= SAME


def _origins(model: Mapping[str, Any] | None, track: Mapping[str, Any]) -> list[str]:
    frames = {k["frame"]: k for k in model["keyframes"]} if model is not None else {}
    out = []
    for key in track["keyframes"]:
        before = frames.get(key["frame"])
        if before is None or model is None:
            out.append("person")
        elif model["label"] != track["label"]:
            out.append("model_relabelled")
        else:
            out.append("model" if _same(before, key) else "model_moved")
    return out


def keyframe_edits(proposed: Sequence[Mapping[str, Any]], final: Sequence[Mapping[str, Any]],
                   threshold: float = 0.3) -> dict[str, Any]:
    """``origins`` (one per keyframe the person submitted, track by track in their answer's
    order) and the counts ``proposed``, ``kept``, ``moved``, ``relabelled``, ``added``,
    ``deleted`` (of keyframes)."""
    pairs = _pairs(proposed, final, threshold)
    origins = [origin for r, track in enumerate(final)
               for origin in _origins(proposed[pairs[r]] if r in pairs else None, track)]
    keyframes = sum(len(t["keyframes"]) for t in proposed)
    paired = sum(o != "person" for o in origins)
    return {"origins": origins, "proposed": keyframes,
            "kept": origins.count("model"), "moved": origins.count("model_moved"),
            "relabelled": origins.count("model_relabelled"),
            "added": origins.count("person"), "deleted": keyframes - paired}
