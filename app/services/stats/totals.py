"""The whole service's usage per KST day, type and price plan (07-dashboard-stats.md STA-05):
staff's service-wide and per-plan statistics over a year would otherwise sum every account's
rollups (2,000 busy accounts: over a million rows for a year, seconds on SQLite). Every rollup
write marks its day dirty (sending/rollups); the tick sums each dirty day again from the
rollups, and until it has, a dirty day is read live. A day's plan is each account's plan when
the day was summed.

Summing a day: its mark is deleted first, then its totals rebuilt from the rollups committed
by then, so a rollup that commits meanwhile leaves its mark (it was not seen) and its day is
summed again by the next tick."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select

from app.extensions import db
from app.models import Account, UsageDayTotal, UsageDirtyDay, UsageRollup

COUNTERS = ("requested", "delivered", "failed", "charged", "points_used")


def refresh(now: dt.datetime | None = None, *, limit: int = 400) -> int:
    """The tick: sum the dirty days again (the oldest first), one transaction per day."""
    days = list(db.session.scalars(select(UsageDirtyDay.day).order_by(UsageDirtyDay.day).limit(limit)))
    db.session.commit()
    for day in days:
        db.session.execute(delete(UsageDirtyDay).where(UsageDirtyDay.day == day))
        db.session.execute(delete(UsageDayTotal).where(UsageDayTotal.day == day))
        r = UsageRollup
        sums = (select(r.day, r.msg_type, Account.price_plan_id, *(func.sum(getattr(r, c)) for c in COUNTERS))
                .join(Account, Account.id == r.account_id).where(r.day == day)
                .group_by(r.day, r.msg_type, Account.price_plan_id))
        db.session.execute(insert(UsageDayTotal).from_select(["day", "msg_type", "price_plan_id", *COUNTERS], sums))
        db.session.commit()
    return len(days)


def dirty_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return list(db.session.scalars(select(UsageDirtyDay.day).where(UsageDirtyDay.day >= start,
                                                                   UsageDirtyDay.day <= end)))
