"""Rollup rows for the statistics tests (the counts a pipeline would have written)."""
from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.services.sending.rollups import Deltas

TODAY = dt.date(2026, 11, 27)          # tests.support.pipeline.NOW is 12:00 KST on this day


def rollup(app, account_id: int, day: dt.date, msg_type: str, source: str = "web", **counts: int) -> None:
    with app.app_context():
        deltas = Deltas()
        deltas.add(account_id=account_id, day=day, msg_type=msg_type, source=source, **counts)
        deltas.flush()
        db.session.commit()
