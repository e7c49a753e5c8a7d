"""Reading what people type for times and choices (05-results.md filters, 09-api.md,
SMS-07 schedules): a KST date or an ISO-8601 time, and a value from a fixed list, each
refused with the field named."""
from __future__ import annotations

import datetime as dt

from app.domain.korean import josa
from app import clock
from app.errors import ValidationError


def parse_moment(value: str | None, field: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """A date (KST; the whole day) or an ISO-8601 time, as naive UTC. A time without an
    offset is KST (as the page shows it); one with an offset is taken as written."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text) + (dt.timedelta(days=1) if end_of_day else dt.timedelta())
            return clock.kst_to_utc(dt.datetime.combine(day, dt.time()))
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return clock.kst_to_utc(moment) if moment.tzinfo is None else clock.to_naive_utc(moment)
    except (ValueError, OverflowError):     # OverflowError: 0001-01-01 or 9999-12-31 shifted by KST
        raise ValidationError(f"{josa(field, '은/는')} YYYY-MM-DD 또는 ISO-8601 형식이어야 합니다.", field=field,
                              code="invalid_date") from None


def check_choice(value: str | None, allowed, field: str) -> str | None:
    """`value` when it is one of `allowed`, None when blank, else a refusal naming the field."""
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ValidationError(f"{field} 값이 올바르지 않습니다: {value}", field=field, code="invalid_filter")
    return value
