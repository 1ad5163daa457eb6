"""Re-measuring must not mislead, and what the loop writes must be usable: a grading that
fails writes nothing; a second round of comparisons is possible; ungraded answers are
reported; the gap report shows what improved; a difficulty's gap asks no union of skills;
data ordered from a gap exports as training-ready task/answer pairs. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, update

from datafab.errors import InvalidInput
from datafab.sdk import Client
from datafab.services import evals, profiles, projects
from datafab.services.accounts import create_contributor, create_organization
from datafab.store.tables import eval_items, eval_projects
from datafab.store.tables import projects as projects_table

RUBRIC = [{"id": "quality", "description": "vivid", "min": 1, "max": 5}]


def _ids(foundry, org, set_id) -> dict[str, int]:
    probe = evals.start_run(foundry, org, set_id, {"model": "probe", "name": "probe"})
    return {r["external_id"]: r["item_id"]
            for r in evals.pending(foundry, org, probe["id"], limit=1000)["items"]}


def _answer(foundry, org, set_id, ids, model, texts: dict[str, str], name=None) -> int:
    run = evals.start_run(foundry, org, set_id, {"model": model, "name": name or model})
    evals.record_responses(foundry, org, run["id"], {"responses": [
        {"item_id": ids[ext], "text": text} for ext, text in texts.items()]})
    return run["id"]


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_failed_grading_writes_nothing_and_a_rubric_can_stand_in(foundry):
    org, _ = create_organization(foundry, "Rubric Lab")
    made = evals.create_set(foundry, org, {"name": "poems", "items": [
        {"external_id": f"h{k}", "prompt": f"Write a haiku about {t}.",
         "reference": {"kind": "rubric", "rubric": RUBRIC}}
        for k, t in enumerate(("snow", "rain"))]})
    ids = _ids(foundry, org, made["id"])
    run = _answer(foundry, org, made["id"], ids, "poet-1", {"h0": "a poem", "h1": "a poem"})
    # a set stored before rubrics were checked holds one people cannot grade with
    with foundry.db.write() as conn:
        conn.execute(update(eval_items).where(eval_items.c.external_id == "h1").values(
            reference={"kind": "rubric", "rubric": [{"foo": "bar"}]}))
    with pytest.raises(InvalidInput) as bad:
        evals.create_grading(foundry, org, made["id"], {"kind": "grade", "runs": [run]})
    assert bad.value.field == "rubric" and "'h1'" in bad.value.message
    # no empty project left behind
    assert _count(foundry, projects_table) == 0 and _count(foundry, eval_projects) == 0
    # a rubric the grading brings is checked too, naming its field
    with pytest.raises(InvalidInput) as bad:
        evals.create_grading(foundry, org, made["id"], {"kind": "grade", "runs": [run],
                                                        "rubric": [{"foo": "bar"}]})
    assert bad.value.field == "rubric.0.id"
    assert _count(foundry, projects_table) == 0
    # and it stands in for the rubric people cannot use
    graded = evals.create_grading(foundry, org, made["id"],
                                  {"kind": "grade", "runs": [run], "rubric": RUBRIC})
    assert graded["items"] == 2 and _count(foundry, projects_table) == 1


def test_a_second_compare_grading_for_the_same_runs(foundry):
    org, _ = create_organization(foundry, "Arena Lab")
    made = evals.create_set(foundry, org, {"name": "open", "items": [
        {"external_id": f"q{k}", "prompt": f"Tell me about {k}."} for k in range(3)]})
    ids = _ids(foundry, org, made["id"])
    a = _answer(foundry, org, made["id"], ids, "a-1", {f"q{k}": "yes" for k in range(3)})
    b = _answer(foundry, org, made["id"], ids, "b-1", {f"q{k}": "no" for k in range(3)})
    first = evals.create_grading(foundry, org, made["id"], {"kind": "compare", "runs": [a, b]})
    second = evals.create_grading(foundry, org, made["id"], {"kind": "compare", "runs": [a, b]})
    assert first["project_id"] != second["project_id"] and second["items"] == 3
    assert second["name"] == f"open: compare runs {a},{b} (round 2)"
    c = _answer(foundry, org, made["id"], ids, "c-1", {f"q{k}": "maybe" for k in range(3)})
    other = evals.create_grading(foundry, org, made["id"], {"kind": "compare", "runs": [a, c]})
    assert other["name"] == f"open: compare runs {a},{c}"


def test_ungraded_answers_are_reported(foundry):
    org, _ = create_organization(foundry, "Count Lab")
    items = [{"external_id": f"n{k}", "prompt": f"What is {k} + 1?",
              "reference": {"kind": "numeric", "answer": k + 1}} for k in range(24)]
    items += [{"external_id": f"r{k}", "prompt": f"Write a line about {k}.",
               "reference": {"kind": "rubric", "rubric": RUBRIC}} for k in range(6)]
    made = evals.create_set(foundry, org, {"name": "thirty", "items": items})
    ids = _ids(foundry, org, made["id"])
    texts = {f"n{k}": str(k + 1) for k in range(24)} | {f"r{k}": "meh" for k in range(6)}
    _answer(foundry, org, made["id"], ids, "lucky-1", texts)
    board = evals.leaderboard(foundry, org, made["id"], rounds=50)
    (row,) = board["models"]
    assert row["rank"] == 1 and row["score"] == 1.0
    assert (row["items"], row["responses"], row["graded"], row["ungraded"]) == (30, 30, 24, 6)
    assert any("lucky-1" in n and "6 of 30 answers not graded" in n for n in board["notes"])


def _weak_then_better(foundry, org):
    items = [{"external_id": f"m{k}", "prompt": f"What is {k} * 3?",
              "reference": {"kind": "numeric", "answer": 3 * k},
              "slices": {"domain": "math", "difficulty": "hard"}} for k in range(12)]
    items += [{"external_id": f"g{k}", "prompt": f"Capital number {k}?",
               "reference": {"kind": "exact", "answer": f"city{k}"},
               "slices": {"domain": "geography", "difficulty": "hard"}} for k in range(12)]
    made = evals.create_set(foundry, org, {"name": "mixed", "items": items})
    ids = _ids(foundry, org, made["id"])
    wrong = {f"m{k}": "7777" for k in range(12)} | {f"g{k}": "nowhere" for k in range(12)}
    v1 = _answer(foundry, org, made["id"], ids, "m", wrong, name="m-v1")
    better = {f"m{k}": str(3 * k) for k in range(12)} | {f"g{k}": "nowhere" for k in range(12)}
    v2 = _answer(foundry, org, made["id"], ids, "m", better, name="m-v2")
    return made, v1, v2


def test_the_gap_report_shows_slices_that_improved(foundry):
    org, _ = create_organization(foundry, "Again Lab")
    _, v1, v2 = _weak_then_better(foundry, org)
    report = evals.gap_report(foundry, org, v2, rounds=100)
    gaps = [g["slice"] for g in report["gaps"]]
    assert "domain=geography" in gaps and "domain=math" not in gaps
    (math,) = [s for s in report["improved"] if s["slice"] == "domain=math"]
    assert math["improved"] and math["closed"] and math["change"] == 1.0
    assert math["earlier"]["run_id"] == v1 and math["earlier"]["score"] == 0.0
    geo = next(s for s in report["slices"] if s["slice"] == "domain=geography")
    assert geo["change"] == 0.0 and not geo["improved"]


def test_a_difficulty_gap_does_not_require_every_skill_in_it(foundry):
    org, _ = create_organization(foundry, "Hard Lab")
    _, v1, _ = _weak_then_better(foundry, org)
    report = evals.gap_report(foundry, org, v1, rounds=100)
    hard = next(g for g in report["gaps"] if g["slice"] == "difficulty=hard")
    assert hard["skills"] == []  # math and geography failures share no skill
    ordered = evals.order_data(foundry, org, v1, {"slice": "difficulty=hard", "items": 5})
    assert ordered["required_skills"] == []
    assert projects.get_project(foundry, org, ordered["project_id"]).required_skills == []
    math = evals.order_data(foundry, org, v1, {"slice": "domain=math", "items": 5})
    assert math["required_skills"] == ["math"]


def test_data_ordered_from_a_gap_exports_task_and_answer(foundry, served):
    org, key = create_organization(foundry, "Order Lab")
    made, v1, _ = _weak_then_better(foundry, org)
    prompts = [i["prompt"][-1]["content"] for i in evals.pending(
        foundry, org, evals.start_run(foundry, org, made["id"], {"model": "x"})["id"],
        limit=100)["items"]]
    ordered = evals.order_data(foundry, org, v1, {"slice": "domain=math", "items": 3})
    person, token = create_contributor(foundry, {"name": "writer"})
    profiles.update_skills(foundry, person.id, {"domains": [{"name": "math",
                                                             "level": "expert"}]})
    with Client(served, token) as writer:
        leases = writer.lease(ordered["project_id"], 3)
        assert len(leases) == 3
        copied = leases.pop()  # a task copied from the eval set is never training data
        writer.submit(copied["id"], {"task": "what is 4 * 3?", "final": "12"})
        brief = leases[0]["item"]["data"]["prompt"][0]["content"]
        assert "eval item" not in brief and "m0" not in brief
        with pytest.raises(Exception) as missing:  # the new task is required
            writer.submit(leases[0]["id"], {"final": "42"})
        assert getattr(missing.value, "field", None) == "answer.task"
        for k, lease in enumerate(leases):
            writer.submit(lease["id"], {"task": f"A crate holds {k + 2} rows of 4 jars. "
                                                "How many jars?", "final": f"{4 * (k + 2)}"})
    with Client(served, key) as requester:
        rows = list(requester.export(ordered["project_id"], "sft"))
    assert len(rows) == 2
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["user", "assistant"]
        user, reply = (m["content"] for m in row["messages"])
        assert user.startswith("A crate holds") and reply.isdigit()
        text = json.dumps(row["messages"])
        assert "Write a new" not in text and "Task:" not in text and "m0" not in text
        assert not any(p in text for p in prompts)
        assert row["source"]["slice"] == "domain=math" and row["source"]["eval_run"] == v1
        assert row["source"]["modelled_on"].startswith("m")  # named in lineage only


def test_the_cli_says_what_is_ungraded_and_what_improved(foundry, served):
    from typer.testing import CliRunner

    from datafab.cli import app

    org, key = create_organization(foundry, "Cli Lab")
    made, _, v2 = _weak_then_better(foundry, org)
    evals.add_items(foundry, org, made["id"], [
        {"external_id": "poem", "prompt": "Write a poem about rain.",
         "reference": {"kind": "rubric", "rubric": RUBRIC}}])
    poem = next(i["item_id"] for i in evals.pending(foundry, org, v2)["items"])
    evals.record_responses(foundry, org, v2, {"responses": [{"item_id": poem,
                                                             "text": "rain"}]})

    def cli(*args: str) -> str:
        result = CliRunner().invoke(app, list(args), env={"DATAFAB_API_KEY": key,
                                                          "DATAFAB_URL": served})
        assert result.exit_code == 0, result.output
        return result.output

    board = cli("eval", "leaderboard", "--set", str(made["id"]), "--rounds", "50")
    assert re.search(r"m-v2 .* ungraded=1", board)
    assert "note: m-v2: 1 of 25 answers not graded yet" in board
    gaps = cli("eval", "gaps", "--run", str(v2))
    assert re.search(r"improved domain=math\s+0\.000 \(m-v1\) -> 1\.000  gap closed", gaps)
