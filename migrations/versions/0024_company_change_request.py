"""기업정보 변경 신청 (issue 18, ACC-12): a corporate account's new business registration
data with a new certificate, reviewed by an operator

Revision ID: 0024_company_change_request
Revises: 0022_message_claim_layer
Create Date: 2026-12-02 10:00:00

One row per request (a rejected request stays as it was; the customer asks again with a
new row). At most one request per account waits at a time: a partial unique index on
`account_id` where `status = 'requested'`. The account's own columns (brn, company_name,
...) are unchanged here; an approval copies the request's values into them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_company_change_request'
down_revision = '0022_message_claim_layer'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_change_request',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('brn', sa.String(length=10), nullable=False),
                    sa.Column('company_name', sa.String(length=100), nullable=False),
                    sa.Column('representative', sa.String(length=50), nullable=False),
                    sa.Column('business_address', sa.String(length=200), nullable=False),
                    sa.Column('business_type', sa.String(length=100), nullable=False),
                    sa.Column('business_item', sa.String(length=100), nullable=False),
                    sa.Column('certificate_file_id', sa.Integer(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('reject_reason', sa.String(length=500), nullable=True),
                    sa.Column('requested_at', sa.DateTime(), nullable=False),
                    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
                    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
                    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')",
                                       name='ck_company_change_request_status'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['certificate_file_id'], ['stored_file.id']),
                    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('company_change_request', schema=None) as batch_op:
        batch_op.create_index('ix_company_change_request_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_company_change_request_queue', ['status', 'requested_at'], unique=False)
    # one open request per account (ACC-12)
    op.create_index('uq_company_change_request_open', 'company_change_request', ['account_id'], unique=True,
                    sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))


def downgrade():
    op.drop_index('uq_company_change_request_open', table_name='company_change_request')
    with op.batch_alter_table('company_change_request', schema=None) as batch_op:
        batch_op.drop_index('ix_company_change_request_queue')
        batch_op.drop_index('ix_company_change_request_account_id')
    op.drop_table('company_change_request')
