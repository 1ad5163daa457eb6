"""Tracks: boxes over the frames of a video, given at keyframes and interpolated linearly
between them; matched across annotators and fused frame by frame.

A track is an (F, 4) array of ``(x, y, w, h)`` per frame, NaN where the object is not in
view. Two tracks' IoU is the mean per-frame box IoU over the frames either is in view (0 on
frames only one of them covers), so a track matches another only when they follow the same
object for most of its life.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .fusion import Consensus, _check, _judge
from .matching import match_objects

Keyframe = tuple[int, np.ndarray | None]  # (frame, box) — None: out of view from this frame


def dense(keyframes: Sequence[Keyframe], n_frames: int) -> np.ndarray:
    """The track's box on every frame: linear between consecutive keyframes in view, the
    keyframe's own box on its frame, NaN before the first keyframe, after the last and from
    an out-of-view keyframe to the next."""
    out = np.full((n_frames, 4), np.nan)
    for (f0, b0), (f1, b1) in zip(keyframes, keyframes[1:], strict=False):
        if b0 is None:
            continue
        if b1 is None:
            out[f0] = b0
            continue
        t = (np.arange(f0, f1 + 1) - f0) / max(f1 - f0, 1)
        out[f0:f1 + 1] = (1 - t)[:, None] * np.asarray(b0) + t[:, None] * np.asarray(b1)
    if keyframes and keyframes[-1][1] is not None:
        out[keyframes[-1][0]] = keyframes[-1][1]
    return out


def track_ious(tracks: np.ndarray) -> np.ndarray:
    """(N, N) mean per-frame IoU of N tracks (N, F, 4) over the frames either covers."""
    seen = ~np.isnan(tracks[..., 0])
    t = np.nan_to_num(tracks)
    x1 = np.maximum(t[:, None, :, 0], t[None, :, :, 0])
    y1 = np.maximum(t[:, None, :, 1], t[None, :, :, 1])
    x2 = np.minimum(t[:, None, :, 0] + t[:, None, :, 2], t[None, :, :, 0] + t[None, :, :, 2])
    y2 = np.minimum(t[:, None, :, 1] + t[:, None, :, 3], t[None, :, :, 1] + t[None, :, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = t[..., 2] * t[..., 3]
    union = area[:, None, :] + area[None, :, :] - inter
    both = seen[:, None, :] & seen[None, :, :]
    per_frame = np.where(both & (union > 0), inter / np.where(union > 0, union, 1), 0.0)
    either = (seen[:, None, :] | seen[None, :, :]).sum(axis=2)
    out: np.ndarray = np.divide(per_frame.sum(axis=2), either, out=np.zeros(either.shape),
                                where=either > 0)
    return out


@dataclass(frozen=True)
class FusedTracks:
    consensus: Consensus
    tracks: np.ndarray  # (C, F, 4): each cluster's fused box per frame, NaN out of view


def fuse_tracks(owner: np.ndarray, tracks: np.ndarray, labels: np.ndarray,
                weights: np.ndarray, n_classes: int, *, threshold: float = 0.5,
                keep: float = 0.5, method: str = "weighted_majority_vote") -> FusedTracks:
    """Match tracks (N, F, 4) across annotators ``owner`` and fuse each match frame by
    frame: a frame is in view when the members in view there carry more than ``keep`` of
    the cluster's weight, its box the weighted mean of their corners."""
    owner = np.asarray(owner, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    tracks = np.asarray(tracks, dtype=np.float64).reshape(len(owner), -1, 4)
    w = _check(owner, labels, np.asarray(weights, dtype=np.float64), len(owner), n_classes)
    ious = track_ious(tracks)
    cluster = match_objects(owner, ious, w, threshold)
    c, n_frames = int(cluster.max(initial=-1)) + 1, tracks.shape[1]
    fused = np.full((c, n_frames, 4), np.nan)
    agreement = np.zeros(c)
    for j in range(c):
        members = np.flatnonzero(cluster == j)
        mw = w[owner[members]] + 1e-12
        seen = ~np.isnan(tracks[members, :, 0])
        mass = (seen * mw[:, None]).sum(axis=0)
        shown = mass > keep * mw.sum()
        corners = np.concatenate([tracks[members, :, :2],
                                  tracks[members, :, :2] + tracks[members, :, 2:]], axis=2)
        summed = np.nansum(corners * mw[:, None, None], axis=0)
        mean = summed / np.where(mass > 0, mass, 1.0)[:, None]
        fused[j, shown] = np.column_stack([mean[shown, :2], mean[shown, 2:] - mean[shown, :2]])
        fits = track_ious(np.concatenate([fused[j:j + 1], tracks[members]]))[0, 1:]
        agreement[j] = float(np.dot(fits, mw) / mw.sum())
    return FusedTracks(_judge(owner, cluster, labels, w, agreement, n_classes, keep, method),
                       fused)


def keyframes_of(track: np.ndarray, tolerance: float = 0.5) -> list[Keyframe]:
    """The fewest keyframes whose interpolation gives back ``track`` (F, 4) within
    ``tolerance`` pixels: a keyframe where it comes into view, where it leaves (out of
    view), and where the motion bends."""
    seen = ~np.isnan(track[:, 0])
    out: list[Keyframe] = []
    f, n = 0, len(track)
    while f < n:
        if not seen[f]:
            f += 1
            continue
        end = f
        while end + 1 < n and seen[end + 1]:
            end += 1
        out.extend(_segment(track, f, end, tolerance))
        if end + 1 < n:
            out.append((end + 1, None))
        f = end + 1
    return out


def _segment(track: np.ndarray, start: int, end: int, tolerance: float) -> list[Keyframe]:
    keep = [start, end]
    stack = [(start, end)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        t = (np.arange(a, b + 1) - a) / (b - a)
        line = (1 - t)[:, None] * track[a] + t[:, None] * track[b]
        err = np.abs(track[a:b + 1] - line).max(axis=1)
        k = int(np.argmax(err))
        if err[k] > tolerance:
            keep.append(a + k)
            stack += [(a, a + k), (a + k, b)]
    return [(f, track[f].copy()) for f in sorted(set(keep))]
