"""quality engine state: fits, contributor skills, gold index

Revision ID: 0002_quality
Revises: 0001
Create Date: 2026-11-22 08:09:10.916504
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002_quality'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contributor_skills',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contributor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('n_labels', sa.Integer(), server_default='0', nullable=False),
    sa.Column('gold_seen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('gold_correct', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'], name=op.f('fk_contributor_skills_contributor_id_contributors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_contributor_skills_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'contributor_id', name=op.f('pk_contributor_skills'))
    )
    op.create_table('project_fits',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('class_prior', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('n_labels', sa.Integer(), nullable=False),
    sa.Column('fitted_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_fits_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_fits'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_gold', ['project_id'], unique=False, sqlite_where=sa.text("status = 'gold'"), postgresql_where=sa.text("status = 'gold'"))



def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_gold', sqlite_where=sa.text("status = 'gold'"), postgresql_where=sa.text("status = 'gold'"))

    op.drop_table('project_fits')
    op.drop_table('contributor_skills')
