"""web: browser sign-in, skill levels, item flags, site keys

Revision ID: 0004_web
Revises: 0003_hybrid
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004_web'
down_revision = '0003_hybrid'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site_keys',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_site_keys'))
    )
    op.create_table('item_flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contributor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('resolved_at', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'], name=op.f('fk_item_flags_contributor_id_contributors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_flags_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_item_flags_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_flags'))
    )
    with op.batch_alter_table('item_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_flags_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_item_flags_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('contributors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('skill_levels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contributors_email'), ['email'])




def downgrade() -> None:

    with op.batch_alter_table('contributors', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contributors_email'), type_='unique')
        batch_op.drop_column('skill_levels')
        batch_op.drop_column('password_hash')
        batch_op.drop_column('email')

    with op.batch_alter_table('item_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_item_flags_status_id')
        batch_op.drop_index(batch_op.f('ix_item_flags_item_id'))

    op.drop_table('item_flags')
    op.drop_table('site_keys')
