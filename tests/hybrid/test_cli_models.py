"""``datafab worker`` and ``datafab candidates`` against a real Datafab server and a real
chat-completions server."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from datafab.cli import app


def test_worker_command_runs_a_model_as_a_contributor(line, chat, scripted):
    project = line.requester.create_project(
        "cli", "classify", settings={"labels": ["yes", "no"]},
        policy={"min_labels": 1, "max_labels": 1, "models": {"first": True}})
    line.requester.upload_items(project["id"], [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(5)])
    result = CliRunner().invoke(app, [
        "worker", "--model", "scripted-7b", "--project", str(project["id"]),
        "--server", line.url, "--base-url", chat.url, "--price-prompt", "2",
    ], env={"DATAFAB_TOKEN": line.model_token})
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout[result.stdout.index("{"):])
    assert stats["answered"] == 5 and stats["cost"] > 0
    assert line.requester.progress(project["id"])["open"] == 5  # on to people


def test_worker_command_names_an_unknown_backend(line):
    result = CliRunner().invoke(app, [
        "worker", "--model", "x", "--project", "1", "--backend", "lerner",
        "--server", line.url], env={"DATAFAB_TOKEN": line.model_token})
    assert result.exit_code == 2 and "did you mean 'learner'" in result.output


def test_candidates_command_builds_preference_items(line, chat, scripted, tmp_path):
    scripted.reply = lambda messages: f"An answer to: {messages[-1]['content']}"
    project = line.requester.create_project("prefs", "compare")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(json.dumps(p) for p in [
        {"external_id": "p1", "prompt": "Why is the sky blue?"},
        {"external_id": "p2", "prompt": "Name a prime.", "system": "Be brief."},
    ]))
    result = CliRunner().invoke(app, [
        "candidates", "--project", str(project["id"]), "--models", "small,large",
        "--prompts", str(prompts), "--server", line.url, "--base-url", chat.url,
        "--temperature", "0.7", "--seed", "11",
    ], env={"DATAFAB_API_KEY": line.requester_key})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "2"
    items = list(line.requester.items(project["id"]))
    assert [i["data"]["a"]["model"] for i in items] == ["small", "small"]
    assert items[0]["data"]["a"]["content"][0]["content"] == "An answer to: Why is the sky blue?"
    sampling = items[0]["data"]["meta"]["sampling"]
    assert sampling[0]["temperature"] == 0.7 and sampling[0]["seed"] == 11
    assert {body["model"] for body in scripted.requests} == {"small", "large"}
    effort = line.requester.effort(project["id"])
    assert effort["model"]["by_outcome"] == {"candidate": 4}
