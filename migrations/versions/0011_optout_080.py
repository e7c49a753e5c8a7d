"""080 opt-out numbers (SND-09): each account's 인증코드 on the shared number (existing
accounts get theirs here), own 080 numbers by document review, the opt-out calls

Revision ID: 0011_optout_080
Revises: 0010_sender_revoke
Create Date: 2026-12-02 10:00:00

The codes are six digits, 100000-999999, drawn at random (a secure source), unique; the
application draws a new account's code the same way (app/domain/optout080.new_code).
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0011_optout_080'
down_revision = '0010_sender_revoke'
branch_labels = None
depends_on = None


def _backfill_codes() -> None:
    conn = op.get_bind()
    rng = secrets.SystemRandom()
    used = {row[0] for row in conn.execute(sa.text("SELECT optout_code FROM account WHERE optout_code IS NOT NULL"))}
    missing = [row[0] for row in conn.execute(sa.text("SELECT id FROM account WHERE optout_code IS NULL ORDER BY id"))]
    for account_id in missing:
        code = f"{rng.randint(100_000, 999_999):06d}"
        while code in used:
            code = f"{rng.randint(100_000, 999_999):06d}"
        used.add(code)
        conn.execute(sa.text("UPDATE account SET optout_code = :code WHERE id = :id"),
                     {"code": code, "id": account_id})


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('optout_code', sa.String(length=6), nullable=True))
    _backfill_codes()
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.alter_column('optout_code', existing_type=sa.String(length=6), nullable=False)
        batch_op.create_unique_constraint('uq_account_optout_code', ['optout_code'])

    op.create_table('optout_number',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('number', sa.String(length=11), nullable=False),
                    sa.Column('note', sa.String(length=100), nullable=True),
                    sa.Column('document_id', sa.Integer(), nullable=True),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('reject_reason', sa.String(length=500), nullable=True),
                    sa.Column('requested_at', sa.DateTime(), nullable=False),
                    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
                    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
                    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')",
                                       name='ck_optout_number_status'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['document_id'], ['stored_file.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('account_id', 'number', name='uq_optout_number_account_number'))
    with op.batch_alter_table('optout_number', schema=None) as batch_op:
        batch_op.create_index('ix_optout_number_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_optout_number_queue', ['status', 'requested_at'], unique=False)
    # an own number names one account: approved for at most one at a time
    op.create_index('uq_optout_number_approved', 'optout_number', ['number'], unique=True,
                    sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))

    op.create_table('optout_call',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('ref', sa.String(length=80), nullable=True),
                    sa.Column('source', sa.String(length=8), nullable=False),
                    sa.Column('called', sa.String(length=40), nullable=False),
                    sa.Column('code', sa.String(length=40), nullable=True),
                    sa.Column('caller', sa.String(length=40), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=True),
                    sa.Column('outcome', sa.String(length=16), nullable=False),
                    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
                    sa.Column('received_at', sa.DateTime(), nullable=False),
                    sa.CheckConstraint("source IN ('gateway', 'staff')", name='ck_optout_call_source'),
                    sa.CheckConstraint("outcome IN ('added', 'already', 'unknown_code', 'unknown_number', "
                                       "'missing_code', 'invalid')", name='ck_optout_call_outcome'),
                    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['recorded_by_id'], ['ab_user.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('ref'))
    with op.batch_alter_table('optout_call', schema=None) as batch_op:
        batch_op.create_index('ix_optout_call_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_optout_call_received', ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('optout_call', schema=None) as batch_op:
        batch_op.drop_index('ix_optout_call_received')
        batch_op.drop_index('ix_optout_call_account_id')
    op.drop_table('optout_call')
    op.drop_index('uq_optout_number_approved', table_name='optout_number')
    with op.batch_alter_table('optout_number', schema=None) as batch_op:
        batch_op.drop_index('ix_optout_number_queue')
        batch_op.drop_index('ix_optout_number_account_id')
    op.drop_table('optout_number')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_account_optout_code', type_='unique')
        batch_op.drop_column('optout_code')
