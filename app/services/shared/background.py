"""Handing work to the RQ workers.

A job is named by its dotted path (`app.jobs.sending.dispatch_send`), so a service never
imports the job module that calls it back. Work is enqueued after the commit that made it
visible, and an enqueue that fails (Redis down) is logged and harmless: the tick finds
committed work on its own (every job and tick task is safe to run twice)."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.extensions import queue

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
