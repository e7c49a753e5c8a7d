"""Cash lots (where cash came from: card or bank transfer) and tax invoices (issue 18,
TAX-02..06): billing_usage per settled send, tax_invoice and its items, extra_holiday. An
account's cash before lots existed becomes one opening bank-transfer lot (invoiced).

Revision ID: 0025_cash_lots_tax_invoices
Revises: 0024_company_change_request
Create Date: 2026-12-01 23:21:38.274195

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_cash_lots_tax_invoices'
down_revision = '0024_company_change_request'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_mail_outbox_attachment_file', 'stored_file', ['attachment_file_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_table('billing_usage',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.BigInteger(), nullable=False),
    sa.Column('layer', sa.String(length=16), nullable=False),
    sa.Column('msg_type', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('settled_at', sa.DateTime(), nullable=False),
    sa.Column('delivered', sa.BigInteger(), nullable=False),
    sa.Column('charged', sa.BigInteger(), nullable=False),
    sa.Column('cash', sa.BigInteger(), nullable=False),
    sa.Column('card_cash', sa.BigInteger(), nullable=False),
    sa.Column('invoiced_cash', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('refunded', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('cash = card_cash + invoiced_cash', name='ck_billing_usage_cash'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('send_id', 'layer', name='uq_billing_usage_send_layer')
    )
    with op.batch_alter_table('billing_usage', schema=None) as batch_op:
        batch_op.create_index('ix_billing_usage_month', ['month', 'account_id'], unique=False)

    op.create_table('extra_holiday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('cash_lot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=True),
    sa.Column('funding', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("funding IN ('card', 'bank_transfer')", name='ck_cash_lot_funding'),
    sa.CheckConstraint('remaining >= 0 AND remaining <= amount', name='ck_cash_lot_remaining'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cash_lot', schema=None) as batch_op:
        batch_op.create_index('ix_cash_lot_open', ['account_id', 'remaining', 'id'], unique=False)
    op.execute("INSERT INTO cash_lot (account_id, entry_id, funding, amount, remaining, created_at) "
               "SELECT id, NULL, 'bank_transfer', cash, cash, CURRENT_TIMESTAMP FROM account WHERE cash > 0")

    op.create_table('cash_lot_use',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('send_id', sa.BigInteger(), nullable=True),
    sa.Column('funding', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount <> 0', name='ck_cash_lot_use_amount'),
    sa.ForeignKeyConstraint(['lot_id'], ['cash_lot.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cash_lot_use', schema=None) as batch_op:
        batch_op.create_index('ix_cash_lot_use_send', ['send_id'], unique=False)

    op.create_table('tax_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=True),
    sa.Column('usage_month', sa.Date(), nullable=False),
    sa.Column('written_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supply_total', sa.BigInteger(), nullable=False),
    sa.Column('tax_total', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('buyer_brn', sa.String(length=10), nullable=False),
    sa.Column('buyer_name', sa.String(length=100), nullable=False),
    sa.Column('buyer_representative', sa.String(length=50), nullable=False),
    sa.Column('buyer_address', sa.String(length=200), nullable=False),
    sa.Column('buyer_business_type', sa.String(length=100), nullable=False),
    sa.Column('buyer_business_item', sa.String(length=100), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('supplier_json', sa.Text(), nullable=False),
    sa.Column('remark', sa.String(length=100), nullable=False),
    sa.Column('approval_number', sa.String(length=40), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('issuing_since', sa.DateTime(), nullable=True),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Integer(), nullable=True),
    sa.Column('original_id', sa.Integer(), nullable=True),
    sa.Column('pdf_file_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('monthly', 'correction')", name='ck_tax_invoice_kind'),
    sa.CheckConstraint("status IN ('pending', 'issuing', 'issued', 'filed', 'failed')", name='ck_tax_invoice_status'),
    sa.CheckConstraint('total = supply_total + tax_total', name='ck_tax_invoice_total'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['original_id'], ['tax_invoice.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['pdf_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('approval_number'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('tax_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_tax_invoice_account', ['account_id', 'usage_month'], unique=False)
        batch_op.create_index('ix_tax_invoice_status', ['status', 'usage_month'], unique=False)

    op.create_table('tax_invoice_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('written_on', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('supply', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['tax_invoice.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id', 'seq', name='uq_tax_invoice_item_seq')
    )


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_mail_outbox_attachment_file', type_='foreignkey')
        batch_op.drop_column('attachment_file_id')
    op.drop_table('tax_invoice_item')
    with op.batch_alter_table('tax_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_invoice_status')
        batch_op.drop_index('ix_tax_invoice_account')

    op.drop_table('tax_invoice')
    with op.batch_alter_table('cash_lot_use', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_lot_use_send')

    op.drop_table('cash_lot_use')
    with op.batch_alter_table('cash_lot', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_lot_open')

    op.drop_table('cash_lot')
    op.drop_table('extra_holiday')
    with op.batch_alter_table('billing_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_usage_month')

    op.drop_table('billing_usage')
