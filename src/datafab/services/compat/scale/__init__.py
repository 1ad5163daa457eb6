"""A Scale-compatible task API (v1) over Datafab's own projects, items, records and webhooks.

A Scale *project* (name, type, parameter history) maps onto one Datafab project of the mapped
primitive, made at its first task (a categorization or NER project needs its labels, which
come from the project's params or the first task). A *task* is one Datafab item (its
``external_id`` is the task id) worked through the ordinary lease/submit path; its status and
``response`` are read from the item and its record. A *batch* is a name with a status.
Only what Datafab has no place for is kept in ``scale_projects``, ``scale_batches`` and
``scale_tasks``. A task's callback is a delivery of the ``record.finished`` event, added in
the submit transaction by ``task_callbacks``, which subscribes to that event when this
package is imported (``webhooks.subscribe``; ``datafab.integrations`` imports it).

One concept per module — ``shapes`` (input checks, timestamps), ``mapping`` (task types:
Scale params <-> Datafab item and answer), ``projects`` (projects and batches), ``tasks``
and ``callbacks`` — and their SQL in ``store/scale.py``.
"""

from __future__ import annotations

from datafab.services.compat.scale.callbacks import has_callbacks, task_callbacks
from datafab.services.compat.scale.mapping import Mapped, map_task, scale_response
from datafab.services.compat.scale.projects import (
    batch_json,
    batch_status,
    create_batch,
    create_project,
    finalize_batch,
    get_batch,
    get_project,
    list_batches,
    list_projects,
    project_json,
    set_params,
)
from datafab.services.compat.scale.shapes import MAX_PAGE, TYPES, NotEnabled, iso
from datafab.services.compat.scale.tasks import (
    TASK_FIELDS,
    audit_task,
    cancel_task,
    create_task,
    get_task,
    list_tasks,
    task_json,
)

__all__ = [
    "MAX_PAGE", "TASK_FIELDS", "TYPES", "Mapped", "NotEnabled", "audit_task", "batch_json",
    "batch_status", "cancel_task", "create_batch", "create_project", "create_task",
    "finalize_batch", "get_batch", "get_project", "get_task", "has_callbacks", "iso",
    "list_batches", "list_projects", "list_tasks", "map_task", "project_json",
    "scale_response", "set_params", "task_callbacks", "task_json",
]
