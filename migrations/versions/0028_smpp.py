"""SMPP (issue 19, GW-03): the `unknown` message state, a connector batch's written-through
mark, the SMSC's ids of accepted PDUs and the receipts inbox

Revision ID: 0028_smpp
Revises: 0027_staff_export_jobs
Create Date: 2026-12-02 03:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0028_smpp'
down_revision = '0027_staff_export_jobs'
branch_labels = None
depends_on = None

OLD_STATES = "state IN ('pending', 'submitting', 'submitted', 'delivered', 'failed')"
NEW_STATES = "state IN ('pending', 'submitting', 'submitted', 'unknown', 'delivered', 'failed')"


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('ck_message_state', type_='check')
        batch_op.create_check_constraint('ck_message_state', NEW_STATES)
        batch_op.create_index('ix_message_unknown', ['recipient'], unique=False,
                              sqlite_where=sa.text("state = 'unknown'"), postgresql_where=sa.text("state = 'unknown'"))
    with op.batch_alter_table('dispatch_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_through', sa.BigInteger(), nullable=True))
    op.create_table('smpp_submission',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.Column('smsc_id', sa.String(length=64), nullable=False),
                    sa.Column('message_id', sa.BigInteger(), nullable=False),
                    sa.Column('segment', sa.Integer(), nullable=False),
                    sa.Column('submitted_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_smpp_submission_smsc_id', 'smpp_submission', ['smsc_id'], unique=False)
    op.create_table('smpp_receipt',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.Column('kind', sa.String(length=8), nullable=False),
                    sa.Column('status', sa.String(length=12), nullable=False),
                    sa.Column('received_at', sa.DateTime(), nullable=False),
                    sa.Column('system_id', sa.String(length=16), nullable=True),
                    sa.Column('smsc_id', sa.String(length=64), nullable=True),
                    sa.Column('stat', sa.String(length=8), nullable=True),
                    sa.Column('err', sa.String(length=8), nullable=True),
                    sa.Column('source', sa.String(length=21), nullable=True),
                    sa.Column('destination', sa.String(length=21), nullable=True),
                    sa.Column('user_reference', sa.Integer(), nullable=True),
                    sa.Column('done_at', sa.DateTime(), nullable=True),
                    sa.Column('text', sa.Text(), nullable=True),
                    sa.Column('lease_until', sa.DateTime(), nullable=True),
                    sa.Column('message_id', sa.BigInteger(), nullable=True),
                    sa.Column('code', sa.String(length=16), nullable=True),
                    sa.CheckConstraint("status IN ('new', 'applied', 'intermediate', 'unmatched')",
                                       name='ck_smpp_receipt_status'),
                    sa.CheckConstraint("kind IN ('receipt', 'mo')", name='ck_smpp_receipt_kind'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_smpp_receipt_new', 'smpp_receipt', ['id'], unique=False,
                    sqlite_where=sa.text("status = 'new'"), postgresql_where=sa.text("status = 'new'"))
    op.create_index('ix_smpp_receipt_status_received', 'smpp_receipt', ['status', 'received_at'], unique=False)


def downgrade():
    op.drop_index('ix_smpp_receipt_status_received', table_name='smpp_receipt')
    op.drop_index('ix_smpp_receipt_new', table_name='smpp_receipt')
    op.drop_table('smpp_receipt')
    op.drop_index('ix_smpp_submission_smsc_id', table_name='smpp_submission')
    op.drop_table('smpp_submission')
    with op.batch_alter_table('dispatch_batch', schema=None) as batch_op:
        batch_op.drop_column('written_through')
    op.execute("UPDATE message SET state = 'submitted' WHERE state = 'unknown'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_unknown')
        batch_op.drop_constraint('ck_message_state', type_='check')
        batch_op.create_check_constraint('ck_message_state', OLD_STATES)
