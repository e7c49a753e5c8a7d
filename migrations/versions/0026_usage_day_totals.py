"""The whole service's usage per KST day, type and price plan, and the days whose totals are
to be summed again (issue 17, STA-05: staff's statistics over a year without summing every
account's rollups). Every day that has rollups starts dirty: the tick sums it.

Revision ID: 0026_usage_day_totals
Revises: 0025_cash_lots_tax_invoices
Create Date: 2026-12-02 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0026_usage_day_totals'
down_revision = '0025_cash_lots_tax_invoices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_day_total',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('msg_type', sa.String(length=20), nullable=False),
    sa.Column('price_plan_id', sa.Integer(), nullable=False),
    sa.Column('requested', sa.BigInteger(), nullable=False),
    sa.Column('delivered', sa.BigInteger(), nullable=False),
    sa.Column('failed', sa.BigInteger(), nullable=False),
    sa.Column('charged', sa.BigInteger(), nullable=False),
    sa.Column('points_used', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'msg_type', 'price_plan_id')
    )
    op.create_table('usage_dirty_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.execute("INSERT INTO usage_dirty_day (day) SELECT DISTINCT day FROM usage_rollup")


def downgrade():
    op.drop_table('usage_dirty_day')
    op.drop_table('usage_day_total')
