"""The perception canvas in a real browser (Debian's Chromium through Playwright) against a
real server on 127.0.0.1: a box drawn by dragging on an uploaded image, moved, given a class
from the keyboard and submitted is the answer stored; the image is served to the contributor
holding the task."""

from __future__ import annotations

import io
import shutil
from types import SimpleNamespace

import pytest
from tests.live_servers import serving

from datafab.foundry import Foundry
from datafab.settings import Settings
from image_files import png

from .conftest import screenshot
from .test_browser import check_page, current_lease, log_in, make_contributor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def canvas_site(sqlite_template, tmp_path_factory):

    from datafab.api.app import create_app
    from datafab.services import accounts, items, projects
    from datafab.services.media import uploads

    folder = tmp_path_factory.mktemp("canvas")
    shutil.copy(sqlite_template, folder / "site.db")
    foundry = Foundry(Settings(database_url=f"sqlite:///{folder / 'site.db'}",
                               media_dir=str(folder / "media")))
    org, _ = accounts.create_organization(foundry, "Acme Lab")
    project = projects.create_project(foundry, org, {
        "name": "Street scenes", "primitive": "boxes",
        "settings": {"labels": ["car", "person"]},
        "guidelines": "Box every car and person.", "policy": {"min_labels": 1, "max_labels": 1}})
    image = uploads.upload_media(foundry, org, project.id, io.BytesIO(png(200, 100, (90, 140, 90))))
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"street-{i}", "data": {"media": image.media_id}} for i in range(3)])
    outlines = projects.create_project(foundry, org, {
        "name": "Road outlines", "primitive": "polygons", "settings": {"labels": ["road"]},
        "guidelines": "Outline the road.", "policy": {"min_labels": 1, "max_labels": 1}})
    uploads.upload_media(foundry, org, outlines.id, io.BytesIO(png(200, 100, (90, 140, 90))))
    items.upload_items(foundry, org, outlines.id, [
        {"external_id": "road-0", "data": {"media": image.media_id}}])
    with serving(create_app(foundry)) as base:
        yield SimpleNamespace(url=base, foundry=foundry, project=project, org=org,
                              outlines=outlines)
    foundry.close()


def _screen(page, x: float, y: float) -> tuple[float, float]:
    """The page point over image pixel (x, y)."""
    box = page.locator("#stage canvas").bounding_box()
    scale = box["width"] / 200
    return box["x"] + x * scale, box["y"] + y * scale


def test_draw_move_and_submit_a_box(canvas_site, browser_page):
    from datafab.services.records import list_records

    page = browser_page
    make_contributor(canvas_site, "Dee", "dee@example.org")
    log_in(page, canvas_site, "dee@example.org")
    page.goto(f"{canvas_site.url}/work/{canvas_site.project.id}")
    page.wait_for_selector("#stage [data-canvas][data-scale]")
    page.wait_for_function("() => { const i = document.querySelector('#stage canvas');"
                           " return i && i.width > 0; }")
    # the image itself is served to the holder of the task
    assert page.evaluate("() => document.querySelector('#stage [data-canvas]').dataset.src"
                         ).endswith("/image")
    lease = current_lease(page)

    page.keyboard.press("2")  # person
    page.mouse.move(*_screen(page, 20, 10))
    page.mouse.down()
    page.mouse.move(*_screen(page, 50, 40), steps=4)
    page.mouse.move(*_screen(page, 80, 60), steps=4)
    page.mouse.up()
    # drag the box by its middle 10 pixels right and 5 down
    page.mouse.move(*_screen(page, 50, 35))
    page.mouse.down()
    page.mouse.move(*_screen(page, 60, 40), steps=5)
    page.mouse.up()
    # a click on the empty image makes no box
    page.mouse.click(*_screen(page, 150, 80))
    assert page.evaluate("() => document.querySelector('#stage [data-canvas]').dataset.objects"
                         ) == "1"
    screenshot(page, "canvas-boxes")
    check_page(page)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(lease) => { const a = document.querySelector('#stage article.task');"
        " return !a || a.dataset.lease !== lease; }", arg=lease)
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")

    records, _ = list_records(canvas_site.foundry, canvas_site.org, canvas_site.project.id)
    [record] = records
    [box] = record["answer"]["boxes"]
    assert box["label"] == "person"
    assert box["x"] == pytest.approx(30, abs=1.0) and box["y"] == pytest.approx(15, abs=1.0)
    assert box["w"] == pytest.approx(60, abs=1.0) and box["h"] == pytest.approx(50, abs=1.0)


def test_outline_a_polygon(canvas_site, browser_page):
    from datafab.services.records import list_records

    page = browser_page
    make_contributor(canvas_site, "Eve", "eve@example.org")
    log_in(page, canvas_site, "eve@example.org")
    page.goto(f"{canvas_site.url}/work/{canvas_site.outlines.id}")
    page.wait_for_selector("#stage [data-canvas][data-scale]")
    lease = current_lease(page)
    for x, y in ((20, 20), (120, 20), (120, 80), (20, 80), (20, 20)):  # back to the first
        page.mouse.click(*_screen(page, x, y))
    assert page.evaluate("() => document.querySelector('#stage [data-canvas]').dataset.objects"
                         ) == "1"
    check_page(page)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(lease) => { const a = document.querySelector('#stage article.task');"
        " return !a || a.dataset.lease !== lease; }", arg=lease)
    page.wait_for_selector("#bench[aria-busy=false]", state="attached")
    records, _ = list_records(canvas_site.foundry, canvas_site.org, canvas_site.outlines.id)
    [record] = records
    [polygon] = record["answer"]["polygons"]
    xs = [p[0] for p in polygon["points"]]
    ys = [p[1] for p in polygon["points"]]
    assert polygon["label"] == "road"
    assert min(xs) == pytest.approx(20, abs=2) and max(xs) == pytest.approx(120, abs=2)
    assert min(ys) == pytest.approx(20, abs=2) and max(ys) == pytest.approx(80, abs=2)
