"""A file built by an RQ job for staff (issue 18, TAX-07: the monthly usage and revenue
report over 10,000 rows): `export_job.account_id` may be NULL, which marks a service-wide
file that no customer owns (its stored file has no account either: staff only).

Revision ID: 0027_staff_export_jobs
Revises: 0026_usage_day_totals
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_staff_export_jobs'
down_revision = '0026_usage_day_totals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM export_job WHERE account_id IS NULL")
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
