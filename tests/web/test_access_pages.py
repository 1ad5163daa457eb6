"""The access log from the pages: a workbench page's leases are logged with the address, and
the requester's dashboard lists the project's log, linked from the project page."""

from __future__ import annotations

import re

from sqlalchemy import select

from datafab.services import accounts
from datafab.store.tables import access_log, leases

from .test_pages import classify_project, client, csrf_of, sign_up  # noqa: F401 - client fixture


def test_the_workbench_logs_the_items_it_shows_and_the_dashboard_lists_them(client, foundry):  # noqa: F811
    org, key = accounts.create_organization(foundry, "Acme")
    project = classify_project(foundry, org, n=3)
    sign_up(client)
    bench = client.get(f"/work/{project.id}")
    assert bench.status_code == 200
    with foundry.db.read() as conn:
        held = sorted(conn.execute(select(leases.c.item_id)).scalars())
        rows = conn.execute(select(access_log)).all()
    assert held and sorted(r.item_id for r in rows) == held
    assert {(r.event, r.address) for r in rows} == {("page", "testclient")}
    client.cookies.clear()
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": key})
    overview = client.get(f"/dashboard/projects/{project.id}")
    assert f'href="/dashboard/projects/{project.id}/access"' in overview.text
    listed = client.get(f"/dashboard/projects/{project.id}/access")
    assert listed.status_code == 200
    assert len(re.findall(r"<td>page</td>", listed.text)) == len(held)
    assert re.search(r"c_[0-9a-f]{12}", listed.text)
    assert "testclient" not in listed.text  # contributors' addresses stay with the operator
    other_org, other_key = accounts.create_organization(foundry, "Rival")
    client.cookies.clear()
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": other_key})
    assert client.get(f"/dashboard/projects/{project.id}/access").status_code == 404
