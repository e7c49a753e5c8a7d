"""Extension objects shared by the whole application, and Redis/RQ factories."""
from __future__ import annotations

import contextlib

from flask import current_app
from flask_appbuilder import Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from rq import Queue

# db.metadata is FAB's Model.metadata, so Alembic sees FAB's tables and ours together.
db = get_sqla_class()(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()

QUEUE_NAMES = ("periodic", "dispatch", "default")


@contextlib.contextmanager
def read_only_connection():
    """A connection of its own for a long read (an export of a million rows). On SQLite
    its transaction is deferred, so it holds no write lock while it streams."""
    with db.engine.connect() as conn:
        conn.execution_options(megabird_read_only=True)
        yield conn


def redis_connection() -> Redis:
    """One Redis client per app (thread-safe connection pool)."""
    app = current_app._get_current_object()
    conn = app.extensions.get("megabird_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=10, socket_connect_timeout=5)
        app.extensions["megabird_redis"] = conn
    return conn


def queue(name: str = "default") -> Queue:
    prefix = current_app.config.get("RQ_QUEUE_PREFIX", "")
    return Queue(prefix + name, connection=redis_connection())


def all_queues() -> list[Queue]:
    return [queue(name) for name in QUEUE_NAMES]
