"""The wallet (02-wallet.md): an append-only ledger whose sums are the balances kept
on the account, top-up requests, and cash refund requests. The database refuses what
must never happen: negative balances, a delta of the wrong sign for its kind, and a
second entry with the same idempotency key."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.korean import N_
from app.models.account import ReviewMixin
from app.models.base import Timestamp, one_of, utcnow

LEDGER_KINDS = ("topup", "topup_cancel", "point_grant", "point_revoke", "hold", "refund",
                "cash_refund", "adjust")
KIND_LABELS = {"topup": N_("충전"), "topup_cancel": N_("충전 취소"), "point_grant": N_("포인트 지급"),
               "point_revoke": N_("포인트 회수"), "hold": N_("발송 선차감"), "refund": N_("재충전(환급)"),
               "cash_refund": N_("환불"), "adjust": N_("조정")}

# Sign rules per kind, enforced by a CHECK constraint.
_SIGN_RULES = (
    "(kind = 'topup' AND cash_delta > 0 AND points_delta = 0) OR "
    "(kind = 'topup_cancel' AND cash_delta < 0 AND points_delta = 0) OR "
    "(kind = 'point_grant' AND cash_delta = 0 AND points_delta > 0) OR "
    "(kind = 'point_revoke' AND cash_delta = 0 AND points_delta < 0) OR "
    "(kind = 'hold' AND cash_delta <= 0 AND points_delta <= 0) OR "
    "(kind = 'refund' AND cash_delta >= 0 AND points_delta >= 0) OR "
    "(kind = 'cash_refund' AND cash_delta < 0 AND points_delta = 0) OR "
    "(kind = 'adjust' AND (cash_delta <> 0 OR points_delta <> 0))"
)

BigInt = BigInteger().with_variant(Integer, "sqlite")


class LedgerEntry(Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        one_of("kind", LEDGER_KINDS, "ck_ledger_entry_kind"),
        CheckConstraint(_SIGN_RULES, name="ck_ledger_entry_sign"),
        CheckConstraint("cash_after >= 0 AND points_after >= 0", name="ck_ledger_entry_after"),
        Index("ix_ledger_entry_account_at", "account_id", "created_at"),
        Index("ix_ledger_entry_send", "send_id"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    cash_delta: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    points_delta: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cash_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    points_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # What the movement belongs to. Sends may be deleted by the customer (RES-06) while
    # their money records stay, so send_id is a plain number, not a foreign key.
    send_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    topup_id: Mapped[Optional[int]] = mapped_column(Integer)
    refund_request_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    memo: Mapped[Optional[str]] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    account = relationship("Account")
    actor = relationship("User")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


TOPUP_METHODS = ("bank_transfer", "card")
TOPUP_STATUSES = ("requested", "approved", "rejected", "cancelled")


class TopupRequest(ReviewMixin, Model):
    """충전 (WAL-03). A bank transfer waits for an operator to confirm the deposit
    (`approved` = 입금확인); a card payment is approved by the payment gateway."""

    __tablename__ = "topup_request"
    __table_args__ = (
        one_of("method", TOPUP_METHODS, "ck_topup_request_method"),
        one_of("status", TOPUP_STATUSES, "ck_topup_request_status"),
        CheckConstraint("amount > 0", name="ck_topup_request_amount"),
        Index("ix_topup_request_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    depositor_name: Mapped[Optional[str]] = mapped_column(String(30))
    payment_ref: Mapped[Optional[str]] = mapped_column(String(100))
    # the payment gateway that approved a card top-up: cash from the sandbox PG cost nothing
    # and is never paid out by a cash refund (issue 13)
    gateway: Mapped[Optional[str]] = mapped_column(String(16))
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    account = relationship("Account")


class CashRefundRequest(ReviewMixin, Model):
    """환불 (WAL-09): unused cash paid back to a bank account. `approved` = 환불완료."""

    __tablename__ = "cash_refund_request"
    __table_args__ = (
        one_of("status", ("requested", "approved", "rejected", "cancelled"), "ck_cash_refund_request_status"),
        CheckConstraint("amount > 0", name="ck_cash_refund_request_amount"),
        Index("ix_cash_refund_request_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    bank_name: Mapped[str] = mapped_column(String(50), nullable=False)
    bank_account: Mapped[str] = mapped_column(String(30), nullable=False)
    account_holder: Mapped[str] = mapped_column(String(30), nullable=False)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    account = relationship("Account")


FUNDINGS = ("card", "bank_transfer")


class CashLot(Model):
    """Cash as it came in (TAX-02): one lot per credit — a card top-up (`card`: its sales slip
    stands for the tax invoice), a bank transfer or any other credit (`bank_transfer`: invoiced)
    — spent first-in first-out by the ledger and given back to the lots it came from. The sum
    of an account's `remaining` is its cash (a part of ledger-check)."""

    __tablename__ = "cash_lot"
    __table_args__ = (
        one_of("funding", FUNDINGS, "ck_cash_lot_funding"),
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="ck_cash_lot_remaining"),
        Index("ix_cash_lot_open", "account_id", "remaining", "id"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), nullable=False)
    entry_id: Mapped[Optional[int]] = mapped_column(BigInteger)     # the credit's ledger entry (None: opening)
    funding: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    remaining: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class CashLotUse(Model):
    """What a debit took from a lot (amount > 0) or a refund gave back to it (< 0)."""

    __tablename__ = "cash_lot_use"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="ck_cash_lot_use_amount"),
        Index("ix_cash_lot_use_send", "send_id"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("cash_lot.id", ondelete="RESTRICT"), nullable=False)
    entry_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    send_id: Mapped[Optional[int]] = mapped_column(BigInteger)       # a send's hold and refund
    funding: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
