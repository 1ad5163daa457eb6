"""webhook fairness: the claim walks each organization's pending deliveries, not its history

Revision ID: 0018_webhook_fairness
Revises: 0010_budget_reservation
"""

import sqlalchemy as sa
from alembic import op

revision = '0018_webhook_fairness'
down_revision = '0013_erasure'
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_pending_org', ['organization_id', 'id'],
                              unique=False, sqlite_where=sa.text(PENDING),
                              postgresql_where=sa.text(PENDING))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_pending_org', sqlite_where=sa.text(PENDING),
                            postgresql_where=sa.text(PENDING))
