"""Evaluations end to end through the API, the SDK and the CLI, on SQLite and PostgreSQL:
an eval set, two models run against scripted OpenAI-compatible servers (one crashes half
way and resumes), automatic grading, people grading and comparing through leases, a model
judge and its agreement with people, the leaderboard with intervals, a gap report, a data
project ordered from it — and the contamination guard."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.sdk import Client
from datafab.sdk.client import ApiError
from datafab.services import profiles
from datafab.services.accounts import create_contributor, create_organization
from hybrid.chat_server import ScriptedModel, serve

MATH = [(a, b) for a, b in zip(range(3, 15), range(20, 32), strict=True)]  # 12 sums
CAPITALS = {"France": "Paris", "Italy": "Rome", "Spain": "Madrid", "Peru": "Lima",
            "Chile": "Santiago", "Japan": "Tokyo"}
HAIKU = ["autumn", "rivers", "snow", "cities"]
RUBRIC = [{"id": "quality", "description": "vivid and well formed", "min": 1, "max": 5}]


def eval_items() -> list[dict]:
    out = [{"external_id": f"sum-{a}-{b}", "prompt": f"What is {a} + {b}?",
            "reference": {"kind": "numeric", "answer": a + b},
            "slices": {"domain": "math", "difficulty": "easy"}} for a, b in MATH]
    out += [{"external_id": f"capital-{c}", "prompt": f"What is the capital of {c}?",
             "reference": {"kind": "exact", "answer": city},
             "slices": {"domain": "geography", "language": "en"}}
            for c, city in CAPITALS.items()]
    out += [{"external_id": "code-add", "prompt": "Write a Python function add(a, b).",
             "reference": {"kind": "code", "tests": "assert add(2, 3) == 5", "timeout": 10},
             "slices": {"domain": "code"}},
            {"external_id": "mc-1", "prompt": "Which is a prime? A) 4 B) 6 C) 7 D) 9",
             "reference": {"kind": "choice", "answer": "C"}, "slices": {"domain": "math"}},
            {"external_id": "regex-1", "prompt": "Name the sorting bound for comparisons.",
             "reference": {"kind": "regex", "pattern": r"n\s*log\s*n"},
             "slices": {"domain": "code"}}]
    out += [{"external_id": f"haiku-{t}", "prompt": f"Write a haiku about {t}.",
             "reference": {"kind": "rubric", "rubric": RUBRIC},
             "slices": {"domain": "writing"}} for t in HAIKU]
    return out


def _user(messages) -> str:
    return messages[-1]["content"]


def strong(messages) -> str:
    text = _user(messages)
    if m := re.match(r"What is (\d+) \+ (\d+)\?", text):
        return f"The sum is {int(m[1]) + int(m[2])}."
    if m := re.match(r"What is the capital of (\w+)\?", text):
        return CAPITALS[m[1]]
    if "add(a, b)" in text:
        return "```python\ndef add(a, b):\n    return a + b\n```"
    if "prime" in text:
        return "Answer: C"
    if "sorting bound" in text:
        return "Omega(n log n) comparisons"
    return "A vivid haiku, well formed."


def weak(messages) -> str:
    text = _user(messages)
    if m := re.match(r"What is (\d+) \+ (\d+)\?", text):
        return f"I believe it is {int(m[1]) + int(m[2]) + 1}"
    if "add(a, b)" in text:
        return "def add(a, b):\n    return a * b"
    if "prime" in text:
        return "Answer: A"
    if "haiku" in text:
        return "a dull poem"
    return strong(messages)


def judge(messages) -> str:
    text = _user(messages)
    response = text.split("Response:")[1].split("Rubric:")[0]
    score = 0.9 if "vivid" in response else 0.2
    return json.dumps({"score": score, "rationale": "scripted"})


@pytest.fixture
def models():
    servers = {}
    with serve(ScriptedModel(reply=strong, fail_first=5)) as s, \
            serve(ScriptedModel(reply=weak)) as w, serve(ScriptedModel(reply=judge)) as j:
        servers.update(strong=s, weak=w, judge=j)
        yield servers


def _cli(server: str, key: str):
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), env={"DATAFAB_API_KEY": key,
                                                     "DATAFAB_URL": server})
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    return run


def _people_work(client: Client, project_id: int, answer) -> int:
    done = 0
    while leases := client.lease(project_id, 10):
        for lease in leases:
            client.submit(lease["id"], answer(lease["item"]["data"]))
            done += 1
    return done


def test_the_measurement_loop(foundry, served, models, tmp_path):
    _, key = create_organization(foundry, "Eval Lab")
    requester = Client(served, key)
    cli = _cli(served, key)
    prompts = {i["prompt"] for i in eval_items()}

    # 1. an eval set, from a JSONL file through the CLI
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in eval_items()))
    set_id = int(cli("eval", "create", "core-v1", "--items", str(path)))
    made = requester.eval_set(set_id)
    assert made["items"] == 25 and made["slices"]["domain=math"] == 13

    # 2. the strong model through the SDK runner: its server fails 5 calls, so the first
    # pass leaves 5 items; the same run resumes and asks only for those
    from datafab.models import get_backend
    from datafab.models.evaluator import EvalRunner

    backend = get_backend("openai")(model="strong-1", base_url=models["strong"].url,
                                    max_retries=0, concurrency=1)
    run = requester.start_eval_run(set_id, "strong-1", params={"temperature": 0})
    first = EvalRunner(requester, backend, run["id"], concurrency=1).run()
    assert first.failed == 5 and first.answered == 20
    assert requester.eval_run(run["id"])["responses"] == 20
    calls = models["strong"].model.calls
    resumed = requester.start_eval_run(set_id, "strong-1")
    assert resumed["id"] == run["id"]
    again = EvalRunner(requester, backend, run["id"]).run()
    assert again.answered == 5 and models["strong"].model.calls == calls + 5
    assert requester.eval_run(run["id"])["responses"] == 25
    backend.close()
    strong_run = run["id"]

    # 3. the weak model through the CLI
    weak_run = int(cli("eval", "run", "--set", str(set_id), "--model", "weak-1",
                       "--base-url", models["weak"].url))
    assert requester.eval_run(weak_run)["responses"] == 25
    # every request carried the eval prompt alone: no examples, no other eval item
    for body in models["weak"].model.requests:
        shown = " ".join(m["content"] for m in body["messages"])
        assert sum(p in shown for p in prompts) == 1

    # 4. people grade the rubric items and compare the runs, through leases
    graded = requester.create_eval_grading(set_id, "grade", [strong_run, weak_run])
    assert graded["items"] == 8  # 4 rubric items x 2 runs
    compared = requester.create_eval_grading(set_id, "compare", [strong_run, weak_run])
    assert compared["items"] == 25

    # the contamination guard: a contributor who writes training data for math gets no
    # eval grading (the grading projects do not exist for them); one who does not, does
    writer, writer_token = create_contributor(foundry, {"name": "writer"})
    profiles.update_skills(foundry, writer.id, {"domains": [{"name": "math",
                                                             "level": "expert"}]})
    training = requester.create_project("math sft", "write", required_skills=["math"])
    requester.upload_items(training["id"], [{"external_id": "t1",
                                            "data": {"prompt": "Explain carrying."}}])
    with Client(served, writer_token) as writer:
        lease = writer.lease(training["id"])[0]
        writer.submit(lease["id"], {"final": "You carry the ten."})
        for barred in (graded["project_id"], compared["project_id"]):
            with pytest.raises(ApiError) as err:
                writer.lease(barred, 5)
            assert err.value.status == 404
    _, grader_token = create_contributor(foundry, {"name": "grader"})
    with Client(served, grader_token) as grader:
        n = _people_work(grader, graded["project_id"], lambda data: {"scores": {
            "quality": 5 if "vivid" in data["response"][0]["content"] else 2}})
        assert n == 8

        def pick(data):
            right = strong_reply(data)  # people prefer the right answer; same: a tie
            right_a = data["a"]["content"][0]["content"] == right
            right_b = data["b"]["content"][0]["content"] == right
            return {"choice": "tie" if right_a == right_b else ("a" if right_a else "b")}

        assert _people_work(grader, compared["project_id"], pick) == 25

    # 5. a model judge grades the rubric responses; its agreement with people is reported
    stats = json.loads(cli_json(served, key, "eval", "judge", "--set", str(set_id),
                                "--model", "judge-1", "--base-url", models["judge"].url))
    assert stats["answered"] == 8

    # 6. the leaderboard: strong first, intervals, slices, judgments behind each figure
    board = requester.leaderboard(set_id, rounds=300)
    top, second = board["models"]
    assert (top["name"], second["name"]) == ("strong-1", "weak-1")
    assert top["score"] == 1.0 and second["score"] < 0.6
    assert top["ci"][0] <= top["score"] <= top["ci"][1]
    assert second["ci"][1] < top["ci"][0] and (top["rank"], second["rank"]) == (1, 2)
    assert top["judgments"] == {"auto": 21, "people": 4} and top["n"] == 25
    geo = {r["name"]: r for r in board["slices"]["domain=geography"]}
    assert geo["strong-1"]["rank"] == geo["weak-1"]["rank"] == 1  # the same: a tie
    agreement = board["judge_agreement"]["judge-1"]
    assert agreement["n"] == 8 and agreement["pass_agreement"] == 1.0
    bt = requester.leaderboard(set_id, method="bradley_terry", rounds=200)
    assert bt["models"][0]["name"] == "strong-1"
    assert bt["models"][0]["score"] > bt["models"][1]["score"]
    assert bt["models"][0]["judgments"]["people"] == 25

    # 7. the gap report for the weak model, and a data project from it (through the CLI)
    report = json.loads(cli_json(served, key, "eval", "gaps", "--run", str(weak_run)))
    slices = [g["slice"] for g in report["gaps"]]
    assert "domain=math" in slices and "domain=geography" not in slices
    math = next(g for g in report["gaps"] if g["slice"] == "domain=math")
    assert math["failures"] == 13 and math["best_model"] == "strong-1"
    assert math["examples"] and math["examples"][0]["score"] == 0.0
    project_id = int(cli("eval", "order", "--run", str(weak_run), "--slice", "domain=math",
                         "--items", "20"))
    ordered = requester.get_project(project_id)
    assert ordered["primitive"] == "write" and ordered["required_skills"] == ["math"]
    seeds = list(requester.items(project_id))
    assert len(seeds) == 20
    assert not any(p in json.dumps(s["data"]) for s in seeds for p in prompts)

    # 8. exports: the grading projects hold eval prompts and export nothing
    for project in (graded["project_id"], compared["project_id"]):
        assert list(requester.export(project)) == []

    # uploading an eval prompt as training data is refused whole, naming the field
    with pytest.raises(ApiError) as refused:
        requester.upload_items(training["id"], [
            {"external_id": "ok", "data": {"prompt": "Something new."}},
            {"external_id": "leak", "data": {"prompt": "what is 3 + 20?"}}])
    assert refused.value.status == 422 and refused.value.field == "items.1.data.prompt.0.content"
    assert [i["external_id"] for i in requester.items(training["id"])] == ["t1"]
    requester.close()


def test_an_eval_set_made_later_holds_its_prompts_out_of_earlier_exports(foundry, served):
    _, key = create_organization(foundry, "Late Lab")
    requester = Client(served, key)
    project = requester.create_project("qa", "write")
    requester.upload_items(project["id"], [
        {"external_id": "a", "data": {"prompt": "Name three rivers."}},
        {"external_id": "b", "data": {"prompt": "Why is the sky blue?"}}])
    _, token = create_contributor(foundry, {"name": "w"})
    with Client(served, token) as person:
        assert _people_work(person, project["id"], lambda d: {"final": "An answer."}) == 2
    assert len(list(requester.export(project["id"], "sft"))) == 2
    requester.create_eval_set("held", [{"external_id": "x", "prompt": "Why is the sky  BLUE?"}])
    rows = list(requester.export(project["id"], "sft"))
    assert len(rows) == 1 and "rivers" in json.dumps(rows[0])
    requester.close()


def test_bad_eval_input_is_refused_naming_the_field(foundry, served):
    _, key = create_organization(foundry, "Strict Lab")
    with Client(served, key) as requester:
        with pytest.raises(ApiError) as bad:
            requester.create_eval_set("s", [
                {"external_id": "1", "prompt": "ok", "reference": {"kind": "exact",
                                                                   "answer": "x"}},
                {"external_id": "2", "prompt": "p", "reference": {"kind": "numeric"}}])
        assert bad.value.status == 422 and bad.value.field == "items.1.reference.answer"
        assert requester.eval_sets() == []  # nothing written
        # a rubric people could not grade with is refused at creation, naming the field
        with pytest.raises(ApiError) as bad:
            requester.create_eval_set("s", [
                {"external_id": "h", "prompt": "Write a haiku.",
                 "reference": {"kind": "rubric", "rubric": [{"foo": "bar"}]}}])
        assert bad.value.status == 422 and bad.value.field == "items.0.reference.rubric.0.id"
        with pytest.raises(ApiError) as bad:
            requester.create_eval_set("s", [
                {"external_id": "h", "prompt": "Write a haiku.",
                 "reference": {"kind": "rubric", "rubric": [
                     {"id": "form", "min": 1, "max": 5}, {"id": "form"}]}}])
        assert bad.value.field == "items.0.reference.rubric.1.id"
        assert requester.eval_sets() == []
        with pytest.raises(ApiError) as bad:
            requester.create_eval_set("s", [{"external_id": "1", "prompt": "p",
                                             "slices": {"colour": "red"}}])
        assert bad.value.field == "items.0.slices.colour"
        made = requester.create_eval_set("s", [{"external_id": "1", "prompt": "p"}])
        with pytest.raises(ApiError) as bad:
            requester.add_eval_items(made["id"], [{"external_id": "1", "prompt": "other"}])
        assert bad.value.status == 409
        other_key = create_organization(foundry, "Other")[1]
        with Client(served, other_key) as other, pytest.raises(ApiError) as hidden:
            other.eval_set(made["id"])
        assert hidden.value.status == 404


def strong_reply(data) -> str:
    return strong([{"role": "user", "content": data["prompt"][-1]["content"]}])


def cli_json(server: str, key: str, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"DATAFAB_API_KEY": key,
                                                      "DATAFAB_URL": server})
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]
