"""The sandbox carrier's own store (10-gateway.md), and the sandbox e-tax-invoice ASP's
(08-tax-invoice.md TAX-08). They play remote systems, so they are not part of our
database and no migration of ours makes them: their tables live in another database
(`SQLALCHEMY_BINDS["sandbox"]`, a SQLite file of its own by default, SANDBOX_DATABASE_URL),
which only the sandbox adapters write and `gateways/sandbox.create_store` creates at
start-up. `db.session` reads it through the bind (the staff outbox, tests)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.models.base import Timestamp

BIND = "sandbox"


class SandboxBase(DeclarativeBase):
    """Tables of the sandbox's own database: Flask-SQLAlchemy routes them by this bind key."""
    metadata = MetaData(info={"bind_key": BIND})


class SandboxMessage(SandboxBase):
    __tablename__ = "sandbox_message"
    __table_args__ = (
        # reports not yet acknowledged, by due time (acknowledged rows leave the index)
        Index("ix_sandbox_message_due", "report_due_at", sqlite_where=text("acked_at IS NULL"),
              postgresql_where=text("acked_at IS NULL")),
        Index("ix_sandbox_message_recipient", "recipient", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_ref: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    account_id: Mapped[Optional[int]] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(40), nullable=False)
    recipient: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[Optional[str]] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    image_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    submitted_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    # Times the same client reference was submitted: more than 1 is a defect (GW-02).
    submit_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    result_code: Mapped[Optional[str]] = mapped_column(String(16))
    optout_number: Mapped[Optional[str]] = mapped_column(String(20))
    report_due_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    # a poller holds a report until then; another poller takes it only after (two report
    # jobs never get the same batch), unless it is acknowledged first
    leased_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    acked_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class SandboxTaxInvoice(SandboxBase):
    """An invoice the sandbox e-tax-invoice ASP "issued" (TAX-08): what it would have sent,
    under its management key, with the made-up approval number it answered and the state
    it would report (issued → filed the next KST day, or cancelled)."""
    __tablename__ = "sandbox_tax_invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    approval_number: Mapped[str] = mapped_column(String(24), nullable=False)
    buyer_brn: Mapped[str] = mapped_column(String(10), nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)      # the InvoiceDocument as JSON
    state: Mapped[str] = mapped_column(String(16), nullable=False)   # issued | filed | failed | cancelled
    message: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)   # issued at
    filed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    # times the same key was issued again and answered from this row: never a second invoice
    repeat_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
