"""The scripting commands: each prints the one value a script needs alone on its last line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from datafab.cli import app


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        result = runner.invoke(app, list(args), env=env)
        return result

    return invoke


def _last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_scripting_commands(run, tmp_path):
    key = _last_line(run("org", "create", "Scripted"))
    assert key.startswith("dfk_")
    token = _last_line(run("contributor", "create", "Bo", "--skills", "en,fr"))
    assert token.startswith("dfc_")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"settings": {"labels": ["yes", "no"]},
                                    "policy": {"max_labels": 1}}))
    result = run("project", "create", "triage", "--primitive", "classify", "--settings",
                 str(settings), env={"DATAFAB_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert int(_last_line(result)) > 0


def test_project_create_reports_bad_settings(run, tmp_path):
    key = _last_line(run("org", "create", "Scripted"))
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"settings": {"labels": ["yes"]}}))
    result = run("project", "create", "triage", "--primitive", "classify", "--settings",
                 str(settings), env={"DATAFAB_API_KEY": key})
    assert result.exit_code == 2
    assert "settings.labels" in result.output


def test_demo_then_export(run, tmp_path):
    result = run("demo", "--items", "12")
    assert result.exit_code == 0, result.output
    key = next(w for w in result.output.split() if w.startswith("dfk_"))
    out = tmp_path / "out.jsonl"
    result = run("export", "--project", "1", "--output", str(out), env={"DATAFAB_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert out.read_text() == ""  # nothing labelled yet: an empty, valid export
    again = run("demo")
    assert "already present" in again.output
    assert next(w for w in again.output.split() if w.startswith("dfk_")) != key


def test_wrong_api_key(run, tmp_path):
    result = run("export", "--project", "1", "--output", str(tmp_path / "x.jsonl"),
                 env={"DATAFAB_API_KEY": "dfk_wrong"})
    assert result.exit_code == 2 and "unknown or revoked" in result.output


def test_operator_mints_a_key_for_an_existing_organization(run):
    first = _last_line(run("org", "create", "Locked out"))
    made = run("org", "key", "create", "1", "--name", "recovery")
    assert made.exit_code == 0, made.output
    key = _last_line(made)
    assert key.startswith("dfk_") and key != first
    assert "recovery" not in key and "shown once" in made.output
    made = run("project", "create", "triage", "--primitive", "write",
               env={"DATAFAB_API_KEY": key})
    assert made.exit_code == 0, made.output
    missing = run("org", "key", "create", "999")
    assert missing.exit_code == 2 and "organization 999 not found" in missing.output


def test_contributor_create_with_skill_levels(run, foundry):
    """Levels given on the command line meet a project's levelled requirement; a bad level is
    refused, naming it, and creates no one."""
    from sqlalchemy import func, select

    from datafab.services import items, projects, work, workforce
    from datafab.services.accounts import authenticate_contributor, create_organization
    from datafab.store.tables import contributors

    result = run("contributor", "create", "Zoe", "--skills",
                 "en,fr:fluent,medicine/cardiology:professional")
    assert result.exit_code == 0, result.output
    who = authenticate_contributor(foundry, _last_line(result))
    assert set(who.skills) == {"en", "fr", "medicine/cardiology"}
    org, _ = create_organization(foundry, "Clinic")
    project = projects.create_project(foundry, org, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    items.upload_items(foundry, org, project.id, [{"external_id": "x", "data": {"text": "t"}}])
    workforce.set_policy(foundry, org, project.id, {"requirements": [
        {"kind": "language", "name": "fr", "level": "fluent"},
        {"kind": "domain", "name": "medicine", "level": "professional"}]})
    batch = work.lease_batch(foundry, who, project.id, 1)
    assert batch.state == "open" and len(batch.leases) == 1

    with foundry.db.read() as conn:
        before = conn.execute(select(func.count()).select_from(contributors)).scalar()
    bad = run("contributor", "create", "Yan", "--skills", "fr:fluid")
    assert bad.exit_code == 2 and "fr:fluid" in bad.output
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(contributors)).scalar() == before
