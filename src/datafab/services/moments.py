"""Moments as people write them: a date (``2026-12-01``, midnight UTC), an ISO 8601 time
(``2026-12-01T09:30``, UTC unless it says otherwise) or UNIX seconds (``1796083200``). The
CLI's period options, the API's period parameters and the SDK read moments the same way."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from datafab.errors import InvalidInput

FORMATS = "a date (2026-12-01), an ISO time (2026-12-01T09:30Z) or UNIX seconds"
# The last second of the year 9999: later (or negative) moments are refused as absurd.
LAST_SECOND = 253_402_300_799


def parse_moment(value: str | float | int | date | datetime, field: str) -> float:
    """UNIX seconds for ``value``; ``InvalidInput`` naming ``field`` when it is none of
    :data:`FORMATS` or not a time between 1970 and the end of the year 9999."""
    seconds = _seconds(value, field)
    if not 0 <= seconds <= LAST_SECOND:
        raise _bad(value, field)
    return seconds


def _seconds(value: str | float | int | date | datetime, field: str) -> float:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, bool):
        raise _bad(value, field)
    elif isinstance(value, int | float):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise _bad(value, field)
        return seconds
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = None
        if seconds is not None:
            if not math.isfinite(seconds):
                raise _bad(value, field)
            return seconds
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise _bad(value, field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _bad(value: object, field: str) -> InvalidInput:
    return InvalidInput(f"{field}: expected {FORMATS}, not {value!r}", field=field)
