"""Who is signed in: dependencies that give a page its contributor, organization or operator,
or send the browser to the right login page."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from datafab.errors import Unauthorized
from datafab.foundry import Foundry
from datafab.services import browser_sessions, logins
from datafab.services.accounts import Contributor
from datafab.web import sessions
from datafab.web.render import LoginRequired, read_form


def foundry_of(request: Request) -> Foundry:
    return request.app.state.foundry


def signed_in_contributor(request: Request) -> Contributor:
    session = sessions.current(request)
    if session.role != "contributor" or session.subject is None:
        raise LoginRequired("contributor")
    try:
        return logins.contributor_by_id(foundry_of(request), session.subject)
    except Unauthorized:
        sessions.end(request)
        raise LoginRequired("contributor") from None


def signed_in_requester(request: Request) -> int:
    session = sessions.current(request)
    if session.role != "requester" or not session.proof or session.subject is None:
        raise LoginRequired("requester")
    digests = browser_sessions.live_key_digests(foundry_of(request), session.subject)
    if not any(hmac.compare_digest(session.proof, sessions.seal(request, d)) for d in digests):
        sessions.end(request)  # its key was revoked
        raise LoginRequired("requester")
    return session.subject


def signed_in_operator(request: Request) -> None:
    session = sessions.current(request)
    expected = logins.operator_digest(foundry_of(request))
    if (session.role != "operator" or expected is None or not session.proof
            or not hmac.compare_digest(session.proof, sessions.seal(request, expected))):
        raise LoginRequired("operator")


ContributorSession = Annotated[Contributor, Depends(signed_in_contributor)]
RequesterSession = Annotated[int, Depends(signed_in_requester)]
OperatorSession = Annotated[None, Depends(signed_in_operator)]
PageFoundry = Annotated[Foundry, Depends(foundry_of)]
Posted = Annotated[FormData, Depends(read_form)]
