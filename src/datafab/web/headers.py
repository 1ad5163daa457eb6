"""Security headers for the web pages: a Content-Security-Policy with no inline scripts or
styles (``script-src 'self'``: htmx and the workbench scripts are files served from
``/static``), no framing (``frame-ancestors 'none'``), no MIME sniffing, no referrer. Images
come from the server itself and from the web image hosts the deployment names
(``DATAFAB_MEDIA_HOSTS``). A header already set by an outer layer is left as it is."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def with_image_hosts(origins: str) -> list[tuple[bytes, bytes]]:
    """The headers with ``origins`` (checked, comma-separated) added to ``img-src``."""
    hosts = " ".join(o for o in origins.split(",") if o)
    if not hosts:
        return HEADERS
    policy = PAGE_POLICY.replace("img-src 'self' data:;", f"img-src 'self' data: {hosts};")
    return [(b"content-security-policy", policy.encode()), *HEADERS[1:]]


class PageHeaders:
    def __init__(self, app: ASGIApp, image_hosts: str = "") -> None:
        self.app = app
        self.headers = with_image_hosts(image_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html")
                           for k, v in headers)
                if html:
                    headers += [(k, v) for k, v in self.headers if k not in names]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
