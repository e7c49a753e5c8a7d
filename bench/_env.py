"""Shared set-up for benchmarks: throwaway Redis/PostgreSQL, a migrated database, the
app, a funded demo-like account. Benchmarks print figures; they never assert."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MEGABIRD_INSTANCE", tempfile.mkdtemp(prefix="mb-bench-"))
os.environ.setdefault("SECRET_KEY", "bench-secret")

from tests.support import servers  # noqa: E402
from tests.support.appdb import build_schema  # noqa: E402


class Environment:
    """Servers and one migrated database per backend; `close()` stops everything."""

    def __init__(self, pg_options: str = ""):
        self.redis = servers.RedisServer().start()
        self.pg = None
        self.pg_options = pg_options
        self.tmp = Path(tempfile.mkdtemp(prefix="mb-bench-db-"))

    def database_url(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        if self.pg is None:
            self.pg = servers.PostgresServer(options=self.pg_options).start()
        import sqlalchemy as sa
        admin = sa.create_engine(self.pg.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        return self.pg.url(name)

    def app(self, database_url: str, **overrides):
        from tests.conftest import make_app
        app = make_app(database_url, REDIS_URL=self.redis.url, **overrides)
        build_schema(app)
        return app

    def close(self):
        self.redis.cleanup()
        if self.pg:
            self.pg.cleanup()


def peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_executemany(sql: str, rows: list[tuple]) -> None:
    """executemany on the session's DB-API cursor ({p} is the placeholder): the
    benchmarks' bulk loads of history, faster than any ORM path."""
    from app.extensions import db
    placeholder = "%s" if db.engine.dialect.name == "postgresql" else "?"
    db.session.connection().exec_driver_sql(sql.format(p=placeholder), rows)


def time_binder():
    """app.bulk.time_binder for the session's connection."""
    from app import bulk
    from app.extensions import db
    return bulk.time_binder(db.session.connection())
