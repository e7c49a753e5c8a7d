"""Jobs for the service's own messages and the periodic tick."""
from __future__ import annotations

from app import clock
from app.jobs import job


@job
def deliver_system_messages():
    from app.services import system_messages
    return system_messages.deliver_pending(clock.now())


@job
def run_tick():
    """Enqueued every few seconds by the scheduler; one tick at a time."""
    from app.extensions import redis_connection
    from app.services import periodic
    lock = redis_connection().lock("megabird:tick", timeout=600, blocking=False)
    if not lock.acquire(blocking=False):
        return {"skipped": "another tick is running"}
    try:
        return periodic.tick(clock.now())
    finally:
        try:
            lock.release()
        except Exception:  # expired while running: nothing to release
            pass
