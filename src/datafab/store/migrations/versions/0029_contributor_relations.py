"""contributor relations: guideline changelogs and acknowledgements, gold disputes, messages
and inboxes, recruitment campaigns, applications and credentials

Revision ID: 0029_contributor_relations
Revises: 0028_primitive_definitions
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0029_contributor_relations'
down_revision = '0028_primitive_definitions'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=f'fk_{table}_{column}_{target}', ondelete='CASCADE')


def upgrade() -> None:
    op.create_table(
        'guideline_changes',
        sa.Column('project_id', ID, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changelog', sa.Text(), nullable=False),
        sa.Column('requires_ack', sa.Boolean(), server_default=sa.text('false'),
                  nullable=False),
        sa.Column('quiz_items', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        _fk('guideline_changes', 'project_id', 'projects'),
        sa.PrimaryKeyConstraint('project_id', 'version', name='pk_guideline_changes'),
    )
    op.create_table(
        'guideline_acks',
        sa.Column('project_id', ID, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('quiz_seen', sa.Integer(), server_default='0', nullable=False),
        sa.Column('quiz_correct', sa.Integer(), server_default='0', nullable=False),
        sa.Column('acknowledged_at', sa.Double(), nullable=False),
        _fk('guideline_acks', 'project_id', 'projects'),
        _fk('guideline_acks', 'contributor_id', 'contributors'),
        sa.PrimaryKeyConstraint('project_id', 'contributor_id', 'version',
                                name='pk_guideline_acks'),
    )
    op.create_table(
        'gold_disputes',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('project_id', ID, nullable=False),
        sa.Column('item_id', ID, nullable=False),
        sa.Column('submission_id', ID, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('corrected_answer', JSON, nullable=True),
        sa.Column('resolved_by', sa.String(length=200), nullable=True),
        sa.Column('resolved_at', sa.Double(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        _fk('gold_disputes', 'project_id', 'projects'),
        _fk('gold_disputes', 'item_id', 'items'),
        _fk('gold_disputes', 'submission_id', 'submissions'),
        _fk('gold_disputes', 'contributor_id', 'contributors'),
        sa.PrimaryKeyConstraint('id', name='pk_gold_disputes'),
        sa.UniqueConstraint('submission_id', name='uq_gold_disputes_submission_id'),
    )
    op.create_index('ix_gold_disputes_project_id', 'gold_disputes', ['project_id'])
    op.create_index('ix_gold_disputes_contributor_id', 'gold_disputes', ['contributor_id'])
    op.create_table(
        'messages',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('project_id', ID, nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('sender', sa.String(length=200), nullable=False),
        sa.Column('sender_contributor_id', ID, nullable=True),
        sa.Column('item_id', ID, nullable=True),
        sa.Column('parent_id', ID, nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('in_faq', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        _fk('messages', 'project_id', 'projects'),
        _fk('messages', 'sender_contributor_id', 'contributors'),
        _fk('messages', 'item_id', 'items'),
        _fk('messages', 'parent_id', 'messages'),
        sa.PrimaryKeyConstraint('id', name='pk_messages'),
    )
    op.create_index('ix_messages_project_id', 'messages', ['project_id'])
    op.create_table(
        'inbox_entries',
        sa.Column('message_id', ID, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('read_at', sa.Double(), nullable=True),
        sa.Column('emailed_at', sa.Double(), nullable=True),
        _fk('inbox_entries', 'message_id', 'messages'),
        _fk('inbox_entries', 'contributor_id', 'contributors'),
        sa.PrimaryKeyConstraint('message_id', 'contributor_id', name='pk_inbox_entries'),
    )
    op.create_index('ix_inbox_entries_contributor_id', 'inbox_entries', ['contributor_id'])

    op.create_table(
        'recruit_campaigns',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('spec', JSON, nullable=False),
        sa.Column('referral_code', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('created_at', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_recruit_campaigns'),
        sa.UniqueConstraint('name', name='uq_recruit_campaigns_name'),
        sa.UniqueConstraint('referral_code', name='uq_recruit_campaigns_referral_code'),
    )
    op.create_table(
        'recruit_applications',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('campaign_id', ID, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('answers', JSON, nullable=False),
        sa.Column('screening_score', sa.Double(), nullable=True),
        sa.Column('screened_at', sa.Double(), nullable=True),
        sa.Column('credential_at', sa.Double(), nullable=True),
        sa.Column('applied_at', sa.Double(), nullable=False),
        _fk('recruit_applications', 'campaign_id', 'recruit_campaigns'),
        _fk('recruit_applications', 'contributor_id', 'contributors'),
        sa.PrimaryKeyConstraint('id', name='pk_recruit_applications'),
        sa.UniqueConstraint('campaign_id', 'contributor_id',
                            name='uq_recruit_applications_campaign_id_contributor_id'),
    )
    op.create_index('ix_recruit_applications_contributor_id', 'recruit_applications',
                    ['contributor_id'])
    op.create_table(
        'credentials',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('contributor_id', ID, nullable=False),
        sa.Column('skill', sa.String(length=128), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('reviewed_at', sa.Double(), nullable=True),
        sa.Column('created_at', sa.Double(), nullable=False),
        _fk('credentials', 'contributor_id', 'contributors'),
        sa.PrimaryKeyConstraint('id', name='pk_credentials'),
    )
    op.create_index('ix_credentials_contributor_id', 'credentials', ['contributor_id'])


def downgrade() -> None:
    op.drop_table('credentials')
    op.drop_table('recruit_applications')
    op.drop_table('recruit_campaigns')
    op.drop_table('inbox_entries')
    op.drop_table('messages')
    op.drop_table('gold_disputes')
    op.drop_table('guideline_acks')
    op.drop_table('guideline_changes')
