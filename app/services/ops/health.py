"""GET /healthz (issue 13): what the proxy and the monitors ask. The database must answer
for the web to be of use (else 503); Redis down, a deep queue or a stale tick make the
answer "degraded" (the web still takes sends: the relay picks them up when Redis is back)."""
from __future__ import annotations

import datetime as dt

from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import all_queues, db, redis_connection
from app.models import PeriodicRun

TICK_STALE_AFTER = dt.timedelta(minutes=2)
QUEUE_DEEP = 10_000


def check(now: dt.datetime) -> tuple[int, dict]:
    """(HTTP status, body): 200 ok/degraded, 503 when the database does not answer."""
    body: dict = {"database": "ok", "redis": "ok", "queued": None, "tick_age_seconds": None}
    try:
        db.session.execute(text("SELECT 1"))
        last_tick = db.session.scalar(select(func.max(PeriodicRun.last_run_at)))
        db.session.rollback()
    except DBAPIError:
        db.session.rollback()
        body.update(database="down", status="down")
        return 503, body
    try:
        redis_connection().ping()
        body["queued"] = sum(q.count for q in all_queues())
    except RedisError:
        body["redis"] = "down"
    if last_tick is not None:
        body["tick_age_seconds"] = int((now - last_tick).total_seconds())
    stale = last_tick is None or now - last_tick > TICK_STALE_AFTER
    body["status"] = "degraded" if body["redis"] == "down" or stale or (body["queued"] or 0) > QUEUE_DEEP else "ok"
    return 200, body
