"""What a person did to a model's proposed keypoints, in the words of the object edit counts
(:mod:`datafab.primitives.object_edits`), a placed point standing for an object: a point
is paired with the model's point of the same name; the person's placed point is ``model``
where the model placed it there too (within ``SAME_PX``), ``model_moved`` where they dragged
it, ``model_relabelled`` where they changed its visibility (visible, occluded) and ``person``
where the model left it absent; a point the model placed and the person made absent is
deleted."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

SAME_PX = 0.5  # a point within half a pixel of the model's is the model's, left where it was


def _placed(point: Any) -> bool:
    return isinstance(point, Mapping) and point.get("visibility", "visible") != "absent"


def _origin(proposed: Any, point: Mapping[str, Any]) -> str:
    if not _placed(proposed):
        return "person"
    if proposed.get("visibility", "visible") != point.get("visibility", "visible"):
        return "model_relabelled"
    if math.hypot(point["x"] - proposed["x"], point["y"] - proposed["y"]) > SAME_PX:
        return "model_moved"
    return "model"


def point_edits(proposed: Mapping[str, Any], final: Mapping[str, Any]) -> dict[str, Any]:
    """``origins`` (one per point the person placed, in their answer's order) and the counts
    ``proposed``, ``kept``, ``moved``, ``relabelled``, ``added``, ``deleted`` (of points)."""
    origins = [_origin(proposed.get(name), point) for name, point in final.items()
               if _placed(point)]
    placed = sum(1 for point in proposed.values() if _placed(point))
    paired = sum(o != "person" for o in origins)
    return {"origins": origins, "proposed": placed,
            "kept": origins.count("model"), "moved": origins.count("model_moved"),
            "relabelled": origins.count("model_relabelled"),
            "added": origins.count("person"), "deleted": placed - paired}
