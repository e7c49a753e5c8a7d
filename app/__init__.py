"""megabird: create_app() wires extensions, AppBuilder, views, the API and the CLI."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: object | str | None = None, **overrides) -> Flask:
    # The factory imports the web layer when it is called, not when the package is
    # imported: every `from app import clock` imports this package, which must stay light
    # and free of cycles. The only imports inside a function that need no reason.
    from app import models as _models  # noqa: F401  (every table on db.metadata)
    from app import clock, web
    from app.api import register_api
    from app.cli import register_cli
    from app.domain.optout080 import check_080
    from app.extensions import csrf, db, migrate
    from app.gateways import sandbox
    from app.models.sandbox import BIND as SANDBOX_BIND
    from app.i18n import ensure_compiled
    from app.security.manager import fab_password_rules
    from app.security.sync import ensure_roles
    from app.services.billing import usage as billing_usage
    from app.services.kakao import alimtalk_sends, dealer_checks, fallbacks, friendtalk_sends
    from app.services.webhooks import outbox as webhook_outbox
    from app.views.menu import register_views

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.json = web.CheckedJSON(app)
    alimtalk_sends.register()      # the Kakao steps of the send pipeline (06-kakao.md KAT-07a)
    friendtalk_sends.register()    # and Brand Message's (KFT-01..04)
    dealer_checks.register()       # and the Kakao dealer's word on the channel (issue 20)
    fallbacks.register()           # the fallback after a Kakao failure, for both
    billing_usage.register()       # what a settled send adds to its month's tax invoice (TAX-02)
    webhook_outbox.register()      # the webhook events of a settlement, reports and reviews (API-06)
    web.bound_int_routes(app)
    app.config.from_object(config or "config.Config")
    app.config.update(overrides)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_rules)
    if app.config.get("CLOCK_OFFSET_SECONDS"):       # development only: production mode refuses it
        clock.set_offset(app.config["CLOCK_OFFSET_SECONDS"])
    # the shared 무료거부 080 number as digits; a mistyped one stops the start (SND-09)
    app.config["OPTOUT_080_NUMBER"] = check_080(app.config.get("OPTOUT_080_NUMBER"), "OPTOUT_080_NUMBER")
    for key in ("UPLOAD_DIR", "EXPORT_DIR", "MAIL_OUTBOX_DIR"):
        Path(app.config[key]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("flask_appbuilder", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    ensure_compiled()
    _engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    csrf.init_app(app)

    with app.app_context():
        for engine in db.engines.values():
            _configure_engine(engine)
        if "sandbox" in (app.config["GATEWAY_SMS"], app.config["GATEWAY_KAKAO"],
                         app.config.get("TAX_INVOICE_PROVIDER", "sandbox")):
            sandbox.create_store(db.engines[SANDBOX_BIND])
        appbuilder = AppBuilder(update_perms=app.config.get("FAB_UPDATE_PERMS", False))
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        register_api(app)
        if app.config.get("SYNC_MISSING_ROLES", True):
            ensure_roles()

    web.init_app(app)
    register_cli(app)
    return app


def _engine_options(app: Flask) -> None:
    """Our database's engine options, and the sandbox carrier's database as a bind of its
    own (app/models/sandbox.py)."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _options_for(app.config["SQLALCHEMY_DATABASE_URI"],
                                                           app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    binds = dict(app.config.get("SQLALCHEMY_BINDS") or {})
    binds.setdefault("sandbox", {"url": app.config["SANDBOX_DATABASE_URL"],
                                 **_options_for(app.config["SANDBOX_DATABASE_URL"], None)})
    app.config["SQLALCHEMY_BINDS"] = binds


def _options_for(uri: str, given) -> dict:
    options = dict(given or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 60)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    return options


def _configure_engine(engine) -> None:
    """SQLite: WAL, foreign keys, and BEGIN IMMEDIATE so that concurrent writers wait
    for each other instead of failing with 'database is locked' on lock upgrade."""
    if engine.dialect.name != "sqlite":
        return
    from app.extensions import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, SQLITE_TEMP_STORE  # the factory's (above)

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
