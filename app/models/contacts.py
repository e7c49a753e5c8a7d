"""주소록 (SMS-12): groups and contacts with variables; 템플릿 (SMS-08); recipient files
uploaded on the compose page and kept until they are sent (SMS-04); the opt-out calls
that put numbers on an account's 수신거부 목록 (SND-09)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamp, one_of, utcnow


class ContactGroup(Model):
    __tablename__ = "contact_group"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_contact_group_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class Contact(Model):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("group_id", "phone", name="uq_contact_group_phone"),
        Index("ix_contact_account_phone", "account_id", "phone"),
        Index("ix_contact_account_name", "account_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("contact_group.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    name: Mapped[Optional[str]] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(11), nullable=False)
    var1: Mapped[Optional[str]] = mapped_column(String(200))
    var2: Mapped[Optional[str]] = mapped_column(String(200))
    var3: Mapped[Optional[str]] = mapped_column(String(200))
    var4: Mapped[Optional[str]] = mapped_column(String(200))
    memo: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    group = relationship("ContactGroup")

    def variables(self) -> dict[str, str]:
        return {str(i): v for i, v in enumerate((self.var1, self.var2, self.var3, self.var4), start=1) if v}


class MessageTemplate(Model):
    """문자 템플릿 (SMS-08): title, body and ad settings saved per account."""

    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    title: Mapped[Optional[str]] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    is_ad: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ad_company: Mapped[Optional[str]] = mapped_column(String(60))
    ad_optout: Mapped[Optional[str]] = mapped_column(String(11))      # 080 number, digits
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow, onupdate=utcnow)


class RecipientUpload(Model):
    """A recipients file parsed and validated on the compose page. Its valid rows are kept
    (as a stored file of normalised rows) until the send uses them."""

    __tablename__ = "recipient_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), nullable=False)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    report: Mapped[Optional[str]] = mapped_column(Text)       # JSON: the first rejected rows
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    file = relationship("StoredFile")


OPTOUT_CALL_SOURCES = ("gateway", "staff")
OPTOUT_CALL_OUTCOMES = ("added", "already", "unknown_code", "unknown_number", "missing_code", "invalid")


class OptoutCall(Model):
    """An opt-out call on a 080 number (SND-09) as reported by the 080 provider (through
    its gateway) or typed by an operator: the number called, the code entered, the
    caller's number, and what came of it — the account it named, or why it named none.
    Every report is kept, the unresolved ones too; `ref` makes a repeated report one row."""

    __tablename__ = "optout_call"
    __table_args__ = (
        one_of("source", OPTOUT_CALL_SOURCES, "ck_optout_call_source"),
        one_of("outcome", OPTOUT_CALL_OUTCOMES, "ck_optout_call_outcome"),
        Index("ix_optout_call_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[Optional[str]] = mapped_column(String(80), unique=True)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    called: Mapped[str] = mapped_column(String(40), nullable=False)     # as reported (digits when well formed)
    code: Mapped[Optional[str]] = mapped_column(String(40))
    caller: Mapped[str] = mapped_column(String(40), nullable=False)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    account = relationship("Account")
