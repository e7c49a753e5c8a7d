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


# SQLite per-connection tuning (app._configure_engine): a large page cache and memory-
# mapped reads keep the hot message pages in memory for the pipeline and the pages.
SQLITE_CACHE_KIB = 65536
SQLITE_MMAP_BYTES = 268435456
# A long scan instead reads through a small cache and no mapping, and sorts in temp files
# rather than memory: each would otherwise grow with the rows read (PERF-04).
SQLITE_SCAN_CACHE_KIB = 2048
SQLITE_TEMP_STORE, SQLITE_SCAN_TEMP_STORE = 2, 1   # MEMORY, FILE


@contextlib.contextmanager
def read_only_connection():
    """A connection of its own for a long read (an export of a million rows). On SQLite
    its transaction is deferred, so it holds no write lock while it streams, and it reads
    through a small page cache without memory mapping, so memory stays flat."""
    with db.engine.connect() as conn:
        conn.execution_options(megabird_read_only=True)
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # before the first statement: no transaction is open yet
            _sqlite_pragmas(conn, cache_kib=SQLITE_SCAN_CACHE_KIB, mmap_bytes=0,
                            temp_store=SQLITE_SCAN_TEMP_STORE)
        try:
            yield conn
        finally:
            if sqlite:
                conn.rollback()
                _sqlite_pragmas(conn, cache_kib=SQLITE_CACHE_KIB, mmap_bytes=SQLITE_MMAP_BYTES,
                                temp_store=SQLITE_TEMP_STORE)


def _sqlite_pragmas(conn, *, cache_kib: int, mmap_bytes: int, temp_store: int) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.execute(f"PRAGMA temp_store={int(temp_store)}")
    finally:
        cursor.close()


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
