"""budget reservation: what each lease holds of its project's budget

Revision ID: 0010_budget_reservation
Revises: 0009_ingest
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_budget_reservation'
down_revision = '0009_ingest'
branch_labels = None
depends_on = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
LIVE_RESERVED = "status = 'active' AND reserved_minor > 0"


def upgrade() -> None:
    # Leases out before this revision reserved nothing: they settle as before.
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_minor', MONEY, server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_leases_live_reserved', ['project_id', 'reserved_minor'],
                              unique=False, sqlite_where=sa.text(LIVE_RESERVED),
                              postgresql_where=sa.text(LIVE_RESERVED))


def downgrade() -> None:
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.drop_index('ix_leases_live_reserved', sqlite_where=sa.text(LIVE_RESERVED),
                            postgresql_where=sa.text(LIVE_RESERVED))
        batch_op.drop_column('reserved_minor')
