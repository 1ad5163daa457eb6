"""What every Scale-compatible use case checks of its input, and the timestamps it answers
with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from datafab.errors import DatafabError, InvalidInput

#: Scale task type -> Datafab primitive.
TYPES = {
    "categorization": "classify",
    "comparison": "compare",
    "textcollection": "write",
    "namedentityrecognition": "spans",
}
MAX_PAGE = 100


class NotEnabled(DatafabError):
    """A Scale task type this layer does not map (the client's ScaleNotEnabled)."""

    type = "not_enabled"
    status = 402


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def check_type(kind: Any, field: str = "type") -> str:
    if not isinstance(kind, str) or kind not in TYPES:
        raise NotEnabled(f"{field}: task type {kind!r} is not supported here; supported: "
                         f"{', '.join(TYPES)}", field=field)
    return kind


def as_object(raw: Any, field: str = "body") -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{field}: expected a JSON object", field=field)
    return raw


def check_name(raw: Any, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        raise InvalidInput(f"{field}: expected a name of 1 to 200 characters", field=field)
    return raw


def check_int(raw: Any, default: int, field: str, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field}: expected an integer", field=field) from exc
    if not low <= value <= high:
        raise InvalidInput(f"{field}: must be between {low} and {high}", field=field)
    return value
