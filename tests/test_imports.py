"""Importing existing data through the CLI, the API and the SDK: items and their answers
land, re-importing changes nothing, a bad line writes nothing, and the export gives back what
the format carried."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import datafab
from datafab.cli import app
from datafab.services.accounts import create_organization

HH = [
    {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: "
               "Why did the chicken cross the road?",
     "rejected": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: "
                 "No."},
    {"chosen": "\n\nHuman: 2+2?\n\nAssistant: 4", "rejected": "\n\nHuman: 2+2?\n\nAssistant: 5"},
]
PRM = {
    "labeler": "e90a38f3", "timestamp": "2022-07-17T16:56:51.323252", "generation": None,
    "is_quality_control_question": False, "is_initial_screening_question": False,
    "question": {"problem": "Compute 3*3.", "ground_truth_answer": "9"},
    "label": {"steps": [
        {"completions": [{"text": "3*3 = 9", "rating": 1, "flagged": False}],
         "human_completion": None, "chosen_completion": 0},
        {"completions": [{"text": "# Answer\n\n9", "rating": 1, "flagged": False}],
         "human_completion": None, "chosen_completion": 0}],
        "total_time": 1000, "finish_reason": "solution"},
}
LS = [{"id": 17, "data": {"text": "Ada lives in London"}, "annotations": [{"result": [
    {"type": "labels", "from_name": "ner", "to_name": "text",
     "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}}]}]},
      {"id": 18, "data": {"text": "Bo likes Paris"}, "annotations": []}]


def _hh_transcript(messages):
    return "".join(f"\n\n{'Human' if m['role'] == 'user' else 'Assistant'}: {m['content']}"
                   for m in messages)


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    key = runner.invoke(app, ["org", "create", "Lab"]).stdout.strip().splitlines()[-1]

    def run(*args):
        return runner.invoke(app, list(args), env={"DATAFAB_API_KEY": key})

    return run


def _project(cli, tmp_path, primitive, settings=None):
    path = tmp_path / f"{primitive}.json"
    path.write_text(json.dumps({"settings": settings or {}}))
    result = cli("project", "create", primitive, "--primitive", primitive, "--settings", str(path))
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_hh_rlhf_import_then_dpo_export_gives_the_transcripts_back(cli, tmp_path):
    pid = _project(cli, tmp_path, "compare")
    source = tmp_path / "hh.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in HH))
    result = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert result.exit_code == 0, result.output
    assert "2 items created" in result.output and "2 prior answers" in result.output
    again = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert "0 items created, 2 already there, 0 prior answers" in again.output
    out = tmp_path / "dpo.jsonl"
    result = cli("export", "--project", pid, "--format", "dpo", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    pairs = {(_hh_transcript(r["prompt"] + r["chosen"]), _hh_transcript(r["prompt"] +
              r["rejected"])) for r in rows}
    assert pairs == {(line["chosen"], line["rejected"]) for line in HH}


def test_prm800k_import_then_prm800k_export_round_trips(cli, tmp_path):
    pid = _project(cli, tmp_path, "steps")
    source = tmp_path / "prm.jsonl"
    source.write_text(json.dumps(PRM) + "\n")
    assert cli("import", str(source), "--project", pid, "--format", "prm800k").exit_code == 0
    out = tmp_path / "prm.parquet"
    result = cli("export", "--project", pid, "--format", "prm", "--output", str(out))
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    (row,) = pq.read_table(out).to_pylist()
    assert row["completions"] == ["3*3 = 9", "# Answer\n\n9"] and row["labels"] == [True, True]
    back = tmp_path / "back.jsonl"
    cli("export", "--project", pid, "--format", "prm800k", "--output", str(back))
    (line,) = [json.loads(x) for x in back.read_text().splitlines()]
    line.pop("datafab")
    assert line == PRM


def _published_split(n=60, odd=None):
    """An HH-RLHF-style split of ``n`` pairs with odd rows at the given lines, as published
    splits have them: a pair parting before its last turn, pairs with no shared prompt, a
    transcript without a final answer, a torn line."""
    odd = odd or {}
    lines = []
    for k in range(1, n + 1):
        if k in odd:
            lines.append(odd[k])
            continue
        lines.append(json.dumps({
            "chosen": f"\n\nHuman: What is {k}+{k}?\n\nAssistant: {2 * k}",
            "rejected": f"\n\nHuman: What is {k}+{k}?\n\nAssistant: {2 * k + 1}"}))
    return "".join(line + "\n" for line in lines)


ODD = {
    13: json.dumps({"chosen": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye\n\nAssistant: "
                              "Bye!", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away\n\n"
                                                  "Human: Rude.\n\nAssistant: Sorry."}),
    21: json.dumps({"chosen": "\n\nHuman: a\n\nAssistant: b",
                    "rejected": "\n\nHuman: c\n\nAssistant: d"}),
    34: json.dumps({"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a"}),
    47: '{"chosen": "\\n\\nHuman: tor',
}


def test_a_published_split_with_odd_rows_imports_every_row_it_can(cli, tmp_path):
    pid = _project(cli, tmp_path, "compare")
    source = tmp_path / "test.jsonl"
    source.write_text(_published_split(60, ODD))
    result = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert result.exit_code == 3, result.output
    assert "57 items created" in result.output and "3 lines skipped" in result.output
    listed = result.output[result.output.index("skipped lines"):]
    for line in ("21", "34", "47"):
        assert f"│ {line}" in listed
    assert "share no Human turn" in listed and "not valid JSON" in listed
    # The pair that parted before its last turn (line 13) came in whole.
    out = tmp_path / "dpo.jsonl"
    cli("export", "--project", pid, "--format", "dpo", "--output", str(out), "--include-open")
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    parted = json.loads(ODD[13])
    assert any(_hh_transcript(r["prompt"] + r["chosen"]) == parted["chosen"] and
               _hh_transcript(r["prompt"] + r["rejected"]) == parted["rejected"] for r in rows)
    assert len(rows) == 57
    # Again: nothing new, the same lines skipped.
    again = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert again.exit_code == 3 and "0 items created, 57 already there" in again.output


def test_strict_keeps_all_or_nothing(cli, tmp_path):
    pid = _project(cli, tmp_path, "compare")
    source = tmp_path / "test.jsonl"
    source.write_text(_published_split(30, ODD))
    result = cli("import", str(source), "--project", pid, "--format", "hh-rlhf", "--strict")
    assert result.exit_code == 2 and "line 21" in result.output
    out = tmp_path / "records.jsonl"
    cli("export", "--project", pid, "--output", str(out), "--include-open")
    assert out.read_text() == ""


def test_a_file_no_line_of_which_imports_is_refused(cli, tmp_path):
    pid = _project(cli, tmp_path, "compare")
    source = tmp_path / "hh.jsonl"
    source.write_text(json.dumps(PRM) + "\n" + json.dumps({"chosen": "no turns"}) + "\n")
    result = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert result.exit_code == 2 and "line 1" in result.output
    out = tmp_path / "records.jsonl"
    cli("export", "--project", pid, "--output", str(out), "--include-open")
    assert out.read_text() == ""


def test_wrong_format_for_the_project(cli, tmp_path):
    pid = _project(cli, tmp_path, "steps")
    source = tmp_path / "hh.jsonl"
    source.write_text(json.dumps(HH[0]) + "\n")
    result = cli("import", str(source), "--project", pid, "--format", "hh-rlhf")
    assert result.exit_code == 2 and "compare" in result.output


def test_label_studio_through_the_sdk(live_server, tmp_path):
    url, foundry = live_server
    _, key = create_organization(foundry, "Lab")
    client = datafab.Client(url, api_key=key)
    project = client.create_project("ner", "spans", settings={"labels": ["PER", "LOC"]},
                                    policy={"min_labels": 1, "max_labels": 1})
    source = tmp_path / "ls.json"
    source.write_text(json.dumps(LS))
    assert client.import_file(project["id"], source, "label-studio") == {
        "created": 2, "unchanged": 0, "prior_answers": 1, "skipped": [], "skipped_total": 0}
    records = list(client.records(project["id"]))
    assert len(records) == 1 and records[0]["answer"]["spans"][0]["label"] == "PER"
    path = client.export_file(project["id"], tmp_path / "spans.parquet")
    import pyarrow.parquet as pq

    assert pq.read_table(path).num_rows == 1
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(project["id"], source, "prm800k")
    assert err.value.status == 422 and err.value.field == "format"


def test_the_api_reports_skipped_lines_for_each_format(live_server, tmp_path):
    url, foundry = live_server
    _, key = create_organization(foundry, "Lab")
    client = datafab.Client(url, api_key=key)
    compare = client.create_project("hh", "compare")
    source = tmp_path / "hh.jsonl"
    source.write_text(_published_split(25, ODD))
    result = client.import_file(compare["id"], source, "hh-rlhf")
    assert result["created"] == 24 and result["skipped_total"] == 1
    assert [s["line"] for s in result["skipped"]] == [21]
    with pytest.raises(datafab.sdk.ApiError) as err:
        client.import_file(compare["id"], source, "hh-rlhf", strict=True)
    assert err.value.status == 422 and err.value.field == "line 21"

    steps = client.create_project("prm", "steps")
    bad = json.loads(json.dumps(PRM))
    bad["label"]["steps"][1]["chosen_completion"] = 5
    source = tmp_path / "prm.jsonl"
    source.write_text("\n".join([json.dumps(bad), json.dumps(PRM), "{"]) + "\n")
    result = client.import_file(steps["id"], source, "prm800k")
    assert result["created"] == 1 and result["prior_answers"] == 1
    assert [(s["line"], s["reason"].split(":")[0]) for s in result["skipped"]] == [
        (1, "label.steps.1.chosen_completion"), (3, "not valid JSON (Expecting property name "
                                                   "enclosed in double quotes at column 2)")]

    classify = client.create_project("sentiment", "classify",
                                     settings={"labels": ["positive", "negative"]})
    tasks = [{"id": 1, "data": {"text": "good"}, "annotations": [
                 {"result": [{"type": "choices", "value": {"choices": ["positive"]}}]}]},
             {"id": 2, "data": {"text": "meh"}, "annotations": [
                 {"result": [{"type": "choices", "value": {"choices": ["neutral"]}}]}]},
             {"id": 3, "data": {"text": "bad"}}]
    source = tmp_path / "ls.json"
    source.write_text(json.dumps(tasks))
    result = client.import_file(classify["id"], source, "label-studio")
    assert result["created"] == 2 and result["prior_answers"] == 1
    [skipped] = result["skipped"]
    assert skipped["line"] == 2 and "neutral" in skipped["reason"]


def test_a_task_changed_since_the_last_import_is_skipped_not_fatal(cli, tmp_path):
    spec = tmp_path / "spans.json"
    spec.write_text(json.dumps({"settings": {"labels": ["PER", "LOC"]}}))
    pid = cli("project", "create", "ner", "--primitive", "spans", "--settings",
              str(spec)).stdout.strip().splitlines()[-1]
    source = tmp_path / "ls.json"
    source.write_text(json.dumps(LS))
    assert cli("import", str(source), "--project", pid, "--format", "label-studio").exit_code == 0
    changed = json.loads(json.dumps(LS))
    changed[1]["data"]["text"] = "Bo likes Rome"
    changed.append({"id": 19, "data": {"text": "Cy in Oslo"}})
    source.write_text(json.dumps(changed))
    result = cli("import", str(source), "--project", pid, "--format", "label-studio")
    assert result.exit_code == 3, result.output
    assert "1 items created, 1 already there" in result.output
    assert "│ 2" in result.output and "exists with different content" in result.output
    strict = cli("import", str(source), "--project", pid, "--format", "label-studio", "--strict")
    assert strict.exit_code == 2 and "line 2: external_id" in strict.output
