"""Accounts (ACC-04), their logins, invitations, price plans and the review queues
for corporate conversion (ACC-05), API use (ACC-06) and company data changes (ACC-12)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamp, one_of, utcnow

ACCOUNT_KINDS = ("individual", "corporate")
API_STATUSES = ("none", "requested", "approved", "rejected")
REVIEW_STATUSES = ("requested", "approved", "rejected")


class PricePlan(Model):
    """Unit prices in won, VAT included (WAL-05)."""

    __tablename__ = "price_plan"
    __table_args__ = (
        CheckConstraint("sms >= 0 AND lms >= 0 AND mms >= 0 AND alimtalk >= 0 "
                        "AND friendtalk_text >= 0 AND friendtalk_image >= 0",
                        name="ck_price_plan_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    sms: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    lms: Mapped[int] = mapped_column(Integer, nullable=False, default=50)
    mms: Mapped[int] = mapped_column(Integer, nullable=False, default=150)
    alimtalk: Mapped[int] = mapped_column(Integer, nullable=False, default=13)
    friendtalk_text: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    friendtalk_image: Mapped[int] = mapped_column(Integer, nullable=False, default=25)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow,
                                                    onupdate=utcnow)

    def __repr__(self) -> str:
        return self.name


class Account(Model):
    """One customer organisation. Balances are kept here and only the wallet service
    changes them (02-wallet.md); the database refuses negative balances."""

    __tablename__ = "account"
    __table_args__ = (
        one_of("kind", ACCOUNT_KINDS, "ck_account_kind"),
        one_of("api_status", API_STATUSES, "ck_account_api_status"),
        CheckConstraint("cash >= 0", name="ck_account_cash_non_negative"),
        CheckConstraint("points >= 0", name="ck_account_points_non_negative"),
        CheckConstraint("daily_cap >= 0", name="ck_account_daily_cap"),
        UniqueConstraint("optout_code", name="uq_account_optout_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="individual")
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    cash: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    price_plan_id: Mapped[int] = mapped_column(ForeignKey("price_plan.id"), nullable=False)
    api_status: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    daily_cap: Mapped[int] = mapped_column(Integer, nullable=False, default=1000)
    suspended_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    suspended_reason: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    # Business registration data, set by an approved corporate conversion (ACC-05).
    brn: Mapped[Optional[str]] = mapped_column(String(10))
    company_name: Mapped[Optional[str]] = mapped_column(String(100))
    representative: Mapped[Optional[str]] = mapped_column(String(50))
    business_address: Mapped[Optional[str]] = mapped_column(String(200))
    business_type: Mapped[Optional[str]] = mapped_column(String(100))
    business_item: Mapped[Optional[str]] = mapped_column(String(100))
    # Tax-invoice settings (08-tax-invoice.md TAX-01).
    tax_invoice_auto: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    tax_contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    tax_contact_email: Mapped[Optional[str]] = mapped_column(String(320))
    tax_contact_phone: Mapped[Optional[str]] = mapped_column(String(20))
    tax_request_note: Mapped[Optional[str]] = mapped_column(String(500))
    # Sending preferences: default 080 opt-out number for ads (SMS-06; None: the shared
    # one), SMS-15.
    optout_number: Mapped[Optional[str]] = mapped_column(String(20))
    # The account's 인증코드 on the service's shared 080 number (SND-09): six digits, given
    # once at creation, never reused.
    optout_code: Mapped[str] = mapped_column(String(6), nullable=False)
    duplicate_protection: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    price_plan: Mapped[PricePlan] = relationship()
    members: Mapped[list["AccountMember"]] = relationship(back_populates="account",
                                                          cascade="all, delete-orphan")

    @property
    def is_corporate(self) -> bool:
        return self.kind == "corporate"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def __repr__(self) -> str:
        return self.display_name


class AccountMember(Model):
    """A login (FAB user) belonging to an account. Staff have no membership."""

    __tablename__ = "account_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, unique=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="members")
    user = relationship("User", lazy="joined")


class Invitation(Model):
    """A corporate owner invites another login by e-mail (ACC-04)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    account: Mapped[Account] = relationship()


class ReviewMixin:
    """Columns of an item that waits in an operator queue."""

    status: Mapped[str] = mapped_column(String(16), nullable=False, default="requested")
    reject_reason: Mapped[Optional[str]] = mapped_column(String(500))
    requested_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))


class CorporateConversion(ReviewMixin, Model):
    """기업전환 application (ACC-05)."""

    __tablename__ = "corporate_conversion"
    __table_args__ = (
        one_of("status", REVIEW_STATUSES, "ck_corporate_conversion_status"),
        Index("ix_corporate_conversion_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    brn: Mapped[str] = mapped_column(String(10), nullable=False)
    company_name: Mapped[str] = mapped_column(String(100), nullable=False)
    representative: Mapped[str] = mapped_column(String(50), nullable=False)
    business_address: Mapped[str] = mapped_column(String(200), nullable=False)
    business_type: Mapped[str] = mapped_column(String(100), nullable=False)
    business_item: Mapped[str] = mapped_column(String(100), nullable=False)
    certificate_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)
    tax_contact_name: Mapped[str] = mapped_column(String(50), nullable=False)
    tax_contact_email: Mapped[str] = mapped_column(String(320), nullable=False)
    tax_contact_phone: Mapped[str] = mapped_column(String(20), nullable=False)

    account: Mapped[Account] = relationship()
    certificate_file = relationship("StoredFile")


class CompanyChangeRequest(ReviewMixin, Model):
    """기업정보 변경 신청 (ACC-12): a corporate account's new 사업자 등록 정보 with a new
    사업자등록증. The account keeps its data until an operator approves; the database
    holds at most one open (`requested`) request per account."""

    __tablename__ = "company_change_request"
    __table_args__ = (
        one_of("status", REVIEW_STATUSES, "ck_company_change_request_status"),
        Index("ix_company_change_request_queue", "status", "requested_at"),
        Index("uq_company_change_request_open", "account_id", unique=True,
              sqlite_where=text("status = 'requested'"), postgresql_where=text("status = 'requested'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    brn: Mapped[str] = mapped_column(String(10), nullable=False)
    company_name: Mapped[str] = mapped_column(String(100), nullable=False)
    representative: Mapped[str] = mapped_column(String(50), nullable=False)
    business_address: Mapped[str] = mapped_column(String(200), nullable=False)
    business_type: Mapped[str] = mapped_column(String(100), nullable=False)
    business_item: Mapped[str] = mapped_column(String(100), nullable=False)
    certificate_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)

    account: Mapped[Account] = relationship()
    certificate_file = relationship("StoredFile")


class ApiUseApplication(ReviewMixin, Model):
    """API 사용 신청 (ACC-06)."""

    __tablename__ = "api_use_application"
    __table_args__ = (
        one_of("status", REVIEW_STATUSES, "ck_api_use_application_status"),
        Index("ix_api_use_application_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    server_ips: Mapped[Optional[str]] = mapped_column(String(500))

    account: Mapped[Account] = relationship()


class LoginAttempt(Model):
    """Failed logins, for throttling (ACC-02). Keyed by the login as typed."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_login_at", "login", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(320), nullable=False)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    attempted_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class UserSession(Model):
    """A login's session on one browser (issue 13): the cookie carries its token, and every
    request checks it here, so a logout, a password change or staff can end it although the
    signed cookie itself would still be valid."""

    __tablename__ = "user_session"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)


class PasswordReset(Model):
    """비밀번호 찾기 (issue 13): a one-time link e-mailed to the login's address, valid 30
    minutes; only the token's hash is kept."""

    __tablename__ = "password_reset"
    __table_args__ = (Index("ix_password_reset_user_at", "user_id", "created_at"),
                      Index("ix_password_reset_ip_at", "client_ip", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    client_ip: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
