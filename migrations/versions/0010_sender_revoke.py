"""staff suspend or revoke a sender number found abused (발신번호 사전등록제, issue 12):
two more states of sender_number.status and when, why and by whom it was stopped

Revision ID: 0010_sender_revoke
Revises: 0009_pipeline
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_sender_revoke'
down_revision = '0009_pipeline'
branch_labels = None
depends_on = None

_BEFORE = "status IN ('requested', 'approved', 'rejected')"
_AFTER = "status IN ('requested', 'approved', 'rejected', 'suspended', 'revoked')"


def upgrade():
    with op.batch_alter_table('sender_number', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('stop_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('stopped_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_sender_number_stopped_by_id_ab_user', 'ab_user', ['stopped_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.drop_constraint('ck_sender_number_status', type_='check')
        batch_op.create_check_constraint('ck_sender_number_status', _AFTER)


def downgrade():
    op.execute("UPDATE sender_number SET status = 'rejected' WHERE status IN ('suspended', 'revoked')")
    with op.batch_alter_table('sender_number', schema=None) as batch_op:
        batch_op.drop_constraint('ck_sender_number_status', type_='check')
        batch_op.create_check_constraint('ck_sender_number_status', _BEFORE)
        batch_op.drop_constraint('fk_sender_number_stopped_by_id_ab_user', type_='foreignkey')
        batch_op.drop_column('stopped_by_id')
        batch_op.drop_column('stop_reason')
        batch_op.drop_column('stopped_at')
