"""Integrations subscribe to outbox events; the composition roots install them, so an event
emitted by the CLI reaches the same subscribers as one emitted by the server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from datafab.services import webhooks
from datafab.store.tables import webhook_deliveries


def _targets(conn, organization, kind, subject, data, now):
    return [(f"https://hooks.example.org/{subject}", f'{{"n":{data["n"]}}}')]


def test_a_subscriber_adds_its_targets_to_the_events_it_subscribed_to(foundry, make_org,
                                                                      clock, monkeypatch):
    monkeypatch.setattr(webhooks.registry, "_SUBSCRIBERS", {})
    org = make_org()
    webhooks.subscribe("budget.reached", _targets)
    webhooks.subscribe("budget.reached", _targets)  # once, however often it subscribes
    with foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:1", {"n": 7}, clock())
        webhooks.emit(conn, org.id, "project.finished", "project:1", {"n": 8}, clock())
    with foundry.db.read() as conn:
        rows = conn.execute(select(webhook_deliveries.c.url, webhook_deliveries.c.body)).all()
    assert [tuple(r) for r in rows] == [("https://hooks.example.org/project:1", '{"n":7}')]


def test_an_unknown_event_type_cannot_be_subscribed_to():
    with pytest.raises(ValueError, match="budget.missed"):
        webhooks.subscribe("budget.missed", _targets)


ROOT = """
from datafab.services import webhooks
assert webhooks.subscribers("record.finished") == [], "subscribed before the root ran"
{root}
print(sorted(f.__module__ + "." + f.__name__ for f in webhooks.subscribers("record.finished")))
"""


@pytest.mark.parametrize("root", [
    "from datafab.cli.common import open_foundry\nopen_foundry().close()",
    "from datafab.api.app import create_app\nfrom datafab.foundry import Foundry\n"
    "create_app(Foundry())",
])
def test_every_composition_root_installs_the_scale_task_callbacks(root, tmp_path):
    env = {**os.environ, "DATAFAB_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", ROOT.format(root=root)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['datafab.services.compat.scale.callbacks.task_callbacks']"
