"""Statuses are ``StrEnum``s and the database checks them: each status column has a CHECK
built from its enum, the migrated schema has the same checks, an unknown status is refused
on SQLite and PostgreSQL, and 0031 adds the checks to a database that already has rows."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, create_engine, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from datafab import statuses as s
from datafab.store.migrate import upgrade
from datafab.store.tables import (
    contributors,
    items,
    leases,
    metadata,
    organizations,
    project_members,
    projects,
    submissions,
)

# Every status-like column and the enum it holds.
COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("contributors", "status"): s.ContributorStatus,
    ("projects", "status"): s.ProjectStatus,
    ("items", "status"): s.ItemStatus,
    ("leases", "status"): s.LeaseStatus,
    ("item_flags", "status"): s.FlagStatus,
    ("idempotency_keys", "status"): s.IdempotencyStatus,
    ("webhook_deliveries", "status"): s.DeliveryStatus,
    ("scale_batches", "status"): s.BatchStatus,
    ("project_members", "standing"): s.Standing,
    ("project_members", "qualification"): s.Qualification,
    ("contributor_flags", "status"): s.FlagStatus,
    ("curation_runs", "status"): s.CurationRunStatus,
    ("gold_disputes", "status"): s.DisputeStatus,
    ("recruit_campaigns", "status"): s.CampaignStatus,
    ("credentials", "status"): s.CredentialStatus,
}


def _checks() -> dict[str, str]:
    return {str(c.name): str(c.sqltext) for t in metadata.sorted_tables for c in t.constraints
            if isinstance(c, CheckConstraint)}


def test_every_status_column_has_a_check_listing_its_enum():
    checks = _checks()
    status_like = {(t.name, c.name) for t in metadata.sorted_tables for c in t.columns
                   if c.name in ("status", "standing", "qualification")}
    assert status_like == set(COLUMNS)
    assert set(checks) == {f"ck_{t}_{c}" for t, c in COLUMNS}
    for (table, column), enum in COLUMNS.items():
        condition = checks[f"ck_{table}_{column}"]
        listed = re.search(rf"^{column} IN \((.*?)\)", condition)
        assert listed, condition
        assert re.findall(r"'([^']*)'", listed.group(1)) == [v.value for v in enum]
    assert checks["ck_items_status"].endswith(f"substr(status, 1, 7) = '{s.STAGED_PREFIX}'")


def test_a_member_is_its_string():
    assert s.ItemStatus.OPEN == "open" and f"{s.LeaseStatus.SUBMITTED}" == "submitted"
    assert s.staged(12) == "staged:12"


def test_the_migrated_schema_has_the_same_checks(database_url):
    engine = create_engine(database_url)
    try:
        found = inspect(engine)
        names = {str(c["name"]) for table, _ in COLUMNS
                 for c in found.get_check_constraints(table)}
    finally:
        engine.dispose()
    assert names == set(_checks())


def _line(conn) -> dict[str, int]:
    """An organization, a project, a contributor, items in several statuses, leases, a
    submission and a membership: the rows the checks guard."""
    org = conn.execute(insert(organizations).values(name="Acme", created_at=0.0)
                       .returning(organizations.c.id)).scalar_one()
    project = conn.execute(insert(projects).values(
        organization_id=org, name="p", primitive="classify", settings={}, policy={},
        required_skills=[], created_at=0.0, updated_at=0.0).returning(projects.c.id)).scalar_one()
    who = conn.execute(insert(contributors).values(
        name="ada", skills=[], token_prefix="t", token_hash=uuid.uuid4().hex, created_at=0.0)
        .returning(contributors.c.id)).scalar_one()
    ids = {}
    for status in ("open", "gold", "done", "staged:3"):
        ids[status] = conn.execute(insert(items).values(
            project_id=project, external_id=status, data={}, content_hash="h", status=status,
            slots=1, created_at=0.0).returning(items.c.id)).scalar_one()
    lease = conn.execute(insert(leases).values(
        project_id=project, item_id=ids["done"], contributor_id=who, status="submitted",
        expires_at=1.0, created_at=0.0).returning(leases.c.id)).scalar_one()
    conn.execute(insert(leases).values(project_id=project, item_id=ids["open"],
                                       contributor_id=who, status="active", expires_at=1.0,
                                       created_at=0.0))
    conn.execute(insert(submissions).values(
        lease_id=lease, project_id=project, item_id=ids["done"], contributor_id=who,
        answer={"label": "a"}, guideline_version=1, created_at=0.0))
    conn.execute(insert(project_members).values(
        project_id=project, contributor_id=who, standing="probation", qualification="passed",
        updated_at=0.0))
    return {"project": project, "contributor": who, "lease": lease, **ids}


REFUSED = [
    (items, "status", "lost"),
    (items, "status", "staged"),  # the prefix needs its colon
    (leases, "status", "canceled"),
    (projects, "status", "archived"),
    (contributors, "status", "banned"),
    (project_members, "standing", "suspended"),
    (project_members, "qualification", "maybe"),
]


@pytest.mark.parametrize(("table", "column", "value"), REFUSED,
                         ids=[f"{t.name}.{c}={v}" for t, c, v in REFUSED])
def test_the_database_refuses_an_unknown_status(database_url, table, column, value):
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            _line(conn)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(table).values({column: value}))
        with engine.begin() as conn:  # the values Datafab writes still go in
            conn.execute(update(items).where(items.c.status == "open")
                         .values(status=s.ItemStatus.MODEL))
            conn.execute(update(items).where(items.c.status == "model")
                         .values(status=s.staged(41)))
            conn.execute(update(leases).values(status=s.LeaseStatus.EXPIRED))
    finally:
        engine.dispose()



def test_the_migration_adds_the_checks_to_a_database_with_rows(empty_database_url):
    upgrade(empty_database_url, "0030_dataset_value")
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            ids = _line(conn)
            before = {t.name: conn.execute(select(t)).all()
                      for t in (items, leases, submissions, project_members)}
        upgrade(empty_database_url)
        with engine.connect() as conn:
            after = {t.name: conn.execute(select(t)).all()
                     for t in (items, leases, submissions, project_members)}
            leasable = conn.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_items_leasable'")).scalar() \
                if conn.dialect.name == "sqlite" else None
        assert after == before  # every row kept, nothing cascaded away
        if leasable is not None:  # the copied table keeps its index as it was
            assert "priority DESC" in leasable
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(items).where(items.c.id == ids["open"]).values(status="lost"))
        assert {str(c["name"]) for c in inspect(engine).get_check_constraints("items")} \
            == {"ck_items_status"}
    finally:
        engine.dispose()
