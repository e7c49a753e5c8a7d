"""the payment gateway that approved a card top-up, so that sandbox cash is never refunded
as cash (issue 13); existing card top-ups were all the sandbox's

Revision ID: 0013_topup_gateway
Revises: 0012_consent_notices
Create Date: 2026-12-01 14:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_topup_gateway'
down_revision = '0012_consent_notices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('topup_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gateway', sa.String(length=16), nullable=True))
    op.execute("UPDATE topup_request SET gateway = 'sandbox' WHERE method = 'card'")


def downgrade():
    with op.batch_alter_table('topup_request', schema=None) as batch_op:
        batch_op.drop_column('gateway')
