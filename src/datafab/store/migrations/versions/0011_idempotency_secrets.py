"""idempotency secrets: forget stored responses that show a secret

Revision ID: 0011_idempotency_secrets
Revises: 0010_budget_reservation

Before this revision a request sent with an ``Idempotency-Key`` kept its whole response for
24 hours, a new API key, contributor token or webhook signing secret included, and so those
secrets sat in every backup and dump. This revision deletes those rows (a repeat of such a
request then runs again); from now on only their status is kept.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = '0011_idempotency_secrets'
down_revision = '0010_budget_reservation'
branch_labels = None
depends_on = None

# The secrets' shapes as of this revision (services/secrets.py), frozen here on purpose.
SECRET = re.compile(rb"(?:dfk_|dfc_|whsec_)[A-Za-z0-9_-]{32,}")
BATCH = 500


def upgrade() -> None:
    conn = op.get_bind()
    keys = sa.table('idempotency_keys', sa.column('id', sa.Integer),
                    sa.column('response_body', sa.LargeBinary))
    rows = conn.execute(
        sa.select(keys.c.id, keys.c.response_body).where(keys.c.response_body.is_not(None))
        .execution_options(yield_per=BATCH))
    doomed = [row.id for row in rows if SECRET.search(bytes(row.response_body))]
    for start in range(0, len(doomed), BATCH):
        conn.execute(sa.delete(keys).where(keys.c.id.in_(doomed[start:start + BATCH])))


def downgrade() -> None:
    pass  # the deleted responses showed secrets; nothing is put back
