"""megabird: create_app() wires extensions, AppBuilder, views, the API and the CLI."""
from __future__ import annotations

import logging

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event


def create_app(config: object | str | None = None, **overrides) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    from app.web import bound_int_routes
    bound_int_routes(app)
    app.config.from_object(config or "config.Config")
    app.config.update(overrides)
    from app.security.manager import fab_password_rules
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_rules)
    for key in ("UPLOAD_DIR", "EXPORT_DIR", "MAIL_OUTBOX_DIR"):
        from pathlib import Path
        Path(app.config[key]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("flask_appbuilder", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from app.i18n import ensure_compiled
    ensure_compiled()
    from app.extensions import csrf, db, migrate
    from app import models as _models  # noqa: F401  (every table on db.metadata)

    _engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)

    with app.app_context():
        _configure_engine(db.engine)
        appbuilder = AppBuilder(update_perms=app.config.get("FAB_UPDATE_PERMS", False))
        appbuilder.init_app(app, db.session)
        from app.views import register_views
        register_views(appbuilder)
        from app.api import register_api
        register_api(app)
        if app.config.get("SYNC_MISSING_ROLES", True):
            from app.security.sync import ensure_roles
            ensure_roles()

    from app import web
    web.init_app(app)
    from app.cli import register_cli
    register_cli(app)
    return app


def _migrations_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent / "migrations"


def _engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 60)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _configure_engine(engine) -> None:
    """SQLite: WAL, foreign keys, and BEGIN IMMEDIATE so that concurrent writers wait
    for each other instead of failing with 'database is locked' on lock upgrade."""
    if engine.dialect.name != "sqlite":
        return
    from app.extensions import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, SQLITE_TEMP_STORE

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # 64 MB: the hot message pages stay in memory
        cursor.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")  # MEMORY
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # long reads (exports) ask for a deferred transaction: in WAL mode it neither waits
        # for writers nor blocks them (app.extensions.read_only_connection)
        if conn.get_execution_options().get("megabird_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
