"""The claim index names the layer (issue 15, PERF-06): claiming a Kakao send's fallback
SMS no longer walks the send's pending Kakao messages, nor the reverse

Revision ID: 0022_message_claim_layer
Revises: 0021_friendtalk_template
Create Date: 2026-12-01 20:20:00
"""
from alembic import op


revision = '0022_message_claim_layer'
down_revision = '0021_friendtalk_template'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_send_state')
        batch_op.create_index('ix_message_send_state_layer', ['send_id', 'state', 'layer', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_send_state_layer')
        batch_op.create_index('ix_message_send_state', ['send_id', 'state', 'id'], unique=False)
