"""Shapes of perception work as arrays, and how much two of them overlap.

A box is ``(x, y, w, h)`` in pixels, ``x, y`` its top-left corner; a polygon is an ``(n, 2)``
array of ``(x, y)`` vertices, closed implicitly (the last vertex joins the first). Polygon
overlap is measured on a raster of the pair's common bounding box (even–odd fill, so a hole
given as a further ring subtracts): exact for boxes, within a cell's width for curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Cells per side of the raster two polygons are compared on.
RASTER_CELLS = 64


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of ``a`` (n, 4) with every box of ``b`` (m, 4),
    both ``(x, y, w, h)``: an (n, m) array. Boxes without area overlap nothing."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.minimum(ax2[:, None], bx2[None, :]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(ay2[:, None], by2[None, :]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    out: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def polygon_area(points: np.ndarray) -> float:
    """The area of a simple polygon (shoelace formula); 0 for fewer than 3 vertices."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def bounding_box(rings: Sequence[np.ndarray]) -> np.ndarray:
    """The ``(x, y, w, h)`` box around every vertex of ``rings``."""
    pts = np.concatenate([np.asarray(r, dtype=np.float64) for r in rings])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    out: np.ndarray = ((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
                       - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))
    return out


def _within(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Whether ``c`` lies in the bounding box of segment ``a``–``b`` (for collinear points)."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    out: np.ndarray = np.all((lo <= c) & (c <= hi), axis=-1)
    return out


def self_intersection(points: np.ndarray) -> tuple[int, int] | None:
    """The first pair of edges ``(i, j)`` of a closed polygon that cross or touch (edge ``i``
    runs from vertex ``i`` to ``i + 1``), or ``None`` if the polygon is simple. Neighbouring
    edges share their vertex and are not compared; a repeated vertex makes the edges around
    it touch. Only edges whose bounding boxes meet are tested, all at once."""
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    q = np.roll(p, -1, axis=0)
    lo, hi = np.minimum(p, q), np.maximum(p, q)
    near = np.all((lo[:, None, :] <= hi[None, :, :]) & (lo[None, :, :] <= hi[:, None, :]),
                  axis=-1)  # edges whose bounding boxes meet: the only candidates
    i, j = np.nonzero(np.triu(near, 2))
    keep = ~((i == 0) & (j == n - 1))
    i, j = i[keep], j[keep]
    a, b, c, d = p[i], q[i], p[j], q[j]
    d1, d2 = _orient(c, d, a), _orient(c, d, b)
    d3, d4 = _orient(a, b, c), _orient(a, b, d)
    proper = (np.sign(d1) * np.sign(d2) < 0) & (np.sign(d3) * np.sign(d4) < 0)
    touch = (((d1 == 0) & _within(c, d, a)) | ((d2 == 0) & _within(c, d, b))
             | ((d3 == 0) & _within(a, b, c)) | ((d4 == 0) & _within(a, b, d)))
    hits = np.flatnonzero(proper | touch)
    return (int(i[hits[0]]), int(j[hits[0]])) if len(hits) else None


def raster_grid(box: np.ndarray, cells: int = RASTER_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Centres ``(xs, ys)`` of a ``cells``-wide square-celled raster over ``box``."""
    x, y, w, h = (float(v) for v in box)
    step = max(w, h, 1e-9) / cells
    xs = x + (np.arange(int(np.ceil(w / step)) or 1) + 0.5) * step
    ys = y + (np.arange(int(np.ceil(h / step)) or 1) + 0.5) * step
    return xs, ys


def rasterise(rings: Sequence[np.ndarray], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """A (len(ys), len(xs)) boolean mask of the cells whose centre lies inside ``rings``
    (even–odd rule: the first ring is the outline, further rings are holes)."""
    inside = np.zeros((len(ys), len(xs)), dtype=bool)
    px, py = xs[None, :], ys[:, None]
    for ring in rings:
        r = np.asarray(ring, dtype=np.float64)
        x0, y0 = r[:, 0], r[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
            if ay == by:
                continue
            crosses = (ay > py) != (by > py)
            at = ax + (py - ay) * (bx - ax) / (by - ay)
            inside ^= crosses & (px < at)
    return inside


def polygon_iou(a: Sequence[np.ndarray], b: Sequence[np.ndarray],
                cells: int = RASTER_CELLS) -> float:
    """Intersection over union of two polygons (each a list of rings: outline, then holes),
    measured on a raster of their common bounding box."""
    ba, bb = bounding_box(a), bounding_box(b)
    if box_iou(ba, bb)[0, 0] == 0.0:
        return 0.0
    xs, ys = raster_grid(bounding_box([*a, *b]), cells)
    ma, mb = rasterise(a, xs, ys), rasterise(b, xs, ys)
    union = int(np.count_nonzero(ma | mb))
    return int(np.count_nonzero(ma & mb)) / union if union else 0.0


def polygon_ious(polygons: Sequence[Sequence[np.ndarray]],
                 cells: int = RASTER_CELLS) -> np.ndarray:
    """The symmetric (n, n) IoU matrix of ``polygons``; pairs whose bounding boxes do not
    touch are not rasterised."""
    n = len(polygons)
    boxes = np.array([bounding_box(p) for p in polygons]).reshape(-1, 4)
    near = box_iou(boxes, boxes) > 0
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            if near[i, j]:
                out[i, j] = out[j, i] = polygon_iou(polygons[i], polygons[j], cells)
    return out
