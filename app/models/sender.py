"""Sender information (03-senders.md): sender numbers and their documents, Kakao
channels and their Brand Message targeting applications (06-kakao.md KFT-02), and own 080
opt-out numbers (SND-09)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.korean import N_
from app.models.account import REVIEW_STATUSES, ReviewMixin
from app.models.base import Timestamp, one_of, utcnow

SENDER_METHODS = ("signup", "phone", "document")
SENDER_OWNER_TYPES = ("personal", "company", "employee")
#: the review's states, then what staff do to an approved number found abused (발신번호
#: 사전등록제): `suspended` (reinstatable) and `revoked` (final)
SENDER_STATUSES = (*REVIEW_STATUSES, "suspended", "revoked")


class SenderNumber(ReviewMixin, Model):
    __tablename__ = "sender_number"
    __table_args__ = (
        UniqueConstraint("account_id", "number", name="uq_sender_number_account_number"),
        one_of("status", SENDER_STATUSES, "ck_sender_number_status"),
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
    # a suspension or revocation by staff: when, why (the customer sees it), by whom
    stopped_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    stop_reason: Mapped[Optional[str]] = mapped_column(String(500))
    stopped_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    account = relationship("Account")
    documents = relationship("SenderDocument", cascade="all, delete-orphan", order_by="SenderDocument.id")


DOCUMENT_KINDS = ("telecom_certificate", "employment_certificate")
DOCUMENT_LABELS = {"telecom_certificate": "통신서비스 이용증명원", "employment_certificate": "재직증명서"}


class SenderDocument(Model):
    """A document proving a sender number (SND-04): the file lives outside the web root."""

    __tablename__ = "sender_document"
    __table_args__ = (one_of("kind", DOCUMENT_KINDS, "ck_sender_document_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_number_id: Mapped[int] = mapped_column(ForeignKey("sender_number.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    file = relationship("StoredFile", lazy="joined")

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS.get(self.kind, self.kind)


class KakaoChannel(ReviewMixin, Model):
    """A Kakao business channel (SND-07): verified by its admin's phone, then approved by
    an operator, which records the sender key from the gateway."""

    __tablename__ = "kakao_channel"
    __table_args__ = (
        UniqueConstraint("account_id", "search_id", name="uq_kakao_channel_account_search_id"),
        one_of("status", REVIEW_STATUSES, "ck_kakao_channel_status"),
        Index("ix_kakao_channel_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    search_id: Mapped[str] = mapped_column(String(100), nullable=False)   # '@name'
    admin_phone: Mapped[str] = mapped_column(String(11), nullable=False)
    verified_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    sender_key: Mapped[Optional[str]] = mapped_column(String(100))

    account = relationship("Account")

    def __repr__(self) -> str:
        return self.search_id


#: how the customer's channel page and the staff pages name an application's state (None: 미신청)
TARGETING_STATUS_LABELS = {None: N_("미신청"), "requested": N_("심사중"), "approved": N_("승인"),
                           "rejected": N_("반려")}


class KakaoTargetingApplication(ReviewMixin, Model):
    """타겟팅 (M/N) 신청 (KFT-02): a channel's application to send Brand Messages to non-friends
    who consented to marketing — a business-verification document, the channel's friend count,
    the consent evidence —, reviewed by an operator as a sender number is. One per channel: a
    rejected application is sent again in the same row, its new files replacing the old."""

    __tablename__ = "kakao_targeting_application"
    __table_args__ = (
        UniqueConstraint("channel_id", name="uq_kakao_targeting_application_channel"),
        one_of("status", REVIEW_STATUSES, "ck_kakao_targeting_application_status"),
        CheckConstraint("friend_count >= 0", name="ck_kakao_targeting_application_friend_count"),
        Index("ix_kakao_targeting_application_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("kakao_channel.id", ondelete="CASCADE"), nullable=False)
    friend_count: Mapped[int] = mapped_column(Integer, nullable=False)
    business_document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    consent_document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))

    account = relationship("Account")
    channel = relationship("KakaoChannel")
    # not joined: rows are locked FOR UPDATE (PostgreSQL refuses an outer join)
    business_document = relationship("StoredFile", foreign_keys=[business_document_id])
    consent_document = relationship("StoredFile", foreign_keys=[consent_document_id])

    @property
    def status_label(self) -> str:
        return TARGETING_STATUS_LABELS.get(self.status, self.status)


class OptoutNumber(ReviewMixin, Model):
    """An account's own 080 opt-out number (SND-09), proven by a document and approved by
    an operator, as a sender number is. Approved for one account at a time: an opt-out call
    to it names that account."""

    __tablename__ = "optout_number"
    __table_args__ = (
        UniqueConstraint("account_id", "number", name="uq_optout_number_account_number"),
        one_of("status", REVIEW_STATUSES, "ck_optout_number_status"),
        Index("ix_optout_number_queue", "status", "requested_at"),
        Index("uq_optout_number_approved", "number", unique=True,
              sqlite_where=text("status = 'approved'"), postgresql_where=text("status = 'approved'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(11), nullable=False)  # 080 digits
    note: Mapped[Optional[str]] = mapped_column(String(100))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))

    account = relationship("Account")
    document = relationship("StoredFile")      # not joined: rows are locked FOR UPDATE (PostgreSQL refuses an outer join)
