"""curation runs: an audit or a selection of a project, with progress and result

Revision ID: 0026_curation
Revises: 0025_plans
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0026_curation'
down_revision = '0025_plans'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'curation_runs',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('project_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), server_default='0', nullable=False),
        sa.Column('total', sa.Integer(), server_default='0', nullable=False),
        sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                 'postgresql'), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('updated_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name='fk_curation_runs_project_id_projects',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_curation_runs'),
    )
    op.create_index('ix_curation_runs_project_id', 'curation_runs', ['project_id'])


def downgrade() -> None:
    op.drop_index('ix_curation_runs_project_id', table_name='curation_runs')
    op.drop_table('curation_runs')
