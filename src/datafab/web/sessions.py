"""Browser sessions: a signed cookie (HMAC-SHA256), HttpOnly, SameSite=Lax, with an expiry
inside the signed payload; and the CSRF token every form carries, derived from the session's
random nonce.

A session is one of: anonymous (just a nonce, so the login forms have a CSRF token too), a
contributor (their id), a requester (a proof of their API key: an HMAC of the key's digest
under the session key, so neither the key nor anything stored in the database is kept) or an
operator (an HMAC of a digest of the operator token). Signing in starts a fresh session with a
fresh nonce, so a token planted before login is worthless after it.

A signed-in session also carries a random id that the server keeps (as a digest, see
``services/browser_sessions.py``): logging out ends it on the server, not only in the browser.
The key cookies are signed with comes from ``DATAFAB_SESSION_SECRET`` or the key file, never
from the database (``services/site_keys.py``), so a copy of the database cannot forge one.
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

from datafab.services import browser_sessions, site_keys

COOKIE = "datafab_session"
SESSION_SECONDS = 12 * 3600
RESTRICTED_IDLE_SECONDS = 15 * 60  # a restricted project's pages: signed out when left alone
ROLES = ("contributor", "requester", "operator")


@dataclass(frozen=True)
class Session:
    role: str | None  # None: anonymous
    subject: int | None  # contributor id or organization id
    proof: str | None  # requester: HMAC of its API key's digest; operator: of the token's
    name: str | None
    nonce: str
    expires: float
    sid: str | None = None  # signed in: the id the server keeps (as a digest)

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
            "e": session.expires, "m": session.name, "i": session.sid}
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
                          float(body["e"]), body.get("i"))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires <= now or (session.role is not None and session.role not in ROLES):
        return None
    if session.role is not None and not (isinstance(session.sid, str) and session.sid
                                         and isinstance(session.subject, int)):
        return None
    return session


def fresh(now: float, role: str | None = None, subject: int | None = None,
          proof: str | None = None, name: str | None = None) -> Session:
    sid = secrets.token_urlsafe(32) if role is not None else None
    return Session(role, subject, proof, name, secrets.token_urlsafe(16), now + SESSION_SECONDS,
                   sid)


def current(request: Request) -> Session:
    """This request's session (a new anonymous one when the cookie is missing or bad)."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    now = request.app.state.foundry.now()
    raw = request.cookies.get(COOKIE)
    session = decode(_key(request), raw, now) if raw else None
    if session is not None and session.role is not None:
        # decode() admits a signed-in session only with its server id and subject
        assert session.sid is not None and session.subject is not None
        if not browser_sessions.is_live(
                request.app.state.foundry, session.sid, session.role, session.subject):
            session = None  # logged out, or ended on the server
    if session is None:
        session = fresh(now)
        request.state.session_changed = True
    request.state.session = session
    return session


def start(request: Request, session: Session) -> None:
    """Make ``session`` this request's session (a signed-in one is recorded on the server);
    the response will carry its cookie."""
    if session.role is not None:
        assert session.sid is not None and session.subject is not None  # fresh(role, subject)
        browser_sessions.open_session(request.app.state.foundry, session.sid, session.role,
                                      session.subject, session.expires)
    request.state.session = session
    request.state.session_changed = True


def end(request: Request) -> None:
    """End this request's session on the server too, and start an anonymous one."""
    ending = getattr(request.state, "session", None)
    if ending is None:
        raw = request.cookies.get(COOKIE)
        now = request.app.state.foundry.now()
        ending = decode(_key(request), raw, now) if raw else None
    if ending is not None and ending.sid:
        browser_sessions.end_session(request.app.state.foundry, ending.sid)
    start(request, fresh(request.app.state.foundry.now()))


def idle_limit(request: Request, seconds: float) -> None:
    """This signed-in session ends ``seconds`` from now unless another such page renews it
    (a restricted project's pages): a screen left alone does not stay signed in."""
    session = current(request)
    if session.sid is not None:
        browser_sessions.idle_limit(request.app.state.foundry, session.sid, seconds,
                                    SESSION_SECONDS)


def seal(request: Request, value: str) -> str:
    """A keyed digest of ``value`` for a session to carry (the cookie is signed, not secret)."""
    return _sign(_key(request), "proof:" + value)


def csrf_token(request: Request) -> str:
    session = current(request)
    return _sign(_key(request), "csrf:" + session.nonce)


def csrf_valid(request: Request, token: str | None) -> bool:
    if not token:
        return False
    return hmac.compare_digest(token, csrf_token(request))


def attach(request: Request, response: Response) -> Response:
    """Set the session cookie on the response if the session is new or changed."""
    if getattr(request.state, "session_changed", False):
        session = current(request)
        response.set_cookie(
            COOKIE, encode(_key(request), session), max_age=SESSION_SECONDS, path="/",
            httponly=True, samesite="lax", secure=request.url.scheme == "https",
        )
    return response
