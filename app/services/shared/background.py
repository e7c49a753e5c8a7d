"""Handing work to the RQ workers.

A job is named by its dotted path (`app.jobs.sending.dispatch_send`), so a service never
imports the job module that calls it back. Work is enqueued after the commit that made it
visible, and an enqueue that fails (Redis down) is logged and harmless: the tick finds
committed work on its own (every job and tick task is safe to run twice)."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.extensions import queue, redis_connection

log = logging.getLogger(__name__)


def enqueue(queue_name: str, job: str, *args, job_id: str | None = None, **options) -> bool:
    """Enqueue `job` (a dotted path under app.jobs). Returns False (and logs) when Redis
    is unreachable."""
    try:
        queue(queue_name).enqueue(job, *args, job_id=job_id, **options)
        return True
    except RedisError as exc:
        log.warning("enqueue of %s failed (%s); the tick will pick the work up", job.rsplit(".", 1)[-1], exc)
        return False


# --- one job per key: what the tick hands to the workers -----------------------------------------------------

_KEY_PREFIX = "megabird:job:"


def enqueue_once(key: str, queue_name: str, job: str, *args, ttl: int, **options) -> bool:
    """Enqueue `job` unless one under `key` is already waiting or running. The key is a
    Redis entry with a time to live: the job releases it when it ends (`release`) and
    renews it while it works (`renew`), so the job of a worker that died is asked for
    again once `ttl` seconds have passed. False when not enqueued (one already is, or
    Redis is down: the next tick asks again)."""
    name = _KEY_PREFIX + key
    try:
        conn = redis_connection()
        if not conn.set(name, "1", nx=True, ex=ttl):
            return False
    except RedisError as exc:
        log.warning("enqueue of %s failed (%s); the tick will ask again", job.rsplit(".", 1)[-1], exc)
        return False
    if not enqueue(queue_name, job, *args, key, **options):
        release(key)
        return False
    return True


def renew(key: str | None, ttl: int) -> None:
    """A long job keeps its key while it works."""
    if key:
        try:
            redis_connection().expire(_KEY_PREFIX + key, ttl)
        except RedisError:
            pass


def release(key: str | None) -> None:
    if key:
        try:
            redis_connection().delete(_KEY_PREFIX + key)
        except RedisError:
            pass
