"""The human-data primitives, by name.

``get_primitive("classify")`` returns the primitive; an unknown name gets a "did you mean"
error. Entries are loaded lazily from ``"module:attribute"`` so a primitive's dependencies
are imported only when it is used.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Vote

_REGISTRY: dict[str, str] = {
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
}
_LOADED: dict[str, Primitive[Any, Any, Any]] = {}


def register(name: str, target: str) -> None:
    """Register a primitive under ``name``; ``target`` is ``"module:attribute"``."""
    _REGISTRY[name] = target
    _LOADED.pop(name, None)


def primitive_names() -> list[str]:
    return sorted(_REGISTRY)


def get_primitive(name: str) -> Primitive[Any, Any, Any]:
    if name in _LOADED:
        return _LOADED[name]
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(primitive_names())
        raise InvalidInput(
            f"unknown primitive {name!r}{hint} (known: {known})", field="primitive"
        )
    module_name, attr = _REGISTRY[name].split(":")
    primitive = getattr(importlib.import_module(module_name), attr)
    if not isinstance(primitive, Primitive):
        raise TypeError(f"{_REGISTRY[name]} is not a Primitive")
    _LOADED[name] = primitive
    return primitive


__all__ = [
    "Outcome", "Primitive", "RecordView", "Vote", "get_primitive", "primitive_names", "register",
]
