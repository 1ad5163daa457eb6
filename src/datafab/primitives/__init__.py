"""The human-data primitives, by name.

``get_primitive("classify")`` returns the primitive; an unknown name gets a "did you mean"
error. Entries are loaded lazily from ``"module:attribute"`` so a primitive's dependencies
are imported only when it is used.
"""

from __future__ import annotations

from typing import Any

from datafab.primitives.base import Outcome, Primitive, RecordView, Vote
from datafab.registry import Registry

REGISTRY: Registry[Primitive[Any, Any, Any]] = Registry(
    "primitive", "primitive", lambda entry: isinstance(entry, Primitive), {
        "classify": "datafab.primitives.classify:CLASSIFY",
        "compare": "datafab.primitives.compare:COMPARE",
        "grade": "datafab.primitives.grade:GRADE",
        "rank": "datafab.primitives.rank:RANK",
        "redaction_review": "datafab.primitives.redaction_review:REDACTION_REVIEW",
        "spans": "datafab.primitives.spans:SPANS",
        "steps": "datafab.primitives.steps:STEPS",
        "trajectory": "datafab.primitives.trajectory:TRAJECTORY",
        "write": "datafab.primitives.write:WRITE",
        "boxes": "datafab.primitives.boxes:BOXES",
        "polygons": "datafab.primitives.polygons:POLYGONS",
        "keypoints": "datafab.primitives.keypoints:KEYPOINTS",
        "tracks": "datafab.primitives.tracks:TRACKS",
    })


def register(name: str, target: str) -> None:
    """Register a primitive under ``name``; ``target`` is ``"module:attribute"``."""
    REGISTRY.register(name, target)


def primitive_names() -> list[str]:
    return REGISTRY.names()


def get_primitive(name: str) -> Primitive[Any, Any, Any]:
    return REGISTRY.get(name)


__all__ = [
    "Outcome", "Primitive", "RecordView", "Vote", "get_primitive", "primitive_names", "register",
]
