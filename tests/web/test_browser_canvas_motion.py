"""The keypoints and tracks canvases in a real browser (Debian's Chromium through Playwright)
against a real server on 127.0.0.1: points placed by clicking, one made occluded from the
keyboard, are the stored answer; a box drawn on frame 0 and moved on frame 4 is shown
interpolated on frame 2 (by the rule of the server's interpolation) and stored as a track of
two keyframes; each frame is served to the contributor holding the task."""

from __future__ import annotations

import io
import shutil
import time
from types import SimpleNamespace

import numpy as np
import pytest
from tests.live_servers import serving

from datafab.foundry import Foundry
from datafab.settings import Settings
from image_files import png

from .conftest import screenshot
from .test_browser import check_page, current_lease, log_in, make_contributor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def motion_site(sqlite_template, tmp_path_factory):

    from datafab.api.app import create_app
    from datafab.services import accounts, items, projects
    from datafab.services.media import uploads

    folder = tmp_path_factory.mktemp("motion")
    shutil.copy(sqlite_template, folder / "site.db")
    (folder / "media" / "clip").mkdir(parents=True)
    for n in range(5):
        (folder / "media" / "clip" / f"{n:04d}.png").write_bytes(png(200, 100, (90, 40 * n, 90)))
    foundry = Foundry(Settings(database_url=f"sqlite:///{folder / 'site.db'}",
                               media_dir=str(folder / "media")))
    org, _ = accounts.create_organization(foundry, "Acme Lab")
    poses = projects.create_project(foundry, org, {
        "name": "Poses", "primitive": "keypoints",
        "settings": {"keypoints": ["nose", "left_eye", "right_eye"],
                     "skeleton": [["nose", "left_eye"], ["nose", "right_eye"]]},
        "guidelines": "Place the face's points.", "policy": {"min_labels": 1, "max_labels": 1}})
    image = uploads.upload_media(foundry, org, poses.id, io.BytesIO(png(200, 100, (90, 140, 90))))
    items.upload_items(foundry, org, poses.id, [
        {"external_id": "face-0", "data": {"media": image.media_id}}])
    clips = projects.create_project(foundry, org, {
        "name": "Traffic", "primitive": "tracks", "settings": {"labels": ["car", "bike"]},
        "guidelines": "Follow every car.", "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org, clips.id, [
        {"external_id": "clip-0", "data": {
            "frames": [f"clip/{n:04d}.png" for n in range(5)], "fps": 10,
            "width": 200, "height": 100}}])
    with serving(create_app(foundry)) as base:
        yield SimpleNamespace(url=base, foundry=foundry, org=org, poses=poses, clips=clips)
    foundry.close()


def _screen(page, x: float, y: float) -> tuple[float, float]:
    """The page point over image pixel (x, y) of a 200-pixel-wide image."""
    box = page.locator("#stage canvas").bounding_box()
    scale = box["width"] / 200
    return box["x"] + x * scale, box["y"] + y * scale


def _root(page, attribute: str):
    return page.evaluate(
        f"() => document.querySelector('#stage [data-canvas]').dataset.{attribute}")


def _submit(page, lease: str) -> None:
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(lease) => { const a = document.querySelector('#stage article.task');"
        " return !a || a.dataset.lease !== lease; }", arg=lease)
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")


def _open(page, site, project_id: int) -> str:
    page.goto(f"{site.url}/work/{project_id}")
    page.wait_for_selector("#stage [data-canvas][data-scale]")
    page.wait_for_function("() => { const i = document.querySelector('#stage canvas');"
                           " return i && i.width > 0; }")
    return current_lease(page)


def test_place_keypoints(motion_site, browser_page):
    from datafab.services.records import list_records

    page = browser_page
    make_contributor(motion_site, "Kai", "kai@example.org")
    log_in(page, motion_site, "kai@example.org")
    lease = _open(page, motion_site, motion_site.poses.id)
    assert _root(page, "current") == "nose"
    page.mouse.click(*_screen(page, 100, 60))  # nose, then left_eye is current
    assert _root(page, "current") == "left_eye"
    page.mouse.click(*_screen(page, 80, 40))
    page.keyboard.press("v")  # left_eye: occluded
    page.mouse.click(*_screen(page, 120, 30))  # right_eye
    # drag the right eye down 10 pixels
    page.mouse.move(*_screen(page, 120, 30))
    page.mouse.down()
    page.mouse.move(*_screen(page, 120, 40), steps=4)
    page.mouse.up()
    assert _root(page, "objects") == "3"
    screenshot(page, "canvas-keypoints")
    check_page(page)
    _submit(page, lease)

    records, _ = list_records(motion_site.foundry, motion_site.org, motion_site.poses.id)
    [record] = records
    points = record["answer"]["points"]
    assert points["nose"]["visibility"] == "visible"
    assert points["nose"]["x"] == pytest.approx(100, abs=1.0)
    assert points["nose"]["y"] == pytest.approx(60, abs=1.0)
    assert points["left_eye"]["visibility"] == "occluded"
    assert points["right_eye"]["x"] == pytest.approx(120, abs=1.0)
    assert points["right_eye"]["y"] == pytest.approx(40, abs=1.0)


def _shown(page) -> list[dict]:
    return page.evaluate("() => JSON.parse(document.querySelector('#stage [data-canvas]')"
                         ".dataset.shown)")


def test_track_a_box_through_frames(motion_site, browser_page):
    from datafab.quality.geometry import dense
    from datafab.services.records import list_records

    page = browser_page
    make_contributor(motion_site, "Tam", "tam@example.org")
    log_in(page, motion_site, "tam@example.org")
    lease = _open(page, motion_site, motion_site.clips.id)
    assert _root(page, "frame") == "0"
    frame_url = _root(page, "src")
    assert frame_url.endswith("/frames/0")
    status = "(u) => fetch(u).then(r => r.status)"
    assert page.evaluate(status, frame_url[:-1] + "4") == 200
    assert page.evaluate(status, frame_url[:-1] + "5") == 404  # the clip has 5 frames
    page.mouse.move(*_screen(page, 20, 20))
    page.mouse.down()
    page.mouse.move(*_screen(page, 30, 30), steps=4)
    page.mouse.move(*_screen(page, 40, 40), steps=4)
    page.mouse.up()
    # frame 4 by the keyboard: the box is held there, faint, past the track's end
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert _root(page, "frame") == "4"
    [held] = _shown(page)
    assert held["held"] and not held["key"]
    # moved 80 pixels right and 20 down: a keyframe on frame 4
    page.mouse.move(*_screen(page, 30, 30))
    page.mouse.down()
    page.mouse.move(*_screen(page, 70, 40), steps=4)
    page.mouse.move(*_screen(page, 110, 50), steps=4)
    page.mouse.up()
    [moved] = _shown(page)
    assert moved["key"] and not moved["held"]
    # the slider takes us to frame 2: the box halfway, as the server interpolates it
    page.locator("input[data-frame-slider]").fill("2")
    assert _root(page, "frame") == "2"
    [middle] = _shown(page)
    assert not middle["key"] and middle["id"] == "1"
    page.locator("#stage canvas").focus()
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "canvas-tracks")
    check_page(page)
    _submit(page, lease)

    records, _ = list_records(motion_site.foundry, motion_site.org, motion_site.clips.id)
    [record] = records
    [track] = record["answer"]["tracks"]
    assert track["id"] == "1" and track["label"] == "car"
    first, last = track["keyframes"]
    assert first["frame"] == 0 and last["frame"] == 4
    assert (first["x"], first["y"]) == pytest.approx((20, 20), abs=1.0)
    assert (last["x"], last["y"]) == pytest.approx((100, 40), abs=1.0)
    assert (last["w"], last["h"]) == pytest.approx((20, 20), abs=1.0)
    boxes = dense([(k["frame"], np.array([k["x"], k["y"], k["w"], k["h"]]))
                   for k in track["keyframes"]], 5)
    assert [middle[a] for a in "xywh"] == pytest.approx(list(boxes[2]), abs=0.11)


def _centre_colour(page) -> list[int]:
    return page.evaluate(
        "() => { const c = document.querySelector('#stage canvas');"
        " const d = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;"
        " return [d[0], d[1], d[2]]; }")


def test_the_tracks_canvas_shows_frames_decoded_from_a_video(motion_site, browser_page):
    pytest.importorskip("av")
    from pathlib import Path

    from datafab.services import items, projects
    from video_files import colour, write_video

    write_video(Path(motion_site.foundry.settings.media_dir) / "clip" / "v.mp4")
    project = projects.create_project(motion_site.foundry, motion_site.org, {
        "name": "Video", "primitive": "tracks", "settings": {"labels": ["car"]},
        "guidelines": "Follow every car.", "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(motion_site.foundry, motion_site.org, project.id, [
        {"external_id": "video-0", "data": {"video": "clip/v.mp4"}}])
    page = browser_page
    make_contributor(motion_site, "Vic", "vic@example.org")
    log_in(page, motion_site, "vic@example.org")
    _open(page, motion_site, project.id)
    assert _root(page, "src").endswith("/frames/0")
    assert _root(page, "frameCount") == "10"
    # one URL pattern for a video's frames, not a URL per frame in the page
    assert _root(page, "frames") == "[]"
    assert _root(page, "framePattern").endswith("/frames/{n}")

    def near(n: int) -> bool:
        return max(abs(a - b) for a, b in zip(_centre_colour(page), colour(n), strict=True)) <= 12

    deadline = time.monotonic() + 10
    while not near(0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert near(0), _centre_colour(page)
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert _root(page, "frame") == "7"
    deadline = time.monotonic() + 10
    while not near(7) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert near(7), _centre_colour(page)
    check_page(page)


def _proposing_project(site, primitive: str, settings: dict, data: dict, answer: dict):
    """A project whose item a model answered first, unsure, so a person gets it with the
    model's answer as a proposal."""
    from datafab.services import accounts, items, projects, work

    project = projects.create_project(site.foundry, site.org, {
        "name": f"Proposed {primitive}", "primitive": primitive, "settings": settings,
        "guidelines": "Check the model's work.",
        "policy": {"min_labels": 1, "max_labels": 1,
                   "models": {"first": True, "suggest": True}}})
    items.upload_items(site.foundry, site.org, project.id, [
        {"external_id": f"{primitive}-proposed", "data": data}])
    model, _ = accounts.create_contributor(site.foundry, {
        "name": f"{primitive}-model", "kind": "model"})
    [lease] = work.lease_batch(site.foundry, model, project.id, 1).leases
    work.submit(site.foundry, model, lease.id, {"answer": answer, "confidence": 0.3})
    return project


def test_keypoints_a_model_proposed_are_placed_to_be_corrected(motion_site, browser_page):
    from datafab.services.records import list_records

    project = _proposing_project(
        motion_site, "keypoints", {"keypoints": ["nose", "left_eye", "right_eye"]},
        {"image": "clip/0000.png", "width": 200, "height": 100},
        {"points": {"nose": {"x": 90, "y": 50, "visibility": "visible"},
                    "left_eye": {"x": 80, "y": 40, "visibility": "occluded"},
                    "right_eye": {"visibility": "absent"}}})
    page = browser_page
    make_contributor(motion_site, "Pia", "pia@example.org")
    log_in(page, motion_site, "pia@example.org")
    lease = _open(page, motion_site, project.id)
    assert _root(page, "objects") == "2" and _root(page, "proposedLeft") == "2"
    assert _root(page, "current") == "right_eye"  # the first point the model did not place
    page.mouse.move(*_screen(page, 90, 50))  # the nose is 10 pixels further right
    page.mouse.down()
    page.mouse.move(*_screen(page, 100, 50), steps=4)
    page.mouse.up()
    assert _root(page, "proposedLeft") == "1"
    page.keyboard.press("3")  # the right eye is there
    page.mouse.click(*_screen(page, 120, 30))
    check_page(page)
    _submit(page, lease)

    records, _ = list_records(motion_site.foundry, motion_site.org, project.id)
    [record] = records
    points = record["answer"]["points"]
    assert points["nose"]["x"] == pytest.approx(100, abs=1.0)
    assert (points["left_eye"]["x"], points["left_eye"]["y"],
            points["left_eye"]["visibility"]) == (80, 40, "occluded")
    assert points["right_eye"]["x"] == pytest.approx(120, abs=1.0)


def test_tracks_a_model_proposed_are_shown_to_be_corrected(motion_site, browser_page):
    from datafab.services.records import list_records

    frames = [f"clip/{n:04d}.png" for n in range(5)]
    project = _proposing_project(
        motion_site, "tracks", {"labels": ["car", "bike"]},
        {"frames": frames, "width": 200, "height": 100},
        {"tracks": [{"id": "1", "label": "car", "keyframes": [
            {"frame": 0, "x": 10, "y": 10, "w": 40, "h": 20},
            {"frame": 4, "x": 90, "y": 10, "w": 40, "h": 20}]}]})
    page = browser_page
    make_contributor(motion_site, "Ola", "ola@example.org")
    log_in(page, motion_site, "ola@example.org")
    lease = _open(page, motion_site, project.id)
    [car] = _shown(page)
    assert (car["label"], car["model"], car["x"], car["key"]) == ("car", True, 10, True)
    page.locator("input[data-frame-slider]").fill("2")
    [car] = _shown(page)
    assert (car["x"], car["key"]) == (50, False)  # interpolated between the model's keys
    # on frame 2 the car is lower than the model thought: a keyframe of the person's
    page.mouse.move(*_screen(page, 70, 20))
    page.mouse.down()
    page.mouse.move(*_screen(page, 70, 40), steps=4)
    page.mouse.up()
    [car] = _shown(page)
    assert (car["model"], car["key"], car["y"]) == (False, True, pytest.approx(30, abs=1.0))
    check_page(page)
    _submit(page, lease)

    records, _ = list_records(motion_site.foundry, motion_site.org, project.id)
    [record] = records
    [track] = record["answer"]["tracks"]
    assert [k["frame"] for k in track["keyframes"]] == [0, 2, 4]
    assert track["keyframes"][1]["y"] == pytest.approx(30, abs=1.0)
