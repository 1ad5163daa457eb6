"""A web image on a host the deployment names (DATAFAB_MEDIA_HOSTS) is shown in the canvas in
a real browser, its origin allowed by the page's content-security policy; an image on any
other host is not loaded into the page. The image host is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from tests.live_servers import serving

from datafab.foundry import Foundry
from datafab.settings import Settings
from image_files import png

from .test_browser import check_page, log_in, make_contributor

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def hosted_site(sqlite_template, tmp_path_factory):

    from datafab.api.app import create_app
    from datafab.services import accounts, items, projects

    folder = tmp_path_factory.mktemp("hosts")
    (folder / "www").mkdir()
    (folder / "www" / "a.png").write_bytes(png(200, 100, (200, 60, 60)))
    images = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_Quiet, directory=str(folder / "www")))
    threading.Thread(target=images.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{images.server_address[1]}"
    shutil.copy(sqlite_template, folder / "site.db")
    foundry = Foundry(Settings(database_url=f"sqlite:///{folder / 'site.db'}",
                               media_dir=str(folder / "media"), media_hosts=host))
    org, _ = accounts.create_organization(foundry, "Acme Lab")
    made = {}
    for name, image in (("named", f"{host}/a.png"),
                        ("other", f"http://localhost:{images.server_address[1]}/a.png")):
        made[name] = projects.create_project(foundry, org, {
            "name": name, "primitive": "boxes", "settings": {"labels": ["car"]},
            "guidelines": "Box every car.", "policy": {"min_labels": 1, "max_labels": 1}})
        items.upload_items(foundry, org, made[name].id, [
            {"external_id": "web-0", "data": {"image": image}}])
    with serving(create_app(foundry)) as base:
        yield SimpleNamespace(url=base, foundry=foundry, org=org, projects=made, host=host)
    images.shutdown()
    foundry.close()


def test_an_image_on_a_named_host_is_shown(hosted_site, browser_page):
    page = browser_page
    make_contributor(hosted_site, "Wes", "wes@example.org")
    log_in(page, hosted_site, "wes@example.org")
    response = page.goto(f"{hosted_site.url}/work/{hosted_site.projects['named'].id}")
    policy = response.headers["content-security-policy"]
    assert f"img-src 'self' data: {hosted_site.host};" in policy
    page.wait_for_selector("#stage [data-canvas][data-scale]")
    root = "document.querySelector('#stage [data-canvas]')"
    assert page.evaluate(f"() => {root}.dataset.src") == f"{hosted_site.host}/a.png"
    page.wait_for_function(f"() => {root}.datafabCanvas.image.naturalWidth === 200")
    check_page(page)

    page.goto(f"{hosted_site.url}/work/{hosted_site.projects['other'].id}")
    page.wait_for_selector("#stage [data-canvas][data-scale]")
    assert page.evaluate(f"() => {root}.dataset.src") is None
