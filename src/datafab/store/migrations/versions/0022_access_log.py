"""access log: who was shown which items, when, from where

Revision ID: 0022_access_log
Revises: 0021_private_pools
"""

import sqlalchemy as sa
from alembic import op

revision = '0022_access_log'
down_revision = '0021_private_pools'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('project_id', ID, nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('item_id', ID, nullable=True),
        sa.Column('contributor_id', ID, nullable=True),
        sa.Column('actor', sa.String(length=200), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name='fk_access_log_project_id_projects', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_access_log'),
    )
    op.create_index('ix_access_log_project_id_id', 'access_log', ['project_id', 'id'])
    op.create_index('ix_access_log_project_id_contributor_id_id', 'access_log',
                    ['project_id', 'contributor_id', 'id'])
    op.create_index('ix_access_log_project_id_item_id_id', 'access_log',
                    ['project_id', 'item_id', 'id'])
    op.create_index('ix_access_log_at', 'access_log', ['at'])


def downgrade() -> None:
    op.drop_index('ix_access_log_at', table_name='access_log')
    op.drop_index('ix_access_log_project_id_item_id_id', table_name='access_log')
    op.drop_index('ix_access_log_project_id_contributor_id_id', table_name='access_log')
    op.drop_index('ix_access_log_project_id_id', table_name='access_log')
    op.drop_table('access_log')
