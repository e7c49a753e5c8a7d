"""the pipeline at scale: the sandbox leaves our database, dispatch batches, message
layers, the cash part of a send's charge, a message index that claims in id order and no
foreign key checked by each of a send's 100,000 inserted messages

Revision ID: 0009_pipeline
Revises: 0008_template_optout
Create Date: 2026-12-01 12:00:00

The sandbox carrier keeps its table in a database of its own (SQLALCHEMY_BINDS
"sandbox"), which the adapter creates: its rows in our database go.

message.send_id loses its foreign key: checking it was half of the time PostgreSQL took to
insert a send's messages. Messages are written only by accepting their send, in its
transaction, and deleted only with it (RES-06); accounts are never deleted.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_pipeline'
down_revision = '0008_template_optout'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_sandbox_message_due', table_name='sandbox_message')
    with op.batch_alter_table('sandbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_sandbox_message_recipient')
    op.drop_table('sandbox_message')

    op.create_table('dispatch_batch',
                    sa.Column('token', sa.String(length=32), nullable=False),
                    sa.Column('send_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.Column('gateway', sa.String(length=16), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('claimed_at', sa.DateTime(), nullable=False),
                    sa.Column('handed_at', sa.DateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['send_id'], ['send.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('token'))
    op.create_index('ix_dispatch_batch_open', 'dispatch_batch', ['claimed_at'],
                    sqlite_where=sa.text('handed_at IS NULL'), postgresql_where=sa.text('handed_at IS NULL'))

    naming = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
    with op.batch_alter_table('message', schema=None, naming_convention=naming) as batch_op:
        batch_op.add_column(sa.Column('layer', sa.String(length=8), nullable=False, server_default='primary'))
        batch_op.create_check_constraint('ck_message_layer', "layer IN ('primary', 'fallback')")
        batch_op.drop_constraint(_message_send_fk(), type_='foreignkey')
        # claims take pending messages in id order: on PostgreSQL the order must be in the index
        batch_op.drop_index('ix_message_send_state')
        batch_op.create_index('ix_message_send_state', ['send_id', 'state', 'id'], unique=False)
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charged_cash', sa.BigInteger(), nullable=True))


def _message_send_fk() -> str:
    """The foreign key 0004 created without a name: PostgreSQL named it, SQLite's batch
    mode names it by the convention above."""
    if op.get_bind().dialect.name == "postgresql":
        return "message_send_id_fkey"
    return "fk_message_send_id_send"


def downgrade():
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.drop_column('charged_cash')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_send_state')
        batch_op.create_index('ix_message_send_state', ['send_id', 'state'], unique=False)
        batch_op.create_foreign_key('message_send_id_fkey', 'send', ['send_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint('ck_message_layer', type_='check')
        batch_op.drop_column('layer')
    op.drop_index('ix_dispatch_batch_open', table_name='dispatch_batch')
    op.drop_table('dispatch_batch')
    op.create_table('sandbox_message',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.Column('client_ref', sa.String(length=64), nullable=False),
                    sa.Column('channel', sa.String(length=16), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=True),
                    sa.Column('sender', sa.String(length=40), nullable=False),
                    sa.Column('recipient', sa.String(length=20), nullable=False),
                    sa.Column('title', sa.String(length=200), nullable=True),
                    sa.Column('text', sa.Text(), nullable=False),
                    sa.Column('image_count', sa.Integer(), nullable=False),
                    sa.Column('submitted_at', sa.DateTime(), nullable=False),
                    sa.Column('submit_count', sa.Integer(), nullable=False),
                    sa.Column('result_code', sa.String(length=16), nullable=True),
                    sa.Column('optout_number', sa.String(length=20), nullable=True),
                    sa.Column('report_due_at', sa.DateTime(), nullable=True),
                    sa.Column('acked_at', sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('client_ref'))
    op.create_index('ix_sandbox_message_recipient', 'sandbox_message', ['recipient', 'submitted_at'])
    op.create_index('ix_sandbox_message_due', 'sandbox_message', ['report_due_at'],
                    sqlite_where=sa.text('acked_at IS NULL'), postgresql_where=sa.text('acked_at IS NULL'))
