"""Usage rollups (STA-04): per KST day, account, type and source. Every change of a
message's outcome adds its delta here in the same transaction, so statistics, the
dashboard and lists read a few rows instead of scanning messages."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import SendCategoryCount, UsageCategoryRollup, UsageDirtyDay, UsageRollup

COUNTERS = ("requested", "delivered", "failed", "charged", "points_used")


def _insert(model):
    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return module.insert(model)


class Deltas:
    """Collects increments, then writes them with one upsert per key, in key order (two
    transactions that touch the same rows take their locks in the same order)."""

    def __init__(self):
        self.usage: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
        self.categories: dict[tuple, int] = defaultdict(int)
        self.send_categories: dict[tuple, int] = defaultdict(int)

    def add(self, *, account_id: int, day: dt.date, msg_type: str, source: str, **counts: int) -> None:
        row = self.usage[(account_id, day, msg_type, source)]
        for name, value in counts.items():
            row[name] += value

    def add_category(self, *, account_id: int, day: dt.date, msg_type: str, category: str, count: int) -> None:
        self.categories[(account_id, day, msg_type, category)] += count

    def add_send_category(self, *, send_id: int, category: str, count: int, layer: str = "primary") -> None:
        self.send_categories[(send_id, layer, category)] += count

    def flush(self) -> None:
        if self.usage:
            stmt = _insert(UsageRollup)
            stmt = stmt.on_conflict_do_update(
                index_elements=["account_id", "day", "msg_type", "source"],
                set_={name: getattr(UsageRollup, name) + getattr(stmt.excluded, name) for name in COUNTERS})
            rows = [{"account_id": a, "day": d, "msg_type": t, "source": s, **counts}
                    for (a, d, t, s), counts in sorted(self.usage.items()) if any(counts.values())]
            if rows:
                db.session.execute(stmt, rows)
                # the days whose service-wide totals are to be summed again (stats/totals)
                days = sorted({row["day"] for row in rows})
                db.session.execute(_insert(UsageDirtyDay).on_conflict_do_nothing(index_elements=["day"]),
                                   [{"day": day} for day in days])
        rows = [{"account_id": a, "day": d, "msg_type": t, "category": c, "count": n}
                for (a, d, t, c), n in sorted(self.categories.items()) if n]
        if rows:
            stmt = _insert(UsageCategoryRollup)
            stmt = stmt.on_conflict_do_update(
                index_elements=["account_id", "day", "msg_type", "category"],
                set_={"count": UsageCategoryRollup.count + stmt.excluded.count})
            db.session.execute(stmt, rows)
        rows = [{"send_id": s, "layer": layer, "category": c, "count": n}
                for (s, layer, c), n in sorted(self.send_categories.items()) if n]
        if rows:
            stmt = _insert(SendCategoryCount)
            stmt = stmt.on_conflict_do_update(index_elements=["send_id", "layer", "category"],
                                              set_={"count": SendCategoryCount.count + stmt.excluded.count})
            db.session.execute(stmt, rows)
        self.usage.clear()
        self.categories.clear()
        self.send_categories.clear()
