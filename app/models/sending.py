"""Sends and messages (05-results.md), the opt-out list (SMS-13), per-day usage
rollups (STA-04) and the API's keys and idempotency records (09-api.md).

A `Send` is one request; a `Message` is one recipient of it. A Kakao message and its
fallback SMS are two messages of the same send, in two layers: the fallback
(`layer = 'fallback'`) points at its parent (`parent_id`), so Kakao needs no new model
(06-kakao.md). A `DispatchBatch` is one claimed batch, and who claimed it."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import message_types
from app.domain.korean import N_
from app.models.base import Timestamp, one_of, utcnow

BigInt = BigInteger().with_variant(Integer, "sqlite")

SEND_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")
SEND_STATUS_LABELS = {"scheduled": N_("예약"), "in_progress": N_("진행중"), "completed": N_("완료"), "cancelled": N_("취소")}
# `unknown` (GW-03): written to an SMSC whose answer never came (the link died): never sent
# again by itself; a receipt or the 49-hour timeout ends it
MESSAGE_STATES = ("pending", "submitting", "submitted", "unknown", "delivered", "failed")
LAYERS = ("primary", "fallback")      # the send's own message, or the one sent in its place
FINAL_STATES = ("delivered", "failed")
OPEN_STATES = ("pending", "submitting", "submitted", "unknown")


class Send(Model):
    __tablename__ = "send"
    __table_args__ = (
        one_of("status", SEND_STATUSES, "ck_send_status"),
        one_of("channel", message_types.CHANNELS, "ck_send_channel"),
        one_of("msg_type", message_types.CODES, "ck_send_msg_type"),
        one_of("source", ("web", "api"), "ck_send_source"),
        CheckConstraint("hold_amount >= 0 AND unit_price >= 0 AND recipient_count >= 0", name="ck_send_amounts"),
        Index("ix_send_account_created", "account_id", "created_at"),
        Index("ix_send_status_scheduled", "status", "scheduled_at"),
        Index("ix_send_status_progress", "status", "last_progress_at"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="sms")
    msg_type: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    sender_number: Mapped[str] = mapped_column(String(11), nullable=False)
    title: Mapped[Optional[str]] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, nullable=False)          # as composed, variables unrendered
    is_ad: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ad_company: Mapped[Optional[str]] = mapped_column(String(60))
    ad_optout: Mapped[Optional[str]] = mapped_column(String(11))
    uses_variables: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    group_names: Mapped[Optional[str]] = mapped_column(Text)        # 수신그룹 (SMS-12)
    # Prices frozen at acceptance (WAL-05) and the money of the send.
    unit_price: Mapped[int] = mapped_column(Integer, nullable=False)
    # A Kakao send with 대체문자 (06-kakao.md KAT-07): its fallback's type (SMS or LMS) and
    # frozen price; None without fallback.
    fallback_unit_price: Mapped[Optional[int]] = mapped_column(Integer)
    fallback_msg_type: Mapped[Optional[str]] = mapped_column(String(20))
    hold_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    charged_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)   # so far
    refunded_amount: Mapped[Optional[int]] = mapped_column(BigInteger)
    # The part of the final charge paid in cash (the rest in points), written at settlement:
    # what the invoice of the month (TAX-02) splits by the top-ups it came from.
    charged_cash: Mapped[Optional[int]] = mapped_column(BigInteger)
    # Counts, kept in the same transactions as the messages' states.
    recipient_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivered_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)   # invalid, left out
    duplicate_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # repeated, kept once
    # The fallback layer of a Kakao send: messages created for failed Kakao messages, and
    # their outcomes (the counters above are the send's own, primary layer).
    fallback_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    fallback_delivered_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    fallback_failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Times (UTC). `day` is the KST date the send counts on in statistics.
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    scheduled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    last_progress_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    template_id: Mapped[Optional[int]] = mapped_column(Integer)
    api_key_id: Mapped[Optional[int]] = mapped_column(Integer)
    # Kakao (wave 2): the channel's sender key, template code, buttons JSON, fallback text.
    kakao: Mapped[Optional[str]] = mapped_column(Text)

    images = relationship("SendImage", cascade="all, delete-orphan", order_by="SendImage.position")

    @property
    def pending_count(self) -> int:
        """결과확인중: none for a cancelled send (its messages never left)."""
        if self.status == "cancelled":
            return 0
        return self.recipient_count - self.delivered_count - self.failed_count

    @property
    def fallback_pending_count(self) -> int:
        if self.status == "cancelled":
            return 0
        return self.fallback_count - self.fallback_delivered_count - self.fallback_failed_count

    @property
    def status_label(self) -> str:
        return SEND_STATUS_LABELS[self.status]

    @property
    def type_label(self) -> str:
        return message_types.label(self.msg_type)


class SendImage(Model):
    """An MMS image of a send (SMS-14): the stored JPEG is what is sent."""

    __tablename__ = "send_image"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("send.id", ondelete="CASCADE"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    file = relationship("StoredFile", lazy="joined")


class Message(Model):
    __tablename__ = "message"
    __table_args__ = (
        one_of("state", MESSAGE_STATES, "ck_message_state"),
        one_of("layer", LAYERS, "ck_message_layer"),
        CheckConstraint("charge >= 0", name="ck_message_charge"),
        # Claims, timeouts and claim recovery find the messages of a send by state through
        # it, not through the whole table; the layer next, so that claiming a Kakao send's
        # fallbacks never walks its pending Kakao messages (and the reverse); id last, so
        # that a claim takes pending messages in id order straight from the index. (A state
        # change rewrites every index entry of the row on PostgreSQL — no HOT update when an
        # indexed column changes —, so the table keeps just three full ones.)
        Index("ix_message_send_state_layer", "send_id", "state", "layer", "id"),
        # SMS-15 looks up recent sends' messages to the same numbers; searches by number too
        Index("ix_message_account_recipient_send", "account_id", "recipient", "send_id"),
        # the few `unknown` messages by number: a receipt whose SMSC id megabird never learnt
        # is matched by its number and reference (GW-03); other rows are not in this index
        Index("ix_message_unknown", "recipient", sqlite_where=text("state = 'unknown'"),
              postgresql_where=text("state = 'unknown'")),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    # No foreign key: a send's 100,000 inserted messages would each check it (half the time
    # of the insert on PostgreSQL). Messages are written only by accepting their send, in its
    # transaction, and deleted only with it (RES-06).
    send_id: Mapped[int] = mapped_column(BigInt, nullable=False)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[Optional[int]] = mapped_column(BigInteger)      # the Kakao message a fallback replaces
    layer: Mapped[str] = mapped_column(String(8), nullable=False, default="primary", server_default="primary")
    msg_type: Mapped[str] = mapped_column(String(20), nullable=False)
    recipient: Mapped[str] = mapped_column(String(11), nullable=False)
    name: Mapped[Optional[str]] = mapped_column(String(100))
    vars: Mapped[Optional[str]] = mapped_column(Text)                # JSON {"1": ..} when the send uses variables
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    reported_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    result_code: Mapped[Optional[str]] = mapped_column(String(16))
    category: Mapped[Optional[str]] = mapped_column(String(32))
    charge: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    content_hash: Mapped[Optional[str]] = mapped_column(String(16))  # what the recipient reads (SMS-15)
    late_code: Mapped[Optional[str]] = mapped_column(String(16))     # a report after the message was final
    late_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class DispatchBatch(Model):
    """One batch of a send claimed by a dispatch job (its claim token), and who claimed it.
    For a gateway that deduplicates by client reference its messages go straight to
    `submitted` when claimed (one row per batch, instead of a second write per message);
    for any other they are `submitting` until the call returns. `handed_at` says the
    gateway call returned and its answer is written. A batch without it after
    CLAIM_STALE_AFTER, or at once when its owner (`owner_host`, `owner_pid`,
    `owner_started`: app/processes.py) is known dead, belongs to a job that died:
    recovery asks the gateway which of its messages it has (the rest go back to
    `pending`). Batches claimed before the owner was recorded have none: time only."""

    __tablename__ = "dispatch_batch"
    __table_args__ = (
        Index("ix_dispatch_batch_open", "claimed_at", sqlite_where=text("handed_at IS NULL"),
              postgresql_where=text("handed_at IS NULL")),
    )

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    send_id: Mapped[int] = mapped_column(BigInt, ForeignKey("send.id", ondelete="CASCADE"), nullable=False)
    gateway: Mapped[str] = mapped_column(String(16), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    claimed_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    handed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    owner_host: Mapped[Optional[str]] = mapped_column(String(255))     # hostname/pid space of the claimer
    owner_pid: Mapped[Optional[int]] = mapped_column(Integer)
    owner_started: Mapped[Optional[int]] = mapped_column(BigInteger)  # its start time: a reused pid is not it
    # A connector's batch (GW-03): the highest message id whose PDU it may have written,
    # committed before those PDUs go out. Recovery makes the batch's open messages up to it
    # `unknown` and gives the rest back to `pending`.
    written_through: Mapped[Optional[int]] = mapped_column(BigInteger)


class SendCategoryCount(Model):
    """Failed messages per category of one send and layer (a Kakao send's fallback SMS
    have their own breakdown, KRS-02), kept with the outcomes (RES-03's breakdown reads
    these instead of counting messages)."""

    __tablename__ = "send_category_count"
    __table_args__ = (UniqueConstraint("send_id", "layer", "category", name="uq_send_category_count"),
                      one_of("layer", LAYERS, "ck_send_category_count_layer"))

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("send.id", ondelete="CASCADE"), nullable=False)
    layer: Mapped[str] = mapped_column(String(8), nullable=False, default="primary", server_default="primary")
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class OptOut(Model):
    """수신거부 목록 (SMS-13): numbers an account's ads are not sent to."""

    __tablename__ = "optout"
    __table_args__ = (
        UniqueConstraint("account_id", "number", name="uq_optout_account_number"),
        one_of("source", ("manual", "file", "080"), "ck_optout_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[str] = mapped_column(String(11), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    memo: Mapped[Optional[str]] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class UsageRollup(Model):
    """Per KST day, account, message type and source: counts and won charged, kept up
    to date as results arrive, so that lists and statistics never scan messages."""

    __tablename__ = "usage_rollup"
    __table_args__ = (
        UniqueConstraint("account_id", "day", "msg_type", "source", name="uq_usage_rollup"),
        Index("ix_usage_rollup_day", "day"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    msg_type: Mapped[str] = mapped_column(String(20), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    requested: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    charged: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    points_used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class UsageDayTotal(Model):
    """The whole service's usage per KST day, type and price plan (STA-05): the per-account
    rollups of a day summed by the tick (stats/totals) once the day is clean, so that staff's
    service-wide statistics over a year read 366 × types × plans rows, not every account's."""

    __tablename__ = "usage_day_total"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    msg_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    price_plan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    charged: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    points_used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class UsageDirtyDay(Model):
    """A KST day whose rollups changed since its totals were summed: read live until the
    tick sums it again. Marked by every rollup write (insert-or-ignore)."""

    __tablename__ = "usage_dirty_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class DailyUsage(Model):
    """Recipients accepted per account and KST day, for the daily cap (ACC-10). Kept
    apart from sends so that deleting history (RES-06) gives no allowance back; a
    cancelled send does."""

    __tablename__ = "daily_usage"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class UsageCategoryRollup(Model):
    __tablename__ = "usage_category_rollup"
    __table_args__ = (
        UniqueConstraint("account_id", "day", "msg_type", "category", name="uq_usage_category_rollup"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    msg_type: Mapped[str] = mapped_column(String(20), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class ApiKey(Model):
    """An integration API key (API-01): shown once, stored as a hash."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    ip_allowlist: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    account = relationship("Account")


class ApiRequest(Model):
    """Idempotency-Key records (API-03): the first answer, replayed for the same body."""

    __tablename__ = "api_request"
    __table_args__ = (UniqueConstraint("account_id", "idempotency_key", name="uq_api_request_key"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response: Mapped[str] = mapped_column(Text, nullable=False)
    send_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
