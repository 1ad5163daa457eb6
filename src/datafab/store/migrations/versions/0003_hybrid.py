"""hybrid production: model usage and calibration, the model stage, model confidence

Revision ID: 0003_hybrid
Revises: 0002_quality
Create Date: 2026-11-22 08:29:50.481661
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_hybrid'
down_revision = '0002_quality'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('model_calibration',
    sa.Column('project_id', Id, nullable=False),
    sa.Column('contributor_id', Id, nullable=False),
    sa.Column('bin', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('correct', sa.Integer(), server_default='0', nullable=False),
    sa.Column('confidence_sum', sa.Double(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'], name=op.f('fk_model_calibration_contributor_id_contributors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_model_calibration_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'contributor_id', 'bin', name=op.f('pk_model_calibration'))
    )
    op.create_table('model_usage',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('project_id', Id, nullable=False),
    sa.Column('contributor_id', Id, nullable=True),
    sa.Column('item_id', Id, nullable=True),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('calls', sa.Integer(), server_default='1', nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completion_tokens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cost', sa.Double(), server_default='0', nullable=False),
    sa.Column('seconds', sa.Double(), server_default='0', nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'], name=op.f('fk_model_usage_contributor_id_contributors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_model_usage_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_model_usage_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_usage'))
    )
    op.create_index('ix_model_usage_project_id_created_at', 'model_usage', ['project_id', 'created_at'], unique=False)
    op.create_index('ix_items_model_stage', 'items', ['project_id', 'id'], unique=False, sqlite_where=sa.text("status = 'model'"), postgresql_where=sa.text("status = 'model'"))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidence', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('route', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('route')
        batch_op.drop_column('confidence')
    op.drop_index('ix_items_model_stage', table_name='items')
    op.drop_index('ix_model_usage_project_id_created_at', table_name='model_usage')
    op.drop_table('model_usage')
    op.drop_table('model_calibration')
