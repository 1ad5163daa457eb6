"""evals: eval sets and items (held out), runs, responses, grades, eval projects

Revision ID: 0008_evals
Revises: 0007_workforce
Create Date: 2026-12-04 11:26:39.241042
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008_evals'
down_revision = '0007_workforce'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('eval_sets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_eval_sets_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_sets')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_eval_sets_organization_id_name'))
    )
    op.create_table('eval_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('eval_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('prompt', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reference', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('slices', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['eval_set_id'], ['eval_sets.id'], name=op.f('fk_eval_items_eval_set_id_eval_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_items')),
    sa.UniqueConstraint('eval_set_id', 'external_id', name=op.f('uq_eval_items_eval_set_id_external_id'))
    )
    with op.batch_alter_table('eval_items', schema=None) as batch_op:
        batch_op.create_index('ix_eval_items_organization_id_fingerprint', ['organization_id', 'fingerprint'], unique=False)

    op.create_table('eval_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('eval_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('backend', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['eval_set_id'], ['eval_sets.id'], name=op.f('fk_eval_runs_eval_set_id_eval_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_runs')),
    sa.UniqueConstraint('eval_set_id', 'name', name=op.f('uq_eval_runs_eval_set_id_name'))
    )
    op.create_table('eval_projects',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('eval_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('slice', sa.String(length=400), nullable=True),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['eval_set_id'], ['eval_sets.id'], name=op.f('fk_eval_projects_eval_set_id_eval_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_eval_projects_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['eval_runs.id'], name=op.f('fk_eval_projects_run_id_eval_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_eval_projects'))
    )
    with op.batch_alter_table('eval_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_projects_eval_set_id'), ['eval_set_id'], unique=False)

    op.create_table('eval_responses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('latency', sa.Double(), server_default='0', nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completion_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cost', sa.Double(), server_default='0', nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['eval_items.id'], name=op.f('fk_eval_responses_item_id_eval_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['eval_runs.id'], name=op.f('fk_eval_responses_run_id_eval_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_responses')),
    sa.UniqueConstraint('run_id', 'item_id', name=op.f('uq_eval_responses_run_id_item_id'))
    )
    with op.batch_alter_table('eval_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_responses_item_id'), ['item_id'], unique=False)

    op.create_table('eval_grades',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=250), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['eval_responses.id'], name=op.f('fk_eval_grades_response_id_eval_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_grades')),
    sa.UniqueConstraint('response_id', 'source', name=op.f('uq_eval_grades_response_id_source'))
    )


def downgrade() -> None:
    op.drop_table('eval_grades')
    with op.batch_alter_table('eval_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_responses_item_id'))

    op.drop_table('eval_responses')
    with op.batch_alter_table('eval_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_projects_eval_set_id'))

    op.drop_table('eval_projects')
    op.drop_table('eval_runs')
    with op.batch_alter_table('eval_items', schema=None) as batch_op:
        batch_op.drop_index('ix_eval_items_organization_id_fingerprint')

    op.drop_table('eval_items')
    op.drop_table('eval_sets')
