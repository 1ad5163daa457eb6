"""Ingest: an organization's own files become items of one of its projects, redacted.

``ingest_files`` reads each file (``datafab.ingest``), chunks it, drops duplicates, replaces
personal data by the project's rule, and stores the chunks as items with their provenance.
A file lands whole or not at all: its items are written as ``staged:<run>`` (never leased)
and made leasable together once the whole file has been read; a bad file's staged items are
deleted and the report names the file and line, while the other files go through.

Redaction happens here, before an item is stored, so nothing downstream (leases, exports,
model calls) ever has the original: it exists only encrypted in ``item_originals``, and only
if the organization opted in. A project may say not to redact (``redact: false``).

One concept per module — ``keys`` (the organization's keys and kept originals), ``policy``
(the project's rule for personal data), ``options`` (how files become chunks, which projects
take them), ``engine`` (local or a dask cluster), ``run`` (a run and its report),
``staging`` (a file's items staged, then published or discarded) and ``review``
(redaction review) — and their SQL in ``store/ingest_keys.py``, ``store/ingest_runs.py``
and ``store/ingest_writes.py``. What the rest of Datafab uses is importable from here.
"""

from __future__ import annotations

from datafab.services.ingest.engine import open_engine
from datafab.services.ingest.keys import (
    OrgKeys,
    forget_originals,
    get_original,
    organization_keys_for,
    set_keep_originals,
)
from datafab.services.ingest.options import (
    PARALLEL_FROM,
    TARGETS,
    IngestOptions,
    Source,
    item_data,
)
from datafab.services.ingest.policy import IngestPolicy, get_policy, set_policy
from datafab.services.ingest.review import review_report, sample_for_review
from datafab.services.ingest.run import _warnings, ingest_files, list_runs
from datafab.services.ingest.staging import BATCH, DROPPED_LISTED, _Run

__all__ = [
    "BATCH", "DROPPED_LISTED", "PARALLEL_FROM", "TARGETS", "IngestOptions", "IngestPolicy",
    "OrgKeys", "Source", "_Run", "_warnings", "forget_originals", "get_original",
    "get_policy", "ingest_files", "item_data", "list_runs", "open_engine",
    "organization_keys_for", "review_report", "sample_for_review", "set_keep_originals",
    "set_policy",
]
