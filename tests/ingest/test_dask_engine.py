"""Ingest on a dask.distributed cluster (SQLite and PostgreSQL): a cluster of two worker
processes started on 127.0.0.1 gives the items, duplicates and redactions the local run
gives — near duplicates found across files, whichever worker read them — and bad engine
options are refused by name before anything is written."""

from __future__ import annotations

import json
import socket
import sys

import distributed  # the 'distributed' extra, in the 'test' extra too
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from datafab.cli import app
from datafab.errors import InvalidInput
from datafab.ingest.engines import dask_engine
from datafab.services import ingest, projects
from datafab.services.ingest_engine import open_engine
from datafab.store.tables import ingest_runs, items

from .samples import EMAIL, PII_TEXT, PII_VALUES


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


def _project(foundry, org, name):
    return projects.create_project(foundry, org, {
        "name": name, "primitive": "classify", "settings": {"labels": ["keep", "drop"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).id


def _corpus(tmp_path):
    """Exact and near duplicates, within and across files, personal data, and a bad file."""
    body = "The analyst approved the refund because " + " ".join(
        f"reason{i}" for i in range(200))
    files = {
        "a.jsonl": [body, PII_TEXT, body] + [
            f"Note {i}: " + " ".join(f"topic{i}x{j}" for j in range(12)) + f" {PII_TEXT}"
            for i in range(300)],
        "b.jsonl": [body.replace("reason40", "motive40"), f"Write to {EMAIL} please."],
        "c.jsonl": [PII_TEXT, body.replace("reason7 ", "cause7 ")],
        "d.jsonl": [f"Ticket {i}: card on file, call {EMAIL}." for i in range(50)],
    }
    paths = []
    for name, texts in files.items():
        path = tmp_path / name
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
        paths.append(path)
    bad = tmp_path / "e_bad.jsonl"
    bad.write_text(json.dumps({"text": PII_TEXT + " once more"}) + "\n{broken\n")
    notes = tmp_path / "f_notes.md"
    notes.write_text(f"# Case\n\nAnalyst decision: {PII_TEXT}\n\n# Other\n\n{body}\n")
    return [ingest.Source(p, p.name) for p in [*paths, bad, notes]]


def _stored(foundry, pid):
    with foundry.db.read() as conn:
        return sorted(conn.execute(select(items.c.external_id, items.c.data, items.c.meta)
                                   .where(items.c.project_id == pid)).all())


def test_a_dask_cluster_gives_what_the_local_run_gives(foundry, make_org, tmp_path, cluster):
    org = make_org()
    sources = _corpus(tmp_path)
    local_pid, dask_pid = _project(foundry, org.id, "local"), _project(foundry, org.id, "dask")
    local = ingest.ingest_files(foundry, org.id, local_pid, sources, {"workers": 0})
    on_cluster = ingest.ingest_files(foundry, org.id, dask_pid, sources, {},
                                     engine="dask", scheduler=cluster.scheduler_address)
    assert on_cluster["engine"] == "dask" and on_cluster["workers"] == 2
    for key in ("files", "errors", "pii", "duplicates", "chunks", "created", "dropped"):
        assert on_cluster[key] == local[key], key
    # duplicates across files: b's and c's near copies of a's body, c's exact PII_TEXT
    assert local["duplicates"]["near"] >= 2 and local["duplicates"]["exact"] >= 2
    dropped = {f["file"]: f["dropped"] for f in on_cluster["files"]}
    assert dropped["b.jsonl"] >= 1 and dropped["c.jsonl"] >= 2 and dropped["f_notes.md"] >= 1
    assert on_cluster["errors"] == [{"file": "e_bad.jsonl", "line": 2,
                                     "message": local["errors"][0]["message"]}]
    there, here = _stored(foundry, local_pid), _stored(foundry, dask_pid)
    assert len(there) == local["created"] > 300
    assert {r.data["text"] for r in here} == {r.data["text"] for r in there}
    assert [r.external_id for r in here] == [r.external_id for r in there]
    spans = [r.meta.get("redactions") for r in here]
    assert spans == [r.meta.get("redactions") for r in there]
    assert sum(bool(s) for s in spans) > 300
    assert not [v for v in PII_VALUES if v in json.dumps([r.data for r in here])]
    # the per-file work ran on the cluster's workers, one task per file
    (prefix,) = [p for name, p in cluster.scheduler.task_prefixes.items()
                 if "prepare_on_worker" in name]
    assert prefix.all_durations["compute"] > 0


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("options", "named"), [
    (["--engine", "spark"], "engine"),
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:{port}"], "scheduler"),
    (["--scheduler", "tcp://127.0.0.1:{port}"], "scheduler"),
])
def test_bad_engine_options_are_named_and_nothing_is_written(
        foundry, make_org, database_url, monkeypatch, tmp_path, options, named):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "2s")
    org = make_org()
    pid = _project(foundry, org.id, "mined")
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": PII_TEXT}) + "\n")
    port = _closed_port()
    args = ["ingest", str(path), "--project", str(pid),
            *[o.format(port=port) for o in options]]
    result = CliRunner().invoke(app, args, env={"DATAFAB_DATABASE_URL": database_url,
                                                "DATAFAB_API_KEY": org.key})
    assert result.exit_code == 2, result.output
    assert f"{named}: --{named}" in result.output
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(ingest_runs)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 0


def test_without_the_extra_the_error_names_the_option(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(InvalidInput) as caught:
        open_engine("dask", None)
    assert caught.value.field == "engine"
    assert "--engine dask" in caught.value.message and "datafab[distributed]" in (
        caught.value.message)


def test_the_command_runs_on_the_cluster_it_is_given(foundry, make_org, database_url,
                                                     tmp_path, cluster):
    org = make_org()
    pid = _project(foundry, org.id, "mined")
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": PII_TEXT}) + "\n" + json.dumps({"text": PII_TEXT})
                    + "\n")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, [
        "ingest", str(path), "--project", str(pid), "--engine", "dask",
        "--scheduler", cluster.scheduler_address, "--report", str(out)],
        env={"DATAFAB_DATABASE_URL": database_url, "DATAFAB_API_KEY": org.key})
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert (report["engine"], report["workers"], report["created"]) == ("dask", 2, 1)
    assert report["duplicates"]["exact"] == 1 and report["pii"]["EMAIL"] == 1
