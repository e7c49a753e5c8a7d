"""Bookkeeping of periodic work (the tick's registry)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamp


class PeriodicRun(Model):
    __tablename__ = "periodic_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    last_ok_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
