"""``datafab primitive create`` (YAML or JSON; NAME@VERSION alone on the last line) and
``datafab primitive list``; a bad file or definition exits 2 naming the line or the path,
and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from datafab.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "primitives"


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args, env=None: runner.invoke(app, list(args), env=env)


@pytest.fixture
def key(run) -> dict[str, str]:
    return {"DATAFAB_API_KEY": run("org", "create", "Acme").stdout.strip().splitlines()[-1]}


def test_create_from_yaml_then_json_then_list(run, key, tmp_path):
    result = run("primitive", "create", str(EXAMPLES / "claim_factuality.yaml"), env=key)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "claim_factuality@1"
    again = run("primitive", "create", str(EXAMPLES / "claim_factuality.yaml"), env=key)
    assert again.stdout.strip().splitlines()[-1] == "claim_factuality@1"
    changed = yaml.safe_load((EXAMPLES / "claim_factuality.yaml").read_text())
    changed["description"] = "Second thoughts."
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(changed))
    result = run("primitive", "create", str(path), env=key)
    assert result.stdout.strip().splitlines()[-1] == "claim_factuality@2"
    listed = run("primitive", "list", env=key)
    assert listed.exit_code == 0 and "claim_factuality@2" in listed.stdout
    project = run("project", "create", "claims", "--primitive", "claim_factuality@1", env=key)
    assert project.exit_code == 0, project.output
    assert "claim_factuality@1" in project.output  # the console line goes to stderr


def test_a_bad_file_or_definition_exits_2_and_stores_nothing(run, key, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nitem: [unclosed\n")
    result = run("primitive", "create", str(broken), env=key)
    assert result.exit_code == 2 and "line" in result.stderr
    bad = yaml.safe_load((EXAMPLES / "red_team_review.yaml").read_text())
    bad["answer"]["fields"][2]["aggregation"] = "dawid_skene"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = run("primitive", "create", str(path), env=key)
    assert result.exit_code == 2
    assert "answer.fields.2.aggregation" in result.stderr
    assert "red_team_review" not in run("primitive", "list", env=key).stdout
