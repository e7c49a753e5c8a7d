"""ACC-03 roles and SEC-02 staff pages: every staff route, found in `app.url_map`, refuses
customers (403 or the login page) and sends anonymous visitors to the login page;
each staff role sees exactly the menus and pages its resources allow; syncing the
roles is idempotent."""
from urllib.parse import urlparse

import pytest
from flask import current_app
from flask_appbuilder import ModelView
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.security.views import AuthView
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, CorporateConversion, User
from app.security.roles import ADMIN, CUSTOMER, FINANCE, OPERATOR, PORTAL, ROLE_RESOURCES
from app.security.sync import sync_roles
from tests.support.foundation import (apply_conversion, customer_client, customer_endpoints, rows, sidebar_links,
                                      staff_client)

STAFF_RESOURCES = frozenset().union(*(r for role, r in ROLE_RESOURCES.items() if role != CUSTOMER)) - {PORTAL}

#: Endpoints anybody may call (no login). Anything that is neither staff, customer
#: (see test_tenancy.CUSTOMER_ROUTES) nor listed here fails test_every_route_is_classified.
PUBLIC_ENDPOINTS = {
    "static": "static files",
    "appbuilder.static": "FAB's static files",
    "HomeIndexView.index": "redirects each user to its start page",
    "UtilView.back": "FAB's history 'back' redirect",
    "LocaleView.index": "language switch",
    "MegabirdAuthDBView.login": "the login form",
    "MegabirdAuthDBView.logout": "logout",
    "SecurityApi.login": "FAB's REST login (same throttled auth_user_db)",
    "SecurityApi.refresh": "FAB's REST token refresh (needs a refresh token)",
    "MenuApi.get_menu_data": "the menu of the current user (empty for anonymous)",
    "SignupView.index": "sign-up (ACC-01)",
    "_plotly_js": "plotly.js of the installed package, a public library file (STA-06)",
    "PasswordResetView.forgot": "비밀번호 찾기: asking for a reset link (issue 13)",
    "PasswordResetView.reset": "비밀번호 찾기: the one-time link of the e-mail (issue 13)",
    "SignupView.term_text": "the terms and privacy texts a visitor reads before agreeing (ACC-01)",
    "_favicon": "the site icon browsers ask for on every page",
    "_healthz": "health of the database, Redis, queues and tick, for the proxy and monitors (no data)",
    "SignupView.verify": "sign-up verification (ACC-01)",
    "SignupView.resend": "sign-up code resend (ACC-01)",
    "hooks.nhn_kakao": "NHN Cloud's result webhook: its X-Toast-Webhook-Signature is the proof (issue 20)",
}


#: The integration API (/api/v1) authenticates with bearer API keys, not the session
#: cookie: neither staff nor portal pages. Its own tests prove tenancy (SEC-01).
API_BLUEPRINTS = ("api_v1.",)


def _views(app):
    return {view.endpoint: view for view in app.appbuilder.baseviews}


def is_fab_security_view(view) -> bool:
    """FAB's users, roles, permissions... views (ours subclass them), not the login view."""
    return (any(cls.__module__ == "flask_appbuilder.security.views" for cls in type(view).__mro__)
            and not isinstance(view, AuthView))


def staff_rules(app):
    """(rule, view) for every route of a staff view or of FAB's own security views."""
    views = _views(app)
    found = []
    for rule in app.url_map.iter_rules():
        view = views.get(rule.endpoint.split(".")[0])
        if view is not None and (view.class_permission_name in STAFF_RESOURCES or is_fab_security_view(view)):
            found.append((rule, view))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[0].endpoint))


def url_for_rule(app, rule, value=1) -> str:
    values = {arg: ("approve_selected" if arg == "name" else value) for arg in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


def requests_of(app):
    """(method, url, endpoint) of every staff route and method."""
    for rule, _view in staff_rules(app):
        url = url_for_rule(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, rule.endpoint


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlparse(response.headers["Location"]).path == "/login/"


def test_the_enumeration_finds_the_staff_routes(app):
    found = {rule.rule for rule, _ in staff_rules(app)}
    assert {"/staff/", "/staff/jobs/", "/staff/audit/list/", "/staff/queues/conversions/action_post",
            "/staff/queues/company-changes/action_post", "/staff/queues/company-changes/decide/<int:pk>",
            "/staff/accounts/<int:pk>/suspend", "/users/list/", "/roles/edit/<pk>",
            "/resetmypassword/form"} <= found


def test_every_route_is_classified(app):
    """A route that is neither staff, customer, integration API nor declared public fails
    here, so that a new view cannot slip past the cross-tenant and staff checks."""
    staff = {rule.endpoint for rule, _ in staff_rules(app)}
    customer = set(customer_endpoints(app))
    assert not staff & customer
    api = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith(API_BLUEPRINTS)}
    assert all(r.rule.startswith("/api/v1/") for r in app.url_map.iter_rules() if r.endpoint in api)
    unclassified = ({r.endpoint for r in app.url_map.iter_rules()} - staff - customer - api
                    - set(PUBLIC_ENDPOINTS))
    assert not unclassified, f"routes of unknown audience: {sorted(unclassified)}"


def test_sec02_customers_never_reach_a_staff_route(app):
    customer, client = customer_client(app)
    apply_conversion(client)  # so that id 1 is a real row of several staff pages
    with app.app_context():
        users_before = db.session.scalar(select(func.count(User.id)))
    account_before = rows(app, Account)
    conversions_before = rows(app, CorporateConversion)
    form = {"decision": "approve", "reason": "고객이 보냄", "daily_cap": "999999", "action": "approve_selected",
            "rowid": "1", "amount": "1000000", "cash_delta": "1000000", "name": "hack"}
    refused = []
    for method, url, endpoint in requests_of(app):
        response = client.open(url, method=method, data=form)
        if not (response.status_code == 403 or is_login_redirect(response)):
            refused.append(f"{method} {url} ({endpoint}) -> {response.status_code}")
    assert not refused, "staff routes a customer reached:\n" + "\n".join(refused)
    # and nothing changed behind the refusals
    assert rows(app, Account) == account_before
    assert rows(app, CorporateConversion) == conversions_before
    assert rows(app, AuditLog) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users_before


def test_acc07_no_fab_model_view_is_a_customers(app):
    """FAB's model views filter no rows by account: every one of them belongs to a staff
    resource, so that customer pages are only our own views over the services (which
    scope every read with get_owned)."""
    with app.app_context():
        model_views = [v for v in current_app.appbuilder.baseviews if isinstance(v, ModelView)]
    assert model_views, "the enumeration found no model view"
    customers = [type(v).__name__ for v in model_views if v.class_permission_name in ROLE_RESOURCES[CUSTOMER]]
    assert customers == []


def test_sec02_anonymous_visitors_are_sent_to_the_login_page(app):
    client = app.test_client()
    wrong = [f"{method} {url} -> {response.status_code} {response.headers.get('Location')}"
             for method, url, _ in requests_of(app)
             for response in [client.open(url, method=method, data={"rowid": "1", "action": "approve_selected"})]
             if not is_login_redirect(response)]
    assert not wrong, "\n".join(wrong)


def _allowed(role: str, view, method: str | None = None) -> bool:
    if method is not None and f"{PERMISSION_PREFIX}{view.get_method_permission(method)}" not in view.base_permissions:
        return False  # a route FAB itself switches off (e.g. adding permissions by hand)
    if role == ADMIN:
        return True
    return view.class_permission_name in ROLE_RESOURCES[role]


@pytest.mark.parametrize("role", [OPERATOR, FINANCE, ADMIN])
def test_acc03_each_role_opens_exactly_the_pages_its_resources_allow(app, role):
    _login, client = staff_client(app, role)
    wrong = []
    for rule, view in staff_rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        status = client.get(rule.rule).status_code
        expected = 200 if _allowed(role, view, rule.endpoint.split(".")[1]) else 403
        if status != expected:
            wrong.append(f"{rule.rule} ({view.class_permission_name}): {status}, expected {expected}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


#: the finance workspace (resource FinanceArea, issue 18): finance staff and admins only
FINANCE_PAGES = ("/staff/finance/", "/staff/finance/invoices/", "/staff/finance/invoices/export.xlsx",
                 "/staff/finance/holidays/")


def test_acc03_the_named_pages_per_role(app):
    _, operator = staff_client(app, OPERATOR)
    _, finance = staff_client(app, FINANCE)
    _, admin = staff_client(app, ADMIN)
    for url in ("/staff/queues/conversions/list/", "/staff/queues/api-use/list/", "/staff/audit/list/",
                "/staff/accounts/list/", "/staff/sandbox/list/", "/staff/queues/alimtalk-templates/",
                "/staff/alimtalk-templates/", "/staff/queues/kakao-targeting/list/",
                "/staff/queues/company-changes/list/", "/staff/smpp-receipts/list/"):
        assert operator.get(url).status_code == 200, url
    assert operator.get("/staff/jobs/").status_code == 403
    assert operator.get("/users/list/").status_code == 403
    for url in FINANCE_PAGES:
        assert operator.get(url).status_code == 403, url
        assert finance.get(url).status_code == 200, url
        assert admin.get(url).status_code == 200, url
    assert finance.get("/staff/audit/list/").status_code == 200
    for url in ("/staff/queues/conversions/list/", "/staff/queues/api-use/list/", "/staff/accounts/list/",
                "/staff/jobs/", "/staff/queues/alimtalk-templates/", "/staff/alimtalk-templates/",
                "/staff/queues/kakao-targeting/list/", "/staff/queues/company-changes/list/",
                "/staff/smpp-receipts/list/"):
        assert finance.get(url).status_code == 403, url
    for url in ("/staff/", "/staff/jobs/", "/staff/queues/conversions/list/", "/staff/audit/list/",
                "/users/list/", "/roles/list/", "/staff/queues/alimtalk-templates/", "/staff/alimtalk-templates/",
                "/staff/queues/kakao-targeting/list/", "/staff/queues/company-changes/list/"):
        assert admin.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [OPERATOR, FINANCE, ADMIN])
def test_acc03_each_role_sees_exactly_its_menus(app, role):
    _login, client = staff_client(app, role)
    shown = sidebar_links(client.get("/staff/"))
    expected = set()
    with app.test_request_context():
        for top in app.appbuilder.menu.get_list():
            for item in [c for c in top.childs if c and c.name != "-"] or [top]:
                if item.baseview is not None and item.baseview.class_permission_name != PORTAL \
                        and _allowed(role, item.baseview):
                    expected.add(item.get_url())
    assert shown == expected
    assert not any(link.startswith(("/dashboard", "/mypage")) for link in shown)
    if role == OPERATOR:
        assert {"/staff/queues/conversions/list/", "/staff/queues/company-changes/list/", "/staff/audit/list/"} <= shown
        assert "/staff/jobs/" not in shown
    if role == FINANCE:
        assert "/staff/queues/conversions/list/" not in shown and "/staff/audit/list/" in shown
        assert "/staff/queues/company-changes/list/" not in shown
        assert set(FINANCE_PAGES) - {"/staff/finance/invoices/export.xlsx"} <= shown
    if role == OPERATOR:
        assert not any(link.startswith("/staff/finance/") for link in shown)


def test_acc03_a_customer_sees_only_customer_menus(app):
    _customer, client = customer_client(app)
    shown = sidebar_links(client.get("/dashboard/"))
    assert {"/dashboard/", "/mypage/", "/mypage/conversion", "/mypage/api"} <= shown
    assert "/mypage/company" not in shown             # 기업정보 is a corporate account's (ACC-12)
    assert not any(link.startswith("/staff") or link.endswith("/list/") for link in shown)
    _corporate, corporate = customer_client(app, kind="corporate")
    shown = sidebar_links(corporate.get("/dashboard/"))
    assert {"/mypage/", "/mypage/company", "/mypage/api"} <= shown and "/mypage/conversion" not in shown
    assert not any(link.startswith("/staff") for link in shown)


def _permissions_snapshot():
    sm = current_app.appbuilder.sm
    roles = {role.name: sorted((pv.permission.name, pv.view_menu.name) for pv in role.permissions)
             for role in db.session.query(sm.role_model).all()}
    counts = tuple(db.session.query(model).count()
                   for model in (sm.permission_model, sm.viewmenu_model, sm.permissionview_model, sm.role_model))
    return roles, counts


def test_acc03_sync_roles_twice_changes_nothing(app):
    with app.app_context():
        before = _permissions_snapshot()
        assert set(before[0]) >= {ADMIN, OPERATOR, FINANCE, CUSTOMER}
        assert ("can_access", "Jobs") not in before[0][OPERATOR]
        assert ("can_access", "Operations") in before[0][OPERATOR]
        first = sync_roles()
        assert _permissions_snapshot() == before
        assert sync_roles() == first
        assert _permissions_snapshot() == before


def test_acc03_sync_roles_recreates_a_missing_role(app):
    with app.app_context():
        before = _permissions_snapshot()
        sm = app.appbuilder.sm
        db.session.delete(sm.find_role(FINANCE))
        db.session.commit()
        assert sm.find_role(FINANCE) is None
        sync_roles()
        assert _permissions_snapshot()[0] == before[0]


def test_acc03_a_missing_role_is_created_at_start_up(app, database_url):
    """ACC-03: roles come back when the app starts, not only through `flask megabird init`;
    a start with every role present changes nothing."""
    from tests.conftest import make_app
    with app.app_context():
        before = _permissions_snapshot()
        db.session.delete(app.appbuilder.sm.find_role(FINANCE))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    restarted = make_app(database_url)
    with restarted.app_context():
        assert restarted.appbuilder.sm.find_role(FINANCE) is not None
        assert _permissions_snapshot()[0] == before[0]
        from app.security.sync import ensure_roles
        assert ensure_roles() is False
        db.session.remove()
        db.engine.dispose()


def test_acc03_flask_megabird_init_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["megabird", "init"])
    second = runner.invoke(args=["megabird", "init"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.output == second.output
    assert f"role {OPERATOR}:" in first.output and f"role {CUSTOMER}:" in first.output
