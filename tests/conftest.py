"""Fixtures: real Redis and PostgreSQL servers started by the suite itself, a fresh
migrated database per test on each backend, the app, clients and logins.

Tests that touch the database run on SQLite and on PostgreSQL (the `backend`
parameter). Set MB_TEST_BACKENDS=sqlite to run only one while developing.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import zlib
from pathlib import Path

# Everything the suite writes to disk lives under one folder, removed when it ends.
_ROOT = Path(tempfile.mkdtemp(prefix="mb-tests-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
# Config reads the environment at import: point it at a throwaway instance dir first.
_INSTANCE = tempfile.mkdtemp(prefix="instance-", dir=_ROOT)
os.environ.setdefault("MEGABIRD_INSTANCE", _INSTANCE)
os.environ.setdefault("SECRET_KEY", "test-secret-key")

import pytest  # noqa: E402

from tests.support import servers  # noqa: E402
from tests.support.appdb import PostgresTemplate, SqliteTemplate  # noqa: E402

BACKENDS = [b.strip() for b in os.environ.get("MB_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


def sandbox_url_for(database_url: str) -> str:
    """The sandbox carrier's own store for a test database: one file per database, so that
    every app (and worker process) on that database sees the same carrier."""
    name = database_url.rsplit("/", 1)[1].split("?", 1)[0].removesuffix(".db")
    return f"sqlite:///{_ROOT / f'sandbox-{name}-{zlib.crc32(database_url.encode()):08x}.db'}"


def make_app(database_url: str, **overrides):
    from app import create_app
    base = Path(tempfile.mkdtemp(prefix="app-", dir=_ROOT))
    settings = dict(SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_DIR=base, UPLOAD_DIR=base / "uploads",
                    EXPORT_DIR=base / "exports", MAIL_OUTBOX_DIR=base / "mail",
                    SANDBOX_DATABASE_URL=sandbox_url_for(database_url),
                    FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", REDIS_URL="redis://127.0.0.1:1/0")
    settings.update(overrides)
    return create_app("config.TestConfig", **settings)


@pytest.fixture(scope="session")
def redis_server():
    server = servers.RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def postgres_server():
    if servers.pg_bin() is None:
        pytest.skip("PostgreSQL 15 is not installed on this machine: PostgreSQL runs skipped")
    server = servers.PostgresServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"), make_app)


@pytest.fixture(scope="session")
def postgres_template(postgres_server):
    return PostgresTemplate(postgres_server, make_app)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, request):
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    url = template.new_database()
    yield url
    template.drop(url)


@pytest.fixture
def app(database_url, redis_server):
    """The app on a fresh database. No app context is pushed: requests made with the
    test client must get their own (g, the DB session). Use `appctx` for service calls."""
    import redis as redis_lib
    redis_lib.Redis.from_url(redis_server.url).flushdb()
    application = make_app(database_url, REDIS_URL=redis_server.url)
    yield application
    from app.extensions import db
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def appctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()
