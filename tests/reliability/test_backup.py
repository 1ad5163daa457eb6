"""`datafab backup` / `datafab restore` on SQLite: a backup taken while the database is in
use restores with every record, submission and key."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.reliability.helpers import create_project, upload
from typer.testing import CliRunner

from datafab.api.app import create_app
from datafab.cli import app as cli
from datafab.foundry import Foundry
from datafab.services.accounts import create_contributor, create_organization
from datafab.settings import Settings
from datafab.store.tables import api_keys, audit_log, items, records, submissions


def _snapshot(url: str) -> dict:
    foundry = Foundry(Settings(database_url=url))
    try:
        with foundry.db.read() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]
                    for t in (items, records, submissions, api_keys, audit_log)}
    finally:
        foundry.close()


class _Who:
    def __init__(self, secret: str) -> None:
        self.headers = {"Authorization": f"Bearer {secret}"}


def test_a_backup_restores_every_record(tmp_path, sqlite_template):
    live = tmp_path / "live.db"
    shutil.copy(sqlite_template, live)
    url = f"sqlite:///{live}"
    foundry = Foundry(Settings(database_url=url, refit_in_background=False))
    org = _Who(create_organization(foundry, "Acme")[1])
    with TestClient(create_app(foundry)) as api:
        project = create_project(api, org, min_labels=1, max_labels=1)
        upload(api, org, project, 30)
        for n in range(3):
            worker = _Who(create_contributor(foundry, {"name": f"w{n}"})[1])
            for lease in api.post(f"/v1/projects/{project['id']}/leases", json={"n": 10},
                                  headers=worker.headers).json()["leases"]:
                r = api.post(f"/v1/leases/{lease['id']}/submit",
                             json={"answer": {"label": "cat"}}, headers=worker.headers)
                assert r.status_code == 200
    before = _snapshot(url)
    assert len(before["records"]) == 30

    runner = CliRunner()
    backup_file = tmp_path / "backup.db"
    with foundry.db.read() as reader:  # an open reader: the backup is online
        reader.execute(select(records.c.id)).first()
        done = runner.invoke(cli, ["backup", str(backup_file)], env={"DATAFAB_DATABASE_URL": url})
    foundry.close()
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines()[-1] == str(backup_file)
    again = runner.invoke(cli, ["backup", str(backup_file)], env={"DATAFAB_DATABASE_URL": url})
    assert again.exit_code == 2 and "exists" in again.output

    restored = tmp_path / "restored.db"
    result = runner.invoke(cli, ["restore", str(backup_file)],
                           env={"DATAFAB_DATABASE_URL": f"sqlite:///{restored}"})
    assert result.exit_code == 0, result.output
    assert _snapshot(f"sqlite:///{restored}") == before
    # Restoring over a database needs --replace.
    refused = runner.invoke(cli, ["restore", str(backup_file)],
                            env={"DATAFAB_DATABASE_URL": f"sqlite:///{restored}"})
    assert refused.exit_code == 2 and "--replace" in refused.output


def test_not_a_backup_and_postgres_are_refused_clearly(tmp_path):
    runner = CliRunner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    r = runner.invoke(cli, ["restore", str(junk)],
                      env={"DATAFAB_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    assert r.exit_code == 2 and "not a Datafab backup" in r.output
    r = runner.invoke(cli, ["backup", str(tmp_path / "b.db")],
                      env={"DATAFAB_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/x"})
    assert r.exit_code == 2 and "pg_dump" in r.output


def test_a_backup_is_readable_by_its_owner_only(tmp_path, sqlite_template):
    import os
    import stat

    live = tmp_path / "live.db"
    shutil.copy(sqlite_template, live)
    url = f"sqlite:///{live}"
    foundry = Foundry(Settings(database_url=url))
    create_organization(foundry, "Acme")
    foundry.close()
    old = os.umask(0o022)
    try:
        backup_file = tmp_path / "backup.db"
        done = CliRunner().invoke(cli, ["backup", str(backup_file)],
                                  env={"DATAFAB_DATABASE_URL": url})
        assert done.exit_code == 0, done.output
        assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
        for extra in (tmp_path / "backup.db-wal", tmp_path / "backup.db-shm"):
            assert not extra.exists() or stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0
        restored = tmp_path / "restored.db"
        done = CliRunner().invoke(cli, ["restore", str(backup_file)],
                                  env={"DATAFAB_DATABASE_URL": f"sqlite:///{restored}"})
        assert done.exit_code == 0, done.output
        assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    finally:
        os.umask(old)
