"""AlimTalk templates and their review history (issue 14, KAT-01..05)

Revision ID: 0017_alimtalk_template
Revises: 0016_password_reset
Create Date: 2026-12-01 15:43:46.192977

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_alimtalk_template'
down_revision = '0016_password_reset'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alimtalk_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('message_type', sa.String(length=2), nullable=False),
    sa.Column('emphasis_type', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('extra', sa.String(length=500), nullable=True),
    sa.Column('emphasis_title', sa.String(length=50), nullable=True),
    sa.Column('emphasis_subtitle', sa.String(length=50), nullable=True),
    sa.Column('item_header', sa.String(length=16), nullable=True),
    sa.Column('items_json', sa.Text(), nullable=False),
    sa.Column('image_file_id', sa.Integer(), nullable=True),
    sa.Column('security', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=6), nullable=True),
    sa.Column('buttons_json', sa.Text(), nullable=False),
    sa.Column('quick_replies_json', sa.Text(), nullable=False),
    sa.Column('variables_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reject_reason', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('review_started_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('blocked_from', sa.String(length=16), nullable=True),
    sa.CheckConstraint("emphasis_type IN ('NONE', 'TEXT', 'IMAGE', 'ITEM_LIST')", name='ck_alimtalk_template_emphasis_type'),
    sa.CheckConstraint("message_type IN ('BA', 'EX', 'AD', 'MI')", name='ck_alimtalk_template_message_type'),
    sa.CheckConstraint("status IN ('saved', 'requested', 'in_review', 'approved', 'rejected', 'dormant', 'blocked')", name='ck_alimtalk_template_status'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['kakao_channel.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['image_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'code', name='uq_alimtalk_template_account_code')
    )
    with op.batch_alter_table('alimtalk_template', schema=None) as batch_op:
        batch_op.create_index('ix_alimtalk_template_account_status', ['account_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_alimtalk_template_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_alimtalk_template_queue', ['status', 'requested_at'], unique=False)

    op.create_table('alimtalk_template_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor_kind', sa.String(length=8), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("actor_kind IN ('customer', 'staff', 'kakao', 'system')", name='ck_alimtalk_template_event_actor_kind'),
    sa.CheckConstraint("kind IN ('state', 'comment')", name='ck_alimtalk_template_event_kind'),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['alimtalk_template.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alimtalk_template_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alimtalk_template_event_template_id'), ['template_id'], unique=False)



def downgrade():
    with op.batch_alter_table('alimtalk_template_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alimtalk_template_event_template_id'))

    op.drop_table('alimtalk_template_event')
    with op.batch_alter_table('alimtalk_template', schema=None) as batch_op:
        batch_op.drop_index('ix_alimtalk_template_queue')
        batch_op.drop_index(batch_op.f('ix_alimtalk_template_channel_id'))
        batch_op.drop_index('ix_alimtalk_template_account_status')

    op.drop_table('alimtalk_template')
