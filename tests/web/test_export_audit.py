"""Every export leaves a line in the audit log, whoever asks for it: the dashboard's download
(it once wrote none), the API and the CLI all go through ``exports.audited_export``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from datafab.cli import app as cli
from datafab.services import accounts, audit, work

from .test_pages import classify_project, client, csrf_of  # noqa: F401 - the client fixture


def _exported(foundry, org) -> list[dict]:
    return audit.entries(foundry, org, action="project.exported")[0]


def _answered(foundry, org, make_worker):
    project = classify_project(foundry, org)
    worker = accounts.authenticate_contributor(foundry, make_worker("w").token)
    for lease in work.lease_items(foundry, worker, project.id, 4):
        work.submit(foundry, worker, lease.id, {"answer": {"label": "cat"}})
    return project


def test_a_download_from_the_dashboard_is_audited(client, foundry, make_worker):  # noqa: F811
    org, key = accounts.create_organization(foundry, "Acme")
    project = _answered(foundry, org, make_worker)
    token = csrf_of(client, "/dashboard/login")
    client.post("/dashboard/login", data={"csrf": token, "api_key": key})
    assert _exported(foundry, org) == []
    jsonl = client.get(f"/dashboard/projects/{project.id}/export?format=records")
    assert jsonl.status_code == 200 and len(jsonl.text.splitlines()) == 4
    parquet = client.get(f"/dashboard/projects/{project.id}/export?format=items&file=parquet")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    first, second = _exported(foundry, org)
    assert first["actor"] == second["actor"] == "dashboard session"
    assert first["target"] == f"project:{project.id}"
    assert first["details"] == {"format": "records", "file": "jsonl", "min_confidence": 0.0,
                                "include_open": False}
    assert second["details"]["file"] == "parquet" and second["details"]["rows"] == 4
    bad = client.get(f"/dashboard/projects/{project.id}/export?format=nonsense")
    assert bad.status_code in (404, 422)
    assert len(_exported(foundry, org)) == 2  # a refused export is not one


def test_api_and_cli_exports_are_audited_alike(client, foundry, make_worker,  # noqa: F811
                                               database_url, monkeypatch, tmp_path):
    org, key = accounts.create_organization(foundry, "Acme")
    project = _answered(foundry, org, make_worker)
    api = client.get(f"/v1/projects/{project.id}/export",
                     headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200 and len(api.text.splitlines()) == 4
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    out = tmp_path / "records.jsonl"
    result = CliRunner().invoke(cli, ["export", "--project", str(project.id), "--output",
                                      str(out)], env={"DATAFAB_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 4
    by_api, by_cli = _exported(foundry, org)
    assert by_api["actor"].startswith("api key ") and by_cli["actor"].startswith("cli, api key")
    assert by_api["details"] == {"format": "records", "file": "jsonl", "min_confidence": 0.0,
                                 "include_open": False}
    assert by_cli["details"] == {**by_api["details"], "rows": 4}
    assert json.loads(out.read_text().splitlines()[0])
