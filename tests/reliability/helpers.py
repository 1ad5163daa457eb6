"""Small helpers shared by the reliability tests."""

from __future__ import annotations

LABELS = ["cat", "dog", "bird"]


def create_project(api, org, name="animals", guidelines="Pick the animal.", **policy):
    body = {"name": name, "primitive": "classify", "guidelines": guidelines,
            "settings": {"labels": LABELS},
            "policy": policy or {"min_labels": 1, "max_labels": 1}}
    response = api.post("/v1/projects", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def upload(api, org, project, n, start=0):
    items = [{"external_id": f"img-{i}", "data": {"image_url": f"https://example.org/{i}.jpg"}}
             for i in range(start, start + n)]
    response = api.post(f"/v1/projects/{project['id']}/items", json={"items": items},
                        headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()
