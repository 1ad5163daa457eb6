"""What perception primitives share: an image item, the project's object classes, and the
checks that put an object inside its image.

An image is named by ``image`` — an http(s) URL or a relative path under the server's media
root — or by ``media``, the id (SHA-256 of its bytes) of a file uploaded to the project.
``width`` and ``height`` are in pixels; a file uploaded or found under the media root has them
filled in from its header when the item does not give them. Answers are checked against them
when they are known.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Schema
from datafab.primitives.links import is_web_url

MAX_OBJECTS = 2_000
MAX_SIDE = 100_000  # pixels
_MEDIA_ID = re.compile(r"^[0-9a-f]{64}$")
#: How a project's class vote runs over an image's matched objects (see quality.geometry).
ClassVote = Literal["majority_vote", "weighted_majority_vote", "dawid_skene", "one_coin",
                    "glad", "mace"]


def media_path(value: str) -> str:
    """``value`` if it is an http(s) URL or a plain relative path (no ``..``, no scheme)."""
    if is_web_url(value):
        return value
    parts = value.split("/")
    if (not value or value.startswith("/") or "\\" in value or ":" in value
            or any(p in ("", ".", "..") for p in parts)
            or any(ord(c) < 0x20 or c == "\x7f" for c in value)):
        raise ValueError("must be an http(s) URL or a relative path under the media root")
    return value


class ImageItem(Schema):
    image: str | None = Field(default=None, max_length=4096)
    media: str | None = Field(default=None, description="id of an uploaded file")
    width: int | None = Field(default=None, ge=1, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=1, le=MAX_SIDE)
    meta: dict[str, Any] | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return None if value is None else media_path(value)

    @field_validator("media")
    @classmethod
    def _media(cls, value: str | None) -> str | None:
        if value is not None and not _MEDIA_ID.match(value):
            raise ValueError("must be a media id (64 lowercase hex digits)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ImageItem:
        if (self.image is None) == (self.media is None):
            raise ValueError("give exactly one of image (a URL or path) and media (an id)")
        return self


class ObjectSettings(Schema):
    """Settings every perception primitive takes."""

    labels: list[str] = Field(min_length=1, max_length=1000)
    iou_threshold: float = Field(0.5, gt=0.0, le=1.0, description=(
        "Least IoU at which two annotators' objects are the same object."))
    keep: float = Field(0.5, ge=0.0, lt=1.0, description=(
        "A matched object is kept when the annotators who drew it carry more than this share "
        "of the weight."))
    class_vote: ClassVote = "weighted_majority_vote"
    gold_iou: float = Field(0.5, gt=0.0, le=1.0, description=(
        "Least IoU at which an object matches a gold object."))
    gold_f1: float = Field(1.0, gt=0.0, le=1.0, description=(
        "An answer on a gold item is right when its F1 against the gold objects (matched at "
        "gold_iou, same label) reaches this."))

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[str]) -> list[str]:
        if any(not label.strip() for label in labels):
            raise ValueError("labels must be non-empty strings")
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be distinct")
        return labels


def check_label(settings: ObjectSettings, label: str, field: str) -> None:
    if label not in settings.labels:
        raise InvalidInput(
            f"{field}: unknown label {label!r}; the project's labels are {settings.labels}",
            field=field)


def check_inside(item: dict[str, Any], x: float, y: float, field: str,
                 x_name: str = "x", y_name: str = "y") -> None:
    """A point must lie inside the image (when its size is known)."""
    for value, name, side in ((x, x_name, "width"), (y, y_name, "height")):
        limit = item.get(side)
        if value < 0 or (limit is not None and value > limit):
            bound = f"0 … {limit}" if limit is not None else "≥ 0"
            raise InvalidInput(f"{field}.{name}: {value} is outside the image ({side} {bound})",
                               field=f"{field}.{name}")
