"""세금계산서 and what it is made of (08-tax-invoice.md): the usage of each settled send in the
KST month it settled, split into its card and its invoiced cash (TAX-02); the invoices
themselves with the parties' data as they were prepared (ACC-12), their items, and the
임시공휴일 that staff add to the monthly run's calendar (TAX-03)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.korean import N_
from app.models.base import Timestamp, one_of, utcnow

BigInt = BigInteger().with_variant(Integer, "sqlite")


class BillingUsage(Model):
    """One layer of one settled send (its own messages, or a Kakao send's fallback SMS): what
    it delivered and charged, in the KST month of its settlement. The cash part splits into
    `card_cash` (card top-ups: the sales slip) and `invoiced_cash` (bank transfers: the tax
    invoice); points are free credit, never invoiced. Written in the settlement's transaction;
    kept when the customer deletes the send (the money was spent)."""

    __tablename__ = "billing_usage"
    __table_args__ = (
        UniqueConstraint("send_id", "layer", name="uq_billing_usage_send_layer"),
        Index("ix_billing_usage_month", "month", "account_id"),
        CheckConstraint("cash = card_cash + invoiced_cash", name="ck_billing_usage_cash"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    send_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    layer: Mapped[str] = mapped_column(String(16), nullable=False)
    msg_type: Mapped[str] = mapped_column(String(20), nullable=False)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)          # the first day of the KST month
    settled_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    delivered: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    charged: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)     # won, VAT included
    cash: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    card_cash: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    invoiced_cash: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)    # the send's refund (primary row)


INVOICE_KINDS = ("monthly", "correction")
INVOICE_STATUSES = ("pending", "issuing", "issued", "filed", "failed")
STATUS_LABELS = {"pending": N_("발행대기"), "issuing": N_("발행중"), "issued": N_("발행완료"),
                 "filed": N_("국세청 전송완료"), "failed": N_("발행실패")}


class TaxInvoice(Model):
    """One tax invoice as megabird prepares it; legal once the issuing adapter has issued it
    (`approval_number`, the NTS's 승인번호). Never edited after issue: a correction is another
    invoice pointing at it (`original_id`, `correction_reason`)."""

    __tablename__ = "tax_invoice"
    __table_args__ = (
        one_of("kind", INVOICE_KINDS, "ck_tax_invoice_kind"),
        one_of("status", INVOICE_STATUSES, "ck_tax_invoice_status"),
        CheckConstraint("total = supply_total + tax_total", name="ck_tax_invoice_total"),
        Index("ix_tax_invoice_account", "account_id", "usage_month"),
        Index("ix_tax_invoice_status", "status", "usage_month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="monthly")
    # one monthly invoice per account and month, however many runs ("monthly:<account>:<YYYY-MM>")
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    usage_month: Mapped[dt.date] = mapped_column(Date, nullable=False)
    written_on: Mapped[dt.date] = mapped_column(Date, nullable=False)      # 작성일자
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    supply_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # 공급받는자 as it was when prepared (ACC-12: a later change of company data leaves it)
    buyer_brn: Mapped[str] = mapped_column(String(10), nullable=False)
    buyer_name: Mapped[str] = mapped_column(String(100), nullable=False)
    buyer_representative: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    buyer_address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    buyer_business_type: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    buyer_business_item: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    supplier_json: Mapped[str] = mapped_column(Text, nullable=False)        # 공급자 as configured then
    remark: Mapped[str] = mapped_column(String(100), nullable=False, default="")   # 요청사항
    approval_number: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    filed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    failed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    failure_reason: Mapped[Optional[str]] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    issuing_since: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)   # claimed for issue at
    issued_by: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    correction_reason: Mapped[Optional[int]] = mapped_column(Integer)
    original_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tax_invoice.id", ondelete="RESTRICT"))
    pdf_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    account = relationship("Account")
    items = relationship("TaxInvoiceItem", order_by="TaxInvoiceItem.seq", cascade="all, delete-orphan",
                         back_populates="invoice")
    original = relationship("TaxInvoice", remote_side=[id])
    pdf_file = relationship("StoredFile")

    @property
    def serial(self) -> str:
        """일련번호 and the issuing adapter's management key."""
        return f"MB{self.usage_month:%Y%m}-{self.id:06d}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class TaxInvoiceItem(Model):
    __tablename__ = "tax_invoice_item"
    __table_args__ = (UniqueConstraint("invoice_id", "seq", name="uq_tax_invoice_item_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("tax_invoice.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    written_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    supply: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False)
    note: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    invoice = relationship("TaxInvoice", back_populates="items")


class ExtraHoliday(Model):
    """임시공휴일 (TAX-03): a day off that the `holidays` package does not know yet."""

    __tablename__ = "extra_holiday"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
