"""private pools: an organization's own contributors, and invitation codes into them

Revision ID: 0021_private_pools
Revises: 0013_erasure
"""

import sqlalchemy as sa
from alembic import op

revision = '0021_private_pools'
down_revision = '0018_webhook_fairness'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'workforce_members',
        sa.Column('organization_id', ID, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('admitted_at', sa.Double(), nullable=False),
        sa.Column('admitted_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name='fk_workforce_members_organization_id_organizations',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['contributor_id'], ['contributors.id'],
                                name='fk_workforce_members_contributor_id_contributors',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', 'contributor_id',
                                name='pk_workforce_members'),
    )
    op.create_index('ix_workforce_members_contributor_id', 'workforce_members',
                    ['contributor_id'], unique=False)
    op.create_table(
        'workforce_invitations',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('organization_id', ID, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=32), nullable=False),
        sa.Column('uses_left', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Double(), nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name='fk_workforce_invitations_organization_id_organizations',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_workforce_invitations'),
        sa.UniqueConstraint('code_hash', name='uq_workforce_invitations_code_hash'),
    )
    op.create_index('ix_workforce_invitations_organization_id', 'workforce_invitations',
                    ['organization_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workforce_invitations_organization_id',
                  table_name='workforce_invitations')
    op.drop_table('workforce_invitations')
    op.drop_index('ix_workforce_members_contributor_id', table_name='workforce_members')
    op.drop_table('workforce_members')
