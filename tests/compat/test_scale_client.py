"""The Scale-compatible API, driven by the official ``scaleapi`` client against a real
``datafab serve`` on 127.0.0.1 (SQLite and PostgreSQL); tasks are completed through
Datafab's own lease/submit path and callbacks arrive on a real local receiver."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import scaleapi
from scaleapi.exceptions import (
    ScaleDuplicateResource,
    ScaleInvalidRequest,
    ScaleNotEnabled,
    ScaleResourceNotFound,
    ScaleUnauthorized,
)
from scaleapi.tasks import TaskStatus, TaskType
from tests.webhooks.receiver import Receiver, free_port

import datafab
from datafab.services import webhooks

pytestmark = pytest.mark.slow


@pytest.fixture
def served(database_url, tmp_path):
    """``datafab serve`` in its own process, with fast webhook retries."""
    port = free_port()
    env = {**os.environ, "DATAFAB_DATABASE_URL": database_url,
           "DATAFAB_WEBHOOK_BACKOFF_SECONDS": "0.2", "DATAFAB_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
           "DATAFAB_REFIT_IN_BACKGROUND": "false",
           "DATAFAB_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1"}  # the callback receiver
    exe = Path(sys.executable).with_name("datafab")
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("datafab serve did not start: " + (tmp_path / "serve.log").read_text())
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def _wait(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_official_client_end_to_end(served, make_org, make_worker):
    org, other = make_org("Acme"), make_org("Other")
    worker = make_worker("ada")
    api = f"{served}/compat/scale/v1"
    client = scaleapi.ScaleClient(org.key, api_instance_url=api)
    with Receiver() as receiver:
        receiver.up()
        callback = receiver.url

        # Projects: one per mapped type; params are versioned.
        kinds = {"pets": TaskType.Categorization, "pairs": TaskType.Comparison,
                 "answers": TaskType.TextCollection, "names": TaskType.NamedEntityRecognition}
        for name, kind in kinds.items():
            project = client.create_project(name, kind, params={"instruction": f"Do {name}."})
            assert (project.name, project.type, project.version) == (name, kind.value, 0)
            assert project.instruction == f"Do {name}."
        with pytest.raises(ScaleDuplicateResource):
            client.create_project("pets", TaskType.Categorization)
        with pytest.raises(ScaleNotEnabled):
            client.create_project("boxes", TaskType.ImageAnnotation)
        assert sorted(p.name for p in client.get_projects()) == sorted(kinds)
        updated = client.update_project("pets", instruction="Pick the animal shown.")
        assert (updated.version, updated.instruction) == (1, "Pick the animal shown.")
        assert client.get_project("pets").params["params"]["instruction"] == \
            "Pick the animal shown."

        # A batch.
        batch = client.create_batch("pets", "pets-1", metadata={"week": 49})
        assert (batch.status, batch.project, batch.metadata) == ("staging", "pets", {"week": 49})
        with pytest.raises(ScaleDuplicateResource):
            client.create_batch("pets", "pets-1")
        with pytest.raises(ScaleResourceNotFound):
            client.create_batch("nope", "x")

        # Tasks of each type.
        pets = [client.create_task(
            TaskType.Categorization, project="pets", batch="pets-1", callback_url=callback,
            attachment=f"a photo of pet {i}", attachment_type="text",
            categories=["cat", "dog"], unique_id=f"pet-{i}", metadata={"n": i})
            for i in range(5)]
        assert all(t.status == "pending" and t.batch == "pets-1" for t in pets)
        assert pets[0].params["categories"] == ["cat", "dog"] and pets[0].metadata == {"n": 0}
        with pytest.raises(ScaleDuplicateResource) as dup:
            client.create_task(TaskType.Categorization, project="pets", attachment="again",
                               categories=["cat", "dog"], unique_id="pet-0")
        assert pets[0].id in str(dup.value)
        with pytest.raises(ScaleInvalidRequest) as bad:
            client.create_task(TaskType.Categorization, project="pets", attachment="x",
                               categories=["cat", "dog", "fish"])
        assert "categories" in str(bad.value)
        with pytest.raises(ScaleInvalidRequest):
            client.create_task(TaskType.Comparison, project="pets", attachments=["a", "b"])
        with pytest.raises(ScaleNotEnabled):
            client.create_task(TaskType.ImageAnnotation, project="pets")
        pair = client.create_task(
            TaskType.Comparison, project="pairs", callback_url=callback,
            instruction="Which answer is more helpful?",
            attachments=[[{"type": "text", "content": "Paris."}],
                         [{"type": "text", "content": "It is Lyon."}]],
            prompt="What is the capital of France?")
        answer = client.create_task(
            TaskType.TextCollection, project="answers", callback_url=callback,
            attachments=[{"type": "text", "content": "Explain photosynthesis briefly."}],
            fields=[{"type": "text", "field_id": "explanation", "title": "Explanation"}])
        names = client.create_task(
            TaskType.NamedEntityRecognition, project="names", callback_url=callback,
            text="Ada Lovelace met Charles Babbage in London.",
            labels=[{"name": "PER"}, {"name": "LOC"}])

        # Complete through Datafab's own lease/submit path.
        ids = {name: client.get_project(name).as_dict()["datafab_project_id"] for name in kinds}
        answers = {
            "pets": lambda item: {"label": "dog" if item["data"]["text"].endswith("3")
                                  else "cat"},
            "pairs": lambda item: {"choice": "a", "strength": "decisive",
                                   "rationale": "Correct."},
            "answers": lambda item: {"final": "Plants turn light into sugar."},
            "names": lambda item: {"spans": [{"start": 0, "end": 12, "label": "PER"},
                                             {"start": 17, "end": 32, "label": "PER"},
                                             {"start": 36, "end": 42, "label": "LOC"}]},
        }
        skipped = pets[4]
        client.cancel_task(skipped.id)
        with datafab.Client(served, api_key=worker.token) as contributor:
            for name, pid in ids.items():
                for lease in contributor.lease(pid, n=10):
                    contributor.submit(lease["id"], answers[name](lease["item"]))
            assert contributor.lease(ids["pets"], n=10) == []  # the canceled one is out

        done = client.get_task(pets[3].id)
        assert done.status == "completed" and done.response == {"category": "dog"}
        assert client.get_task(pets[0].id).response == {"category": "cat"}
        assert client.get_task(skipped.id).status == "canceled"
        assert client.get_task(pair.id).response["choice"] == "a"
        assert client.get_task(answer.id).response == {
            "explanation": "Plants turn light into sugar."}
        assert [a["text"] for a in client.get_task(names.id).response["annotations"]] == [
            "Ada Lovelace", "Charles Babbage", "London"]
        client.audit_task(done.id, True, "fine")
        assert client.get_task(done.id).customer_review_status == "accepted"

        # The paginated generator, with the client's filters.
        listed = list(client.get_tasks(project_name="pets", limit=2))
        assert [t.id for t in listed] == [t.id for t in pets]
        completed = list(client.get_tasks(batch_name="pets-1", status=TaskStatus.Completed,
                                          limit=1))
        assert sorted(t.id for t in completed) == sorted(t.id for t in pets[:4])
        page = client.tasks(project="pets", limit=2)
        assert (page.total, page.limit, len(page.docs), page.has_more) == (5, 2, 2, True)
        second = client.tasks(project="pets", limit=2, next_token=page.next_token)
        assert second.offset == 2 and second.docs[0].id == pets[2].id
        assert [t.id for t in client.tasks(project="pets", unique_id="pet-2").docs] == [
            pets[2].id]
        assert client.get_tasks_count(project_name="pets") == 5
        with pytest.raises(ScaleInvalidRequest):
            client.tasks(project="pets", limit=500)

        # Finalize the batch and read its status.
        assert client.batch_status("pets-1")["status"] == "staging"
        finalized = client.finalize_batch("pets-1")
        assert finalized.status == "in_progress"
        status = client.batch_status("pets-1")
        assert status == {"status": "completed", "pending": 0, "completed": 4, "error": 0,
                          "canceled": 1}
        assert [b.name for b in client.get_batches(project_name="pets")] == ["pets-1"]

        # Callbacks: one per completed task, signed with the organization's secret.
        expected = {t.id for t in pets[:4]} | {pair.id, answer.id, names.id}
        assert _wait(lambda: {m["json"]["task_id"] for m in receiver.received} >= expected), \
            receiver.received
        secret = httpx.get(f"{served}/v1/webhooks/secret", headers=org.headers).json()["secret"]
        for message in receiver.received:
            assert webhooks.verify(secret, message["headers"], message["body"])
            body = message["json"]
            assert body["task"]["task_id"] == body["task_id"]
            assert body["task"]["status"] == "completed"
            assert body["response"] == body["task"]["response"]
        by_id = {m["json"]["task_id"]: m["json"] for m in receiver.received}
        assert by_id[pets[3].id]["response"] == {"category": "dog"}
        assert skipped.id not in by_id
        assert _wait(lambda: client.get_task(pets[3].id).as_dict().get("callback_succeeded"))

    # Credentials and tenancy.
    with pytest.raises(ScaleUnauthorized):
        scaleapi.ScaleClient("dfk_wrong", api_instance_url=api).get_projects()
    outsider = scaleapi.ScaleClient(other.key, api_instance_url=api)
    assert outsider.get_projects() == []
    with pytest.raises(ScaleResourceNotFound):
        outsider.get_task(pets[0].id)
    with pytest.raises(ScaleResourceNotFound):
        outsider.get_project("pets")
    with pytest.raises(ScaleResourceNotFound):
        outsider.get_batch("pets-1")
    assert list(outsider.get_tasks(project_name="pets")) == []
    assert list(outsider.get_batches()) == []
    with pytest.raises(ScaleResourceNotFound):
        outsider.cancel_task(pets[1].id)
    # The other organization may reuse a unique_id: they are unique per organization.
    outsider.create_project("pets", TaskType.Categorization)
    mine = outsider.create_task(TaskType.Categorization, project="pets", attachment="x",
                                categories=["a", "b"], unique_id="pet-0")
    assert mine.id != pets[0].id
