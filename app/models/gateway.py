"""What the gateway adapters keep of their upstreams.

The SMPP connector, for an SMSC (10-gateway.md GW-03): the SMSC's id of every PDU it accepted
(so that its receipts find their message), and every receipt it sent, kept until a report job
applies it — or, when it names no message megabird knows, kept for staff to inspect instead
of dropped.

The Kakao dealer adapter (NHN Cloud, app/gateways/nhn_kakao/): every request it made (its
grouping key, written before the call, so that an unclear outcome can be looked up before
anything is sent again) and every message the dealer accepted, with the result it reported
until a report job applies it."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamp, one_of, utcnow

BigInt = BigInteger().with_variant(Integer, "sqlite")

RECEIPT_STATUSES = ("new", "applied", "intermediate", "unmatched")
RECEIPT_KINDS = ("receipt", "mo")


class SmppSubmission(Model):
    """One accepted submit_sm: the SMSC's message id (normalised: lower case, no leading
    zeros) and the message it carried (a concatenated message has one per segment)."""

    __tablename__ = "smpp_submission"
    __table_args__ = (Index("ix_smpp_submission_smsc_id", "smsc_id"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    smsc_id: Mapped[str] = mapped_column(String(64), nullable=False)
    message_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    segment: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    submitted_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class SmppReceipt(Model):
    """A deliver_sm the SMSC sent: a delivery receipt (or a mobile-originated message), as
    received. `new` until a report job takes it (`lease_until`); then `applied`, or
    `intermediate` (a state that is not final, such as ENROUTE), or `unmatched` (no message
    of megabird has its id: shown to staff)."""

    __tablename__ = "smpp_receipt"
    __table_args__ = (
        one_of("status", RECEIPT_STATUSES, "ck_smpp_receipt_status"),
        one_of("kind", RECEIPT_KINDS, "ck_smpp_receipt_kind"),
        Index("ix_smpp_receipt_new", "id", sqlite_where=text("status = 'new'"),
              postgresql_where=text("status = 'new'")),
        Index("ix_smpp_receipt_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="receipt")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="new")
    received_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    system_id: Mapped[Optional[str]] = mapped_column(String(16))       # the bind it came on
    smsc_id: Mapped[Optional[str]] = mapped_column(String(64))         # as the SMSC wrote it
    stat: Mapped[Optional[str]] = mapped_column(String(8))
    err: Mapped[Optional[str]] = mapped_column(String(8))
    source: Mapped[Optional[str]] = mapped_column(String(21))          # the recipient's number
    destination: Mapped[Optional[str]] = mapped_column(String(21))     # our sender number
    user_reference: Mapped[Optional[int]] = mapped_column(Integer)
    done_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    text: Mapped[Optional[str]] = mapped_column(Text)                  # the receipt's text, as sent
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    message_id: Mapped[Optional[int]] = mapped_column(BigInteger)      # the message it reported
    code: Mapped[Optional[str]] = mapped_column(String(16))            # megabird's raw code for it


DEALER_REQUEST_KINDS = ("alimtalk", "brand")
DEALER_REQUEST_STATES = ("sending", "accepted", "refused", "unclear", "absent", "done")


class KakaoDealerRequest(Model):
    """One send request to the Kakao dealer: `sending` from just before the call (its
    `group_key` is the request's senderGroupingKey and, for AlimTalk, its idempotency key);
    then `accepted` (the dealer's requestId; polled for results until every recipient has
    one: `done`), `refused` (nothing was sent), or `unclear` (no answer: looked up by its
    key before anything is sent again; `absent` once the dealer has had time to show it and
    does not)."""

    __tablename__ = "kakao_dealer_request"
    __table_args__ = (
        one_of("kind", DEALER_REQUEST_KINDS, "ck_kakao_dealer_request_kind"),
        one_of("state", DEALER_REQUEST_STATES, "ck_kakao_dealer_request_state"),
        Index("ix_kakao_dealer_request_state_poll", "state", "poll_after"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    sender_key: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="sending")
    attempted_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    # the lowest and highest message id it carries: which requests a recovered batch asks about
    first_ref: Mapped[Optional[int]] = mapped_column(BigInteger)
    last_ref: Mapped[Optional[int]] = mapped_column(BigInteger)
    polls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    poll_after: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class KakaoDealerMessage(Model):
    """A message the dealer accepted (`ref`: megabird's message id, sent as its
    recipientGroupingKey), where the dealer keeps it (requestId, recipientSeq), and its
    result once reported (Kakao's raw code) until a report job applies it (`acked_at`)."""

    __tablename__ = "kakao_dealer_message"
    __table_args__ = (
        Index("ix_kakao_dealer_message_request", "request_id", "recipient_seq"),
        Index("ix_kakao_dealer_message_due", "id", sqlite_where=text("code IS NOT NULL AND acked_at IS NULL"),
              postgresql_where=text("code IS NOT NULL AND acked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    request_id: Mapped[str] = mapped_column(String(64), nullable=False)
    recipient_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[Optional[str]] = mapped_column(String(16))
    reported_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    acked_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
