"""RQ entry points: one-line shims into services, each inside an app context.

Services enqueue them by dotted name after their commit (app/services/shared/background.py);
a lost enqueue is harmless because the tick finds committed work on its own."""
from __future__ import annotations

import functools
import logging

from flask import current_app, has_app_context

from app.extensions import db

log = logging.getLogger(__name__)
_worker_app = None


def _app():
    """The app a job runs in: the current one (SimpleWorker inside `flask megabird
    worker`, or a test), else one created once per process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from app import create_app  # deferred: the app factory, for a worker process started without an app
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
