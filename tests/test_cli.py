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
