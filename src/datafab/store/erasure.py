"""The SQL of erasure: a project and everything under it, a contributor's personal data and
(on request) their answers. Deletes and scrubs only; what to keep and why is the caller's.

A project is erased child tables first, every table that names the project or one of its
items (foreign keys would cascade most of it, but explicit statements say what goes and keep
working if a key is ever declared without a cascade). Rows that must outlive the project —
the pay ledger (``earnings``) and metered usage (``usage_events``) — keep their amounts and
lose the project. Its leases, then its items, are locked first in id order (the order a
submit takes them), so an erasure waits for submits in flight instead of deadlocking them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    update,
)

from datafab.statuses import ContributorStatus
from datafab.store.tables import (
    access_log,
    contributor_flags,
    contributor_skills,
    contributors,
    earnings,
    eval_projects,
    guidelines,
    ingest_policies,
    ingest_runs,
    item_flags,
    item_originals,
    items,
    leases,
    model_calibration,
    model_usage,
    project_fits,
    project_members,
    projects,
    records,
    scale_projects,
    scale_tasks,
    submissions,
    usage_events,
    webhook_deliveries,
    webhook_events,
    workforce_policies,
)


def _lock(conn: Connection, query: Select[Any]) -> None:
    if conn.dialect.name == "postgresql":  # on SQLite the single writer already holds it
        conn.execute(query.with_for_update()).all()


def erase_project(conn: Connection, organization: int, project: int) -> dict[str, int]:
    """Delete the project and every row under it; how many rows went from each table."""
    _lock(conn, select(leases.c.id).where(leases.c.project_id == project).order_by(leases.c.id))
    _lock(conn, select(items.c.id).where(items.c.project_id == project).order_by(items.c.id))
    its_items = select(items.c.id).where(items.c.project_id == project).scalar_subquery()
    item_subjects = select(literal("item:") + cast(items.c.id, String)).where(
        items.c.project_id == project)
    events = select(webhook_events.c.id).where(
        webhook_events.c.organization_id == organization,
        or_(webhook_events.c.subject == f"project:{project}",
            webhook_events.c.subject.in_(item_subjects)))
    gone: dict[str, int] = {}

    def drop(table: Table, *where: ColumnElement[bool]) -> None:
        gone[table.name] = gone.get(table.name, 0) + conn.execute(
            delete(table).where(*where)).rowcount

    drop(webhook_deliveries, webhook_deliveries.c.event_id.in_(events))
    drop(webhook_events, webhook_events.c.id.in_(events))
    drop(scale_tasks, scale_tasks.c.item_id.in_(its_items))
    conn.execute(update(scale_projects).where(scale_projects.c.project_id == project)
                 .values(project_id=None))
    drop(item_originals, item_originals.c.item_id.in_(its_items))
    # The pay ledger and metered usage keep their amounts, without the project.
    conn.execute(update(earnings).where(earnings.c.project_id == project)
                 .values(project_id=None, submission_id=None))
    conn.execute(update(usage_events).where(usage_events.c.project_id == project)
                 .values(project_id=None))
    for table in (access_log, item_flags, model_usage, records, submissions, leases,
                  contributor_skills,
                  model_calibration, project_fits, project_members, contributor_flags,
                  workforce_policies, ingest_policies, ingest_runs, eval_projects, guidelines,
                  items):
        drop(table, table.c.project_id == project)
    drop(projects, projects.c.id == project)
    return gone


# -- contributors -------------------------------------------------------------------------------

def scrub_contributor(conn: Connection, contributor: int) -> bool:
    """Replace the contributor's personal data (name, e-mail, password hash, skills and
    profile) and credentials; the row stays as a pseudonymous id the ledgers point at.
    ``False`` if there is no such contributor."""
    unusable = hashlib.sha256(secrets.token_bytes(32)).hexdigest()  # no token hashes to it
    return conn.execute(
        update(contributors).where(contributors.c.id == contributor).values(
            name=f"erased contributor {contributor}", email=None, password_hash=None,
            skills=[], skill_levels=None, status=ContributorStatus.REMOVED, token_prefix="",
            token_hash=unusable).returning(contributors.c.id)).first() is not None


def drop_contributor_notes(conn: Connection, contributor: int) -> int:
    """The contributor's item reports (their own words) and the signals kept about them."""
    n = conn.execute(delete(item_flags).where(item_flags.c.contributor_id == contributor))
    m = conn.execute(delete(contributor_flags)
                     .where(contributor_flags.c.contributor_id == contributor))
    return n.rowcount + m.rowcount


def answered_items(conn: Connection, contributor: int) -> list[Any]:
    """(item_id, project_id) of every item the contributor answered or holds a lease on."""
    rows = conn.execute(
        select(submissions.c.item_id, submissions.c.project_id)
        .where(submissions.c.contributor_id == contributor)
        .union(select(leases.c.item_id, leases.c.project_id)
               .where(leases.c.contributor_id == contributor))).all()
    return sorted(set(rows))


def drop_answers(conn: Connection, contributor: int) -> int:
    """Delete the contributor's submissions, leases and skill estimates; their earnings stay
    (without the submission). How many submissions went."""
    theirs = select(submissions.c.id).where(submissions.c.contributor_id == contributor)
    conn.execute(update(earnings).where(earnings.c.submission_id.in_(theirs))
                 .values(submission_id=None))
    n = conn.execute(delete(submissions).where(submissions.c.contributor_id == contributor))
    conn.execute(delete(leases).where(leases.c.contributor_id == contributor))
    for table in (contributor_skills, model_calibration):
        conn.execute(delete(table).where(table.c.contributor_id == contributor))
    return n.rowcount


_COUNTS = text(
    "SELECT i.id, i.project_id, i.status, "
    "(SELECT count(*) FROM submissions s WHERE s.item_id = i.id AND s.counted) AS n_labels, "
    "(SELECT count(*) FROM leases l WHERE l.item_id = i.id AND l.status = 'active') AS n_live "
    "FROM items i WHERE i.id IN :items ORDER BY i.id"
).bindparams(bindparam("items", expanding=True))


def recount(conn: Connection, item_ids: list[int]) -> Sequence[Row[*tuple[Any, ...]]]:
    """Each item's labels and live leases, counted from the rows (after a deletion)."""
    return conn.execute(_COUNTS, {"items": item_ids}).all() if item_ids else []


def project_rows(conn: Connection, project: int) -> dict[str, int]:
    """How many rows of each table name the project (what an erasure leaves must be 0)."""
    found = {}
    for table in (items, leases, submissions, records, guidelines, item_flags, model_usage,
                  contributor_skills, project_fits, project_members, ingest_runs,
                  eval_projects, workforce_policies, earnings, usage_events):
        found[table.name] = conn.execute(
            select(func.count()).select_from(table).where(table.c.project_id == project)
        ).scalar_one()
    return found
