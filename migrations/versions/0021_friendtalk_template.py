"""친구톡 템플릿: saved Brand Message contents (issue 16, KFT-01)

Revision ID: 0021_friendtalk_template
Revises: 0020_kakao_targeting
Create Date: 2026-12-01 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_friendtalk_template'
down_revision = '0020_kakao_targeting'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('friendtalk_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('wide', sa.Boolean(), nullable=False),
    sa.Column('image_file_id', sa.Integer(), nullable=True),
    sa.Column('buttons_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['image_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_friendtalk_template_account', 'friendtalk_template', ['account_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_friendtalk_template_account', table_name='friendtalk_template')
    op.drop_table('friendtalk_template')
