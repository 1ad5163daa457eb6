"""statuses are checked by the database: a CHECK per status column, listing the values
Datafab writes (``datafab.statuses``)

Revision ID: 0031_status_checks
Revises: 0030_dataset_value
"""

from alembic import op

revision = '0031_status_checks'
down_revision = '0030_dataset_value'
branch_labels = None
depends_on = None

# (table, column, values, prefix): the values as they stood at this revision, written out so
# that a later change to the enums does not change what this migration did.
CHECKS = [
    ('contributors', 'status', ('active', 'probation', 'removed'), None),
    ('projects', 'status', ('active', 'paused'), None),
    ('items', 'status', ('open', 'gold', 'model', 'done', 'canceled'), 'staged:'),
    ('leases', 'status', ('active', 'submitted', 'released', 'expired'), None),
    ('item_flags', 'status', ('open', 'resolved'), None),
    ('idempotency_keys', 'status', ('in_flight', 'done', 'withheld'), None),
    ('webhook_deliveries', 'status', ('pending', 'delivered', 'failed', 'dropped'), None),
    ('scale_batches', 'status', ('staging', 'in_progress'), None),
    ('project_members', 'standing', ('active', 'probation', 'removed'), None),
    ('project_members', 'qualification', ('none', 'qualifying', 'passed', 'failed'), None),
    ('contributor_flags', 'status', ('open', 'resolved'), None),
    ('curation_runs', 'status', ('running', 'done', 'failed'), None),
    ('gold_disputes', 'status', ('open', 'upheld', 'rejected'), None),
    ('recruit_campaigns', 'status', ('open',), None),
    ('credentials', 'status', ('pending', 'approved', 'rejected'), None),
]


def _condition(column: str, values: tuple[str, ...], prefix: str | None) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    condition = f"{column} IN ({listed})"
    if prefix:
        condition += f" OR substr({column}, 1, {len(prefix)}) = '{prefix}'"
    return condition


def _by_table() -> dict[str, list[tuple[str, tuple[str, ...], str | None]]]:
    out: dict[str, list[tuple[str, tuple[str, ...], str | None]]] = {}
    for table, column, values, prefix in CHECKS:
        out.setdefault(table, []).append((column, values, prefix))
    return out


def _sqlite_indexes(table: str) -> dict[str, str]:
    """The table's indexes as SQLite stores their SQL (nothing on PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return {}
    rows = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL", (table,)).all()
    return {name: sql for name, sql in rows}


def _restore_indexes(table: str, before: dict[str, str]) -> None:
    """A copied table's indexes as they were: reflection loses an index column's order
    (``priority DESC`` of the leasable items), so any index whose SQL changed is rebuilt."""
    after = _sqlite_indexes(table)
    for name, sql in before.items():
        if after.get(name) != sql:
            op.execute(f'DROP INDEX IF EXISTS {name}')
            op.execute(sql)


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode copies each table once, with
    # its rows, indexes and checks; PostgreSQL alters it in place.
    for table, checks in _by_table().items():
        before = _sqlite_indexes(table)
        with op.batch_alter_table(table) as batch:
            for column, values, prefix in checks:
                batch.create_check_constraint(op.f(f'ck_{table}_{column}'),
                                              _condition(column, values, prefix))
        _restore_indexes(table, before)


def downgrade() -> None:
    for table, checks in _by_table().items():
        before = _sqlite_indexes(table)
        with op.batch_alter_table(table) as batch:
            for column, _values, _prefix in checks:
                batch.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
        _restore_indexes(table, before)
