"""consents, the portal's notices, the mail outbox and the low-balance alert (issue 12)

Revision ID: 0012_consent_notices
Revises: 0011_optout_080
Create Date: 2026-12-02 09:00:00

user_consent: what a person agreed to (이용약관, 개인정보 수집·이용, 마케팅 정보 수신), with the
version of the text and the time, one row per agreement or withdrawal. account_notice: the
customer's notices (a review decided, a low balance). mail_outbox: e-mails committed with
the event they tell about, sent by a job after the commit. low_balance_alert: the
account's threshold and channels, and whether the current crossing was told.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_consent_notices'
down_revision = '0011_optout_080'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_consent',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=16), nullable=False),
                    sa.Column('version', sa.String(length=20), nullable=False),
                    sa.Column('agreed', sa.Boolean(), nullable=False),
                    sa.Column('source', sa.String(length=16), nullable=False),
                    sa.Column('recorded_at', sa.DateTime(), nullable=False),
                    sa.CheckConstraint("kind IN ('terms', 'privacy', 'marketing')", name='ck_user_consent_kind'),
                    sa.CheckConstraint("source IN ('signup', 'invitation', 'mypage', 'demo')",
                                       name='ck_user_consent_source'),
                    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_user_consent_user_kind', 'user_consent', ['user_id', 'kind', 'id'], unique=False)

    op.create_table('account_notice',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=32), nullable=False),
                    sa.Column('title', sa.String(length=200), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('link', sa.String(length=100), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('read_at', sa.DateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_account_notice_account', 'account_notice', ['account_id', 'id'], unique=False)

    op.create_table('mail_outbox',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=True),
                    sa.Column('notice_id', sa.Integer(), nullable=True),
                    sa.Column('recipient', sa.String(length=320), nullable=False),
                    sa.Column('subject', sa.String(length=300), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('state', sa.String(length=16), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('last_error', sa.String(length=500), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('sent_at', sa.DateTime(), nullable=True),
                    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')",
                                       name='ck_mail_outbox_state'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['notice_id'], ['account_notice.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_mail_outbox_state', 'mail_outbox', ['state', 'id'], unique=False)

    op.create_table('low_balance_alert',
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('threshold', sa.BigInteger(), nullable=True),
                    sa.Column('by_sms', sa.Boolean(), nullable=False),
                    sa.Column('by_email', sa.Boolean(), nullable=False),
                    sa.Column('alerted_at', sa.DateTime(), nullable=True),
                    sa.Column('updated_at', sa.DateTime(), nullable=False),
                    sa.CheckConstraint('threshold IS NULL OR threshold > 0', name='ck_low_balance_alert_threshold'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('account_id'))


def downgrade():
    op.drop_table('low_balance_alert')
    op.drop_index('ix_mail_outbox_state', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_index('ix_account_notice_account', table_name='account_notice')
    op.drop_table('account_notice')
    op.drop_index('ix_user_consent_user_kind', table_name='user_consent')
    op.drop_table('user_consent')
