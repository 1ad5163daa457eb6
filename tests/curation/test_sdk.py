"""The audit and selection through ``datafab.Client`` against a real server."""

from __future__ import annotations

import datafab
from datafab.services.accounts import create_contributor, create_organization

from .conftest import LABELS, PLANTED, corpus, given_label


def test_the_sdk_audits_and_selects(live_server):
    url, foundry = live_server
    _, api_key = create_organization(foundry, "Lab")
    _, token = create_contributor(foundry, {"name": "Ada"})
    requester = datafab.Client(url, api_key=api_key)
    project = requester.create_project("topics", "classify", settings={"labels": LABELS},
                                       policy={"min_labels": 1, "max_labels": 1})
    rows = corpus(70)
    requester.upload_items(project["id"], [{"external_id": e, "data": {"text": t}}
                                           for e, t, _ in rows])
    truth = {e: t for e, _, t in rows}
    contributor = datafab.Client(url, api_key=token)
    done = 0
    while done < 60 and (leases := contributor.lease(project["id"], n=min(20, 60 - done))):
        for lease in leases:
            ext = lease["item"]["external_id"]
            contributor.submit(lease["id"], {"label": given_label(ext, truth[ext])})
            done += 1
    run = requester.audit(project["id"], poll=0.2, timeout=120)
    assert run["status"] == "done", run
    assert PLANTED in [line["external_id"] for line in run["result"]["lines"][:3]]
    chosen = requester.select_items(project["id"], 3)["selected"]
    assert len(chosen) == 3 and all(s["external_id"] not in truth or
                                    int(s["external_id"][2:]) >= 60 for s in chosen)
