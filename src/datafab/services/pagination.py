"""Opaque cursors for lists: the caller passes back what the last page gave."""

from __future__ import annotations

import base64
import binascii

from datafab.errors import InvalidInput

MAX_PAGE = 1000


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the next page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, last = raw.split(":")
        if version != "v1":
            raise ValueError(version)
        return int(last)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor: not a cursor this API gave out", field="cursor") from exc


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}", field="limit")
    return limit
