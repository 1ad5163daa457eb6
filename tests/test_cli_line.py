"""The line from a shell script: ``datafab items upload`` (JSON Lines and CSV, in batches,
errors naming the line), ``datafab records`` (JSON Lines out), ``datafab lease`` and
``datafab submit`` (JSON in and out, against a real server on 127.0.0.1)."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services.accounts import create_contributor, create_organization


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    key = runner.invoke(app, ["org", "create", "Lab"]).stdout.strip().splitlines()[-1]

    def run(*args, input=None, env=None):
        return runner.invoke(app, [str(a) for a in args], input=input,
                             env={"DATAFAB_API_KEY": key, **(env or {})})

    return run


def _classify(cli, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"settings": {"labels": ["pos", "neg"]},
                                "policy": {"min_labels": 1, "max_labels": 1}}))
    result = cli("project", "create", "reviews", "--primitive", "classify", "--settings", spec)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_items_upload_jsonl_in_batches_then_again(cli, tmp_path):
    pid = _classify(cli, tmp_path)
    source = _jsonl(tmp_path / "items.jsonl",
                    [{"external_id": f"r{i}", "data": {"text": f"review {i}"}}
                     for i in range(2500)])
    result = cli("items", "upload", source, "--project", pid, "--batch-size", 1000)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "items": 2500, "created": 2500, "unchanged": 0}
    assert "2500/2500 items" in result.stderr
    again = cli("items", "upload", source, "--project", pid)
    assert json.loads(again.stdout.strip().splitlines()[-1])["unchanged"] == 2500


def test_items_upload_csv(cli, tmp_path):
    pid = _classify(cli, tmp_path)
    source = tmp_path / "items.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["external_id", "text", "gold_answer", "priority"])
        writer.writerow(["a", "great, really", '{"label": "pos"}', "5"])
        writer.writerow(["b", 'said "meh"\non two lines', "", ""])
    result = cli("items", "upload", source, "--project", pid)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["created"] == 2
    out = tmp_path / "items-out.jsonl"
    cli("export", "--project", pid, "--format", "items", "--output", out)
    data = {r["external_id"]: r["data"] for r in map(json.loads, out.read_text().splitlines())}
    assert data == {"a": {"text": "great, really"}, "b": {"text": 'said "meh"\non two lines'}}
    bad = tmp_path / "bad.csv"
    bad.write_text('external_id,text,priority\nc,fine,1\nd,"two\nlines",high\n')
    result = cli("items", "upload", bad, "--project", pid)
    assert result.exit_code == 2 and "line 3: priority: 'high'" in result.stderr


def test_an_unreadable_line_refuses_the_file_and_names_it(cli, tmp_path):
    pid = _classify(cli, tmp_path)
    source = tmp_path / "items.jsonl"
    rows = [json.dumps({"external_id": f"r{i}", "data": {"text": "x"}}) for i in range(10)]
    rows[6] = '{"external_id": "r6", "data": '
    source.write_text("\n".join(rows) + "\n")
    result = cli("items", "upload", source, "--project", pid)
    assert result.exit_code == 2 and "line 7: not valid JSON" in result.stderr
    assert _records_count(cli, pid, tmp_path, include_items=True) == 0


def test_a_refused_item_names_its_line_and_keeps_the_batches_before(cli, tmp_path):
    pid = _classify(cli, tmp_path)
    rows = [{"external_id": f"r{i}", "data": {"text": f"review {i}"}} for i in range(30)]
    rows[24]["gold_answer"] = {"label": "meh"}
    source = _jsonl(tmp_path / "items.jsonl", rows)
    result = cli("items", "upload", source, "--project", pid, "--batch-size", 10)
    assert result.exit_code == 2
    assert "line 25: gold_answer.label: unknown label 'meh'" in result.stderr
    assert "20 items before this batch are stored" in result.stderr
    assert _records_count(cli, pid, tmp_path, include_items=True) == 20
    rows[24].pop("gold_answer")
    _jsonl(source, rows)
    result = cli("items", "upload", source, "--project", pid, "--batch-size", 10)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "items": 30, "created": 10, "unchanged": 20}


def _records_count(cli, pid, tmp_path, include_items=False):
    out = tmp_path / "count.jsonl"
    fmt = "items" if include_items else "records"
    cli("export", "--project", pid, "--format", fmt, "--output", out)
    return len(out.read_text().splitlines())


def test_lease_submit_records_from_a_script(live_server, tmp_path, monkeypatch):
    url, foundry = live_server
    monkeypatch.setenv("DATAFAB_DATABASE_URL", foundry.settings.database_url)
    _, key = create_organization(foundry, "Lab")
    _, token = create_contributor(foundry, {"name": "Ada"})
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input,
                             env={"DATAFAB_API_KEY": key, "DATAFAB_TOKEN": token,
                                  "DATAFAB_URL": url})

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"settings": {"labels": ["pos", "neg"]},
                                "policy": {"min_labels": 1, "max_labels": 1}}))
    pid = run("project", "create", "r", "--primitive", "classify",
              "--settings", spec).stdout.strip().splitlines()[-1]
    source = _jsonl(tmp_path / "items.jsonl",
                    [{"external_id": f"r{i}", "data": {"text": f"review {i}"}} for i in range(3)])
    assert run("items", "upload", source, "--project", pid).exit_code == 0

    leased = run("lease", "--project", pid, "--n", 2)
    assert leased.exit_code == 0, leased.output
    batch = json.loads(leased.stdout)
    assert batch["state"] == "open" and len(batch["leases"]) == 2
    first, second = batch["leases"]

    done = run("submit", "--lease", first["id"], input=json.dumps(
        {"answer": {"label": "pos"}, "seconds_spent": 3}))
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["lease_id"] == first["id"]

    bad = run("submit", "--lease", second["id"], input=json.dumps({"answer": {"label": "meh"}}))
    assert bad.exit_code == 2
    error = json.loads(bad.stdout)["error"]
    assert error["field"] == "answer.label" and error["status"] == 422

    (third,) = json.loads(run("lease", "--project", pid).stdout)["leases"]
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"submissions": [
        {"lease_id": second["id"], "answer": {"label": "neg"}},
        {"lease_id": third["id"], "answer": {"label": "pos"}}]}))
    many = run("submit", "--input", path)
    assert many.exit_code == 0, many.output
    assert len(json.loads(many.stdout)["submissions"]) == 2

    out = run("records", "--project", pid)
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted(r["answer"]["label"] for r in rows) == ["neg", "pos", "pos"]
    assert all(r["final"] for r in rows)
    target = tmp_path / "records.jsonl"
    assert run("records", "--project", pid, "--output", target, "--min-confidence",
               0.5).exit_code == 0
    assert len(target.read_text().splitlines()) == 3
    assert run("records", "--project", pid, "--min-confidence", 2).exit_code == 2

    nothing = run("lease", "--project", 999)
    assert nothing.exit_code == 2 and json.loads(nothing.stdout)["error"]["status"] == 404
