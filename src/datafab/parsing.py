"""Reading a caller's JSON into a Pydantic model, the same way at every boundary: anything
but an object is refused as ``expected a JSON object``, and a failed validation becomes an
``InvalidInput`` naming the first bad field under ``prefix`` (``items.3.data.text``). Like
``errors.py``, any room may import this."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from datafab.errors import InvalidInput, from_pydantic

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: Any, prefix: str | None = None, *,
          missing_is_empty: bool = False) -> M:
    """``raw`` as ``model``; ``missing_is_empty`` reads an absent body (None) as ``{}``."""
    if raw is None and missing_is_empty:
        raw = {}
    if not isinstance(raw, dict):
        field = prefix or "body"
        raise InvalidInput(f"{field}: expected a JSON object", field=field)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc, prefix) from exc
