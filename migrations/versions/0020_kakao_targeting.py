"""Brand Message targeting applications (issue 16, KFT-02): a Kakao channel's application
for M/N (non-friends who consented to marketing), reviewed by an operator

Revision ID: 0020_kakao_targeting
Revises: 0019_kakao_sends
Create Date: 2026-12-01 19:40:00

One row per channel (a rejected application is sent again in the same row); its two
documents are stored files, as a sender number's are.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_kakao_targeting'
down_revision = '0019_kakao_sends'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kakao_targeting_application',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('channel_id', sa.Integer(), nullable=False),
                    sa.Column('friend_count', sa.Integer(), nullable=False),
                    sa.Column('business_document_id', sa.Integer(), nullable=True),
                    sa.Column('consent_document_id', sa.Integer(), nullable=True),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('reject_reason', sa.String(length=500), nullable=True),
                    sa.Column('requested_at', sa.DateTime(), nullable=False),
                    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
                    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
                    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')",
                                       name='ck_kakao_targeting_application_status'),
                    sa.CheckConstraint('friend_count >= 0', name='ck_kakao_targeting_application_friend_count'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['channel_id'], ['kakao_channel.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['business_document_id'], ['stored_file.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['consent_document_id'], ['stored_file.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('channel_id', name='uq_kakao_targeting_application_channel'))
    with op.batch_alter_table('kakao_targeting_application', schema=None) as batch_op:
        batch_op.create_index('ix_kakao_targeting_application_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_kakao_targeting_application_queue', ['status', 'requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('kakao_targeting_application', schema=None) as batch_op:
        batch_op.drop_index('ix_kakao_targeting_application_queue')
        batch_op.drop_index('ix_kakao_targeting_application_account_id')
    op.drop_table('kakao_targeting_application')
