"""What the SMPP connector keeps for an SMSC (10-gateway.md GW-03): the SMSC's id of every
PDU it accepted (so that its receipts find their message), and every receipt it sent, kept
until a report job applies it — or, when it names no message megabird knows, kept for staff
to inspect instead of dropped."""
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
