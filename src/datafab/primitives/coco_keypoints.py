"""COCO keypoints in and out of the ``keypoints`` primitive (pure).

COCO gives a category its point names (``keypoints``) and a ``skeleton`` of 1-based index
pairs; an annotation carries ``keypoints`` as ``[x1, y1, v1, x2, y2, v2, …]`` in the
category's order, with ``v`` 0 (not labelled: absent), 1 (labelled, not visible: occluded) or
2 (visible), and ``num_keypoints``, the count of labelled points. A Datafab keypoints item
holds one object's points, so an image gives one prior answer.

A category's skeleton is read as pairs of point names (:func:`skeleton_of`) and joined to
the project's (:func:`joined_skeleton`); an edge that cannot be read or joined is left out
and named. A project with no items yet also takes the category's order of the same point
names (:func:`file_order`) and, when it has not named its own, the category's name
(:func:`file_category`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

VISIBILITY = {0: "absent", 1: "occluded", 2: "visible"}
FLAG = {name: v for v, name in VISIBILITY.items()}
CATEGORY_LENGTH = 200  # the longest name a keypoints project's ``category`` takes


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


def skeleton_of(category: dict[str, Any], names: Sequence[str]) -> tuple[
        list[dict[str, Any]], list[str]]:
    """A category's ``skeleton`` as edges ``{"pair": [name, name], "at": where}`` and the
    reasons for the edges left out (an index out of range, not a pair of indices)."""
    where = f"category {category.get('id')!r} ({category.get('name')})"
    skeleton = category.get("skeleton", [])
    if not isinstance(skeleton, list):
        return [], [f"{where}: skeleton: expected a list of [i, j] pairs (1-based indices "
                    "into its keypoints); the skeleton is not read"]
    edges, problems = [], []
    for k, edge in enumerate(skeleton):
        at = f"{where}: skeleton.{k} {edge!r}"
        if (not isinstance(edge, list) or len(edge) != 2
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in edge)):
            problems.append(f"{at}: an edge is a pair of 1-based keypoint indices")
            continue
        wrong = [i for i in edge if not 1 <= i <= len(names)]
        if wrong:
            problems.append(f"{at}: keypoint index {wrong[0]} is out of range (the category "
                            f"has {len(names)} keypoints, numbered from 1)")
            continue
        edges.append({"pair": [names[edge[0] - 1], names[edge[1] - 1]], "at": at})
    return edges, problems


def joined_skeleton(names: Sequence[str], skeleton: Sequence[Sequence[str]],
                    edges: Sequence[dict[str, Any]]) -> tuple[list[list[str]], list[str]]:
    """The project's ``skeleton`` with the file's ``edges`` it does not have yet (either way
    round), after its own; and the reasons for the edges left out (a point the project does
    not have, a point joined to itself)."""
    joined = [list(pair) for pair in skeleton]
    seen = {frozenset(pair) for pair in joined}
    problems = []
    for edge in edges:
        a, b = edge["pair"]
        missing = [n for n in (a, b) if n not in names]
        if missing:
            problems.append(f"{edge['at']}: {missing[0]!r} is not one of the project's "
                            "keypoints")
        elif a == b:
            problems.append(f"{edge['at']}: joins {a!r} to itself")
        elif frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            joined.append([a, b])
    return joined, problems


def file_order(names: Sequence[str], categories: Sequence[Sequence[str]]) -> list[str]:
    """The project's point ``names`` in the order of the first category naming the same
    points (the project's own order when none does)."""
    for given in categories:
        if len(given) == len(names) and set(given) == set(names):
            return list(given)
    return list(names)


def file_category(names: Sequence[str], categories: Sequence[dict[str, Any]]) -> str | None:
    """The name of the first category naming the same points as the project's ``names``
    (``None`` when none does, or its name is no text of 1 to 200 characters)."""
    for category in categories:
        given = category.get("keypoints") or []
        if len(given) == len(names) and set(given) == set(names):
            name = category.get("name")
            if isinstance(name, str) and name.strip() and len(name) <= CATEGORY_LENGTH:
                return name
            return None
    return None


def category_fields(names: Sequence[str], skeleton: Sequence[Sequence[str]]) -> dict[str, Any]:
    """A category's ``keypoints`` and ``skeleton`` (1-based indices into them)."""
    index = {name: k + 1 for k, name in enumerate(names)}
    return {"keypoints": list(names), "skeleton": [[index[a], index[b]] for a, b in skeleton]}
