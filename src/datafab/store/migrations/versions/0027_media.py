"""media: image files uploaded to a project, content-addressed

Revision ID: 0027_media
Revises: 0026_curation
"""

import sqlalchemy as sa
from alembic import op

revision = '0027_media'
down_revision = '0026_curation'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'media',
        sa.Column('project_id', ID, nullable=False),
        sa.Column('media_id', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name='fk_media_project_id_projects', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', 'media_id', name='pk_media'),
    )


def downgrade() -> None:
    op.drop_table('media')
