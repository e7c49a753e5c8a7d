"""Configuration: safe defaults, every setting overridable from the environment.

`create_app()` takes one of these classes (or a dict of overrides). Nothing here
imports the application.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent


def _instance_dir() -> Path:
    path = Path(os.environ.get("MEGABIRD_INSTANCE", BASE_DIR / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'megabird.db'}")
    # Accept the common "postgres://" and "postgresql://" spellings; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    # development (the default: everything against the sandboxes) or production, which
    # refuses to start unsafe (SEC-09, app/services/ops/production.py)
    MEGABIRD_ENV = os.environ.get("MEGABIRD_ENV", "development").strip().lower()
    # settings allowed to stay "sandbox" in production, by name: e.g. "GATEWAY_SMS,PAYMENT_GATEWAY"
    # (not GATEWAY_KAKAO: production refuses a sandbox Kakao whatever this says)
    MEGABIRD_ALLOW_SANDBOX = os.environ.get("MEGABIRD_ALLOW_SANDBOX", "")
    INSTANCE_DIR = _instance_dir()
    SECRET_KEY = _secret_key(INSTANCE_DIR)
    SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
    SQLALCHEMY_DATABASE_URI = _database_url(INSTANCE_DIR)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUE_PREFIX = os.environ.get("RQ_QUEUE_PREFIX", "")

    # Files uploaded by customers live outside the web root (SEC-07).
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", INSTANCE_DIR / "exports"))
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    # Gateways (10-gateway.md). GATEWAY_KAKAO=none: no Kakao at all (AlimTalk and 친구톡 refused).
    GATEWAY_SMS = os.environ.get("GATEWAY_SMS", "sandbox")
    GATEWAY_KAKAO = os.environ.get("GATEWAY_KAKAO", "sandbox")
    # messages per second one dispatch job may hand to the SMS gateway (0: no limit)
    GATEWAY_SMS_THROUGHPUT = int(os.environ.get("GATEWAY_SMS_THROUGHPUT", "0"))
    # The sandbox carrier's own store: a database apart from ours, as a real carrier is.
    SANDBOX_DATABASE_URL = os.environ.get("SANDBOX_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'sandbox.db'}")
    # Seconds until the sandbox reports a message (GW-02; 30 minutes for numbers ending in 89).
    SANDBOX_REPORT_DELAY_SECONDS = float(os.environ.get("SANDBOX_REPORT_DELAY_SECONDS", "5"))
    # Off: the sandbox plays a carrier that does not deduplicate by client reference.
    SANDBOX_DEDUPLICATES = _env_bool("SANDBOX_DEDUPLICATES", True)
    SANDBOX_OPERATORS_REVIEW = _env_bool("SANDBOX_OPERATORS_REVIEW", True)   # False: the sandbox plays a dealer reviewing templates itself
    # SMPP (GW-03, GATEWAY_SMS=smpp): the SMSC the connector processes bind to
    # (`flask megabird smpp-connector`), binds per connector, submit_sm awaiting their
    # response per bind, PDUs per second for all connectors together (shared through Redis;
    # 0: no limit), messages a connector claims at once, and the receipt table's overrides
    # (a JSON object {"STAT" or "STAT:ERR": megabird's raw code}, app/gateways/smpp/receipts.py)
    SMPP_HOST = os.environ.get("SMPP_HOST", "127.0.0.1")
    SMPP_PORT = int(os.environ.get("SMPP_PORT", "2775"))
    SMPP_SYSTEM_ID = os.environ.get("SMPP_SYSTEM_ID", "megabird")
    SMPP_PASSWORD = os.environ.get("SMPP_PASSWORD", "")
    SMPP_SYSTEM_TYPE = os.environ.get("SMPP_SYSTEM_TYPE", "")
    SMPP_BINDS = int(os.environ.get("SMPP_BINDS", "1"))
    SMPP_WINDOW = int(os.environ.get("SMPP_WINDOW", "50"))
    SMPP_THROUGHPUT = int(os.environ.get("SMPP_THROUGHPUT", "0"))
    SMPP_BATCH_SIZE = int(os.environ.get("SMPP_BATCH_SIZE", "500"))
    SMPP_RESULT_MAP = os.environ.get("SMPP_RESULT_MAP", "")
    SMPP_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("SMPP_CONNECT_TIMEOUT_SECONDS", "10"))
    # NHN Cloud's KakaoTalk Bizmessage API (GATEWAY_KAKAO=nhn, app/gateways/nhn_kakao/): the
    # address (default NHN's own), the app key and secret key of NHN's console, sender keys
    # known beforehand ("@channel=KEY,…"; otherwise asked of NHN), requests per second (0: no
    # limit), the category code a new sender profile is registered with, the seconds a call
    # may take, how often an unreachable dealer is tried again, the first pause between
    # result polls, and the signature NHN's result webhook carries (empty: no webhook)
    NHN_KAKAO_URL = os.environ.get("NHN_KAKAO_URL", "https://kakaotalk-bizmessage.api.nhncloudservice.com")
    NHN_KAKAO_APPKEY = os.environ.get("NHN_KAKAO_APPKEY", "")
    NHN_KAKAO_SECRET = os.environ.get("NHN_KAKAO_SECRET", "")
    NHN_KAKAO_SENDER_KEYS = os.environ.get("NHN_KAKAO_SENDER_KEYS", "")
    NHN_KAKAO_THROUGHPUT = int(os.environ.get("NHN_KAKAO_THROUGHPUT", "0"))
    NHN_KAKAO_SENDER_CATEGORY = os.environ.get("NHN_KAKAO_SENDER_CATEGORY", "")
    NHN_KAKAO_TIMEOUT_SECONDS = float(os.environ.get("NHN_KAKAO_TIMEOUT_SECONDS", "10"))
    NHN_KAKAO_RETRIES = int(os.environ.get("NHN_KAKAO_RETRIES", "3"))
    NHN_KAKAO_RETRY_PAUSE_SECONDS = float(os.environ.get("NHN_KAKAO_RETRY_PAUSE_SECONDS", "1"))
    NHN_KAKAO_POLL_SECONDS = float(os.environ.get("NHN_KAKAO_POLL_SECONDS", "5"))
    NHN_KAKAO_WEBHOOK_SIGNATURE = os.environ.get("NHN_KAKAO_WEBHOOK_SIGNATURE", "")

    # The send pipeline's jobs (design/send-pipeline.md): dispatch jobs one large send may
    # have at once (several workers share its batches), report jobs per gateway at once.
    DISPATCH_JOBS_PER_SEND = int(os.environ.get("DISPATCH_JOBS_PER_SEND", "2"))
    REPORT_JOBS = int(os.environ.get("REPORT_JOBS", "2"))
    # The service's own number used for verification codes and notices.
    SYSTEM_SENDER_NUMBER = os.environ.get("SYSTEM_SENDER_NUMBER", "15880000")
    # sign-up codes the whole service sends an hour at most (SMS pumping, issue 13)
    SIGNUP_CODES_PER_HOUR = int(os.environ.get("SIGNUP_CODES_PER_HOUR", "500"))
    # The shared 무료거부 080 number (SND-09): ads name it with the account's 인증코드, and
    # the 080 provider reports the calls to it. The default is the manual's example.
    OPTOUT_080_NUMBER = os.environ.get("OPTOUT_080_NUMBER", "0801231234")

    # Payments (WAL-03): the card PG adapter, and the account shown for bank transfers.
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
    SERVICE_BANK_ACCOUNT = os.environ.get("SERVICE_BANK_ACCOUNT", "국민은행 123-456789-01-234 (주)메가버드")

    # 전자세금계산서 (08-tax-invoice.md TAX-08): the issuing adapter, sandbox or popbill.
    TAX_INVOICE_PROVIDER = os.environ.get("TAX_INVOICE_PROVIDER", "sandbox").strip().lower()
    # the sandbox fails every issue when told: "refused" (not retryable) or "unavailable" (retryable)
    SANDBOX_TAX_FAIL = os.environ.get("SANDBOX_TAX_FAIL", "")
    # Popbill (팝빌): the LinkID and SecretKey Linkhub issued, its test bed or the real service,
    # the 팝빌회원 아이디 when the member has several users, seconds a call may take
    POPBILL_LINK_ID = os.environ.get("POPBILL_LINK_ID", "")
    POPBILL_SECRET_KEY = os.environ.get("POPBILL_SECRET_KEY", "")
    POPBILL_IS_TEST = _env_bool("POPBILL_IS_TEST", True)
    POPBILL_USER_ID = os.environ.get("POPBILL_USER_ID", "")
    POPBILL_TIMEOUT_SECONDS = float(os.environ.get("POPBILL_TIMEOUT_SECONDS", "30"))
    # 공급자: the service's own business data on every invoice, as on its 사업자등록증. None set:
    # development uses a demo supplier; production mode refuses to start without all of them.
    SUPPLIER_BRN = os.environ.get("SUPPLIER_BRN", "")
    SUPPLIER_NAME = os.environ.get("SUPPLIER_NAME", "")
    SUPPLIER_REPRESENTATIVE = os.environ.get("SUPPLIER_REPRESENTATIVE", "")
    SUPPLIER_ADDRESS = os.environ.get("SUPPLIER_ADDRESS", "")
    SUPPLIER_BUSINESS_TYPE = os.environ.get("SUPPLIER_BUSINESS_TYPE", "")
    SUPPLIER_BUSINESS_ITEM = os.environ.get("SUPPLIER_BUSINESS_ITEM", "")
    SUPPLIER_CONTACT_NAME = os.environ.get("SUPPLIER_CONTACT_NAME", "")
    SUPPLIER_CONTACT_EMAIL = os.environ.get("SUPPLIER_CONTACT_EMAIL", "")
    SUPPLIER_CONTACT_PHONE = os.environ.get("SUPPLIER_CONTACT_PHONE", "")

    # Mail: SMTP when MAIL_SERVER is set, otherwise a file outbox under instance/.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "megabird <no-reply@megabird.local>")
    MAIL_OUTBOX_DIR = Path(os.environ.get("MAIL_OUTBOX_DIR", INSTANCE_DIR / "mail_outbox"))

    # Public base URL used in e-mails (invitations).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Flask-AppBuilder.
    APP_NAME = "megabird"
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False  # our own sign-up flow with phone verification (ACC-01)
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.MegabirdSecurityManager"
    FAB_BASE_TEMPLATE = "layout.html"
    FAB_INDEX_VIEW = "app.views.portal.home.HomeIndexView"
    FAB_ADD_SECURITY_VIEWS = True
    FAB_CREATE_DB = False  # Alembic owns the schema (migrations/)
    FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)  # `flask megabird init` syncs roles
    SYNC_MISSING_ROLES = True  # start-up creates the roles when one is missing (ACC-03)
    FAB_API_SWAGGER_UI = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = True  # the rules: app.security.manager.fab_password_rules
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # cookies only over HTTPS in production (behind the TLS proxy); HSTS then too
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", MEGABIRD_ENV == "production")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: the Chromium kaleido drives for chart images (STA-03); Debian's by default
    CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    #: PDF 다운로드 (STA-03): weasyprint (default) or pdfkit (wkhtmltopdf, optional)
    PDF_ENGINE = os.environ.get("PDF_ENGINE", "weasyprint").strip().lower()
    #: development only (production mode refuses it): shift the clock of every process, e.g.
    #: to try Brand Message's 08:00–20:50 KST at night (bench/dispatch.py --kind friendtalk)
    CLOCK_OFFSET_SECONDS = float(os.environ.get("CLOCK_OFFSET_SECONDS", "0") or 0)
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000" if MEGABIRD_ENV == "production" else "0"))
    # X-Forwarded-For/-Proto/-Host are believed only from these addresses or networks (the TLS
    # proxy), so that API-key IP allowlists see the client's address: "127.0.0.1,10.0.0.0/8"
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")

    # Babel: Korean UI by default, English selectable (FAB's language switch).
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    LANGUAGES = {
        "ko": {"flag": "kr", "name": "한국어"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    # Business rules that operators may want to tune.
    DEFAULT_DAILY_CAP = 1000  # ACC-10
    LOGIN_MAX_FAILURES = 10  # ACC-02: per login per 15 minutes
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    TICK_INTERVAL_SECONDS = int(os.environ.get("TICK_INTERVAL_SECONDS", "5"))
    DISPATCH_BATCH_SIZE = int(os.environ.get("DISPATCH_BATCH_SIZE", "1000"))  # messages per claim and gateway call


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    PUBLIC_URL = "http://localhost"
