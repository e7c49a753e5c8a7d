"""비밀번호 찾기: one-time reset links by e-mail (issue 13)

Revision ID: 0016_password_reset
Revises: 0015_verification_ip
Create Date: 2026-12-01 14:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_password_reset'
down_revision = '0015_verification_ip'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_ip', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index('ix_password_reset_user_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_password_reset_ip_at', ['client_ip', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index('ix_password_reset_ip_at')
        batch_op.drop_index('ix_password_reset_user_at')
    op.drop_table('password_reset')
