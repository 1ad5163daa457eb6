"""Task callbacks: a task's callback is a delivery of the ``record.finished`` event, added
in the submit transaction by ``task_callbacks``, which subscribes to that event when this
module is imported (``webhooks.subscribe``; ``datafab.integrations`` imports the package)."""

from __future__ import annotations

import json
from typing import Any

from datafab.services.compat.scale.mapping import scale_response
from datafab.services.compat.scale.shapes import iso
from datafab.services.compat.scale.tasks import task_json
from datafab.services.webhooks import subscribe
from datafab.store import scale as queries
from datafab.store.handles import Connection


def task_callbacks(conn: Connection, organization: int, kind: str, subject: str,
                   data: dict[str, Any], now: float) -> list[tuple[str, str]]:
    """Inside the transaction that finished an item: the task's callback, if it has one —
    ``{"task": …, "response": …, "task_id": …}`` POSTed to its ``callback_url``."""
    if not subject.startswith("item:"):
        return []
    row = queries.task_with_callback(conn, organization, int(subject[5:]))
    if row is None or row.callback_url is None or row.canceled_at is not None:
        return []
    task = task_json(row)
    task["status"], task["completed_at"] = "completed", iso(now)
    task["response"] = scale_response(row.type, row.params, row.item_data,
                                      data["record"]["answer"])
    body = {"task": task, "response": task["response"], "task_id": row.task_id}
    return [(row.callback_url, json.dumps(body, separators=(",", ":"), sort_keys=True))]


def has_callbacks(conn: Connection, organization: int) -> bool:
    """Whether the organization has any Scale task with a callback (else ``task_callbacks``
    has nothing for it, and the outbox never asks)."""
    return queries.has_callbacks(conn, organization)


subscribe("record.finished", task_callbacks, present=has_callbacks)
