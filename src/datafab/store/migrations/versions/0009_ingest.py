"""ingest: organization keys, ingest policies and runs, encrypted originals

Revision ID: 0009_ingest
Revises: 0008_evals
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009_ingest'
down_revision = '0008_evals'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('organization_keys',
    sa.Column('organization_id', ID, nullable=False),
    sa.Column('pseudonym_key', sa.Text(), nullable=False),
    sa.Column('data_key', sa.Text(), nullable=False),
    sa.Column('keep_originals', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_keys_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_organization_keys'))
    )
    op.create_table('ingest_policies',
    sa.Column('project_id', ID, nullable=False),
    sa.Column('redact', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('replacement', sa.String(length=16), server_default='tag', nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ingest_policies_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_ingest_policies'))
    )
    op.create_table('ingest_runs',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('project_id', ID, nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ingest_runs_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_runs'))
    )
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_runs_project_id'), ['project_id'], unique=False)
    op.create_table('item_originals',
    sa.Column('item_id', ID, nullable=False),
    sa.Column('organization_id', ID, nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_originals_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_item_originals_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_originals'))
    )


def downgrade() -> None:
    op.drop_table('item_originals')
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_runs_project_id'))
    op.drop_table('ingest_runs')
    op.drop_table('ingest_policies')
    op.drop_table('organization_keys')
