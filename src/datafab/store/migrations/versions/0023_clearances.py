"""contributor clearances: confidential or restricted, with an expiry

Revision ID: 0023_clearances
Revises: 0022_access_log
"""

import sqlalchemy as sa
from alembic import op

revision = '0023_clearances'
down_revision = '0022_access_log'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'contributor_clearances',
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('until', sa.Double(), nullable=True),
        sa.Column('granted_at', sa.Double(), nullable=False),
        sa.Column('granted_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'],
                                name='fk_contributor_clearances_contributor_id_contributors',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('contributor_id', name='pk_contributor_clearances'),
    )


def downgrade() -> None:
    op.drop_table('contributor_clearances')
