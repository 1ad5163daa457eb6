"""The workforce policy's `watermark` rule: only projects whose items show text may carry marks
(`services.tracing` writes them)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive


def shows_text(primitive_name: str) -> bool:
    """Whether the primitive's items hold text (a string anywhere in their schema)."""
    return _holds_str(get_primitive(primitive_name).item_model, set())


def _holds_str(annotation: Any, seen: set[int]) -> bool:
    if annotation is str:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if id(annotation) in seen:
            return False
        seen.add(id(annotation))
        return any(_holds_str(field.annotation, seen)
                   for field in annotation.model_fields.values())
    return any(_holds_str(arg, seen) for arg in typing.get_args(annotation))


def check(primitive_name: str, watermark: bool) -> None:
    """Refuse ``watermark`` on a primitive whose items hold no text to mark."""
    if watermark and not shows_text(primitive_name):
        raise InvalidInput(f"watermark: a {primitive_name} project's items hold no text to "
                           "mark", field="watermark")
