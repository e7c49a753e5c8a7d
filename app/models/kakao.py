"""AlimTalk templates and their review history (06-kakao.md KAT-01..05)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.korean import N_
from app.models.base import Timestamp, one_of, utcnow

#: KAT-03, in the order a template moves through them
TEMPLATE_STATUSES = ("saved", "requested", "in_review", "approved", "rejected", "dormant", "blocked")
TEMPLATE_STATUS_LABELS = {"saved": N_("저장됨"), "requested": N_("등록요청"), "in_review": N_("검수중"),
                          "approved": N_("등록완료"), "rejected": N_("반려됨"), "dormant": N_("휴면"), "blocked": N_("차단")}
EVENT_KINDS = ("state", "comment")
ACTOR_KINDS = ("customer", "staff", "kakao", "system")


class AlimtalkTemplate(Model):
    __tablename__ = "alimtalk_template"
    __table_args__ = (
        UniqueConstraint("account_id", "code", name="uq_alimtalk_template_account_code"),
        one_of("status", TEMPLATE_STATUSES, "ck_alimtalk_template_status"),
        one_of("message_type", ("BA", "EX", "AD", "MI"), "ck_alimtalk_template_message_type"),
        one_of("emphasis_type", ("NONE", "TEXT", "IMAGE", "ITEM_LIST"), "ck_alimtalk_template_emphasis_type"),
        Index("ix_alimtalk_template_account_status", "account_id", "status"),
        Index("ix_alimtalk_template_queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    channel_id: Mapped[int] = mapped_column(ForeignKey("kakao_channel.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(150), nullable=False)
    message_type: Mapped[str] = mapped_column(String(2), nullable=False, default="BA")
    emphasis_type: Mapped[str] = mapped_column(String(10), nullable=False, default="NONE")
    content: Mapped[str] = mapped_column(Text, nullable=False)
    extra: Mapped[Optional[str]] = mapped_column(String(500))
    emphasis_title: Mapped[Optional[str]] = mapped_column(String(50))
    emphasis_subtitle: Mapped[Optional[str]] = mapped_column(String(50))
    item_header: Mapped[Optional[str]] = mapped_column(String(16))
    items_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    image_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    security: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    category: Mapped[Optional[str]] = mapped_column(String(6))
    buttons_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    quick_replies_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    variables_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")

    status: Mapped[str] = mapped_column(String(16), nullable=False, default="saved")
    reject_reason: Mapped[Optional[str]] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    requested_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    #: when the request went to the gateway (a dealer's API; the sandbox takes it at once)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    review_started_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    #: the last send that used it (or its approval): a year without one makes it 휴면
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    #: the state a blocked template returns to when staff unblock it
    blocked_from: Mapped[Optional[str]] = mapped_column(String(16))

    account = relationship("Account")
    channel = relationship("KakaoChannel")
    image_file = relationship("StoredFile")
    events = relationship("AlimtalkTemplateEvent", cascade="all, delete-orphan", passive_deletes=True,
                          order_by="AlimtalkTemplateEvent.id")

    @property
    def status_label(self) -> str:
        return TEMPLATE_STATUS_LABELS.get(self.status, self.status)

    @property
    def buttons(self) -> list[dict]:
        return json.loads(self.buttons_json or "[]")

    @property
    def quick_replies(self) -> list[dict]:
        return json.loads(self.quick_replies_json or "[]")

    @property
    def items(self) -> list[dict]:
        return json.loads(self.items_json or "[]")

    @property
    def variables(self) -> list[str]:
        return json.loads(self.variables_json or "[]")


class AlimtalkTemplateEvent(Model):
    """One line of 검수 이력: a state change (who, when, the new state, the comment or
    reason) or a comment (the customer's inquiry on a rejected template, a reply)."""

    __tablename__ = "alimtalk_template_event"
    __table_args__ = (
        one_of("kind", EVENT_KINDS, "ck_alimtalk_template_event_kind"),
        one_of("actor_kind", ACTOR_KINDS, "ck_alimtalk_template_event_actor_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("alimtalk_template.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="state")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    comment: Mapped[Optional[str]] = mapped_column(String(1000))
    #: a customer's comment handed to a dealer's reviewer (Kakao's 문의 thread, issue 20)
    forwarded_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    actor = relationship("User")

    @property
    def status_label(self) -> str:
        return TEMPLATE_STATUS_LABELS.get(self.status, self.status)


class FriendtalkTemplate(Model):
    """A saved 친구톡 content (KFT-01's 친구톡 템플릿): what the compose page starts from.
    Brand Message content needs no review by Kakao; it is checked as a send's would be."""

    __tablename__ = "friendtalk_template"
    __table_args__ = (
        Index("ix_friendtalk_template_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    wide: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    image_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    buttons_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    account = relationship("Account")
    image_file = relationship("StoredFile")

    @property
    def buttons(self) -> list[dict]:
        return json.loads(self.buttons_json or "[]")

    @property
    def msg_type(self) -> str:
        return "FRIENDTALK_IMAGE" if self.image_file_id else "FRIENDTALK_TEXT"
