"""How long a workbench page turn takes on the server, against the API doing the same work.

A real uvicorn server on 127.0.0.1 over SQLite; one contributor answers classify items one at
a time, sequentially:

* anchor — the API: ``POST /v1/leases/{id}/submit`` then ``POST /v1/projects/{id}/leases``
  (what a script does per item);
* web — the workbench: ``POST /work/leases/{id}/submit`` with ``HX-Request`` (check the CSRF
  token and the session, read the form, submit, top the queue up to two leases, render the
  turn's HTML: feedback, the task now on screen and the next one).

Run: ``.venv/bin/python bench/web_turns.py [--items 400]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import threading
import time

import httpx
import uvicorn

from datafab.api.app import create_app
from datafab.foundry import Foundry
from datafab.services import accounts, items, projects
from datafab.settings import Settings
from datafab.store.migrate import upgrade

PASSWORD = "benchmark password"


def _serve(foundry: Foundry) -> tuple[str, uvicorn.Server]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(foundry), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def _project(foundry: Foundry, org: int, name: str, n: int) -> int:
    project = projects.create_project(foundry, org, {
        "name": name, "primitive": "classify", "settings": {"labels": ["pos", "neg"]}})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"{name}-{i}", "data": {"text": f"review {i}"}} for i in range(n)])
    return project.id


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def api_turns(url: str, token: str, project_id: int, n: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    with httpx.Client(base_url=url, headers=headers) as http:
        lease = http.post(f"/v1/projects/{project_id}/leases", json={"n": 1}).json()["leases"][0]
        for _ in range(n):
            started = time.perf_counter()
            http.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"label": "pos"}})
            granted = http.post(f"/v1/projects/{project_id}/leases", json={"n": 1}).json()
            out.append(time.perf_counter() - started)
            lease = granted["leases"][0]
    return out


def web_turns(url: str, project_id: int, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=url) as http:
        page = http.get("/signup").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        http.post("/signup", data={"csrf": csrf, "name": "Bench", "email": "bench@example.org",
                                   "password": PASSWORD, "password_again": PASSWORD})
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)
        http.post("/login", data={"csrf": csrf, "email": "bench@example.org",
                                  "password": PASSWORD})
        page = http.get(f"/work/{project_id}").text
        for _ in range(n):
            lease = re.search(r'data-lease="(\d+)"', page).group(1)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            started = time.perf_counter()
            reply = http.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                              data={"csrf": csrf, "label": "pos", "seconds_spent": "3"})
            out.append(time.perf_counter() - started)
            assert reply.status_code == 200, reply.text[:300]
            page = reply.text.split('<template id="turn-current">', 1)[1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=400)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    try:
        url_db = f"sqlite:///{folder}/bench.db"
        upgrade(url_db)
        foundry = Foundry(Settings(database_url=url_db))
        org, _ = accounts.create_organization(foundry, "Bench")
        api_project = _project(foundry, org, "api", args.items + 5)
        web_project = _project(foundry, org, "web", args.items + 5)
        _, token = accounts.create_contributor(foundry, {"name": "script"})
        url, server = _serve(foundry)
        api = api_turns(url, token, api_project, args.items)
        web = web_turns(url, web_project, args.items)
        server.should_exit = True
        a_med, a_p95 = _summary(api)
        w_med, w_p95 = _summary(web)
        print(f"{args.items} turns each, sequential, SQLite, one server process")
        print(f"anchor  API submit + lease : median {a_med:6.2f} ms   p95 {a_p95:6.2f} ms")
        print(f"web     workbench turn     : median {w_med:6.2f} ms   p95 {w_p95:6.2f} ms")
        ratio_med, ratio_p95 = w_med / a_med, w_p95 / a_p95
        print(f"ratio web / anchor         : median {ratio_med:4.2f}x   p95 {ratio_p95:4.2f}x")
        foundry.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
