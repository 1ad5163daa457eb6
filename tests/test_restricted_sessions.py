"""A restricted project's workbench pages keep a short session: left alone for
``RESTRICTED_IDLE_SECONDS`` the contributor is signed out, while each such page renews it;
a standard project's pages keep the usual twelve hours."""

from __future__ import annotations

import pytest

from datafab.services import clearances, workforce
from datafab.web.sessions import RESTRICTED_IDLE_SECONDS
from test_confidentiality import _browser, _project


def _signed_in(client, path: str) -> bool:
    got = client.get(path, follow_redirects=False)
    assert got.status_code in (200, 302, 303), got.text
    return got.status_code == 200


@pytest.mark.parametrize("sensitivity", ["standard", "restricted"])
def test_a_restricted_page_left_alone_signs_the_contributor_out(foundry, clock, make_org,
                                                               sensitivity):
    org = make_org()
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"sensitivity": sensitivity})
    who, client = _browser(foundry)
    try:
        clearances.grant(foundry, who.id, "restricted", None, actor="test")
        bench = f"/work/{project.id}"
        assert _signed_in(client, bench)
        for _ in range(3):  # working: each page renews the idle limit
            clock.advance(RESTRICTED_IDLE_SECONDS - 60)
            assert _signed_in(client, f"{bench}/guidelines")
        clock.advance(RESTRICTED_IDLE_SECONDS + 1)  # the screen left alone
        assert _signed_in(client, "/work/mine") is (sensitivity == "standard")
        assert _signed_in(client, bench) is (sensitivity == "standard")
    finally:
        client.__exit__(None, None, None)


def test_the_idle_limit_never_outlives_the_session(foundry, clock, make_org):
    from datafab.web.sessions import SESSION_SECONDS

    org = make_org()
    project = _project(foundry, org.id)
    workforce.set_policy(foundry, org.id, project.id, {"sensitivity": "restricted"})
    who, client = _browser(foundry)
    try:
        clearances.grant(foundry, who.id, "restricted", None, actor="test")
        bench = f"/work/{project.id}"
        steps = int(SESSION_SECONDS // (RESTRICTED_IDLE_SECONDS - 60))  # just short of 12 h
        for _ in range(steps + 2):
            clock.advance(RESTRICTED_IDLE_SECONDS - 60)
            if not _signed_in(client, f"{bench}/guidelines"):
                break
        else:
            pytest.fail("a session renewed on every page outlived its twelve hours")
        assert clock() - 1_800_000_000.0 >= SESSION_SECONDS
    finally:
        client.__exit__(None, None, None)
