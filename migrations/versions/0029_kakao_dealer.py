"""The Kakao dealer adapter (issue 20, GW-01): its requests (grouping key written before the
call) and the messages the dealer accepted, with their results until applied; a template
comment's hand-over to the dealer's reviewer

Revision ID: 0029_kakao_dealer
Revises: 0028_smpp
Create Date: 2026-12-02 08:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0029_kakao_dealer'
down_revision = '0028_smpp'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
DUE = "code IS NOT NULL AND acked_at IS NULL"


def upgrade():
    op.create_table('kakao_dealer_request',
                    sa.Column('id', BIG, nullable=False),
                    sa.Column('group_key', sa.String(length=64), nullable=False),
                    sa.Column('kind', sa.String(length=12), nullable=False),
                    sa.Column('sender_key', sa.String(length=64), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('state', sa.String(length=12), nullable=False),
                    sa.Column('attempted_at', sa.DateTime(), nullable=False),
                    sa.Column('request_id', sa.String(length=64), nullable=True),
                    sa.Column('first_ref', sa.BigInteger(), nullable=True),
                    sa.Column('last_ref', sa.BigInteger(), nullable=True),
                    sa.Column('polls', sa.Integer(), nullable=False),
                    sa.Column('poll_after', sa.DateTime(), nullable=True),
                    sa.Column('lease_until', sa.DateTime(), nullable=True),
                    sa.CheckConstraint("kind IN ('alimtalk', 'brand')", name='ck_kakao_dealer_request_kind'),
                    sa.CheckConstraint("state IN ('sending', 'accepted', 'refused', 'unclear', 'absent', 'done')",
                                       name='ck_kakao_dealer_request_state'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('group_key'))
    op.create_index('ix_kakao_dealer_request_state_poll', 'kakao_dealer_request', ['state', 'poll_after'],
                    unique=False)
    op.create_table('kakao_dealer_message',
                    sa.Column('id', BIG, nullable=False),
                    sa.Column('ref', sa.String(length=64), nullable=False),
                    sa.Column('request_id', sa.String(length=64), nullable=False),
                    sa.Column('recipient_seq', sa.Integer(), nullable=False),
                    sa.Column('code', sa.String(length=16), nullable=True),
                    sa.Column('reported_at', sa.DateTime(), nullable=True),
                    sa.Column('lease_until', sa.DateTime(), nullable=True),
                    sa.Column('acked_at', sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('ref'))
    op.create_index('ix_kakao_dealer_message_request', 'kakao_dealer_message', ['request_id', 'recipient_seq'],
                    unique=False)
    op.create_index('ix_kakao_dealer_message_due', 'kakao_dealer_message', ['id'], unique=False,
                    sqlite_where=sa.text(DUE), postgresql_where=sa.text(DUE))
    with op.batch_alter_table('alimtalk_template_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forwarded_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('alimtalk_template_event', schema=None) as batch_op:
        batch_op.drop_column('forwarded_at')
    op.drop_index('ix_kakao_dealer_message_due', table_name='kakao_dealer_message')
    op.drop_index('ix_kakao_dealer_message_request', table_name='kakao_dealer_message')
    op.drop_table('kakao_dealer_message')
    op.drop_index('ix_kakao_dealer_request_state_poll', table_name='kakao_dealer_request')
    op.drop_table('kakao_dealer_request')
