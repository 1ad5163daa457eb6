"""Web image hosts the workbench may show images from (``DATAFAB_MEDIA_HOSTS``): origins like
``https://img.example.com`` or ``https://*.cdn.example`` (any subdomain), each added to the
pages' content-security policy (``img-src``). An item's web image is shown in the canvas only
when its origin is one of them; other web images are not loaded into the page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(https?)://((?:\*\.)?{_LABEL}(?:\.{_LABEL})*)(?::(\d{{1,5}}))?/?$")


def parse(value: str) -> tuple[str, ...]:
    """The origins of a comma-separated list; ``ValueError`` naming the first that is not
    one (a path, a quote or anything else the policy would misread is refused)."""
    origins = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        found = _HOST.match(entry.lower())
        if found is None or (found.group(3) and not 0 < int(found.group(3)) < 65_536):
            raise ValueError(f"{entry!r} is not an http(s) origin (https://host[:port], the "
                             "host may start with *.)")
        origins.append(entry.lower().rstrip("/"))
    return tuple(origins)


def allowed(url: object, origins: tuple[str, ...]) -> bool:
    """Whether a web image's address lies on one of ``origins``."""
    if not isinstance(url, str) or not origins:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    for origin in origins:
        found = _HOST.match(origin)
        if found is None or found.group(1) != parts.scheme:
            continue
        if (int(found.group(3)) if found.group(3) else None) != port:
            continue
        host = found.group(2)
        if host.startswith("*.") and parts.hostname.endswith(host[1:]) or host == parts.hostname:
            return True
    return False
