"""Large exports (RES-05): over 10,000 rows an export is built by an RQ job; the person
watches its progress and downloads the file when it is done. A job without an account
(`account_id` NULL) is staff's: a service-wide report (TAX-07) that no customer owns, read
only through staff's routes (shared/export_jobs.get_staff)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamp, one_of, utcnow

EXPORT_STATUSES = ("queued", "running", "done", "failed")


class ExportJob(Model):
    __tablename__ = "export_job"
    __table_args__ = (one_of("status", EXPORT_STATUSES, "ck_export_job_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: a service-wide file for staff (its stored file has no account either)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)       # messages
    send_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)  # its files go with the send (RES-06)
    params: Mapped[str] = mapped_column(Text, nullable=False)           # JSON
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    file = relationship("StoredFile")
