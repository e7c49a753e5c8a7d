"""One migrated template database per backend, copied for every test."""
from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
_counter = itertools.count(1)


def build_schema(app) -> None:
    """Run every migration, then sync roles and the default price plan (as `flask db
    upgrade` + `flask megabird init` do)."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.security.sync import sync_roles
    from app.services.accounts.signup import default_price_plan
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        sync_roles()
        default_price_plan()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class SqliteTemplate:
    backend = "sqlite"

    def __init__(self, root: Path, make_app):
        self.root = root
        self.template = root / "template.db"
        app = make_app(f"sqlite:///{self.template}")
        build_schema(app)
        with sa.create_engine(f"sqlite:///{self.template}").connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def new_database(self) -> str:
        path = self.root / f"test-{next(_counter)}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(url.replace("sqlite:///", ""))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


class PostgresTemplate:
    backend = "postgresql"

    def __init__(self, server, make_app):
        self.server = server
        self.admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS mb_template")
            conn.exec_driver_sql("CREATE DATABASE mb_template")
        build_schema(make_app(server.url("mb_template")))

    def new_database(self) -> str:
        name = f"mb_test_{next(_counter)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE mb_template")
        return self.server.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
