"""Signing up, logging in and out (contributors, requesters, operators), and the contributor's
profile with their skills."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from datafab.errors import Conflict, DatafabError, InvalidInput, RateLimited, Unauthorized
from datafab.services import logins, profiles
from datafab.web import sessions
from datafab.web.guards import ContributorSession, PageFoundry, Posted
from datafab.web.render import PageRoute, field_errors, page, redirect, safe_next

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _text(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _address(request: Request) -> str:
    """The connection's address (a forwarded one only from ``DATAFAB_TRUSTED_PROXIES``)."""
    return request.client.host if request.client else "?"


@router.get("/")
def home(request: Request) -> Response:
    return page(request, "home.html", title="Datafab")


@router.get("/signup")
def signup_form(request: Request, invite: str = "") -> Response:
    """The sign-up form; ``?invite=CODE`` (an organization's invitation) rides along."""
    return page(request, "accounts/signup.html", title="Sign up",
                values={"invite": invite[:200]}, errors={})


@router.post("/signup")
async def signup(request: Request, form: Posted, foundry: PageFoundry) -> Response:
    values = {k: _text(form, k) for k in ("name", "email", "invite")}
    password, again = _text(form, "password"), _text(form, "password_again")
    errors = logins.sign_up_problems({"name": values["name"], "email": values["email"],
                                      "password": password})
    if password != again:
        errors.setdefault("password_again", "The two passwords differ")
    if not errors:
        try:
            await run_in_threadpool(logins.sign_up, foundry, {**values, "password": password})
        except Conflict:
            pass  # the email is taken: answered exactly like a new one (see below)
        except DatafabError as exc:
            errors = field_errors(exc)
    if errors:
        return page(request, "accounts/signup.html", 422, title="Sign up", values=values,
                    errors=errors)
    # Whether the address was new or already had an account, the answer is the same: log in.
    # Signing a new account in at once (and only it) would tell anyone which emails have one.
    return redirect(request, SIGNED_UP)


SIGNED_UP = "/login?signed_up=1&next=/work/profile%3Fwelcome%3D1"


@router.get("/login")
def login_form(request: Request, next: str = "", signed_up: int = 0) -> Response:
    return page(request, "accounts/login.html", title="Log in", values={}, errors={},
                next=next, signed_up=signed_up)


@router.post("/login")
async def login(request: Request, form: Posted, foundry: PageFoundry) -> Response:
    email = logins.normal_email(_text(form, "email"))
    target = safe_next(_text(form, "next"), "/work")
    throttle = request.app.state.login_throttle
    try:
        throttle.check(email, _address(request), foundry.now())
        who = await run_in_threadpool(logins.log_in, foundry, email, _text(form, "password"))
    except (Unauthorized, RateLimited) as exc:
        if isinstance(exc, Unauthorized):
            throttle.failed(email, _address(request), foundry.now())
        status = 429 if isinstance(exc, RateLimited) else 401
        response = page(request, "accounts/login.html", status, title="Log in",
                        values={"email": email}, errors=field_errors(exc), next=target)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    throttle.succeeded(email, _address(request))
    await run_in_threadpool(sessions.start, request, sessions.fresh(
        foundry.now(), "contributor", who.id, name=who.name))
    return redirect(request, target)


@router.post("/logout")
def logout(request: Request, form: Posted) -> Response:
    sessions.end(request)
    return redirect(request, "/")


@router.get("/dashboard/login")
def requester_login_form(request: Request, next: str = "") -> Response:
    return page(request, "accounts/requester_login.html", title="Requester log in", errors={},
                next=next)


@router.post("/dashboard/login")
def requester_login(request: Request, form: Posted, foundry: PageFoundry) -> Response:
    target = safe_next(_text(form, "next"), "/dashboard")
    throttle = request.app.state.login_throttle
    try:
        throttle.check("api-key:" + _address(request), _address(request), foundry.now())
        org, key_digest = logins.requester_by_key(foundry, _text(form, "api_key"))
    except (InvalidInput, Unauthorized, RateLimited) as exc:
        if isinstance(exc, Unauthorized):
            throttle.failed("api-key:" + _address(request), _address(request), foundry.now())
        status = {InvalidInput: 422, Unauthorized: 401}.get(type(exc), 429)
        errors = field_errors(exc)
        if "password" in errors:
            errors = {"api_key": errors.pop("password")}
        return page(request, "accounts/requester_login.html", status,
                    title="Requester log in", errors=errors, next=target)
    sessions.start(request, sessions.fresh(foundry.now(), "requester", org,
                                           sessions.seal(request, key_digest),
                                           name=logins.organization_name(foundry, org)))
    return redirect(request, target)


@router.get("/ops/login")
def operator_login_form(request: Request, foundry: PageFoundry, next: str = "") -> Response:
    return page(request, "accounts/operator_login.html", title="Operator log in", errors={},
                next=next, configured=bool(foundry.settings.operator_token))


@router.post("/ops/login")
def operator_login(request: Request, form: Posted, foundry: PageFoundry) -> Response:
    target = safe_next(_text(form, "next"), "/ops")
    throttle = request.app.state.login_throttle
    configured = bool(foundry.settings.operator_token)
    try:
        throttle.check("operator:" + _address(request), _address(request), foundry.now())
        if not _text(form, "token").strip():
            raise InvalidInput("Paste the operator token", field="token")
        if not logins.operator_token_matches(foundry, _text(form, "token")):
            throttle.failed("operator:" + _address(request), _address(request), foundry.now())
            raise Unauthorized("That is not the operator token", field="token")
    except (InvalidInput, Unauthorized, RateLimited) as exc:
        errors = field_errors(exc)
        if "password" in errors:
            errors = {"token": errors.pop("password")}
        status = {InvalidInput: 422, Unauthorized: 401}.get(type(exc), 429)
        return page(request, "accounts/operator_login.html", status, title="Operator log in",
                    errors=errors, next=target, configured=configured)
    token_digest = logins.operator_digest(foundry)
    assert token_digest is not None  # the token matched, so one is configured
    proof = sessions.seal(request, token_digest)
    sessions.start(request, sessions.fresh(foundry.now(), "operator", 0, proof, name="operator"))
    return redirect(request, target)


# -- profile -----------------------------------------------------------------------------------

SKILL_ROWS = 3  # empty rows offered for new languages and domains


@router.get("/work/profile")
def profile(request: Request, who: ContributorSession, foundry: PageFoundry,
            welcome: int = 0) -> Response:
    shown = profiles.get_profile(foundry, who.id)
    return _profile_page(request, shown, shown.languages, shown.domains, {}, welcome=welcome)


def _profile_page(request, shown, languages, domains, errors, status=200, saved=False,
                  welcome=0):
    return page(request, "accounts/profile.html", status, title="Your profile", profile=shown,
                languages=languages + [{"name": "", "level": ""}] * SKILL_ROWS,
                domains=domains + [{"name": "", "level": ""}] * SKILL_ROWS,
                language_levels=profiles.LANGUAGE_LEVELS, domain_levels=profiles.DOMAIN_LEVELS,
                errors=errors, saved=saved, welcome=welcome)


@router.post("/work/profile")
def save_profile(request: Request, form: Posted, who: ContributorSession,
                 foundry: PageFoundry) -> Response:
    rows: dict[str, list[dict[str, str]]] = {"languages": [], "domains": []}
    for kind in rows:
        names, levels = form.getlist(f"{kind}_name"), form.getlist(f"{kind}_level")
        for name, level in zip(names, levels, strict=False):
            if str(name).strip() or str(level).strip():
                rows[kind].append({"name": str(name), "level": str(level)})
    try:
        shown = profiles.update_skills(foundry, who.id, rows)
    except InvalidInput as exc:
        current = profiles.get_profile(foundry, who.id)
        return _profile_page(request, current, rows["languages"], rows["domains"],
                             field_errors(exc), status=422)
    return _profile_page(request, shown, shown.languages, shown.domains, {}, saved=True)
