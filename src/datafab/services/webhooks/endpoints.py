"""Endpoints: where an organization's events are POSTed, and the rule for the URLs it may
give. Only public addresses are sent to, unless the operator allows more
(``webhook_allowed_networks``, see ``datafab.netguard``): a URL naming a non-public address
is refused when it is given; a host name is checked at delivery (``transport``)."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from datafab import netguard
from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services.webhooks.outbox import forget_audience
from datafab.services.webhooks.registry import EVENT_TYPES
from datafab.services.webhooks.signing import secret_in
from datafab.store import webhooks as queries
from datafab.store.handles import Row

MAX_URL = 2000


def allowed(foundry: Foundry) -> netguard.Allowlist:
    """The non-public destinations the operator allows (``webhook_allowed_networks``)."""
    return netguard.allowlist(foundry.settings.webhook_allowed_networks)


def check_url(url: Any, field: str = "url", *, allowlist: netguard.Allowlist) -> str:
    """An absolute http(s) URL with a host, no credentials, at most ``MAX_URL`` characters,
    whose host is not spelled as a non-public address (or ``localhost``) the operator has not
    allowed. A host name is only checked at delivery, when it is resolved.

    The URL is parsed here by the parser that sends it (httpx: the host IDNA-encoded, the rest
    percent-encoded), so what is stored is what can be sent, and the host judged is the host
    connected to. No control character, whitespace or lone surrogate is kept anywhere in it:
    each would fail every delivery (or the write that stores it) instead."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(f"{field}: expected an http(s) URL", field=field)
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"{field}: longer than {MAX_URL} characters", field=field)
    bad = _unsendable_character(url)
    if bad is not None:
        raise InvalidInput(f"{field}: the URL contains {bad}", field=field)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise InvalidInput(f"{field}: not a valid URL ({exc})", field=field) from exc
    if parsed.scheme not in ("http", "https"):
        raise InvalidInput(f"{field}: the scheme must be http or https", field=field)
    if not host:
        raise InvalidInput(f"{field}: the URL has no host", field=field)
    if parsed.userinfo:
        raise InvalidInput(f"{field}: credentials in the URL are not allowed", field=field)
    if port is not None and not 0 < port < 65536:
        raise InvalidInput(f"{field}: {port} is not a port (1 to 65535)", field=field)
    if netguard.literal(host) is None and not all(part for part in host.split(".")):
        raise InvalidInput(f"{field}: {host!r} is not a host name", field=field)
    why = netguard.refusal(host, allowlist)
    if why is not None:
        raise InvalidInput(f"{field}: {why}; webhooks go only to public addresses unless the "
                           f"operator allows it in {netguard.SETTING}", field=field)
    return url


def _unsendable_character(url: str) -> str | None:
    """The first character no request line can carry, described (never echoed: a lone
    surrogate cannot even be written into the error's JSON); None if there is none."""
    for position, char in enumerate(url):
        kind = unicodedata.category(char)
        if kind == "Cs":
            what = "a lone surrogate"
        elif kind == "Cc":
            what = "a control character"
        elif char.isspace() or kind in ("Zl", "Zp"):
            what = "whitespace"
        else:
            continue
        return f"{what} (U+{ord(char):04X}) at position {position}"
    return None


class EndpointIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    url: str = Field(description="Where events are POSTed (http or https).")
    events: list[str] | None = Field(
        None, description=f"Event types to send (of {', '.join(EVENT_TYPES)}); all if omitted.")

def _endpoint_dict(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": row.events, "active": row.active,
            "created_at": row.created_at}


def create_endpoint(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    spec = parse(EndpointIn, raw)
    url = check_url(spec.url, allowlist=allowed(foundry))
    events = spec.events
    if events is not None:
        for i, kind in enumerate(events):
            if kind not in EVENT_TYPES:
                raise InvalidInput(f"events.{i}: unknown event type {kind!r}; one of "
                                   f"{', '.join(EVENT_TYPES)}", field=f"events.{i}")
        events = list(dict.fromkeys(events))  # one subscription per event type
    now = foundry.now()
    with foundry.db.write() as conn:
        secret_in(conn, organization, now)
        row = queries.insert_endpoint(conn, organization=organization, url=url, events=events,
                                      now=now)
    forget_audience(foundry, organization)
    return _endpoint_dict(row)


def list_endpoints(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = queries.endpoints_of(conn, organization)
    return [_endpoint_dict(r) for r in rows]


def delete_endpoint(foundry: Foundry, organization: int, endpoint_id: int) -> None:
    """Stop sending to an endpoint; its pending deliveries are dropped with it."""
    with foundry.db.write() as conn:
        if not queries.delete_endpoint(conn, organization, endpoint_id):
            raise NotFound(f"endpoint {endpoint_id} not found", field="endpoint_id")
    forget_audience(foundry, organization)
