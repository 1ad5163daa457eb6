"""Messages on both databases: announcements reach a project's contributors (inbox, and
e-mail through a real SMTP server on 127.0.0.1), questions on items and their answers (into
the asker's inbox, and the FAQ), and senders with no part in a project refused."""

from __future__ import annotations

import email
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from tests.live_servers import free_port

from datafab.store.tables import contributors, inbox_entries, messages

OPS = {"Authorization": "Bearer ops-token"}


class Mailbox:
    def __init__(self) -> None:
        self.received: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(foundry):
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    foundry.settings.smtp_host = "127.0.0.1"
    foundry.settings.smtp_port = port
    foundry.settings.smtp_from = "foundry@example.org"
    yield box
    controller.stop()


@pytest.fixture
def ops(foundry):
    foundry.settings.operator_token = "ops-token"


def _project(api, org, n=4):
    r = api.post("/v1/projects", json={"name": "p", "primitive": "classify",
                                       "settings": {"labels": ["yes", "no"]}},
                 headers=org.headers)
    pid = r.json()["id"]
    api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"i{i}", "data": {"text": f"t{i}"}} for i in range(n)]})
    return pid


def _with_email(foundry, worker, address):
    with foundry.db.write() as conn:
        conn.execute(update(contributors).where(contributors.c.id == worker.id)
                     .values(email=address))


def _lease(api, pid, worker):
    return api.post(f"/v1/projects/{pid}/leases", json={"n": 1},
                    headers=worker.headers).json()["leases"][0]


def test_an_announcement_reaches_the_projects_contributors_by_inbox_and_email(
        api, foundry, smtp, ops, make_org, make_worker):
    org = make_org()
    pid = _project(api, org)
    ada, bob, outsider = make_worker("ada"), make_worker("bob"), make_worker("out")
    _with_email(foundry, ada, "ada@example.org")
    _with_email(foundry, outsider, "out@example.org")
    _lease(api, pid, ada)
    _lease(api, pid, bob)
    r = api.post(f"/v1/projects/{pid}/announcements", headers=org.headers,
                 json={"subject": "New labels soon", "body": "We add 'maybe' on Monday."})
    assert r.status_code == 201, r.text
    assert r.json()["recipients"] == 2 and r.json()["emailed"] == 1
    deadline = time.monotonic() + 5
    while not smtp.received and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = smtp.received
    assert mail["To"] == "ada@example.org" and mail["Subject"] == "New labels soon"
    assert mail["From"] == "foundry@example.org"
    assert "We add 'maybe' on Monday." in mail.get_payload()
    for who, expected in ((ada, 1), (bob, 1), (outsider, 0)):
        shown = api.get("/v1/me/messages", headers=who.headers).json()
        assert shown["unread"] == expected
    assert api.get("/v1/me/messages", headers=bob.headers).json()["messages"][0]["subject"] \
        == "New labels soon"
    r = api.post(f"/v1/ops/projects/{pid}/announcements", headers=OPS,
                 json={"subject": "Maintenance", "body": "Down at noon."})
    assert r.status_code == 201 and r.json()["recipients"] == 2
    with foundry.db.read() as conn:  # each entry e-mailed once
        assert conn.execute(select(func.count()).select_from(inbox_entries).where(
            inbox_entries.c.emailed_at.is_not(None))).scalar_one() == 2


def test_questions_are_answered_into_the_inbox_and_the_faq(api, foundry, smtp, make_org,
                                                          make_worker):
    org = make_org()
    pid = _project(api, org)
    ada, bob = make_worker("ada"), make_worker("bob")
    _with_email(foundry, ada, "ada@example.org")
    held = _lease(api, pid, ada)
    r = api.post(f"/v1/projects/{pid}/questions", headers=ada.headers,
                 json={"item_id": held["item"]["id"], "body": "Is sarcasm a yes?"})
    assert r.status_code == 201, r.text
    question = r.json()["id"]
    listed = api.get(f"/v1/projects/{pid}/questions", headers=org.headers).json()["questions"]
    assert listed[0]["body"] == "Is sarcasm a yes?" and listed[0]["answer"] is None
    assert listed[0]["contributor_id"] is None  # requesters do not learn who asked
    r = api.post(f"/v1/questions/{question}/answer", headers=org.headers,
                 json={"body": "No: sarcasm is a no.", "faq": False})
    assert r.status_code == 200
    inbox = api.get("/v1/me/messages", headers=ada.headers).json()["messages"]
    assert inbox[0]["body"] == "No: sarcasm is a no." and inbox[0]["parent_id"] == question
    assert len(smtp.received) == 1
    assert api.get(f"/v1/projects/{pid}/faq", headers=ada.headers).json()["faq"] == []
    assert api.post(f"/v1/questions/{question}/faq", headers=org.headers).status_code == 200
    faq = api.get(f"/v1/projects/{pid}/faq", headers=bob.headers).json()["faq"]
    assert faq == [{"id": faq[0]["id"], "question": "Is sarcasm a yes?",
                    "answer": "No: sarcasm is a no.", "created_at": faq[0]["created_at"]}]


def test_senders_with_no_part_in_a_project_are_refused_and_nothing_is_written(
        api, foundry, ops, make_org, make_worker):
    org, other = make_org("a"), make_org("b")
    pid = _project(api, org)
    ada, stranger = make_worker("ada"), make_worker("stranger")
    held = _lease(api, pid, ada)
    ask = api.post(f"/v1/projects/{pid}/questions", headers=ada.headers,
                   json={"item_id": held["item"]["id"], "body": "?"}).json()["id"]
    with foundry.db.read() as conn:
        before = conn.execute(select(func.count()).select_from(messages)).scalar_one()
    cases = [
        (f"/v1/projects/{pid}/announcements", other.headers, {"subject": "x", "body": "y"},
         404, "project_id"),
        (f"/v1/projects/{pid}/announcements", org.headers, {"subject": " ", "body": "y"},
         422, "subject"),
        (f"/v1/projects/{pid}/announcements", org.headers, {"subject": "x"}, 422, "body"),
        (f"/v1/projects/{pid}/questions", stranger.headers,
         {"item_id": held["item"]["id"], "body": "?"}, 404, "item_id"),
        (f"/v1/projects/{pid + 50}/questions", ada.headers,
         {"item_id": held["item"]["id"], "body": "?"}, 404, "project_id"),
        (f"/v1/projects/{pid}/questions", ada.headers,
         {"item_id": held["item"]["id"], "body": ""}, 422, "body"),
        (f"/v1/questions/{ask}/answer", other.headers, {"body": "no"}, 404, "project_id"),
        (f"/v1/questions/{ask + 99}/answer", org.headers, {"body": "no"}, 404, "question_id"),
        (f"/v1/ops/projects/{pid + 50}/announcements", OPS, {"subject": "x", "body": "y"},
         404, "project_id"),
    ]
    for url, headers, body, status, field in cases:
        r = api.post(url, headers=headers, json=body)
        assert r.status_code == status and r.json()["error"]["field"] == field, (url, r.text)
    assert api.post(f"/v1/ops/projects/{pid}/announcements", headers=ada.headers,
                    json={"subject": "x", "body": "y"}).status_code == 401
    assert api.post(f"/v1/projects/{pid}/announcements", headers=ada.headers,
                    json={"subject": "x", "body": "y"}).status_code == 401
    assert api.get(f"/v1/projects/{pid}/questions", headers=other.headers).status_code == 404
    assert api.post(f"/v1/questions/{ask}/faq", headers=org.headers).status_code == 409
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(messages)).scalar_one() == before
    assert api.post("/v1/me/messages/999/read", headers=ada.headers).status_code == 404


def test_the_cli_announces_lists_and_answers_and_sends_mail(api, foundry, database_url,
                                                           monkeypatch, smtp, make_org,
                                                           make_worker):
    import json

    from typer.testing import CliRunner

    from datafab.cli import app

    org = make_org()
    pid = _project(api, org)
    ada = make_worker("ada")
    held = _lease(api, pid, ada)
    question = api.post(f"/v1/projects/{pid}/questions", headers=ada.headers, json={
        "item_id": held["item"]["id"], "body": "Ambiguous: two languages"}).json()["id"]
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    env = {"DATAFAB_API_KEY": org.key}
    runner = CliRunner()
    sent = runner.invoke(app, ["messages", "announce", str(pid), "--subject", "Hi",
                               "--body", "Welcome"], env=env)
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["recipients"] == 1
    listed = runner.invoke(app, ["messages", "questions", str(pid)], env=env)
    assert json.loads(listed.stdout)[0]["body"] == "Ambiguous: two languages"
    answered = runner.invoke(app, ["messages", "answer", str(question), "--body",
                                   "Label the main one", "--faq"], env=env)
    assert answered.exit_code == 0 and json.loads(answered.stdout)["in_faq"] is True
    refused = runner.invoke(app, ["messages", "announce", str(pid), "--subject", "x",
                                  "--body", "y"], env={"DATAFAB_API_KEY": make_org("b").key})
    assert refused.exit_code == 2 and "not found" in refused.stderr
    _with_email(foundry, ada, "ada@example.org")  # the two messages are still unmailed
    env_mail = {"DATAFAB_SMTP_HOST": "127.0.0.1",
                "DATAFAB_SMTP_PORT": str(foundry.settings.smtp_port)}
    mailed = runner.invoke(app, ["messages", "send-mail"], env=env_mail)
    assert mailed.exit_code == 0, mailed.output
    assert json.loads(mailed.stdout) == {"sent": 2}
    assert sorted(m["Subject"] for m in smtp.received) == ["Answer: Question on item "
                                                           f"{held['item']['id']}", "Hi"]
