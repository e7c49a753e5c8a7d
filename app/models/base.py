"""Column helpers shared by the models."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime

from app import clock


def utcnow() -> dt.datetime:
    return clock.now()


def one_of(column: str, values, name: str) -> CheckConstraint:
    """A portable CHECK that a string column holds one of `values`."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


Timestamp = DateTime  # naive UTC everywhere (see app/clock.py)
