"""YOLO and VOC exports through the API (``GET /v1/projects/{id}/export?format=yolo``) on a
real server: the answer is the zip the CLI writes (``application/zip``), audited like any
export; ``file=jsonl`` still streams the rows, and a zip of another format is refused naming
the field."""

from __future__ import annotations

import io
import zipfile

import httpx

import datafab
from datafab.services import exports
from datafab.services.accounts import create_organization
from image_files import png
from test_perception_api_import import _boxes
from test_perception_formats import _zip


def _files(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_yolo_and_voc_zips_through_the_api(live_server, tmp_path):
    url, foundry = live_server
    org, key = create_organization(foundry, "Lab")
    client = datafab.Client(url, api_key=key)
    project = _boxes(client, "street")
    source = tmp_path / "yolo.zip"
    source.write_bytes(_zip({"classes.txt": "car\nperson\n", "images/a.png": png(200, 100),
                             "labels/a.txt": "0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.1 0.1\n"}))
    client.import_file(project["id"], source, "yolo")
    auth = {"Authorization": f"Bearer {key}"}
    export = f"{url}/v1/projects/{project['id']}/export"
    for fmt in ("yolo", "voc"):
        r = httpx.get(export, params={"format": fmt}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        cli = tmp_path / f"cli-{fmt}.zip"
        exports.write_export(foundry, org, project["id"], fmt, cli)
        assert _files(r.content) == _files(cli.read_bytes())
    assert _files(r.content)["Annotations/a.xml"].startswith(b"<")
    rows = httpx.get(export, params={"format": "yolo", "file": "jsonl"},
                     headers=auth)
    assert rows.status_code == 200 and rows.headers["content-type"] == "application/x-ndjson"
    bad = httpx.get(export, params={"format": "records", "file": "zip"},
                    headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "file"
    client.close()
