"""A model as a contributor, end to end: the real ``openai`` client against a real HTTP
server speaking the chat-completions protocol, and a real Datafab server; the model worker
leases and submits through the REST API like a person."""

from __future__ import annotations

import json

from datafab.models import get_backend
from datafab.models.worker import ModelWorker

from .chat_server import item_text

LABELS = ["yes", "no"]
EXPLANATION = "GOLD-EXPLANATION-do-not-leak"


def _project(line, gold_rate=0.3, **models):
    policy = {"min_labels": 1, "max_labels": 1, "gold_rate": gold_rate, "models": models}
    return line.requester.create_project(
        "triage", "classify", settings={"labels": LABELS}, policy=policy,
        guidelines="Say yes when the text is about cats.",
    )


def _upload(line, project, scripted, n=40, gold=20):
    items = [{"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n)]
    items += [{"external_id": f"g{i}", "data": {"text": f"gold {i}"},
               "gold_answer": {"label": LABELS[i % 2]}, "gold_explanation": EXPLANATION}
              for i in range(gold)]
    for i in range(n):
        scripted.truth[f"item {i}"] = LABELS[(i // 3) % 2]
    for i in range(gold):
        scripted.truth[f"gold {i}"] = LABELS[i % 2]
    line.requester.upload_items(project["id"], items)


def _backend(chat, **options):
    options = {"model": "scripted-7b", "base_url": chat.url, "timeout": 5.0, "max_retries": 2,
               "backoff": 0.01, "price_prompt": 1.0, "price_completion": 2.0, **options}
    return get_backend("openai")(**options)


def _people_finish(line, project, n_people=3):
    """People take whatever is left, answering right."""
    truth = {f"item {i}": LABELS[(i // 3) % 2] for i in range(1000)}
    truth.update({f"gold {i}": LABELS[i % 2] for i in range(1000)})
    for p in range(n_people):
        person = line.person(f"person-{p}")
        while leases := person.lease(project["id"], 20):
            for lease in leases:
                label = truth[lease["item"]["data"]["text"]]
                person.submit(lease["id"], {"label": label}, seconds_spent=4.0)
        person.close()


def test_model_first_routing_end_to_end(line, chat, scripted):
    scripted.confidence = lambda rng: 0.5 + 0.5 * rng.beta(9, 1)  # right 95% of the time
    project = _project(line, gold_rate=0.5, first=True, auto_accept=True,
                       accept_confidence=0.85, target_accuracy=0.6, min_gold=3,
                       audit_rate=0.0)
    _upload(line, project, scripted, gold=30)
    assert line.requester.progress(project["id"])["model"] == 40  # waiting for the model

    backend = _backend(chat)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], batch=5, concurrency=2).run()
    backend.close()
    assert stats.answered == stats.leased and stats.malformed == stats.failed == 0
    assert stats.gold_seen > 0
    progress = line.requester.progress(project["id"])
    assert progress.get("model", 0) == 0  # every item went to the model once
    assert progress["done"] == stats.finished_items > 0  # some accepted, no person needed
    assert progress["open"] == 40 - progress["done"]  # the rest went on to people

    accepted = [r for r in line.requester.records(project["id"]) if r["method"] == "model"]
    assert len(accepted) == progress["done"]
    assert all(r["confidence"] >= 0.85 and r["final"] for r in accepted)

    _people_finish(line, project)
    assert line.requester.progress(project["id"])["done"] == 40

    effort = line.requester.effort(project["id"])
    assert effort["records"] == 40 and effort["auto_accepted"] == len(accepted)
    human_on_items = effort["people"]["labels"] - effort["people"]["gold_labels"]
    assert human_on_items == 40 - len(accepted)  # one person per item not accepted
    assert effort["model"]["answers"] == stats.answered
    assert effort["model"]["calls"] == stats.calls and effort["model"]["cost"] > 0
    (model,) = effort["models"]
    assert model["routes"]["accepted"] == len(accepted)
    assert model["gold"]["seen"] == stats.gold_seen and model["gold"]["ece"] is not None

    # The model saw only what a lease shows: never a gold answer or explanation.
    assert scripted.requests
    for body in scripted.requests:
        prompt = json.dumps(body)
        assert EXPLANATION not in prompt and "gold_answer" not in prompt
        assert "Say yes when the text is about cats." in prompt  # the guidelines
        assert item_text(body["messages"]).startswith(("item ", "gold "))


def test_malformed_output_goes_to_people_and_nothing_is_lost(line, chat, scripted):
    scripted.mode = "prose"
    project = _project(line, first=True, auto_accept=True)
    _upload(line, project, scripted, n=12, gold=0)
    backend = _backend(chat)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], batch=4).run()
    backend.close()
    assert stats.malformed == stats.leased == 12 and stats.answered == 0
    progress = line.requester.progress(project["id"])
    assert progress["open"] == 12 and progress.get("model", 0) == 0
    _people_finish(line, project, n_people=1)
    assert line.requester.progress(project["id"])["done"] == 12
    effort = line.requester.effort(project["id"])
    assert effort["model"]["by_outcome"] == {"malformed": 12}
    assert effort["auto_accepted"] == 0 and effort["people"]["labels"] == 12


def test_an_answer_the_server_refuses_also_goes_to_people(line, chat, scripted):
    scripted.mode = "bad_label"  # valid JSON, but a label the project does not have
    project = _project(line, first=True)
    _upload(line, project, scripted, n=3, gold=0)
    backend = _backend(chat)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"]).run()
    backend.close()
    assert stats.malformed == 3
    assert line.requester.progress(project["id"])["open"] == 3


def test_retries_with_backoff_then_success(line, chat, scripted):
    scripted.fail_first = 2
    project = _project(line, first=True)
    _upload(line, project, scripted, n=1, gold=0)
    backend = _backend(chat, max_retries=3)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"]).run()
    backend.close()
    assert stats.answered == 1 and stats.calls == 3  # two 503s, then the answer
    assert line.requester.effort(project["id"])["model"]["calls"] == 3


def test_timeouts_give_the_item_to_people(line, chat, scripted):
    scripted.delay = 1.5
    project = _project(line, first=True)
    _upload(line, project, scripted, n=2, gold=0)
    backend = _backend(chat, timeout=0.2, max_retries=1)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"], sleep=lambda s: None).run()
    backend.close()
    assert stats.failed == 2 and stats.calls == 4  # each: a call and one retry
    assert line.requester.progress(project["id"])["open"] == 2
    assert line.requester.effort(project["id"])["model"]["by_outcome"] == {"failed": 4}


def test_a_model_that_is_down_leaves_the_line_to_people(line, chat, scripted):
    project = _project(line, first=True, auto_accept=True)
    _upload(line, project, scripted, n=10, gold=0)
    chat.stop()  # the endpoint is gone: connections are refused
    pauses = []
    backend = _backend(chat, max_retries=1)
    with line.model_client() as client:
        worker = ModelWorker(client, backend, project["id"], batch=2, max_failures=3,
                             pause_seconds=30, sleep=pauses.append)
        stats = worker.run()
    backend.close()
    assert stats.failed == 10 and stats.answered == 0
    assert pauses == [30, 30]  # it backs off once three or more failed in a row
    _people_finish(line, project, n_people=1)
    assert line.requester.progress(project["id"])["done"] == 10


def test_a_judge_compares_through_the_normal_path(line, chat, scripted):
    scripted.reply = lambda messages: json.dumps(
        {"answer": {"choice": "a", "strength": "clear", "rationale": "a is kinder"},
         "confidence": 0.8})
    project = line.requester.create_project("judged", "compare",
                                            policy={"min_labels": 2, "max_labels": 2})
    line.requester.upload_items(project["id"], [
        {"external_id": f"c{i}", "data": {"prompt": "Greet me.", "a": {"content": "Hello!"},
                                          "b": {"content": "What."}}} for i in range(3)])
    backend = _backend(chat)
    with line.model_client() as client:
        stats = ModelWorker(client, backend, project["id"]).run()
    backend.close()
    assert stats.answered == 3
    person = line.person("ann")
    for lease in person.lease(project["id"], 3):
        person.submit(lease["id"], {"choice": "a"})
    records = list(line.requester.records(project["id"]))
    assert all(r["final"] and r["n_submissions"] == 2 and r["answer"]["choice"] == "a"
               for r in records)
    (model,) = line.requester.effort(project["id"])["models"]
    assert model["agreement_with_people"] == 1.0 and model["routes"] == {
        "accepted": 0, "audit": 0, "people": 0}


def test_a_model_drafts_and_a_person_edits(line, chat, scripted):
    scripted.reply = lambda messages: '{"answer": {"final": "Paris is the capital."}}'
    project = line.requester.create_project(
        "drafts", "write", policy={"models": {"first": True, "suggest": True}})
    line.requester.upload_items(project["id"], [
        {"external_id": "w1", "data": {"prompt": "What is the capital of France?"}}])
    backend = _backend(chat)
    with line.model_client() as client:
        assert ModelWorker(client, backend, project["id"]).run().answered == 1
    backend.close()
    person = line.person("ann")
    (lease,) = person.lease(project["id"])
    draft = lease["suggestion"]["answer"]["final"]
    person.submit(lease["id"], {"final": "Paris is the capital of France.", "draft": draft},
                  seconds_spent=12.0)
    (record,) = line.requester.records(project["id"])
    assert record["answer"]["draft"] == draft and record["answer"]["edit_distance"] == 10
    drafts = line.requester.effort(project["id"])["suggestions"]
    assert drafts["edited"] == 1 and drafts["mean_seconds"] == 12.0
