"""Webhooks (issue 21, API-06): an account's endpoints, the events written for them in the
transaction of what they report (the outbox), each event's delivery to each endpoint and
its attempts

Revision ID: 0030_webhooks
Revises: 0029_kakao_dealer
Create Date: 2026-12-02 12:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0030_webhooks'
down_revision = '0029_kakao_dealer'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
DUE = "state IN ('pending', 'sending')"


def upgrade():
    op.create_table('webhook_endpoint',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('url', sa.String(length=2000), nullable=False),
                    sa.Column('description', sa.String(length=100), nullable=True),
                    sa.Column('events', sa.String(length=200), nullable=False),
                    sa.Column('secret', sa.String(length=100), nullable=False),
                    sa.Column('previous_secret', sa.String(length=100), nullable=True),
                    sa.Column('previous_secret_until', sa.DateTime(), nullable=True),
                    sa.Column('status', sa.String(length=12), nullable=False),
                    sa.Column('disabled_reason', sa.String(length=300), nullable=True),
                    sa.Column('disabled_at', sa.DateTime(), nullable=True),
                    sa.Column('failing_since', sa.DateTime(), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(), nullable=False),
                    sa.CheckConstraint("status IN ('active', 'disabled', 'deleted')",
                                       name='ck_webhook_endpoint_status'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_webhook_endpoint_account', 'webhook_endpoint', ['account_id', 'status'], unique=False)
    op.create_table('webhook_event',
                    sa.Column('id', BIG, nullable=False),
                    sa.Column('event_id', sa.String(length=40), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('type', sa.String(length=40), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('event_id'))
    op.create_index('ix_webhook_event_account', 'webhook_event', ['account_id', 'id'], unique=False)
    op.create_table('webhook_delivery',
                    sa.Column('id', BIG, nullable=False),
                    sa.Column('event_id', BIG, nullable=False),
                    sa.Column('endpoint_id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('state', sa.String(length=12), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('step', sa.Integer(), nullable=False),
                    sa.Column('next_at', sa.DateTime(), nullable=True),
                    sa.Column('lease_until', sa.DateTime(), nullable=True),
                    sa.Column('last_status', sa.Integer(), nullable=True),
                    sa.Column('last_error', sa.String(length=300), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('finished_at', sa.DateTime(), nullable=True),
                    sa.CheckConstraint("state IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled')",
                                       name='ck_webhook_delivery_state'),
                    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['event_id'], ['webhook_event.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_webhook_delivery_account', 'webhook_delivery', ['account_id', 'id'], unique=False)
    op.create_index('ix_webhook_delivery_endpoint', 'webhook_delivery', ['endpoint_id', 'id'], unique=False)
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['endpoint_id', 'next_at'], unique=False,
                    sqlite_where=sa.text(DUE), postgresql_where=sa.text(DUE))
    op.create_table('webhook_attempt',
                    sa.Column('id', BIG, nullable=False),
                    sa.Column('delivery_id', BIG, nullable=False),
                    sa.Column('number', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('outcome', sa.String(length=20), nullable=False),
                    sa.Column('status_code', sa.Integer(), nullable=True),
                    sa.Column('latency_ms', sa.Integer(), nullable=True),
                    sa.Column('excerpt', sa.Text(), nullable=True),
                    sa.Column('error', sa.String(length=300), nullable=True),
                    sa.Column('replay', sa.Boolean(), nullable=False),
                    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_webhook_attempt_delivery', 'webhook_attempt', ['delivery_id', 'number'], unique=False)


def downgrade():
    op.drop_index('ix_webhook_attempt_delivery', table_name='webhook_attempt')
    op.drop_table('webhook_attempt')
    op.drop_index('ix_webhook_delivery_due', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_endpoint', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_account', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index('ix_webhook_event_account', table_name='webhook_event')
    op.drop_table('webhook_event')
    op.drop_index('ix_webhook_endpoint_account', table_name='webhook_endpoint')
    op.drop_table('webhook_endpoint')
