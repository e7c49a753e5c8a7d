"""Kakao sends with fallback (issue 15, KAT-07, KRS-02): a send's fallback type and the
counters of its fallback layer; the per-send breakdown by layer

Revision ID: 0019_kakao_sends
Revises: 0018_claim_owner
Create Date: 2026-12-01 16:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019_kakao_sends'
down_revision = '0018_claim_owner'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_msg_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('fallback_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('fallback_delivered_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('fallback_failed_count', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('send_category_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layer', sa.String(length=8), server_default='primary', nullable=False))
        batch_op.drop_constraint('uq_send_category_count', type_='unique')
        batch_op.create_unique_constraint('uq_send_category_count', ['send_id', 'layer', 'category'])
        batch_op.create_check_constraint('ck_send_category_count_layer', "layer IN ('primary', 'fallback')")


def downgrade():
    with op.batch_alter_table('send_category_count', schema=None) as batch_op:
        batch_op.drop_constraint('ck_send_category_count_layer', type_='check')
        batch_op.drop_constraint('uq_send_category_count', type_='unique')
        batch_op.create_unique_constraint('uq_send_category_count', ['send_id', 'category'])
        batch_op.drop_column('layer')
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.drop_column('fallback_failed_count')
        batch_op.drop_column('fallback_delivered_count')
        batch_op.drop_column('fallback_count')
        batch_op.drop_column('fallback_msg_type')
