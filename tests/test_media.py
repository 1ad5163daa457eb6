"""Media for perception work, on SQLite and PostgreSQL: upload (content-addressed, size read
from the header, oversize and unreadable refused with nothing written), sizes filled into
items, and images shown to the requester and, on need to know, to the contributor holding
the item (written to the access log)."""

from __future__ import annotations

import hashlib
import struct

import pytest

from datafab.services.media.probe import NotAnImage, probe
from image_files import jpeg_header, png


@pytest.fixture
def settings_overrides(tmp_path):
    return {"media_dir": str(tmp_path / "media"), "max_media_bytes": 4096}


def test_probe_reads_sizes_from_headers():
    assert probe(png(7, 5)).width == 7 and probe(png(7, 5)).height == 5
    assert probe(jpeg_header(640, 480)) == probe(jpeg_header(640, 480))
    found = probe(jpeg_header(640, 480))
    assert (found.content_type, found.width, found.height) == ("image/jpeg", 640, 480)
    gif = b"GIF89a" + struct.pack("<HH", 3, 9) + b"\x00" * 10
    assert (probe(gif).width, probe(gif).height) == (3, 9)
    for bad in (b"hello", b"\xff\xd8\xff\xe0\x00", png(0, 5), b""):
        with pytest.raises(NotAnImage):
            probe(bad)


def _project(api, org, primitive="boxes"):
    r = api.post("/v1/projects", headers=org.headers, json={
        "name": "p", "primitive": primitive, "settings": {"labels": ["car"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _upload(api, org, pid, body, name="a.png"):
    return api.post(f"/v1/projects/{pid}/media", headers=org.headers,
                    files={"file": (name, body, "application/octet-stream")})


def test_upload_keeps_the_file_by_its_hash(api, make_org, settings_overrides):
    from pathlib import Path

    org = make_org()
    pid = _project(api, org)
    body = png(12, 8)
    r = _upload(api, org, pid, body)
    assert r.status_code == 201, r.text
    got = r.json()
    digest = hashlib.sha256(body).hexdigest()
    assert got == {"media_id": digest, "content_type": "image/png", "width": 12, "height": 8,
                   "size": len(body), "created": True}
    stored = Path(settings_overrides["media_dir"]) / "sha256" / digest[:2] / digest
    assert stored.read_bytes() == body
    assert _upload(api, org, pid, body).json()["created"] is False
    r = api.get(f"/v1/projects/{pid}/media/{digest}", headers=org.headers)
    assert r.status_code == 200 and r.content == body
    assert r.headers["content-type"] == "image/png"

    other = make_org("Other")
    assert _upload(api, other, pid, body).status_code == 404
    assert api.get(f"/v1/projects/{pid}/media/{digest}", headers=other.headers).status_code == 404
    assert api.post(f"/v1/projects/{pid}/media", files={"file": ("a.png", body)}).status_code == 401


def test_bad_uploads_are_refused_and_nothing_kept(api, make_org, settings_overrides):
    from pathlib import Path

    org = make_org()
    pid = _project(api, org)
    r = _upload(api, org, pid, b"not an image at all")
    assert r.status_code == 422 and r.json()["error"]["field"] == "file"
    big = png(200, 200, (1, 2, 3))[:8] + bytes(range(256)) * 40  # > 4096 bytes
    r = _upload(api, org, pid, big)
    assert r.status_code == 413 and r.json()["error"]["field"] == "file"
    root = Path(settings_overrides["media_dir"])
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_item_sizes_come_from_the_file(api, make_org, settings_overrides):
    from pathlib import Path

    org = make_org()
    pid = _project(api, org)
    media_id = _upload(api, org, pid, png(30, 20)).json()["media_id"]
    folder = Path(settings_overrides["media_dir"]) / "cams"
    folder.mkdir(parents=True)
    (folder / "f1.jpg").write_bytes(jpeg_header(64, 48) + b"\x00" * 16)
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "up", "data": {"media": media_id}},
        {"external_id": "path", "data": {"image": "cams/f1.jpg"}},
        {"external_id": "given", "data": {"image": "cams/f1.jpg", "width": 5, "height": 5}},
        {"external_id": "web", "data": {"image": "https://img.example/x.png"}}]})
    assert r.status_code == 200 and r.json()["created"] == 4, r.text
    listed = api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"]
    sizes = {i["external_id"]: (i["data"].get("width"), i["data"].get("height"))
             for i in listed}
    assert sizes == {"up": (30, 20), "path": (64, 48), "given": (5, 5), "web": (None, None)}

    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "ok", "data": {"media": media_id}},
        {"external_id": "nope", "data": {"media": "0" * 64, "width": 3, "height": 3}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.1.data.media"
    assert len(api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"]) == 4


def test_contributor_sees_only_the_image_of_an_item_they_hold(api, make_org, make_worker):
    org = make_org()
    pid = _project(api, org)
    body = png(10, 10)
    media_id = _upload(api, org, pid, body).json()["media_id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers,
             json={"items": [{"external_id": "a", "data": {"media": media_id}}]})
    holder, other = make_worker("holder"), make_worker("other")
    item_id = api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"][0]["id"]
    url = f"/v1/projects/{pid}/items/{item_id}/image"
    assert api.get(url, headers=holder.headers).status_code == 404  # no lease yet
    lease = api.post(f"/v1/projects/{pid}/leases", json={"n": 1},
                     headers=holder.headers).json()["leases"][0]
    r = api.get(url, headers=holder.headers)
    assert r.status_code == 200 and r.content == body
    assert api.get(url, headers=other.headers).status_code == 404
    assert api.get(url, headers=org.headers).status_code == 401
    log = api.get(f"/v1/projects/{pid}/access", headers=org.headers).json()["data"]
    assert [e["event"] for e in log if e["item_id"] == item_id][:1] == ["media"]
    api.post(f"/v1/leases/{lease['id']}/submit", headers=holder.headers,
             json={"answer": {"boxes": []}})
    assert api.get(url, headers=holder.headers).status_code == 404  # the lease is over
