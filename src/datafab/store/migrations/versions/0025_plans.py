"""project plans: the budget planner's applied plans and their predictions

Revision ID: 0025_plans
Revises: 0023_clearances
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0025_plans'
down_revision = '0023_clearances'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'project_plans',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('project_id', ID, nullable=False),
        sa.Column('budget', sa.Double(), nullable=False),
        sa.Column('unit', sa.String(length=16), nullable=False),
        sa.Column('policy', JSON, nullable=False),
        sa.Column('predicted', sa.Double(), nullable=False),
        sa.Column('low', sa.Double(), nullable=False),
        sa.Column('high', sa.Double(), nullable=False),
        sa.Column('labels_per_record', sa.Double(), nullable=False),
        sa.Column('cost', sa.Double(), nullable=False),
        sa.Column('records', sa.Integer(), nullable=False),
        sa.Column('frontier', JSON, nullable=False),
        sa.Column('labels_seen', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('applied_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_project_plans_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_plans')),
    )
    with op.batch_alter_table('project_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_plans_project_id'), ['project_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('project_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_plans_project_id'))
    op.drop_table('project_plans')
