"""A tracks item on a video file: its frame count, frame rate and size read from the file,
each frame decoded on demand and shown as a PNG image to the contributor holding the item
(past the last frame: 404); a file that is not a video is refused naming the field."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from datafab.errors import NotFound
from datafab.services.accounts import authenticate_contributor
from datafab.services.media import serving
from video_files import colour, write_video

av = pytest.importorskip("av")


@pytest.fixture
def settings_overrides(tmp_path):
    return {"media_dir": str(tmp_path / "media")}


def _pixel(png_bytes: bytes) -> tuple[int, int, int]:
    with av.open(io.BytesIO(png_bytes)) as container:
        frame = next(container.decode(video=0))
    rgb = frame.to_ndarray(format="rgb24")
    return tuple(int(v) for v in rgb[rgb.shape[0] // 2, rgb.shape[1] // 2])


def test_frames_are_decoded_from_a_video_file(api, foundry, make_org, make_worker,
                                              settings_overrides):
    folder = Path(settings_overrides["media_dir"]) / "clips"
    folder.mkdir(parents=True)
    write_video(folder / "a.mp4")
    (folder / "bad.mp4").write_bytes(b"not a video at all")
    org = make_org()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "clips", "primitive": "tracks", "settings": {"labels": ["car"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).json()["id"]
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "ok", "data": {"video": "clips/a.mp4"}},
        {"external_id": "bad", "data": {"video": "clips/bad.mp4"}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.1.data.video"
    assert api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"] == []
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "ok", "data": {"video": "clips/a.mp4"}}]})
    assert r.status_code == 200, r.text
    [item] = api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"]
    data = item["data"]
    assert (data["frame_count"], data["fps"], data["width"], data["height"]) == (10, 10, 64, 48)

    worker = make_worker("w")
    who = authenticate_contributor(foundry, worker.token)
    with pytest.raises(NotFound):  # no lease yet
        serving.item_image(foundry, who, pid, item["id"], frame=0)
    api.post(f"/v1/projects/{pid}/leases", json={"n": 1}, headers=worker.headers)
    for n in (0, 7):
        found = serving.item_image(foundry, who, pid, item["id"], frame=n)
        assert found.content_type == "image/png" and found.content is not None
        assert np.abs(np.subtract(_pixel(found.content), colour(n))).max() <= 12, n
    with pytest.raises(NotFound):
        serving.item_image(foundry, who, pid, item["id"], frame=10)


def test_an_uploaded_video_is_a_tracks_item(api, foundry, make_org, make_worker, tmp_path):
    write_video(tmp_path / "b.mp4", frames=6)
    org = make_org()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "clips", "primitive": "tracks", "settings": {"labels": ["car"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).json()["id"]
    r = api.post(f"/v1/projects/{pid}/media", headers=org.headers,
                 files={"file": ("b.mp4", (tmp_path / "b.mp4").read_bytes(), "video/mp4")})
    assert r.status_code == 201, r.text
    uploaded = r.json()
    assert (uploaded["content_type"], uploaded["width"], uploaded["height"]) == (
        "video/mp4", 64, 48)
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "up", "data": {"video": uploaded["media_id"]}}]})
    assert r.status_code == 200, r.text
    [item] = api.get(f"/v1/projects/{pid}/items", headers=org.headers).json()["data"]
    assert item["data"]["frame_count"] == 6
    worker = make_worker("w")
    api.post(f"/v1/projects/{pid}/leases", json={"n": 1}, headers=worker.headers)
    who = authenticate_contributor(foundry, worker.token)
    found = serving.item_image(foundry, who, pid, item["id"], frame=5)
    assert np.abs(np.subtract(_pixel(found.content or b""), colour(5))).max() <= 12


def test_without_pyav_a_video_item_names_the_field_and_the_extra(api, make_org, monkeypatch,
                                                                  settings_overrides):
    folder = Path(settings_overrides["media_dir"]) / "clips"
    folder.mkdir(parents=True)
    write_video(folder / "a.mp4", frames=2)
    monkeypatch.setitem(__import__("sys").modules, "av", None)  # as if it were not installed
    org = make_org()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "clips", "primitive": "tracks", "settings": {"labels": ["car"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).json()["id"]
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": "ok", "data": {"video": "clips/a.mp4"}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.0.data.video"
    assert "datafab[video]" in r.json()["error"]["message"]
