"""Rendering pages: the Jinja2 environment, the page helper, form errors shown next to their
field, and a route class that turns errors into pages (not JSON) and sets the session cookie.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from datafab.errors import DatafabError
from datafab.primitives.links import is_web_url
from datafab.services import billing
from datafab.web import sessions

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["json"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2)


def _when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _day(ts: float | None) -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


def money(amount_minor: int, currency: str) -> str:
    """An amount in minor units as its currency writes it: ``-0.30 USD``, ``1,200 JPY``."""
    digits = billing.minor_digits(currency)
    return f"{Decimal(amount_minor).scaleb(-digits):,.{digits}f} {currency}"


def _web_url(value: object) -> str | None:
    """The value if it is an http(s) URL, else nothing: a page never links anything else."""
    return str(value) if is_web_url(value) else None  # a web URL is a str


templates.env.filters.update(when=_when, day=_day, pct=_pct, num=_num, money=money,
                             web_url=_web_url)


def describe_answer(answer) -> str:
    """An expected answer in words, for the feedback after a gold item."""
    if not isinstance(answer, dict):
        return str(answer)
    if "label" in answer:
        return str(answer["label"])
    if "labels" in answer:
        return ", ".join(answer["labels"]) or "no label"
    if "choice" in answer:
        choice = str({"a": "Response 1", "b": "Response 2", "tie": "about the same"}.get(
            answer["choice"], answer["choice"]))
        return f"{choice} ({answer['strength']})" if answer.get("strength") else choice
    if "order" in answer:
        return " > ".join(f"Response {i + 1}" for i in answer["order"] if isinstance(i, int))
    if "ratings" in answer:
        return ", ".join(f"step {i + 1}: {r:+d}" for i, r in enumerate(answer["ratings"]))
    if "scores" in answer:
        return ", ".join(f"{k}: {v}" for k, v in answer["scores"].items())
    if "spans" in answer:
        return ", ".join(f"{s['label']} [{s['start']}:{s['end']}]" for s in answer["spans"]) or (
            "no spans")
    if "final" in answer:
        return answer["final"]
    return json.dumps(answer, ensure_ascii=False)


templates.env.globals["describe_answer"] = describe_answer


class LoginRequired(Exception):
    """The page needs a signed-in contributor, requester or operator."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class CsrfRejected(Exception):
    """A form arrived without this session's CSRF token."""


LOGIN_PAGES = {"contributor": "/login", "requester": "/dashboard/login", "operator": "/ops/login"}


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context = {"session": sessions.current(request), "csrf": sessions.csrf_token(request),
               **context}
    return templates.TemplateResponse(request, name, context, status_code=status)


def redirect(request: Request, url: str) -> Response:
    """A redirect that also works for htmx requests (which would otherwise follow it inline)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def field_errors(exc: DatafabError) -> dict[str, str]:
    """{field: message} for showing an error next to its field (``_`` when none is named)."""
    message = exc.message
    field = exc.field or "_"
    if exc.field and message.startswith(exc.field + ":"):
        message = message[len(exc.field) + 1:].strip()
    return {field: message[:1].upper() + message[1:]}


async def read_form(request: Request) -> FormData:
    """The posted form, once its CSRF token (field ``csrf`` or header ``X-CSRF-Token``) is
    checked against the session."""
    form = await request.form()
    token = form.get("csrf") or request.headers.get("x-csrf-token")
    if not sessions.csrf_valid(request, token if isinstance(token, str) else None):
        raise CsrfRejected()
    return form


class PageRoute(APIRoute):
    """Routes of the web pages: errors become pages, and the session cookie is kept."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                target = LOGIN_PAGES[exc.role]
                path = request.url.path if request.method == "GET" else ""
                response = redirect(request, f"{target}?next={quote(path)}" if path else target)
            except CsrfRejected:
                response = page(request, "error.html", 403, title="Form expired",
                                message="This form expired or came from another site. "
                                        "Go back, reload the page and try again.")
            except DatafabError as exc:
                response = page(request, "error.html", exc.status, title="Something is wrong",
                                message=exc.message)
            return sessions.attach(request, response)

        return run


def safe_next(target: str | None, default: str) -> str:
    """Only local paths are followed after login (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
