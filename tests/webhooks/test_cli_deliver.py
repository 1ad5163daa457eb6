"""`datafab webhooks deliver --once`: the deliverer runs on its own, outside `datafab serve`."""

from __future__ import annotations

import time

from tests.webhooks.receiver import Receiver
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services import webhooks


def test_deliver_once_sends_what_is_due(foundry, database_url, make_org, monkeypatch):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        webhooks.create_endpoint(foundry, org.id, {"url": receiver.url})
        with foundry.db.write() as conn:
            for step in range(3):
                webhooks.emit(conn, org.id, "budget.reached", "project:1", {"step": step},
                              time.time())
        monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
        monkeypatch.setenv("DATAFAB_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1")
        result = CliRunner().invoke(app, ["webhooks", "deliver", "--once"])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip().splitlines()[-1] == "3"
        assert [m["json"]["data"]["step"] for m in receiver.received] == [0, 1, 2]
        secret = webhooks.signing_secret(foundry, org.id)
        assert all(webhooks.verify(secret, m["headers"], m["body"]) for m in receiver.received)
        again = CliRunner().invoke(app, ["webhooks", "deliver", "--once"])
        assert again.stdout.strip().splitlines()[-1] == "0"
