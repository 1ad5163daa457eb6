"""Ingest through the API (both databases), the SDK against a real server, and the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from datafab.cli import app
from datafab.sdk import Client

from .samples import EMAIL, PII_TEXT, PII_VALUES


def _classify(api, org):
    response = api.post("/v1/projects", headers=org.headers, json={
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_api_ingest_policy_originals_and_export(api, make_org):
    org, other = make_org("A"), make_org("B")
    pid = _classify(api, org)
    files = [("files", ("t.jsonl", json.dumps({"text": PII_TEXT}) + "\n", "text/plain")),
             ("files", ("bad.csv", "a,b\n1,2,3\n", "text/csv"))]
    assert api.put("/v1/organization/originals", headers=org.headers,
                   json={"keep": True}).json() == {"keep": True}
    response = api.post(f"/v1/projects/{pid}/ingest", headers=org.headers, files=files,
                        params={"chunk_size": 2000})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 1
    assert report["errors"] == [{"file": "bad.csv", "line": 2,
                                 "message": "3 fields where the header has 2"}]
    exported = api.get(f"/v1/projects/{pid}/export", headers=org.headers,
                       params={"format": "items"}).text
    assert [v for v in PII_VALUES if v in exported] == []
    item_id = json.loads(exported.splitlines()[0])["id"]
    assert api.get(f"/v1/items/{item_id}/original", headers=org.headers).json()["text"] == (
        PII_TEXT)
    assert api.get(f"/v1/items/{item_id}/original", headers=other.headers).status_code == 404
    assert api.post(f"/v1/projects/{pid}/ingest", headers=other.headers,
                    files=files).status_code == 404
    policy = api.put(f"/v1/projects/{pid}/ingest-policy", headers=org.headers,
                     json={"replacement": "hash"})
    assert policy.status_code == 422 and "replacement" in policy.text
    runs = api.get(f"/v1/projects/{pid}/ingest-runs", headers=org.headers).json()["data"]
    assert runs[0]["report"]["run_id"] == report["run_id"]


def test_sdk_ingest(live_server, tmp_path):
    from datafab.services.accounts import create_organization

    url, foundry = live_server
    _, key = create_organization(foundry, "Acme")
    path = tmp_path / "notes.md"
    path.write_text(f"# Ticket\n\nReply to {EMAIL} today.\n")
    with Client(url, key) as client:
        project = client.create_project("mined", "spans", settings={"labels": ["x"]})
        assert client.ingest_policy(project["id"], replacement="pseudonym")["replacement"] == (
            "pseudonym")
        report = client.ingest(project["id"], [path], chunk_by="heading")
        assert report["created"] == 1 and report["pii"] == {"EMAIL": 1}
        (row,) = client.export(project["id"], "items")
        assert EMAIL not in row["data"]["text"] and "<EMAIL_" in row["data"]["text"]


def test_cli_ingest_with_a_bad_file(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    key = runner.invoke(app, ["org", "create", "Acme"]).stdout.strip().splitlines()[-1]
    env = {"DATAFAB_API_KEY": key}
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"settings": {"labels": ["a", "b"]}}))
    result = runner.invoke(app, ["project", "create", "mined", "--primitive", "classify",
                                 "--settings", str(settings)], env=env)
    pid = result.stdout.strip().splitlines()[-1]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"Call {EMAIL} back.\n\nSecond paragraph.\n")
    (folder / "b.jsonl").write_text('{"text": "fine"}\n{oops\n')
    out = tmp_path / "items.jsonl"
    result = runner.invoke(app, ["ingest", str(folder), "--project", pid,
                                 "--report", str(tmp_path / "r.json")], env=env)
    assert result.exit_code == 1, result.output  # one file was skipped
    assert "b.jsonl, line 2: not a JSON record" in result.output
    assert "1 files read" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["created"] == 1
    result = runner.invoke(app, ["export", "--project", pid, "--format", "items",
                                 "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["data"]["text"] == "Call [EMAIL] back.\n\nSecond paragraph."
    result = runner.invoke(app, ["project", "ingest-policy", "--project", pid, "--no-redact"],
                           env=env)
    assert result.exit_code == 0 and "redact=False" in result.output
    result = runner.invoke(app, ["org", "keep-originals", "--on"], env=env)
    assert result.exit_code == 0 and "kept, encrypted" in result.output
