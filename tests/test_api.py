"""The REST API: the whole line for classify, every bad input, tenant isolation, pagination."""

from __future__ import annotations

import json

import pytest

LABELS = ["cat", "dog", "bird"]


def _create(api, org, name="animals", **policy):
    body = {"name": name, "primitive": "classify", "guidelines": "Pick the animal.",
            "settings": {"labels": LABELS}, "policy": policy or {"min_labels": 1, "max_labels": 1}}
    response = api.post("/v1/projects", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _items(n, start=0):
    return [{"external_id": f"img-{i}", "data": {"image_url": f"https://example.org/{i}.jpg"}}
            for i in range(start, start + n)]


def _upload(api, org, project, batch):
    return api.post(f"/v1/projects/{project['id']}/items", json={"items": batch},
                    headers=org.headers)


def _error(response, status, field=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


def _count_items(api, org, project):
    return api.get(f"/v1/projects/{project['id']}/progress", headers=org.headers).json()["items"]


def test_the_whole_line(api, make_org, make_worker):
    org = make_org()
    project = _create(api, org, min_labels=2, max_labels=3, target_confidence=0.9)
    assert _upload(api, org, project, _items(5)).json() == {"created": 5, "unchanged": 0}
    workers = [make_worker(f"w{i}") for i in range(3)]
    for i, worker in enumerate(workers):
        leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 5},
                          headers=worker.headers).json()["leases"]
        for lease in leases:
            label = "cat" if i < 2 or lease["item"]["external_id"] != "img-0" else "dog"
            r = api.post(f"/v1/leases/{lease['id']}/submit",
                         json={"answer": {"label": label}, "seconds_spent": 3.5},
                         headers=worker.headers)
            assert r.status_code == 200, r.text
    records = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers).json()
    assert len(records["data"]) == 5
    assert all(r["answer"] == {"label": "cat"} for r in records["data"])
    progress = api.get(f"/v1/projects/{project['id']}/progress", headers=org.headers).json()
    # Dawid-Skene with no track record yet: two agreeing labels from unknown contributors
    # are not 90% sure among three classes, but a third label could not outvote them, so no
    # item is given one.
    assert progress == {"items": 5, "open": 0, "done": 5, "labels": 10, "live_leases": 0}
    export = api.get(f"/v1/projects/{project['id']}/export", headers=org.headers)
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert len(rows) == 5
    assert {"record_id", "confidence", "n_submissions", "guideline_version",
            "contributors"} <= set(rows[0])
    assert all(len(r["contributors"]) == 2 and r["label"] == "cat" for r in rows)


def test_upload_is_idempotent_on_external_id(api, make_org):
    org = make_org()
    project = _create(api, org)
    assert _upload(api, org, project, _items(3)).json() == {"created": 3, "unchanged": 0}
    assert _upload(api, org, project, _items(4)).json() == {"created": 1, "unchanged": 3}
    assert _count_items(api, org, project) == 4


def test_guidelines_are_versioned(api, make_org):
    org = make_org()
    project = _create(api, org)
    r = api.patch(f"/v1/projects/{project['id']}", json={"guidelines": "Birds count too."},
                  headers=org.headers)
    assert r.json()["guideline_version"] == 2
    g = api.get(f"/v1/projects/{project['id']}/guidelines", headers=org.headers).json()
    assert g == {"version": 2, "text": "Birds count too."}


# --- bad input: a 4xx naming the field, and nothing written -------------------------------

def test_malformed_json(api, make_org):
    org = make_org()
    project = _create(api, org)
    r = api.post(f"/v1/projects/{project['id']}/items", content=b'{"items": [',
                 headers={**org.headers, "content-type": "application/json"})
    _error(r, 422, "body")
    assert _count_items(api, org, project) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "primitive": "clasify", "settings": {"labels": LABELS}}, "primitive"),
        ({"name": "x", "primitive": "classify", "settings": {"labels": ["a"]}}, "settings.labels"),
        ({"name": "x", "primitive": "classify", "settings": {"labels": ["a", "a"]}},
         "settings.labels"),
        ({"name": "x", "primitive": "classify", "settings": {"labels": LABELS, "colour": 1}},
         "settings.colour"),
        ({"name": "x", "primitive": "classify", "settings": {"labels": LABELS},
          "policy": {"min_labels": 3, "max_labels": 2}}, "policy"),
        ({"name": "", "primitive": "classify", "settings": {"labels": LABELS}}, "name"),
    ],
)
def test_bad_project_settings(api, make_org, body, field):
    org = make_org()
    _error(api.post("/v1/projects", json=body, headers=org.headers), 422, field)
    assert api.get("/v1/projects", headers=org.headers).json()["data"] == []


def test_unknown_primitive_suggests_the_right_one(api, make_org):
    org = make_org()
    r = api.post("/v1/projects", json={"name": "x", "primitive": "clasify"}, headers=org.headers)
    assert "did you mean 'classify'" in _error(r, 422, "primitive")["message"]


def test_bad_item_in_a_batch_writes_nothing(api, make_org):
    org = make_org()
    project = _create(api, org)
    batch = _items(5)
    batch[3] = {"external_id": "img-3", "data": {}}
    _error(_upload(api, org, project, batch), 422, "items.3.data")
    assert _count_items(api, org, project) == 0


def test_bad_gold_answer_names_the_field(api, make_org):
    org = make_org()
    project = _create(api, org)
    batch = _items(2)
    batch[1]["gold_answer"] = {"label": "zebra"}
    _error(_upload(api, org, project, batch), 422, "items.1.gold_answer.label")
    assert _count_items(api, org, project) == 0


def test_oversize_batch(api, make_org, foundry):
    foundry.settings.max_items_per_upload = 10
    org = make_org()
    project = _create(api, org)
    _error(_upload(api, org, project, _items(11)), 413, "items")
    assert _count_items(api, org, project) == 0


def test_oversize_body(api, make_org, foundry):
    org = make_org()
    project = _create(api, org)
    limit = foundry.settings.max_body_bytes
    r = api.post(f"/v1/projects/{project['id']}/items", content=b"x" * (limit + 1),
                 headers={**org.headers, "content-type": "application/json"})
    _error(r, 413, "body")


def test_duplicate_external_id_with_other_content(api, make_org):
    org = make_org()
    project = _create(api, org)
    _upload(api, org, project, _items(2))
    changed = _items(3)
    changed[1]["data"] = {"text": "something else"}
    _error(_upload(api, org, project, changed), 409, "items.1.external_id")
    assert _count_items(api, org, project) == 2  # img-2 did not land either
    twice = _items(1, start=7) + [{"external_id": "img-7", "data": {"text": "other"}}]
    _error(_upload(api, org, project, twice), 422, "items.1.external_id")


def test_unknown_label(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    project = _create(api, org)
    _upload(api, org, project, _items(1))
    (lease,) = api.post(f"/v1/projects/{project['id']}/leases",
                        headers=worker.headers).json()["leases"]
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "zebra"}},
                 headers=worker.headers)
    _error(r, 422, "answer.label")
    records = api.get(f"/v1/projects/{project['id']}/records", headers=org.headers).json()
    assert records["data"] == []


def test_submission_without_a_lease(api, make_org, make_worker):
    worker = make_worker()
    r = api.post("/v1/leases/12345/submit", json={"answer": {"label": "cat"}},
                 headers=worker.headers)
    _error(r, 404, "lease_id")


def test_submission_on_an_expired_lease(api, make_org, make_worker, clock, foundry):
    org, worker = make_org(), make_worker()
    project = _create(api, org)
    _upload(api, org, project, _items(1))
    (lease,) = api.post(f"/v1/projects/{project['id']}/leases",
                        headers=worker.headers).json()["leases"]
    clock.advance(foundry.settings.lease_seconds + 1)
    r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "cat"}},
                 headers=worker.headers)
    assert _error(r, 409, "lease_id")["type"] == "lease_expired"


def test_credentials(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    project = _create(api, org)
    assert api.get("/v1/projects").status_code == 401
    assert api.get("/v1/projects", headers={"Authorization": "Bearer dfk_nope"}).status_code == 401
    # a contributor token is not an API key, and the other way round
    assert api.get("/v1/projects", headers=worker.headers).status_code == 401
    r = api.post(f"/v1/projects/{project['id']}/leases", headers=org.headers)
    assert r.status_code == 401


def test_bad_query_parameters(api, make_org):
    org = make_org()
    project = _create(api, org)
    _error(api.get("/v1/projects?limit=0", headers=org.headers), 422, "limit")
    _error(api.get("/v1/projects?cursor=bogus!", headers=org.headers), 422, "cursor")
    r = api.get(f"/v1/projects/{project['id']}/export?format=dpo", headers=org.headers)
    _error(r, 422, "format")


# --- tenant isolation ---------------------------------------------------------------------

def test_another_organizations_objects_are_not_found(api, make_org, make_worker):
    mine, theirs = make_org("Mine"), make_org("Theirs")
    project = _create(api, mine)
    _upload(api, mine, project, _items(2))
    pid = project["id"]
    for method, path, body in [
        ("GET", f"/v1/projects/{pid}", None),
        ("PATCH", f"/v1/projects/{pid}", {"name": "stolen"}),
        ("GET", f"/v1/projects/{pid}/progress", None),
        ("GET", f"/v1/projects/{pid}/guidelines", None),
        ("POST", f"/v1/projects/{pid}/items", {"items": _items(1, start=50)}),
        ("GET", f"/v1/projects/{pid}/items", None),
        ("GET", f"/v1/projects/{pid}/records", None),
        ("GET", f"/v1/projects/{pid}/export", None),
    ]:
        r = api.request(method, path, json=body, headers=theirs.headers)
        assert r.status_code == 404, (method, path, r.text)
        assert "Acme" not in r.text and "animals" not in r.text
    assert api.get("/v1/projects", headers=theirs.headers).json()["data"] == []
    assert _count_items(api, mine, project) == 2
    assert api.get(f"/v1/projects/{pid}", headers=mine.headers).json()["name"] == "animals"


def test_pagination_walks_every_row_once(api, make_org):
    org = make_org()
    project = _create(api, org)
    _upload(api, org, project, _items(25))
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/v1/projects/{project['id']}/items", params=params,
                       headers=org.headers).json()
        seen += [i["external_id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"img-{i}" for i in range(25))


def test_openapi_is_served(api):
    spec = api.get("/openapi.json").json()
    assert "/v1/projects/{project_id}/leases" in spec["paths"]
    assert "/v1/leases/{lease_id}/submit" in spec["paths"]


def test_batch_submission_lands_whole_or_not_at_all(api, make_org, make_worker):
    org, worker = make_org(), make_worker()
    project = _create(api, org)
    _upload(api, org, project, _items(3))
    leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 3},
                      headers=worker.headers).json()["leases"]
    batch = [{"lease_id": lease["id"], "answer": {"label": "cat"}} for lease in leases]
    batch[2]["answer"] = {"label": "zebra"}
    r = api.post("/v1/submissions", json={"submissions": batch}, headers=worker.headers)
    _error(r, 422, "submissions.2.answer.label")
    assert api.get(f"/v1/projects/{project['id']}/records", headers=org.headers).json()[
        "data"] == []
    batch[2]["answer"] = {"label": "dog"}
    r = api.post("/v1/submissions", json={"submissions": batch}, headers=worker.headers)
    assert r.status_code == 200, r.text
    assert [s["lease_id"] for s in r.json()["submissions"]] == [lease["id"] for lease in leases]
    assert api.get(f"/v1/projects/{project['id']}/progress", headers=org.headers).json()[
        "done"] == 3
