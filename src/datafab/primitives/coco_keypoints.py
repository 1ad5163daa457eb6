"""COCO keypoints in and out of the ``keypoints`` primitive (pure).

COCO gives a category its point names (``keypoints``) and a ``skeleton`` of 1-based index
pairs; an annotation carries ``keypoints`` as ``[x1, y1, v1, x2, y2, v2, …]`` in the
category's order, with ``v`` 0 (not labelled: absent), 1 (labelled, not visible: occluded) or
2 (visible), and ``num_keypoints``, the count of labelled points. A Datafab keypoints item
holds one object's points, so an image gives one prior answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

VISIBILITY = {0: "absent", 1: "occluded", 2: "visible"}
FLAG = {name: v for v, name in VISIBILITY.items()}


def points_of(ann: dict[str, Any], names: Any, data: dict[str, Any]) -> dict[str, Any]:
    """An annotation's points by name; ``ValueError`` naming the field for what is not one."""
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError("its category has no keypoints (a list of point names)")
    flat = ann.get("keypoints")
    if (not isinstance(flat, list) or len(flat) != 3 * len(names)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in flat)):
        raise ValueError(f"keypoints: expected {3 * len(names)} numbers (x, y, v for each of "
                         f"the category's {len(names)} points)")
    points: dict[str, Any] = {}
    for k, name in enumerate(names):
        x, y, v = flat[3 * k: 3 * k + 3]
        if v not in VISIBILITY:
            raise ValueError(f"keypoints.{3 * k + 2}: v is 0, 1 or 2, not {v!r}")
        if v == 0:
            points[name] = {"visibility": "absent"}
            continue
        if x < 0 or y < 0 or x > data.get("width", float("inf")) \
                or y > data.get("height", float("inf")):
            raise ValueError(f"keypoints.{3 * k}: {name} at ({x}, {y}) is outside the image")
        points[name] = {"x": x, "y": y, "visibility": VISIBILITY[v]}
    given = ann.get("num_keypoints")
    labelled = sum(1 for p in points.values() if p["visibility"] != "absent")
    if given is not None and given != labelled:
        raise ValueError(f"num_keypoints: {given!r}, but {labelled} points are labelled")
    return points


def keypoints_annotation(points: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """One object's points as a COCO annotation's ``keypoints``, ``num_keypoints``, ``bbox``
    (around its labelled points) and ``area``."""
    flat: list[float] = []
    placed = []
    for name in names:
        point = points.get(name) or {"visibility": "absent"}
        if point["visibility"] == "absent":
            flat += [0, 0, 0]
            continue
        flat += [point["x"], point["y"], FLAG[point["visibility"]]]
        placed.append((point["x"], point["y"]))
    if placed:
        xs, ys = [p[0] for p in placed], [p[1] for p in placed]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        bbox = [0, 0, 0, 0]
    return {"keypoints": flat, "num_keypoints": len(placed), "bbox": bbox,
            "area": bbox[2] * bbox[3]}


def category_fields(names: Sequence[str], skeleton: Sequence[Sequence[str]]) -> dict[str, Any]:
    """A category's ``keypoints`` and ``skeleton`` (1-based indices into them)."""
    index = {name: k + 1 for k, name in enumerate(names)}
    return {"keypoints": list(names), "skeleton": [[index[a], index[b]] for a, b in skeleton]}
