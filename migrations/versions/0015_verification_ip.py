"""who asked for a sign-up code, for the per-address and service-wide limits against SMS
pumping (issue 13)

Revision ID: 0015_verification_ip
Revises: 0014_user_session
Create Date: 2026-12-01 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_verification_ip'
down_revision = '0014_user_session'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('phone_verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_ip', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_phone_verification_ip_at', ['client_ip', 'created_at'], unique=False)
        batch_op.create_index('ix_phone_verification_purpose_at', ['purpose', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('phone_verification', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_verification_purpose_at')
        batch_op.drop_index('ix_phone_verification_ip_at')
        batch_op.drop_column('client_ip')
