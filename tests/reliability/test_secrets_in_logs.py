"""Nothing secret is ever logged: a real server with access logs and SQL logging at DEBUG
serves keys, tokens and failures; no key or token appears in any log line."""

from __future__ import annotations

import logging
import shutil
import threading
import time

import httpx
import uvicorn
from tests.live_servers import free_port

from datafab.api.app import create_app
from datafab.foundry import Foundry
from datafab.services.accounts import create_contributor, create_organization
from datafab.settings import Settings


def test_no_secret_reaches_the_logs(tmp_path, sqlite_template, caplog):
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    foundry = Foundry(Settings(database_url=f"sqlite:///{path}", refit_in_background=False))
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # statements and params
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(foundry), host="127.0.0.1", port=port,
                                           log_config=None, log_level="debug",
                                           access_log=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        _org, key = create_organization(foundry, "Acme")
        _who, token = create_contributor(foundry, {"name": "w"})
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base) as http:
            made = http.post("/v1/keys", json={"name": "ci"}, headers=auth).json()["key"]
            project = http.post("/v1/projects", headers={**auth, "Idempotency-Key": "k1"}, json={
                "name": "p", "primitive": "classify", "guidelines": "g",
                "settings": {"labels": ["a", "b"]}}).json()
            http.post(f"/v1/projects/{project['id']}/items", headers=auth, json={
                "items": [{"external_id": "1", "data": {"image_url": "https://e.org/1.jpg"}}]})
            worker = {"Authorization": f"Bearer {token}"}
            lease = http.post(f"/v1/projects/{project['id']}/leases",
                              headers=worker).json()["leases"][0]
            http.post(f"/v1/leases/{lease['id']}/submit", headers=worker,
                      json={"answer": {"label": "a"}})
            wrong = key[:-4] + "AAAA"
            assert http.get("/v1/projects", headers={"Authorization": f"Bearer {wrong}"}) \
                .status_code == 401
            assert http.get(f"/v1/projects/{2**70}", headers=auth).status_code in (404, 422)
            http.post(f"/v1/keys/{2}/revoke", headers=auth)
            assert http.get("/v1/projects", headers={"Authorization": f"Bearer {made}"}) \
                .status_code == 401
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        foundry.close()
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /v1/keys" in logged  # the access log was on: the test could see a leak
    assert "INSERT INTO api_keys" in logged  # and the SQL with its parameters
    for secret in (key, made, token, wrong):
        assert secret not in logged
        assert secret[12:] not in logged  # not even the part after the shown prefix
