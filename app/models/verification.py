"""Phone verification codes (ACC-01, SND-02) and messages the service itself sends
(the codes), which go out through the gateway like any other message."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamp, one_of, utcnow

VERIFICATION_PURPOSES = ("signup", "sender", "channel")


class PhoneVerification(Model):
    __tablename__ = "phone_verification"
    __table_args__ = (
        one_of("purpose", VERIFICATION_PURPOSES, "ck_phone_verification_purpose"),
        Index("ix_phone_verification_phone_at", "phone", "created_at"),
        Index("ix_phone_verification_ip_at", "client_ip", "created_at"),
        Index("ix_phone_verification_purpose_at", "purpose", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    # What the verification is for: the pending sign-up (name, e-mail, password hash)
    # or the sender number / channel being verified. JSON text.
    payload: Mapped[Optional[str]] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # who asked for a sign-up code (SMS pumping limits, issue 13)
    client_ip: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    verified_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    consumed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class SystemMessage(Model):
    """A message megabird sends on its own behalf (verification codes). Committed
    first, then handed to the gateway by a job; the tick relays any left pending."""

    __tablename__ = "system_message"
    __table_args__ = (
        one_of("state", ("pending", "submitted"), "ck_system_message_state"),
        Index("ix_system_message_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    sender: Mapped[str] = mapped_column(String(20), nullable=False)
    recipient: Mapped[str] = mapped_column(String(20), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
