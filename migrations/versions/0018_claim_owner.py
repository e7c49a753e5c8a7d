"""who claimed a dispatch batch (host and pid of the worker process), so that recovery
takes back the batches of a worker known dead at once; every claim gets its batch row,
the batches of a gateway that does not deduplicate too (REL-03, issue 13)

Revision ID: 0018_claim_owner
Revises: 0017_alimtalk_template
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_claim_owner'
down_revision = '0017_alimtalk_template'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatch_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('owner_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner_started', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('dispatch_batch', schema=None) as batch_op:
        batch_op.drop_column('owner_started')
        batch_op.drop_column('owner_pid')
        batch_op.drop_column('owner_host')
