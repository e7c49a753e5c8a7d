"""Jobs for the service's own messages and the periodic tick."""
from __future__ import annotations

from flask import current_app

from app import clock
from app.extensions import redis_connection
from app.jobs import job
from app.services import periodic
from app.services.shared import system_messages


@job
def deliver_system_messages():
    return system_messages.deliver_pending(clock.now())


@job
def run_tick(now_iso: str | None = None):
    """Enqueued every few seconds by the scheduler. A short Redis lock keeps scheduled
    ticks from piling up on several workers; it expires on its own, so a worker killed
    mid-tick delays the next one by seconds, not minutes. Every task is safe to run
    twice anyway. `now_iso` runs the tick at another time without the lock (the fault
    tests move the clock forward this way)."""
    if now_iso:
        return periodic.tick(clock.parse_iso(now_iso))
    ttl = max(10, 2 * int(current_app.config.get("TICK_INTERVAL_SECONDS", 5)))
    lock = redis_connection().lock("megabird:tick", timeout=ttl, blocking=False)
    if not lock.acquire(blocking=False):
        return {"skipped": "another tick is running"}
    try:
        return periodic.tick(clock.now())
    finally:
        try:
            lock.release()
        except Exception:  # expired while running: nothing to release
            pass
