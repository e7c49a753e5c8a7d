"""Request plumbing: request ids, Korean error pages and JSON errors, template filters
and the context every page needs (queue counts for staff menus)."""
from __future__ import annotations

import ipaddress
import logging
import secrets
import uuid
from pathlib import Path

import plotly
from flask import Flask, session, current_app, g, jsonify, make_response, render_template, request, send_file
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale, gettext
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu, assoc_permissionview_role
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from app import clock
from app.domain import jsonbody
from app.domain.brn import format_brn
from app.domain.korean import N_, josa
from app.domain.numbers import format_number
from app.errors import MegabirdError, TooManyRequests
from app.extensions import db
from app.i18n import localized, message_locale, script_catalogue
from app.services.accounts import login_sessions as sessions
from app.security.tenancy import MAX_ID, current_account_id, is_staff
from app.services.ops import health, review_queues
from app.services.shared import notices


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route, limited to what a database id can hold: a 20-digit id
    answers 404 instead of SQLite's OverflowError (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def bound_int_routes(app: Flask) -> None:
    """Before any route is added (create_app calls it first)."""
    app.url_map.converters["int"] = BoundedIntConverter

log = logging.getLogger("megabird.web")

HTTP_MESSAGES = {
    400: N_("잘못된 요청입니다."),
    401: N_("로그인이 필요합니다."),
    403: N_("이 페이지에 접근할 권한이 없습니다."),
    404: N_("요청하신 페이지를 찾을 수 없습니다."),
    405: N_("허용되지 않은 요청 방식입니다."),
    409: N_("요청이 현재 상태와 충돌합니다."),
    413: N_("업로드한 파일이나 요청이 너무 큽니다."),
    415: N_("지원하지 않는 형식입니다."),
    422: N_("입력값을 확인해주세요."),
    429: N_("요청이 너무 많습니다. 잠시 후 다시 시도해주세요."),
    500: N_("일시적인 오류가 발생했습니다."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str, *, code: str | None = None, field: str | None = None,
                   details=None, headers: dict | None = None):
    """The refusal as a page or as JSON. The message is translated for the reader
    (`message_locale`); `code` and `field` stay as they are (field is the Korean label)."""
    try:
        message = localized(message, message_locale())
    except Exception:  # the error page must not fail on a translation
        log.exception("translating an error message failed, request id %s", g.get("request_id"))
    if wants_json():
        body = {"code": code or _default_code(status), "message": message}
        if field or request.path.startswith("/api/"):
            body["field"] = field  # the API always names it, null when no field is concerned
        if details is not None:
            body["details"] = details
        if status >= 500:
            body["request_id"] = g.get("request_id")
        response = jsonify({"error": body})
    else:
        context = dict(status=status, message=message, field=field, request_id=g.get("request_id"))
        try:  # the site's layout (menu and all); a bare page if the layout itself is what fails
            html = render_template("errors/error.html", appbuilder=current_app.appbuilder,
                                   base_template=current_app.appbuilder.base_template, **context)
        except Exception:
            log.exception("error page layout failed, request id %s", g.get("request_id"))
            html = render_template("errors/error.html", appbuilder=None, **context)
        response = make_response(html)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _default_code(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
            415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}.get(status, "error")


class CheckedJSON(DefaultJSONProvider):
    """The app's JSON: request bodies are read by jsonbody.loads (depth, NaN, lone
    surrogates, NUL refused with a 400 before any view or API key check sees them)."""

    def loads(self, s, **kwargs):
        return jsonbody.loads(s)


PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])
    # a global, not a context variable: FAB's macros, imported without context, ask for it too
    app.jinja_env.globals["csp_nonce"] = _csp_nonce

    @app.route("/healthz")
    def _healthz():
        """For the TLS proxy and the monitors (docs/DEPLOY.md): database, Redis, queue depth, tick age."""
        status, body = health.check(clock.now())
        return jsonify(body), status, {"Cache-Control": "no-store"}

    @app.route("/favicon.ico")
    def _favicon():
        """Browsers ask for it on every page, whatever the page links (issue 12)."""
        return app.send_static_file("img/favicon.ico"), 200, {"Cache-Control": "public, max-age=604800"}

    @app.route("/vendor/plotly.min.js")
    def _plotly_js():
        """plotly.js of the installed package for the statistics charts (STA-06): the
        service may run without internet, so never a CDN."""
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

    @app.before_request
    def _session_still_open():
        """A logged-in request whose session was ended (logout elsewhere, password changed,
        issue 13) continues as a visitor: FAB's views then ask for the login."""
        if request.path.startswith(("/static/", "/api/", "/vendor/")) or request.endpoint in ("_favicon", "_healthz"):
            return
        user = current_user
        if user is not None and user.is_authenticated and not sessions.is_current(user.id):
            db.session.rollback()
            logout_user()
            session.pop(sessions.KEY, None)
            g.user = current_user

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id", "")[:32] or uuid.uuid4().hex[:16]

    @app.before_request
    def _refuse_nul():
        """A NUL character is never meaningful input, and PostgreSQL cannot store it:
        refuse it everywhere with a 400 before any handler sees it."""
        if _has_nul(request):
            return error_response(400, N_("요청에 허용되지 않는 문자(NUL)가 있습니다."), code="invalid_character")

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Request-Id", g.get("request_id", ""))
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", content_security_policy(_csp_nonce()))
        elif response.headers.get("Content-Disposition", "").startswith("inline"):
            response.headers.setdefault("Content-Security-Policy", "sandbox; default-src 'none'")
        if app.config.get("HSTS_SECONDS"):
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(MegabirdError)
    def _megabird_error(error: MegabirdError):
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
        return error_response(error.status, error.message, code=error.code, field=error.field,
                              details=error.details, headers=headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return error_response(400, N_("보안 토큰이 없거나 만료되었습니다. 페이지를 새로고침한 후 다시 시도해주세요."),
                              code="csrf_failed")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        message = HTTP_MESSAGES.get(status, error.name)
        if status == 404 and error.description and _is_korean(error.description):
            message = error.description
        return error_response(status, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if _is_id_out_of_range(error):
            # an id beyond what the column holds, in a URL that reaches the database through
            # FAB's generic views (show/edit pages, list filters): no such row
            db.session.rollback()
            return error_response(404, HTTP_MESSAGES[404])
        log.exception("unhandled error, request id %s", g.get("request_id"))
        try:
            db.session.rollback()
        except Exception:  # the session itself may be the problem
            pass
        return error_response(500, HTTP_MESSAGES[500] + f" (요청 ID: {g.get('request_id')})",
                              code="internal_error")

    _filters(app)

    @app.context_processor
    def _context():
        return {"staff_counts": _staff_counts, "now_utc": clock.now, "sidebar_menu": _sidebar_menu,
                "unread_notices": _unread_notices, "may_open": may_open, "script_text": _script_text}


def _is_id_out_of_range(error: BaseException | None) -> bool:
    """SQLite cannot bind an int beyond 64 bits (OverflowError); PostgreSQL refuses a
    number beyond an integer column's range in a SELECT (SQLSTATE 22003)."""
    for _ in range(5):          # the error itself or what it was raised from
        if error is None:
            return False
        if isinstance(error, OverflowError) and "SQLite INTEGER" in str(error):
            return True
        if isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == "22003" \
                and (error.statement or "").lstrip().upper().startswith("SELECT"):
            return True
        error = error.__cause__ or error.__context__
    return False


def _has_nul(req) -> bool:
    if "\x00" in req.path or "\x00" in req.query_string.decode("latin-1"):
        return True
    if any("\x00" in key or "\x00" in value for key, value in req.args.items(multi=True)):
        return True
    if req.method in ("POST", "PUT", "PATCH"):
        if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if any("\x00" in key or "\x00" in value for key, value in req.form.items(multi=True)):
                return True
        elif req.is_json:
            req.get_json(silent=True)     # read once by CheckedJSON, which refuses a NUL and worse
    return False


def _is_korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def _script_text() -> dict[str, str]:
    """window.MB_TEXT for the page scripts: their strings in the page's language."""
    locale = get_locale()
    return script_catalogue(locale.language if locale else None)


def _menu_access() -> set[str]:
    """Menu names the user's roles may see, read once per request (one query instead of
    one per menu item)."""
    if "menu_access" not in g:
        user = g.get("user")
        role_ids = [role.id for role in getattr(user, "roles", [])] if user is not None else []
        names: set[str] = set()
        if role_ids:
            names = set(db.session.scalars(
                select(ViewMenu.name).join(PermissionView, PermissionView.view_menu_id == ViewMenu.id)
                .join(Permission, Permission.id == PermissionView.permission_id)
                .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .where(Permission.name == "menu_access", assoc_permissionview_role.c.role_id.in_(role_ids))))
        g.menu_access = names
    return g.menu_access


def _sidebar_menu() -> list[tuple[object, list]]:
    """The menu items this user may see: (item, visible children); empty categories dropped."""
    appbuilder = current_app.appbuilder
    allowed = _menu_access()

    def visible(item) -> bool:
        return item is not None and item.name != "-" and item.name in allowed and item.should_render()

    result = []
    for item in appbuilder.menu.get_list():
        if item.childs:
            children = [child for child in item.childs if visible(child)]
            if children and item.name in allowed:
                result.append((item, children))
        elif visible(item):
            result.append((item, []))
    return result


def _unread_notices() -> int | None:
    """The customer's unread notices, for the header (None for staff and visitors)."""
    account_id = current_account_id(required=False) if g.get("user") is not None else None
    if account_id is None:
        return None
    if "unread_notices" not in g:
        g.unread_notices = notices.unread_count(account_id)
    return g.unread_notices


def _csp_nonce() -> str:
    """One nonce per request for the page's inline scripts (FAB's templates ask for it as
    `csp_nonce()` too)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    """Every page (SEC-09): scripts only from us or with this request's nonce, no inline
    handlers, no plugins, no framing by other sites, forms posted only to us."""
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


class TrustedProxies:
    """ProxyFix for requests that come from TRUSTED_PROXIES only: a client elsewhere cannot
    choose its own address (API-key IP allowlists) or scheme by sending X-Forwarded-*."""

    def __init__(self, wsgi_app, networks: str):
        from werkzeug.middleware.proxy_fix import ProxyFix
        self.networks = [ipaddress.ip_network(n.strip(), strict=False) for n in networks.split(",") if n.strip()]
        self.plain = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ, start_response):
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        if peer is not None and any(peer in network for network in self.networks):
            return self.fixed(environ, start_response)
        return self.plain(environ, start_response)


def may_open(endpoint: str) -> bool:
    """Whether the current user may open the page of `endpoint` ("View.method"), asked as
    FAB's has_access asks it: a page links only to what its reader may follow (issue 12)."""
    view_name, _, method = endpoint.partition(".")
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    view = next((v for v in current_app.appbuilder.baseviews if v.endpoint == view_name), None)
    if view is None:
        return False
    try:
        permission = f"can_{view.get_method_permission(method or view.default_view)}"
    except AttributeError:          # no such view, or not a route of it
        return False
    return permission in view.base_permissions and current_app.appbuilder.sm.has_access(
        permission, view.class_permission_name)


def _staff_counts() -> dict[str, int]:
    """Waiting items per operator queue, for the staff menu badges (cached per request)."""
    if not is_staff():
        return {}
    if "staff_counts" not in g:
        g.staff_counts = review_queues.counts()
    return g.staff_counts


_FILTERS: dict = {}


def app_filters(name: str):
    """A template filter as a plain function (FAB column formatters reuse them)."""
    return _FILTERS[name]


def _filters(app: Flask) -> None:

    @app.template_filter("kst")
    def kst(value, fmt: str = "%Y-%m-%d %H:%M"):
        if value is None:
            return "-"
        return clock.to_kst(value).strftime(fmt)

    @app.template_filter("won")
    def won(value):
        return f"{int(value or 0):,}"

    @app.template_filter("phone")
    def phone(value):
        return format_number(value)

    @app.template_filter("age")
    def age(value):
        """How long an item has waited, as 'N일 N시간' (queues)."""
        if value is None:
            return "-"
        seconds = int((clock.now() - value).total_seconds())
        days, rest = divmod(max(seconds, 0), 86400)
        hours, rest = divmod(rest, 3600)
        if days:
            return f"{days}일 {hours}시간"
        if hours:
            return f"{hours}시간 {rest // 60}분"
        return f"{rest // 60}분"

    @app.template_filter("josa")
    def josa_filter(value, pair: str):
        """{{ label|josa('을/를') }}: the word with the particle its last sound takes."""
        return josa(value, pair)

    @app.template_filter("message")
    def message(value):
        """{{ error.message|message }}: a refusal or a flashed message in the page's language."""
        return localized(value) if isinstance(value, str) else value

    @app.template_filter("brn")
    def brn(value):
        """사업자등록번호 as 220-81-12341."""
        return format_brn(value) or "-"

    @app.template_filter("cell")
    def cell(value):
        """A value in a staff list or detail page (FAB's widgets, app/templates/appbuilder/):
        blank for nothing, 예/아니오 for a yes/no, a list comma-separated."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return gettext("예") if value else gettext("아니오")
        if isinstance(value, (list, tuple, set)) or type(value).__name__ == "InstrumentedList":
            return ", ".join(str(v) for v in value)
        return value

    _FILTERS.update(kst=kst, won=won, phone=phone, age=age, josa=josa_filter, brn=brn, cell=cell, message=message)
