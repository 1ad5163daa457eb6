"""Sessions and accounts under attack, on SQLite and PostgreSQL: login throttling that slows a
guesser without locking anyone out, forwarded addresses believed only from named proxies,
sessions that a copy of the database cannot forge and that logout ends on the server, and
`datafab serve` refusing to listen beyond loopback without its keys."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

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
    token = csrf_of(client, "/signup")
    return client.post("/signup", data={"csrf": token, "name": name, "email": email,
                                        "password": password, "password_again": password},
                       follow_redirects=False)


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

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    token = csrf_of(http, "/signup")
    return http.post("/signup", data={"csrf": token, "name": "Ada", "email": email,
                                      "password": PASSWORD, "password_again": PASSWORD}).status_code


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
