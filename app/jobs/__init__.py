"""RQ entry points: one-line shims into services, each inside an app context.

Jobs are enqueued after the request commits (`enqueue()`); a lost enqueue is
harmless because the tick finds committed work on its own."""
from __future__ import annotations

import functools
import logging

from flask import current_app, has_app_context
from redis.exceptions import RedisError

from app.extensions import db, queue

log = logging.getLogger(__name__)
_worker_app = None


def _app():
    """The app a job runs in: the current one (SimpleWorker inside `flask megabird
    worker`, or a test), else one created once per process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from app import create_app
        _worker_app = create_app()
    return _worker_app


def job(func):
    """Run the job body in a fresh app context with its own DB session."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _app().app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()
    return wrapper


def enqueue(queue_name: str, func, *args, job_id: str | None = None, **options) -> bool:
    """Enqueue after commit. Returns False (and logs) when Redis is unreachable:
    the committed work is then picked up by the tick."""
    try:
        queue(queue_name).enqueue(func, *args, job_id=job_id, **options)
        return True
    except RedisError as exc:
        log.warning("enqueue of %s failed (%s); the tick will pick the work up",
                    getattr(func, "__name__", func), exc)
        return False
