"""revocable login sessions (issue 13): a logout, a password change or staff end a session
although its signed cookie would still be valid

Revision ID: 0014_user_session
Revises: 0013_topup_gateway
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_user_session'
down_revision = '0013_topup_gateway'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token'),
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
