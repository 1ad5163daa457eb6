"""``tracks``: the contributor follows the objects of a video with boxes, each track an id,
a class and keyframes; between two keyframes the box moves linearly.

Item: the video as a sequence of frames (``frames``: URLs or paths under the media folder)
or as one file (``video``) with its ``frame_count`` and ``fps``; ``width`` and ``height`` in
pixels. Answer::

    {"tracks": [{"id": "1", "label": "car", "keyframes": [
        {"frame": 0, "x": 10, "y": 20, "w": 30, "h": 40},
        {"frame": 12, "x": 60, "y": 22, "w": 30, "h": 40},
        {"frame": 20, "outside": true}]}]}

A track is in view from its first keyframe to its last in-view one; a keyframe marked
``outside`` takes it out of view until the next keyframe. Frames increase strictly and lie
in the video; boxes have a size and lie in the image; track ids are distinct. An error names
the track and keyframe (``answer.tracks.1.keyframes.2.frame``).

Aggregation (:mod:`datafab.quality.geometry.tracks`): tracks are matched across contributors
by the Hungarian method on their mean per-frame IoU; each match is fused frame by frame
(weighted by skill: a frame is in view where the members in view carry more than ``keep`` of
its weight, its box the weighted mean of their corners) and given back as the fewest
keyframes that reproduce it within half a pixel. Classes, confidences, per-contributor
counts and gold (F1 over tracks matched at ``gold_iou``) as for ``boxes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from datafab.errors import InvalidInput
from datafab.primitives import object_edits
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.boxes import annotator_counts
from datafab.primitives.images import (
    MAX_OBJECTS,
    MAX_SIDE,
    ObjectSettings,
    check_inside,
    check_label,
    media_path,
)
from datafab.quality import geometry

MAX_FRAMES = 100_000


class TracksItem(Schema):
    frames: list[str] | None = Field(default=None, min_length=1, max_length=MAX_FRAMES)
    video: str | None = Field(default=None, max_length=4096)
    frame_count: int | None = Field(default=None, ge=1, le=MAX_FRAMES)
    fps: float | None = Field(default=None, gt=0, le=1000)
    width: int | None = Field(default=None, ge=1, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=1, le=MAX_SIDE)
    meta: dict[str, Any] | None = None

    @field_validator("frames")
    @classmethod
    def _frames(cls, frames: list[str] | None) -> list[str] | None:
        return None if frames is None else [media_path(f) for f in frames]

    @field_validator("video")
    @classmethod
    def _video(cls, video: str | None) -> str | None:
        return None if video is None else media_path(video)

    @model_validator(mode="after")
    def _one_source(self) -> TracksItem:
        if (self.frames is None) == (self.video is None):
            raise ValueError("give exactly one of frames (a list of images) and video")
        if self.video is not None and (self.frame_count is None or self.fps is None):
            raise ValueError("a video needs its frame_count and fps")
        return self


class Keyframe(Schema):
    frame: int = Field(ge=0)
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None
    outside: bool = False


class Track(Schema):
    id: str = Field(min_length=1, max_length=100)
    label: str
    keyframes: list[Keyframe] = Field(min_length=1, max_length=MAX_FRAMES)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class TracksAnswer(Schema):
    tracks: list[Track] = Field(max_length=MAX_OBJECTS)


def n_frames(item: dict[str, Any]) -> int:
    return len(item["frames"]) if item.get("frames") else int(item["frame_count"])


def dense_track(track: dict[str, Any], frames: int) -> np.ndarray:
    keys = [(k["frame"], None if k.get("outside") else
             np.array([k["x"], k["y"], k["w"], k["h"]], dtype=np.float64))
            for k in track["keyframes"]]
    return geometry.dense(keys, frames)


def _check_keyframe(settings: ObjectSettings, item: dict[str, Any], key: Keyframe,
                    before: int, field: str) -> None:
    if key.frame <= before:
        raise InvalidInput(f"{field}.frame: keyframes must come in increasing frames "
                           f"(after {before})", field=f"{field}.frame")
    if key.frame >= n_frames(item):
        raise InvalidInput(f"{field}.frame: the video has {n_frames(item)} frames",
                           field=f"{field}.frame")
    if key.outside:
        return
    for name in ("x", "y", "w", "h"):
        if getattr(key, name) is None:
            raise InvalidInput(f"{field}.{name}: a keyframe in view needs its box",
                               field=f"{field}.{name}")
    for name in ("w", "h"):
        if getattr(key, name) <= 0:
            raise InvalidInput(f"{field}.{name}: must be positive", field=f"{field}.{name}")
    x, y, w, h = float(key.x or 0), float(key.y or 0), float(key.w or 0), float(key.h or 0)
    check_inside(item, x, y, field)
    check_inside(item, x + w, y + h, field, "w", "h")


def gold_score(settings: ObjectSettings, item: dict[str, Any],
               found: Sequence[dict[str, Any]], truth: Sequence[dict[str, Any]]) -> float:
    frames = n_frames(item)
    both = [dense_track(t, frames) for t in [*found, *truth]]
    if not both:
        return 1.0
    iou = geometry.track_ious(np.stack(both))[: len(found), len(found):]
    same = np.array([[a["label"] == b["label"] for b in truth] for a in found],
                    dtype=bool).reshape(len(found), len(truth))
    return geometry.f1(geometry.count_matches(iou, same, settings.gold_iou),
                       len(found), len(truth))


class Tracks(Primitive[ObjectSettings, TracksItem, TracksAnswer]):
    name = "tracks"
    settings_model = ObjectSettings
    item_model = TracksItem
    answer_model = TracksAnswer
    export_formats = ("records",)
    skill_weighted: ClassVar[bool] = True

    def check_answer(self, settings: ObjectSettings, item: dict[str, Any],
                     answer: TracksAnswer, prefix: str) -> None:
        seen: dict[str, int] = {}
        for k, track in enumerate(answer.tracks):
            field = f"{prefix}.tracks.{k}"
            if track.id in seen:
                raise InvalidInput(f"{field}.id: track {seen[track.id]} has this id",
                                   field=f"{field}.id")
            seen[track.id] = k
            check_label(settings, track.label, f"{field}.label")
            before = -1
            for j, key in enumerate(track.keyframes):
                _check_keyframe(settings, item, key, before, f"{field}.keyframes.{j}")
                before = key.frame
            if track.keyframes[0].outside:
                raise InvalidInput(f"{field}.keyframes.0: a track starts in view",
                                   field=f"{field}.keyframes.0")

    def aggregate(self, settings: ObjectSettings, item: dict[str, Any],
                  votes: Sequence[Vote]) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="track_fusion")
        frames = n_frames(item)
        code = {label: i for i, label in enumerate(settings.labels)}
        drawn = [t for v in votes for t in v.answer["tracks"]]
        owner = np.array([k for k, v in enumerate(votes) for _ in v.answer["tracks"]],
                         dtype=np.int64)
        dense = (np.stack([dense_track(t, frames) for t in drawn]) if drawn
                 else np.zeros((0, frames, 4)))
        fused = geometry.fuse_tracks(
            owner, dense, np.array([code[t["label"]] for t in drawn], dtype=np.int64),
            np.array([v.weight for v in votes]), len(settings.labels),
            threshold=settings.iou_threshold, keep=settings.keep, method=settings.class_vote)
        con = fused.consensus
        tracks: list[dict[str, Any]] = []
        for j in np.flatnonzero(con.kept).tolist():
            keys = geometry.keyframes_of(fused.tracks[j])
            if not keys:
                continue
            tracks.append({
                "id": str(len(tracks) + 1), "label": settings.labels[int(con.label[j])],
                "keyframes": [{"frame": f, "outside": True} if box is None else
                              {"frame": f, "x": round(float(box[0]), 2),
                               "y": round(float(box[1]), 2), "w": round(float(box[2]), 2),
                               "h": round(float(box[3]), 2)} for f, box in keys],
                "confidence": round(float(con.object_confidence[j]), 6)})
        return Outcome(answer={"tracks": tracks}, confidence=round(con.confidence, 6),
                       method="track_fusion",
                       details={"annotators": annotator_counts(votes, con)})

    def matches_gold(self, settings: ObjectSettings, answer: dict[str, Any],
                     gold: dict[str, Any]) -> bool:
        # the item is not at hand here: the frames the tracks reach are enough to compare
        last = max([k["frame"] for t in [*answer["tracks"], *gold["tracks"]]
                    for k in t["keyframes"]], default=0)
        item = {"frame_count": last + 1}
        return gold_score(settings, item, answer["tracks"], gold["tracks"]) >= settings.gold_f1

    def export_row(self, fmt: str, settings: ObjectSettings,
                   record: RecordView) -> dict[str, Any] | None:
        if fmt != "records":
            raise InvalidInput(f"tracks exports only 'records', not {fmt!r}", field="format")
        item = record.item
        return {"frames": item.get("frames"), "video": item.get("video"),
                "fps": item.get("fps"), "frame_count": n_frames(item),
                "width": item.get("width"), "height": item.get("height"),
                "tracks": (record.answer or {}).get("tracks", []),
                "annotators": record.details.get("annotators", []),
                "edits": object_edits.submission_edits("tracks", record.submissions),
                **record.lineage()}


TRACKS = Tracks()
