"""Sender information (03-senders.md): sender numbers. Kakao channels and the review
documents are completed by the sender-information capability."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.account import REVIEW_STATUSES, ReviewMixin
from app.models.base import one_of

SENDER_METHODS = ("signup", "phone", "document")
SENDER_OWNER_TYPES = ("personal", "company", "employee")


class SenderNumber(ReviewMixin, Model):
    __tablename__ = "sender_number"
    __table_args__ = (
        UniqueConstraint("account_id", "number", name="uq_sender_number_account_number"),
        one_of("status", REVIEW_STATUSES, "ck_sender_number_status"),
        one_of("method", SENDER_METHODS, "ck_sender_number_method"),
        Index("ix_sender_number_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(11), nullable=False)  # digits only
    owner_name: Mapped[Optional[str]] = mapped_column(String(50))
    owner_type: Mapped[str] = mapped_column(String(16), nullable=False, default="personal")
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    is_signup: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[Optional[str]] = mapped_column(String(100))

    account = relationship("Account")
