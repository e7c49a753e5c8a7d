"""Error pages in Korean (HTML and JSON), a 500 that shows a request id and never a
traceback, and SEC-03: forms and cookie-authenticated POSTs without a CSRF token are
refused (400) and change nothing."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, PhoneVerification, User
from tests.conftest import make_app
from tests.support.factories import make_customer, make_staff
from tests.support.foundation import rows
from tests.support.web import logged_in, text_of

NOT_FOUND = "요청하신 페이지를 찾을 수 없습니다."
CSRF_MESSAGE = "보안 토큰이 없거나 만료되었습니다. 페이지를 새로고침한 후 다시 시도해주세요."


def test_an_unknown_url_gives_a_korean_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert NOT_FOUND in text_of(response)
    assert response.headers["X-Request-Id"]


def test_an_unknown_url_asked_for_json_gives_a_json_error(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json() == {"error": {"code": "not_found", "message": NOT_FOUND}}


def test_a_staff_page_asked_for_json_by_a_customer_is_a_json_403(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    response = client.get("/staff/jobs/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": {"code": "forbidden", "message": "이 페이지에 접근할 권한이 없습니다."}}


@pytest.fixture
def fresh_app(database_url, redis_server):
    """An app of our own, so that routes can be added before its first request."""
    application = make_app(database_url, REDIS_URL=redis_server.url)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_unexpected_error_gives_a_500_with_a_request_id_and_no_traceback(fresh_app):
    @fresh_app.route("/test-boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    client = fresh_app.test_client()
    response = client.get("/test-boom")
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert "일시적인 오류가 발생했습니다." in text_of(response) and request_id in text_of(response)
    for leak in ("Traceback", "RuntimeError", "secret internals", "hunter2", "test_errors.py"):
        assert leak not in page

    # the id the caller sent is the one shown (and logged), also in JSON
    response = client.get("/test-boom", headers={"Accept": "application/json", "X-Request-Id": "abc123"})
    body = response.get_json()
    assert response.status_code == 500 and body["error"]["request_id"] == "abc123"
    assert body["error"]["code"] == "internal_error" and "hunter2" not in response.get_data(as_text=True)
    # the app keeps serving after the error
    assert client.get("/login/").status_code == 200


@pytest.fixture
def csrf_app(database_url, redis_server):
    application = make_app(database_url, REDIS_URL=redis_server.url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token_of(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', response.get_data(as_text=True))
    assert match, "no csrf_token on the page"
    return match.group(1)


def login_with_token(app, username, password):
    client = app.test_client()
    token = csrf_token_of(client.get("/login/"))
    response = client.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client


def test_sec03_sign_up_without_a_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    form = {"name": "우정민", "email": "jm@example.com", "password": "correct-horse-battery",
            "password_confirm": "correct-horse-battery", "phone": "010-2113-3451",
            "agree_terms": "1", "agree_privacy": "1"}
    response = client.post("/signup/", data=form)
    assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    response = client.post("/signup/", data={**form, "csrf_token": "forged"})
    assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count(PhoneVerification.id))) == 0
    # with the page's token the same form goes through
    token = csrf_token_of(client.get("/signup/"))
    assert client.post("/signup/", data={**form, "csrf_token": token}).status_code == 302


def test_sec03_login_without_a_token_is_refused(csrf_app):
    customer = make_customer(csrf_app)
    client = csrf_app.test_client()
    response = client.post("/login/", data={"username": customer.login, "password": customer.password})
    assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    assert client.get("/dashboard/").status_code == 302  # not logged in


def test_sec03_password_change_without_a_token_is_refused(csrf_app):
    customer = make_customer(csrf_app)
    client = login_with_token(csrf_app, customer.login, customer.password)
    with csrf_app.app_context():
        before = db.session.scalar(select(User.password).where(User.id == customer.user_id))
    form = {"current": customer.password, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"}
    response = client.post("/mypage/password", data=form)
    assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    with csrf_app.app_context():
        assert db.session.scalar(select(User.password).where(User.id == customer.user_id)) == before
    token = csrf_token_of(client.get("/mypage/"))
    assert client.post("/mypage/password", data={**form, "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert db.session.scalar(select(User.password).where(User.id == customer.user_id)) != before


def test_sec03_staff_decisions_without_a_token_are_refused(csrf_app):
    customer = make_customer(csrf_app)
    operator = login_with_token(csrf_app, *make_staff(csrf_app, "Operator"))
    for url, data in ((f"/staff/accounts/{customer.account_id}/suspend", {"reason": "스팸"}),
                      (f"/staff/accounts/{customer.account_id}/cap", {"daily_cap": "5"}),
                      ("/staff/queues/conversions/action_post", {"action": "approve_selected", "rowid": "1"})):
        response = operator.post(url, data=data)
        assert response.status_code == 400 and CSRF_MESSAGE in text_of(response), url
    [account] = rows(csrf_app, Account, Account.id == customer.account_id)
    assert (account["suspended_at"], account["daily_cap"]) == (None, 1000)


def test_a_nul_character_anywhere_is_refused_with_400_and_changes_nothing(app):
    """PostgreSQL cannot store NUL; no input needs it: 400 before any handler (SEC-04)."""
    from tests.support.factories import make_customer
    from tests.support.web import logged_in
    customer = make_customer(app, kind="corporate")
    client = logged_in(app, customer.login, customer.password)
    form = client.post("/contacts/groups", data={"name": "VIP\x00"})
    assert form.status_code == 400 and "NUL" in form.get_data(as_text=True)
    body = client.post("/sms/quote", json={"sender": customer.phone, "body": "안녕\x00", "recipients": ["01023456789"]},
                       headers={"Accept": "application/json"})
    assert body.status_code == 400 and body.get_json()["error"]["code"] == "invalid_character"
    query = client.get("/history/?q=a%00b")
    assert query.status_code == 400
    assert "VIP" not in client.get("/contacts/").get_data(as_text=True)


def test_control_characters_in_names_and_messages_are_refused(app):
    from tests.support.factories import make_customer
    from tests.support.web import logged_in
    customer = make_customer(app, kind="corporate")
    client = logged_in(app, customer.login, customer.password)
    response = client.post("/contacts/groups", data={"name": "VIP\x07"})
    assert response.status_code == 422 and "제어 문자" in response.get_data(as_text=True)
    quote = client.post("/sms/quote", json={"sender": customer.phone, "body": "벨\x07소리", "recipients": ["01023456789"]},
                        headers={"Accept": "application/json"})
    assert quote.status_code == 422 and quote.get_json()["error"]["code"] == "unsupported_character"
    assert "2번째" in quote.get_json()["error"]["message"]


HUGE = "99999999999999999999"          # beyond 64 bits: SQLite raised OverflowError (a 500)


@pytest.mark.parametrize("url", [
    f"/senders/numbers/{HUGE}", f"/senders/channels/{HUGE}", f"/files/{HUGE}", f"/history/{HUGE}",
    f"/history/{HUGE}/export.xlsx", f"/exports/{HUGE}", f"/contacts/{HUGE}/edit", f"/templates/sms/{HUGE}/edit",
    "/senders/?page=²", "/wallet/statement?page=²", f"/wallet/statement?page={HUGE}", "/history/?page=²",
    f"/history/?page={HUGE}", "/contacts/?page=١", "/optouts/?page=1e3", "/templates/sms/?page=-1",
    "/history/?period=custom&from=0001-01-01", "/history/?period=custom&to=9999-12-31",
    "/wallet/statement?from=0001-01-01", "/wallet/statement?to=9999-12-31",
    "/wallet/statement.xlsx?from=0001-01-01", f"/sms/address-book?page={HUGE}",
    "/senders/numbers/3000000000", "/contacts/3000000000/edit", "/history/3000000000",
])
def test_odd_ids_pages_and_dates_in_customer_urls_never_give_a_500(app, url):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    response = client.get(url)
    if HUGE in url.split("?")[0] or "3000000000" in url:
        assert response.status_code == 404, url
    elif "0001-01-01" in url or "9999-12-31" in url:
        assert response.status_code == 422 and "형식" in text_of(response), url
    else:                       # an odd page number: the first page (test_page_arg_reads_only_plain_numbers)
        assert response.status_code == 200, url


@pytest.mark.parametrize("query,page", [("", 1), ("page=3", 3), ("page=²", 1), ("page=١", 1), ("page=1e3", 1),
                                        ("page=-1", 1), ("page=0", 1), (f"page={HUGE}", 1),
                                        ("page=9999999", 1_000_000)])
def test_page_arg_reads_only_plain_numbers(app, query, page):
    from app.views.base import page_arg
    with app.test_request_context(f"/history/?{query}"):
        assert page_arg() == page


@pytest.mark.parametrize("url", [f"/staff/wallet/{HUGE}", f"/staff/accounts/show/{HUGE}",
                                 f"/staff/queues/sender-numbers/show/{HUGE}"])
def test_odd_ids_in_staff_urls_answer_404(app, url):
    login, password = make_staff(app, "Admin")
    client = logged_in(app, login, password)
    assert client.get(url).status_code == 404, url


def test_odd_ids_in_staff_forms_are_refused_without_a_500(app):
    customer = make_customer(app)
    login, password = make_staff(app, "Admin")
    client = logged_in(app, login, password)
    with app.app_context():
        plan_before = db.session.get(Account, customer.account_id).price_plan_id
    for url, data, status in ((f"/staff/wallet/{customer.account_id}/plan", {"plan_id": HUGE}, 302),
                              (f"/staff/wallet/{customer.account_id}/plan", {"plan_id": "²"}, 302),
                              (f"/staff/wallet/{HUGE}/points", {"amount": "100", "reason": "x"}, 404)):
        response = client.post(url, data=data)
        assert response.status_code == status, (url, data, response.status_code)
        if status == 302:
            assert "요금제를 찾을 수 없습니다" in text_of(client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(Account, customer.account_id).price_plan_id == plan_before


@pytest.mark.parametrize("url", ["/staff/accounts/show/3000000000", "/staff/audit/show/3000000000"])
def test_ids_beyond_a_32_bit_column_answer_404(app, url):
    """PostgreSQL refuses 3,000,000,000 against an integer column: still no such row."""
    login, password = make_staff(app, "Admin")
    assert logged_in(app, login, password).get(url).status_code == 404, url
