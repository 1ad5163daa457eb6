"""sessions: signed-in browser sessions kept on the server; no session key in the database

Revision ID: 0012_sessions
Revises: 0010_budget_reservation
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_sessions'
down_revision = '0011_idempotency_secrets'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('ended_at', sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
        sa.UniqueConstraint('id_hash', name=op.f('uq_web_sessions_id_hash')),
    )
    op.create_index(op.f('ix_web_sessions_expires_at'), 'web_sessions', ['expires_at'],
                    unique=False)
    # The session-signing key no longer lives in the database (a copy of it could forge
    # sessions): sessions signed with it end here, and their holders log in again.
    op.execute("DELETE FROM site_keys WHERE name = 'session'")


def downgrade() -> None:
    op.drop_index(op.f('ix_web_sessions_expires_at'), table_name='web_sessions')
    op.drop_table('web_sessions')
