"""The store itself: migrations build exactly the tables' schema; SQLite runs in WAL mode."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from datafab.store.tables import metadata


def test_migrated_schema_equals_the_tables(foundry):
    with foundry.db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _not_expression_index}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def _not_expression_index(obj, name, type_, reflected, compare_to) -> bool:
    # Alembic cannot compare an expression index (priority DESC); it is checked below.
    return name != "ix_items_leasable"


def test_leasable_index_exists_and_is_partial(foundry):
    with foundry.db.engine.connect() as conn:
        if foundry.db.is_sqlite:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_items_leasable'")
            ).scalar()
        else:
            sql = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_leasable'")
            ).scalar()
    assert sql is not None and "slots > 0" in sql and "status" in sql


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(foundry):
    if not foundry.db.is_sqlite:
        return
    with foundry.db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_write_rolls_back_on_error(foundry, make_org):
    org = make_org()
    try:
        with foundry.db.write() as conn:
            conn.execute(text("UPDATE organizations SET name = 'changed' WHERE id = :id"),
                         {"id": org.id})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with foundry.db.read() as conn:
        name = conn.execute(text("SELECT name FROM organizations WHERE id = :id"),
                            {"id": org.id}).scalar()
    assert name == "Acme"
