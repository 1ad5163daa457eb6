"""Links a page may show: only ``http://`` and ``https://`` URLs with a host. Anything else
(``javascript:``, ``data:``, ``vbscript:``, a relative path) is refused where it comes in and
never rendered as a link, so a stored value can never run in a reader's browser. Pure: no I/O.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

SCHEMES = ("http", "https")


def is_web_url(value: object) -> bool:
    if not isinstance(value, str) or value != value.strip():
        return False
    if any(ord(c) < 0x21 or c == "\x7f" for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname)


def web_url(value: str) -> str:
    """``value`` if it is an http(s) URL with a host; ``ValueError`` otherwise."""
    if not is_web_url(value):
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


WebUrl = Annotated[str, AfterValidator(web_url)]
