"""erasure: a contributor's earnings outlive an erased project; a lease records when it ended

Revision ID: 0013_erasure
Revises: 0010_budget_reservation
"""

import sqlalchemy as sa
from alembic import op

revision = '0013_erasure'
down_revision = '0012_sessions'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Erasing a project keeps the pay ledger: its earnings lose the project, not the amount.
    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_earnings_project_id_projects', type_='foreignkey')
        batch_op.alter_column('project_id', existing_type=ID, nullable=True)
        batch_op.create_foreign_key('fk_earnings_project_id_projects', 'projects',
                                    ['project_id'], ['id'], ondelete='SET NULL')
    # The database's clock when a lease stopped being live (submitted, released, expired).
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.drop_column('ended_at')
    op.execute("DELETE FROM earnings WHERE project_id IS NULL")
    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_earnings_project_id_projects', type_='foreignkey')
        batch_op.alter_column('project_id', existing_type=ID, nullable=False)
        batch_op.create_foreign_key('fk_earnings_project_id_projects', 'projects',
                                    ['project_id'], ['id'], ondelete='CASCADE')
