"""Browser sessions: a signed cookie (HMAC-SHA256), HttpOnly, SameSite=Lax, with an expiry
inside the signed payload; and the CSRF token every form carries, derived from the session's
random nonce.

A session is one of: anonymous (just a nonce, so the login forms have a CSRF token too), a
contributor (their id), a requester (the digest of their API key — the key itself is never
kept) or an operator (a digest of the operator token). Signing in starts a fresh session with
a fresh nonce, so a token planted before login is worthless after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from datafab.services import site_keys

COOKIE = "datafab_session"
SESSION_SECONDS = 12 * 3600
ROLES = ("contributor", "requester", "operator")


@dataclass(frozen=True)
class Session:
    role: str | None  # None: anonymous
    subject: int | None  # contributor id or organization id
    proof: str | None  # requester: API key digest; operator: operator token digest
    name: str | None
    nonce: str
    expires: float

    @property
    def signed_in(self) -> bool:
        return self.role is not None


def _key(request: Request) -> bytes:
    state = request.app.state
    key = getattr(state, "session_key", None)
    if key is None:
        key = site_keys.session_key(state.foundry)
        state.session_key = key
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def encode(key: bytes, session: Session) -> str:
    body = {"r": session.role, "s": session.subject, "p": session.proof, "n": session.nonce,
            "e": session.expires, "m": session.name}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, payload)}"


def decode(key: bytes, cookie: str, now: float) -> Session | None:
    """The session in a cookie, or ``None`` if it is forged, malformed or expired."""
    try:
        payload, signature = cookie.split(".", 1)
        if not hmac.compare_digest(signature, _sign(key, payload)):
            return None
        body = json.loads(_unb64(payload))
        session = Session(body["r"], body["s"], body["p"], body["m"], str(body["n"]),
                          float(body["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires <= now or (session.role is not None and session.role not in ROLES):
        return None
    return session


def fresh(now: float, role: str | None = None, subject: int | None = None,
          proof: str | None = None, name: str | None = None) -> Session:
    return Session(role, subject, proof, name, secrets.token_urlsafe(16), now + SESSION_SECONDS)


def current(request: Request) -> Session:
    """This request's session (a new anonymous one when the cookie is missing or bad)."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    now = request.app.state.foundry.now()
    raw = request.cookies.get(COOKIE)
    session = decode(_key(request), raw, now) if raw else None
    if session is None:
        session = fresh(now)
        request.state.session_changed = True
    request.state.session = session
    return session


def start(request: Request, session: Session) -> None:
    """Make ``session`` this request's session; the response will carry its cookie."""
    request.state.session = session
    request.state.session_changed = True


def end(request: Request) -> None:
    start(request, fresh(request.app.state.foundry.now()))


def seal(request: Request, value: str) -> str:
    """A keyed digest of ``value`` for a session to carry (the cookie is signed, not secret)."""
    return _sign(_key(request), "proof:" + value)


def csrf_token(request: Request) -> str:
    session = current(request)
    return _sign(_key(request), "csrf:" + session.nonce)


def csrf_valid(request: Request, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(token, csrf_token(request))


def attach(request: Request, response: Response) -> Response:
    """Set the session cookie on the response if the session is new or changed."""
    if getattr(request.state, "session_changed", False):
        session = current(request)
        response.set_cookie(
            COOKIE, encode(_key(request), session), max_age=SESSION_SECONDS, path="/",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )
    return response
