"""eval runs name their model family and the data projects they were trained on

Revision ID: 0030_dataset_value
Revises: 0029_contributor_relations
"""

import sqlalchemy as sa
from alembic import op

revision = '0030_dataset_value'
down_revision = '0029_contributor_relations'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('eval_runs') as batch:
        batch.add_column(sa.Column('family', sa.String(length=200), nullable=True))
    op.create_table(
        'eval_run_data',
        sa.Column('run_id', ID, nullable=False),
        sa.Column('project_id', ID, nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['eval_runs.id'],
                                name='fk_eval_run_data_run_id_eval_runs', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name='fk_eval_run_data_project_id_projects',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id', 'project_id', name='pk_eval_run_data'),
    )
    op.create_index('ix_eval_run_data_project_id', 'eval_run_data', ['project_id'])


def downgrade() -> None:
    op.drop_index('ix_eval_run_data_project_id', table_name='eval_run_data')
    op.drop_table('eval_run_data')
    with op.batch_alter_table('eval_runs') as batch:
        batch.drop_column('family')
