"""The outline of a raster mask as a polygon: the boundary of its cells, chained into loops,
the largest loop kept and its staircase simplified (Ramer–Douglas–Peucker)."""

from __future__ import annotations

import numpy as np

# directed cell sides with the cell on their left (x right, y down; row r, column c):
# (dc0, dr0, dc1, dr1) of the side's start and end corners, and the neighbour it faces.
_SIDES = (
    ((0, 1, 1, 1), (1, 0)),   # bottom side, left to right; neighbour below
    ((1, 1, 1, 0), (0, 1)),   # right side, bottom to top; neighbour right
    ((1, 0, 0, 0), (-1, 0)),  # top side, right to left; neighbour above
    ((0, 0, 0, 1), (0, -1)),  # left side, top to bottom; neighbour left
)


def _edges(mask: np.ndarray) -> dict[tuple[int, int], list[tuple[int, int]]]:
    padded = np.pad(mask, 1)
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    rows, cols = np.nonzero(mask)
    for (c0, r0, c1, r1), (dr, dc) in _SIDES:
        open_side = ~padded[rows + 1 + dr, cols + 1 + dc]
        for r, c in zip(rows[open_side].tolist(), cols[open_side].tolist(), strict=True):
            out.setdefault((c + c0, r + r0), []).append((c + c1, r + r1))
    return out


def _loops(edges: dict[tuple[int, int], list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    loops = []
    while edges:
        start = next(iter(edges))
        loop, here, came = [start], start, None
        while True:
            ends = edges[here]
            nxt = ends.pop(_turn(came, here, ends) if len(ends) > 1 else 0)
            if not ends:
                del edges[here]
            came, here = here, nxt
            if here == start:
                break
            loop.append(here)
        loops.append(loop)
    return loops


def _turn(came: tuple[int, int] | None, here: tuple[int, int],
          ends: list[tuple[int, int]]) -> int:
    """At a corner two cells share diagonally, follow the side that keeps each cell's
    outline separate: the sharper turn towards the inside."""
    if came is None:
        return 0
    dx, dy = here[0] - came[0], here[1] - came[1]
    for k, end in enumerate(ends):
        ex, ey = end[0] - here[0], end[1] - here[1]
        if dx * ey - dy * ex < 0:  # a turn towards the cell on the left (y down)
            return k
    return 0


def _area(loop: np.ndarray) -> float:
    x, y = loop[:, 0], loop[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer–Douglas–Peucker on an open chain; keeps both ends."""
    if len(points) < 3:
        return points
    a, b = points[0], points[-1]
    d = b - a
    norm = float(np.hypot(*d))
    rel = points - a
    dist = (np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]) / norm if norm
            else np.hypot(rel[:, 0], rel[:, 1]))
    k = int(np.argmax(dist))
    if dist[k] <= tolerance:
        return np.array([a, b])
    left = _simplify(points[: k + 1], tolerance)
    return np.concatenate([left[:-1], _simplify(points[k:], tolerance)])


def outline(mask: np.ndarray, x0: float, y0: float, step: float,
            tolerance: float = 0.75) -> np.ndarray | None:
    """The outer outline of the largest region of ``mask`` in pixel coordinates (cell
    ``(r, c)`` spans ``x0 + c * step`` … and ``y0 + r * step`` …), simplified to within
    ``tolerance`` cells; ``None`` if the mask is empty or the outline collapses."""
    if not mask.any():
        return None
    loops = [np.array(loop, dtype=np.float64) for loop in _loops(_edges(mask))]
    ring = max(loops, key=lambda p: abs(_area(p)))
    far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
    closed = np.concatenate([ring, ring[:1]])
    half = np.concatenate([_simplify(closed[: far + 1], tolerance)[:-1],
                           _simplify(closed[far:], tolerance)[:-1]])
    if len(half) < 3:
        return None
    return np.column_stack([x0 + half[:, 0] * step, y0 + half[:, 1] * step])
