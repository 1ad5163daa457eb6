"""Sessions and accounts under attack, on SQLite and PostgreSQL: login throttling that slows a
guesser without locking anyone out, forwarded addresses believed only from named proxies,
sessions that a copy of the database cannot forge and that logout ends on the server, and
`datafab serve` refusing to listen beyond loopback without its keys."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.live_servers import free_port

from datafab.api.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def app(foundry):
    foundry.settings.operator_token = "ops-token"
    return create_app(foundry)


def at(app, address: str) -> TestClient:
    """A browser on ``address``."""
    return TestClient(app, client=(address, 50000))


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def sign_up(client, email="ada@example.org", name="Ada", password=PASSWORD):
    """Sign up, then log in (signing up alone signs nobody in)."""
    token = csrf_of(client, "/signup")
    made = client.post("/signup", data={"csrf": token, "name": name, "email": email,
                                        "password": password, "password_again": password},
                       follow_redirects=False)
    assert made.status_code == 303, made.text
    return log_in(client, email, password)


def log_in(client, email="ada@example.org", password=PASSWORD):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf": token, "email": email, "password": password},
                       follow_redirects=False)


# -- throttling ----------------------------------------------------------------------------

def test_a_guesser_elsewhere_never_locks_the_owner_out(app):
    with at(app, "10.0.0.7") as ada:
        assert sign_up(ada).status_code == 303
    with at(app, "203.0.113.66") as mallory:
        for _ in range(12):
            assert log_in(mallory, password="wrong password!").status_code in (401, 429)
        assert log_in(mallory).status_code == 429  # the guesser is slowed down
    with at(app, "10.0.0.7") as ada:
        assert log_in(ada).status_code == 303  # the owner, at their own address, is not


def test_the_wait_grows_with_each_failure_and_then_ends(app, clock):
    with at(app, "10.0.0.7") as ada:
        sign_up(ada)
    with at(app, "10.0.0.7") as ada:
        for _ in range(5):
            assert log_in(ada, password="wrong password!").status_code == 401
        waits = []
        for _ in range(4):
            refused = log_in(ada, password="wrong password!")
            assert refused.status_code == 429 and "Too many failed attempts" in refused.text
            waits.append(int(refused.headers["retry-after"]))
            clock.advance(waits[-1])
            assert log_in(ada, password="wrong password!").status_code == 401
        assert waits == [1, 2, 4, 8]  # a delay that doubles, not a lock
        clock.advance(16)
        assert log_in(ada).status_code == 303
        ada.cookies.clear()
        for _ in range(5):  # a success starts the count afresh
            assert log_in(ada, password="wrong password!").status_code == 401


# -- `datafab serve` in its own process ----------------------------------------------------

class Served:
    """`datafab serve` in a process of its own, in ``folder``, with ``env`` on top of ours."""

    def __init__(self, database_url: str, folder: Path, host: str = "127.0.0.1",
                 **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("DATAFAB_SESSION_SECRET", "DATAFAB_DATA_KEY",
                              "DATAFAB_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "datafab.cli", "serve", "--host", host,
             "--port", str(self.port)],
            env={**clean, "DATAFAB_DATABASE_URL": database_url, **env}, cwd=folder,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.communicate()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def stop(self) -> str:
        """Stop the server; what it printed."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        out, err = self.proc.communicate()
        return out + err


def _http_sign_up(http: httpx.Client, email: str) -> int:
    """Sign up and log in over HTTP; the login's status."""
    token = csrf_of(http, "/signup")
    made = http.post("/signup", data={"csrf": token, "name": "Ada", "email": email,
                                      "password": PASSWORD, "password_again": PASSWORD})
    assert made.status_code == 303, made.text
    return log_in(http, email).status_code


def _guesses(url: str, forwarded: list[str]) -> list[int]:
    """One wrong password for Ada from each forwarded address, all over loopback."""
    statuses = []
    with httpx.Client(base_url=url) as http:
        token = csrf_of(http, "/login")
        for address in forwarded:
            statuses.append(http.post("/login", headers={"X-Forwarded-For": address}, data={
                "csrf": token, "email": "ada@example.org", "password": "wrong password!",
            }).status_code)
    return statuses


def test_forwarded_addresses_are_believed_only_from_named_proxies(database_url, tmp_path):
    spread = [f"198.51.100.{n}" for n in range(8)]
    served = Served(database_url, tmp_path)
    try:
        served.wait_up()
        with httpx.Client(base_url=served.url) as http:
            assert _http_sign_up(http, "ada@example.org") in (200, 303)
        # Nobody named: the made-up addresses are ignored, every guess counts for 127.0.0.1.
        assert _guesses(served.url, spread)[5:] == [429, 429, 429]
    finally:
        served.stop()
    served = Served(database_url, tmp_path, DATAFAB_TRUSTED_PROXIES="127.0.0.1")
    try:
        served.wait_up()
        # The operator's proxy on 127.0.0.1 is named: each forwarded address counts alone.
        assert _guesses(served.url, [f"192.0.2.{n}" for n in range(8)]) == [401] * 8
    finally:
        served.stop()


# -- sessions ------------------------------------------------------------------------------

def _cookie(key: bytes, body: dict) -> str:
    """A session cookie as Datafab writes one: base64 JSON, a dot, its HMAC-SHA256."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = b64(json.dumps(body, separators=(",", ":")).encode())
    return payload + "." + b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def test_a_copy_of_the_database_cannot_forge_a_session(app, foundry, clock):
    import secrets

    from sqlalchemy import select

    from datafab.services import accounts
    from datafab.store.tables import api_keys, contributors, site_keys
    from datafab.web.sessions import COOKIE

    org, key = accounts.create_organization(foundry, "Acme")
    with at(app, "10.0.0.7") as ada:
        sign_up(ada)
        assert ada.get("/work/earnings").status_code == 200
    with at(app, "10.0.0.8") as requester:
        token = csrf_of(requester, "/dashboard/login")
        assert requester.post("/dashboard/login", data={"csrf": token, "api_key": key},
                              follow_redirects=False).status_code == 303
        assert requester.get("/dashboard").status_code == 200
    # What a copy of the database gives away.
    with foundry.db.read() as conn:
        stored = [bytes.fromhex(s) for s in conn.execute(select(site_keys.c.secret)).scalars()]
        key_hashes = list(conn.execute(select(api_keys.c.key_hash)).scalars())
        ada_id = conn.execute(select(contributors.c.id)).scalar_one()
    now = clock.now
    forged = []
    for signing_key in stored + [b""]:
        for key_hash in key_hashes:
            forged.append(_cookie(signing_key, {
                "r": "requester", "s": org, "p": key_hash, "n": "n", "e": now + 3600,
                "m": "Acme", "i": secrets.token_urlsafe(32)}))
        forged.append(_cookie(signing_key, {
            "r": "contributor", "s": ada_id, "p": None, "n": "n", "e": now + 3600, "m": "Ada",
            "i": secrets.token_urlsafe(32)}))
    assert forged
    for cookie in forged:
        with at(app, "198.51.100.9") as mallory:
            mallory.cookies.set(COOKIE, cookie)
            for path in ("/dashboard", f"/dashboard/projects/{org}", "/work/earnings"):
                opened = mallory.get(path, follow_redirects=False)
                assert opened.status_code == 303 and "login" in opened.headers["location"], path


def test_the_session_key_is_kept_beside_the_database_owner_only(tmp_path, sqlite_template,
                                                                monkeypatch):
    import shutil
    import stat

    from datafab.foundry import Foundry
    from datafab.services import site_keys
    from datafab.settings import Settings

    monkeypatch.delenv("DATAFAB_KEY_FILE", raising=False)
    path = tmp_path / "site.db"
    shutil.copy(sqlite_template, path)
    first = Foundry(Settings(database_url=f"sqlite:///{path}"))
    try:
        with TestClient(create_app(first)) as ada:
            sign_up(ada)
            cookie = dict(ada.cookies)
    finally:
        first.close()
    keys = tmp_path / "site.db.keys"
    assert keys.exists() and stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert site_keys.SESSION_KEY in keys.read_text()
    again = Foundry(Settings(database_url=f"sqlite:///{path}"))  # a restart keeps sessions
    try:
        with TestClient(create_app(again), cookies=cookie) as ada:
            assert ada.get("/work/earnings").status_code == 200
    finally:
        again.close()


def test_logging_out_ends_the_session_on_the_server(app, foundry):
    from datafab.services import accounts
    from datafab.web.sessions import COOKIE

    org, key = accounts.create_organization(foundry, "Acme")
    with at(app, "10.0.0.7") as ada:
        sign_up(ada)
        copied = ada.cookies.get(COOKIE)
        assert ada.post("/logout", data={"csrf": csrf_of(ada, "/work")},
                        follow_redirects=False).status_code == 303
    with at(app, "10.0.0.7") as replay:
        replay.cookies.set(COOKIE, copied)
        assert replay.get("/work/earnings", follow_redirects=False).status_code == 303
    with at(app, "10.0.0.8") as requester:
        token = csrf_of(requester, "/dashboard/login")
        requester.post("/dashboard/login", data={"csrf": token, "api_key": key})
        copied = requester.cookies.get(COOKIE)
        requester.post("/logout", data={"csrf": csrf_of(requester, "/dashboard")})
    with at(app, "10.0.0.8") as replay:
        replay.cookies.set(COOKIE, copied)
        assert replay.get("/dashboard", follow_redirects=False).status_code == 303


def test_the_data_key_leaves_the_database_for_the_key_file(foundry):
    import base64
    import secrets

    from cryptography.fernet import Fernet
    from sqlalchemy import insert, select

    from datafab.services import accounts, site_keys
    from datafab.services import ingest as ingesting
    from datafab.store.tables import organization_keys
    from datafab.store.tables import site_keys as stored_keys

    org, _ = accounts.create_organization(foundry, "Acme")
    legacy = secrets.token_hex(32)  # how an older version kept it: in the database
    site = Fernet(base64.urlsafe_b64encode(bytes.fromhex(legacy)))
    pseudonym_key = secrets.token_bytes(32)
    with foundry.db.write() as conn:
        conn.execute(insert(stored_keys).values(name="data", secret=legacy,
                                                created_at=foundry.now()))
        conn.execute(insert(organization_keys).values(
            organization_id=org, pseudonym_key=site.encrypt(pseudonym_key).decode(),
            data_key=site.encrypt(Fernet.generate_key()).decode(), keep_originals=False,
            created_at=foundry.now()))
    assert ingesting.organization_keys_for(foundry, org).pseudonym_key == pseudonym_key
    with foundry.db.read() as conn:
        assert conn.execute(select(stored_keys.c.name)).scalars().all() == []
    assert legacy in site_keys.key_file(foundry.settings).read_text()
    assert ingesting.organization_keys_for(foundry, org).pseudonym_key == pseudonym_key


def test_serve_starts_on_loopback_without_keys_and_refuses_beyond_it(database_url, tmp_path):
    import stat

    from datafab.services.site_keys import key_file
    from datafab.settings import Settings

    served = Served(database_url, tmp_path)
    try:
        served.wait_up()
        with httpx.Client(base_url=served.url) as http:
            assert _http_sign_up(http, "ada@example.org") == 303
            assert http.get("/work/earnings").status_code == 200
    finally:
        printed = served.stop()
    assert "DATAFAB_SESSION_SECRET and DATAFAB_DATA_KEY unset" in printed
    keys = key_file(Settings(database_url=database_url))
    if not keys.is_absolute():
        keys = tmp_path / keys
    assert keys.exists() and stat.S_IMODE(keys.stat().st_mode) == 0o600

    for host, env, missing in (
        ("0.0.0.0", {}, "DATAFAB_SESSION_SECRET and DATAFAB_DATA_KEY"),
        ("0.0.0.0", {"DATAFAB_SESSION_SECRET": "s" * 40}, "DATAFAB_DATA_KEY"),
        ("::", {"DATAFAB_DATA_KEY": "d" * 40}, "DATAFAB_SESSION_SECRET"),
    ):
        refused = Served(database_url, tmp_path, host=host, **env)
        try:
            assert refused.proc.wait(timeout=60) == 2
        finally:
            printed = refused.stop()
        assert f"needs {missing}:" in " ".join(printed.split()), printed


# -- links ---------------------------------------------------------------------------------

def test_only_web_links_come_in_or_go_out(app, foundry):
    from sqlalchemy import update

    from datafab.services import accounts, items, projects
    from datafab.store.tables import items as item_rows

    org, key = accounts.create_organization(foundry, "Acme")
    project = projects.create_project(foundry, org, {
        "name": "pictures", "primitive": "classify", "settings": {"labels": ["cat", "dog"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as api:
        for bad in ("javascript:alert(document.cookie)", "JavaScript:alert(1)",
                    "data:text/html,<script>alert(1)</script>", " https://e.org/x.jpg",
                    "vbscript:msgbox", "//e.org/x.jpg", "https:///no-host"):
            refused = api.post(f"/v1/projects/{project.id}/items", headers=auth, json={
                "items": [{"external_id": "x", "data": {"image_url": bad}}]})
            assert refused.status_code == 422, bad
            assert refused.json()["error"]["field"].endswith("image_url"), refused.text
        fine = api.post(f"/v1/projects/{project.id}/items", headers=auth, json={
            "items": [{"external_id": "ok", "data": {"image_url": "https://e.org/cat.jpg"}}]})
        assert fine.status_code in (200, 201), fine.text
    items.upload_items(foundry, org, project.id, [{"external_id": "old", "data": {"text": "t"}}])
    with foundry.db.write() as conn:  # a value stored before the rule, or by hand
        conn.execute(update(item_rows).where(item_rows.c.external_id == "old").values(
            data={"text": "t", "image_url": "javascript:alert(1)"}))
    seen = set()
    with at(app, "10.0.0.7") as ada:
        sign_up(ada)
        for _ in range(2):
            page = ada.get(f"/work/{project.id}")
            assert "javascript:" not in page.text.lower()
            seen.add("https://e.org/cat.jpg" in page.text)
            lease = re.search(r'data-lease="(\d+)"', page.text).group(1)
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            ada.post(f"/work/leases/{lease}/submit", headers={"HX-Request": "true"},
                     data={"csrf": token, "label": "cat"})
    assert True in seen  # the good link is still shown
