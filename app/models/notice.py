"""What megabird tells a customer on its own: notices in the portal (the list behind the
header's unread count), e-mails waiting to go out, and the low-balance alert of an account.

A notice and its e-mail are written in the transaction of the event they tell about (a
review decided, a balance crossing its alert threshold); the e-mail is handed to the mail
server by a job after that commit, claimed first so that a second run sends nothing
(app/services/shared/notices.py)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamp, one_of, utcnow

MAIL_STATES = ("pending", "sending", "sent", "failed")


class AccountNotice(Model):
    """알림: one line in the customer's notice list, unread until opened."""

    __tablename__ = "account_notice"
    __table_args__ = (Index("ix_account_notice_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)     # low_balance, review:<object type>
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[Optional[str]] = mapped_column(String(100))          # an endpoint of the portal
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class MailOutbox(Model):
    """An e-mail committed with the event it tells about, sent after the commit by a job
    (the tick relays any left pending). `sending` is the claim: a message is handed to the
    mail server at most once."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        one_of("state", MAIL_STATES, "ck_mail_outbox_state"),
        Index("ix_mail_outbox_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("account_notice.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    # a stored file sent along (a tax invoice's PDF copy, TAX-05)
    attachment_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))


class LowBalanceAlert(Model):
    """잔액 부족 알림 of one account (no row, or no threshold: off). `alerted_at` is set in
    the transaction of the movement that took cash + points below the threshold and
    cleared by the one that brings them back to it or above: one notice per crossing."""

    __tablename__ = "low_balance_alert"
    __table_args__ = (
        CheckConstraint("threshold IS NULL OR threshold > 0", name="ck_low_balance_alert_threshold"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    threshold: Mapped[Optional[int]] = mapped_column(BigInteger)
    by_sms: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    by_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    alerted_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
