"""The audit log (ACC-08): who did what to which object, before and after, and why.

Append-only: no view edits or deletes it, and database triggers refuse UPDATE and
DELETE (see the migration that creates the table)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamp, utcnow


class AuditLog(Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_at", "actor_id", "created_at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow,
                                                    index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_login: Mapped[str] = mapped_column(String(320), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    account_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    before: Mapped[Optional[str]] = mapped_column(Text)
    after: Mapped[Optional[str]] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(String(500))

    actor = relationship("User", lazy="joined")
