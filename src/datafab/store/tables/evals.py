"""Evaluations: sets, items, runs and the data they were trained on, responses, grades."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from datafab.store.tables.base import Id, Json, id_column, metadata, ref

# -- evaluations --------------------------------------------------------------------------------
# Eval sets are held out: their items live here, never in ``items`` of a production project
# (uploads carrying an eval prompt are refused, exports drop rows that carry one). Only the
# grading projects evals make for people (``eval_projects``) hold eval prompts as items.
eval_sets = Table(
    "eval_sets",
    metadata,
    id_column(),
    ref("organization_id", "organizations"),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)


eval_items = Table(
    "eval_items",
    metadata,
    id_column(),
    ref("eval_set_id", "eval_sets"),
    Column("organization_id", Id, nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("prompt", Json, nullable=False),
    Column("reference", Json, nullable=False),
    Column("slices", Json, nullable=False),
    # sha256 of the prompt's normalised text: the contamination guard looks it up.
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("eval_set_id", "external_id"),
    Index("ix_eval_items_organization_id_fingerprint", "organization_id", "fingerprint"),
)


eval_runs = Table(
    "eval_runs",
    metadata,
    id_column(),
    ref("eval_set_id", "eval_sets"),
    Column("name", String(200), nullable=False),
    Column("model", String(200), nullable=False),
    Column("backend", String(64), nullable=False),
    Column("params", Json, nullable=False),
    Column("created_at", Double, nullable=False),
    # Runs of one family are versions of one model; NULL: the family is the model's name.
    Column("family", String(200)),
    UniqueConstraint("eval_set_id", "name"),
)


# The data projects a run's model was trained on (what the dataset-value table credits).
eval_run_data = Table(
    "eval_run_data",
    metadata,
    Column("run_id", Id, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


# One response per (run, item): a crashed run resumes with the items that have none.
eval_responses = Table(
    "eval_responses",
    metadata,
    id_column(),
    ref("run_id", "eval_runs"),
    ref("item_id", "eval_items", index=True),
    Column("text", Text, nullable=False),
    Column("params", Json, nullable=False),
    Column("latency", Double, nullable=False, server_default="0"),
    Column("prompt_tokens", Integer, nullable=False, server_default="0"),
    Column("completion_tokens", Integer, nullable=False, server_default="0"),
    Column("cost", Double, nullable=False, server_default="0"),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("run_id", "item_id"),
)


# A score in [0, 1] for a response from one source: ``auto`` (a checkable answer) or
# ``judge:<model>``. People's grades and comparisons live in their grading projects' records.
eval_grades = Table(
    "eval_grades",
    metadata,
    id_column(),
    ref("response_id", "eval_responses"),
    Column("source", String(250), nullable=False),
    Column("score", Double, nullable=False),
    Column("details", Json),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("response_id", "source"),
)


# Projects made by evals: people's grading (``grade``, ``compare``: hold eval prompts, never
# exported) and the data projects ordered from a gap report (``data``).
eval_projects = Table(
    "eval_projects",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    ref("eval_set_id", "eval_sets", index=True),
    Column("purpose", String(16), nullable=False),
    Column("run_id", Id, ForeignKey("eval_runs.id", ondelete="CASCADE")),
    Column("slice", String(400)),
    Column("skills", Json, nullable=False),
    Column("created_at", Double, nullable=False),
)
