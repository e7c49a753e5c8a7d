"""Consents a person gives (ACC-01): 이용약관, 개인정보 수집·이용 (both required to sign
up) and 마케팅 정보 수신 (optional, changed later in 마이페이지). Append-only: every
agreement and every withdrawal is a row with its time and the version of the text the
person saw, so what was agreed when can always be shown; the latest row of a kind is the
person's current choice."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamp, one_of, utcnow

CONSENT_KINDS = ("terms", "privacy", "marketing")
CONSENT_SOURCES = ("signup", "invitation", "mypage", "demo")


class UserConsent(Model):
    __tablename__ = "user_consent"
    __table_args__ = (
        one_of("kind", CONSENT_KINDS, "ck_user_consent_kind"),
        one_of("source", CONSENT_SOURCES, "ck_user_consent_source"),
        Index("ix_user_consent_user_kind", "user_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[str] = mapped_column(String(20), nullable=False)
    agreed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
