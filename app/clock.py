"""The one clock. Times are naive UTC datetimes everywhere in the database and the
services; they are shown in KST by the templates (`kst` filter).

Services take `now` as an argument where time matters; callers that have no "now"
of their own (a web request) use `clock.now()`. Tests may pin it with `clock.frozen()`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
UTC = dt.timezone.utc

_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """Current time as naive UTC."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(UTC).replace(tzinfo=None) + _offset


def set_offset(seconds: float) -> None:
    """Shift every process's clock (CLOCK_OFFSET_SECONDS, development only: production mode
    refuses it) — to try or benchmark what depends on the hour, such as Brand Message's
    08:00–20:50, at any time of day. Every process of a site must have the same."""
    global _offset
    _offset = dt.timedelta(seconds=float(seconds))


@contextlib.contextmanager
def frozen(at: dt.datetime):
    """Pin `now()` (tests only)."""
    global _frozen
    previous, _frozen = _frozen, to_naive_utc(at)
    try:
        yield _frozen
    finally:
        _frozen = previous


def to_naive_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def to_kst(value: dt.datetime) -> dt.datetime:
    """Naive UTC (or aware) -> aware KST."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(KST)


def kst_to_utc(value: dt.datetime) -> dt.datetime:
    """A naive KST wall-clock time (as typed by a user) -> naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=KST)
    return value.astimezone(UTC).replace(tzinfo=None)


def parse_iso(text: str) -> dt.datetime:
    """ISO-8601 -> naive UTC. A value without offset is taken as UTC."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return to_naive_utc(value)
