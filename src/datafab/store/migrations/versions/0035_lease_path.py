"""the lease path: an index of the open items that have labels (what a submit rescores)

Revision ID: 0035_lease_path
Revises: 0031_status_checks
"""

import sqlalchemy as sa
from alembic import op

revision = '0035_lease_path'
down_revision = '0031_status_checks'
branch_labels = None
depends_on = None

WHERE = "status = 'open' AND n_labels > 0"


def upgrade() -> None:
    op.create_index('ix_items_open_labelled', 'items', ['project_id', 'id'], unique=False,
                    sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index('ix_items_open_labelled', table_name='items')
