"""customer primitives: an organization's own definitions, versioned

Revision ID: 0028_primitive_definitions
Revises: 0027_media
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0028_primitive_definitions'
down_revision = '0027_media'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'primitive_definitions',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('organization_id', ID, nullable=False),
        sa.Column('name', sa.String(length=24), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('definition', JSON, nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name='fk_primitive_definitions_organization_id_organizations',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_primitive_definitions'),
        sa.UniqueConstraint('organization_id', 'name', 'version',
                            name='uq_primitive_definitions_organization_id_name_version'),
    )


def downgrade() -> None:
    op.drop_table('primitive_definitions')
