"""Shared fixtures: a fresh, migrated database per test, on SQLite and (when
``DATAFAB_TEST_DATABASE_URL`` is set) on PostgreSQL too.

SQLite tests copy a migrated template file; PostgreSQL tests use a database of their own,
created for this test session (so parallel runs never meet) and truncated between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from datafab.foundry import Foundry
from datafab.settings import Settings
from datafab.store.migrate import upgrade
from datafab.store.tables import metadata
from live_servers import serving  # tests/ is on the path, as its conftest

PG_URL = os.environ.get("DATAFAB_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


class ManualClock:
    """A clock tests move by hand (lease expiry without sleeping)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    if not PG_URL:
        pytest.fail("DATAFAB_TEST_DATABASE_URL is not set")  # never parametrized without it
    server = make_url(PG_URL)
    name = f"datafab_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _fresh_url(backend: str, request, tmp_path) -> str:
    if backend == "sqlite":
        path = tmp_path / "datafab.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, monkeypatch) -> str:
    if request.param == "postgres":  # its key file would go in the working directory
        monkeypatch.setenv("DATAFAB_KEY_FILE", str(tmp_path / "datafab.keys"))
    return _fresh_url(request.param, request, tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings_overrides() -> dict:
    """Settings a test directory needs beyond the defaults (override it in a conftest)."""
    return {}


@pytest.fixture
def foundry(database_url, clock, settings_overrides, tmp_path) -> Iterator[Foundry]:
    # uploads go to the test's own folder (on PostgreSQL there is no database file to sit by)
    overrides = {"media_dir": str(tmp_path / "media"), **settings_overrides}
    f = Foundry(Settings(database_url=database_url, refit_in_background=False, **overrides),
                clock=clock)
    yield f
    f.close()


@pytest.fixture
def api(foundry):
    from fastapi.testclient import TestClient

    from datafab.api.app import create_app

    with TestClient(create_app(foundry)) as client:
        yield client


@dataclass
class Org:
    id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Worker:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_org(foundry):
    from datafab.services.accounts import create_organization

    def make(name: str = "Acme") -> Org:
        return Org(*create_organization(foundry, name))

    return make


@pytest.fixture
def make_worker(foundry):
    from datafab.services.accounts import create_contributor

    def make(name: str = "worker", **extra) -> Worker:
        who, token = create_contributor(foundry, {"name": name, **extra})
        return Worker(who.id, token)

    return make



@pytest.fixture
def live_server(tmp_path, sqlite_template) -> Iterator[tuple[str, Foundry]]:
    """A real uvicorn server on 127.0.0.1 over a fresh SQLite database."""

    from datafab.api.app import create_app

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    foundry = Foundry(Settings(database_url=f"sqlite:///{path}"))
    with serving(create_app(foundry)) as base:
        yield base, foundry
    foundry.close()


@pytest.fixture
def empty_database_url(database_url, tmp_path) -> Iterator[str]:
    """A database with no schema yet, on the same backend as ``database_url`` (for tests that
    migrate an old schema with rows in it up to head)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = make_url(os.environ["DATAFAB_TEST_DATABASE_URL"])
    name = f"datafab_empty_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
