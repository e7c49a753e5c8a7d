"""ACC-02 / SEC-06 login throttling (at most 10 failures per login per 15 minutes) and
ACC-11 / SEC-06 no user enumeration: the answer for an unknown login is exactly the
answer for a wrong password."""
import datetime as dt
import re

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import LoginAttempt
from tests.support.factories import make_customer, make_staff
from tests.support.foundation import flashed
from tests.support.web import logged_in

START = dt.datetime(2026, 11, 27, 1, 0)
INVALID = "이메일(아이디) 또는 비밀번호가 올바르지 않습니다."
THROTTLED = "로그인 시도가 너무 많습니다. 15분 후에 다시 시도해주세요."


def attempt(client, username: str, password: str):
    """POST the login form; return (status, location, flashed text of the page it leads to)."""
    response = client.post("/login/", data={"username": username, "password": password})
    location = response.headers.get("Location", "")
    message = flashed(client.get(location)) if response.status_code == 302 else ""
    return response.status_code, location, message


def is_logged_in(client) -> bool:
    # follow the redirect to the login page so that its "access denied" flash is consumed
    return client.get("/dashboard/", follow_redirects=True).request.path == "/dashboard/"


def test_acc02_ten_failures_block_even_the_right_password_for_15_minutes(app):
    customer = make_customer(app)
    client = app.test_client()
    with clock.frozen(START):
        for _ in range(5):
            assert attempt(client, customer.login, "wrong-password-1")[2] == INVALID
    with clock.frozen(START + dt.timedelta(minutes=5)):
        # the login is compared case-insensitively: changing case does not buy more tries
        for _ in range(5):
            assert attempt(client, customer.login.upper(), "wrong-password-2")[2] == INVALID
    with clock.frozen(START + dt.timedelta(minutes=6)):
        status, location, message = attempt(client, customer.login, customer.password)
        assert (status, message) == (302, THROTTLED) and "/login" in location
        assert not is_logged_in(client)
    # still blocked just before the first failure leaves the 15-minute window ...
    with clock.frozen(START + dt.timedelta(minutes=14, seconds=59)):
        assert attempt(client, customer.login, customer.password)[2] == THROTTLED
        assert not is_logged_in(client)
    # ... and free again once it has (the 5 later failures stay inside the window: 5 < 10)
    with clock.frozen(START + dt.timedelta(minutes=15, seconds=1)):
        status, location, message = attempt(client, customer.login, customer.password)
        assert status == 302 and "/login" not in location and message != THROTTLED
        assert is_logged_in(client)


def test_acc02_throttling_counts_per_login(app):
    victim = make_customer(app)
    bystander = make_customer(app)
    client = app.test_client()
    with clock.frozen(START):
        for _ in range(10):
            attempt(client, victim.login, "not-the-password")
        assert attempt(client, victim.login, victim.password)[2] == THROTTLED
        # another login from the same client is not affected
        other = logged_in(app, bystander.login, bystander.password)
        assert is_logged_in(other)
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))
                                 .where(LoginAttempt.login == victim.login.lower())) == 10


def test_sec06_unknown_login_gets_exactly_the_wrong_password_answer(app):
    customer = make_customer(app)
    known, unknown = app.test_client(), app.test_client()
    with clock.frozen(START):
        for n in range(12):  # through the throttle too: it must not tell them apart either
            wrong_password = attempt(known, customer.login, f"wrong-password-{n}")
            no_such_login = attempt(unknown, f"nobody-{customer.login}", f"wrong-password-{n}")
            assert wrong_password == no_such_login
            assert wrong_password[2] == (INVALID if n < 10 else THROTTLED)
        # the login page itself does not differ either
        def page(client):      # the CSP nonce is new on every request
            return re.sub(r'nonce="[^"]*"', 'nonce=""', client.get("/login/").get_data(as_text=True))
        assert page(known) == page(unknown)


def test_acc11_fab_password_forms_apply_our_rules(app):
    """An admin resetting a user's password through FAB's own form gets ACC-11's rules
    too, not FAB's 'this application does not check this for you'."""
    customer = make_customer(app)
    admin = logged_in(app, *make_staff(app, "Admin"))
    with app.app_context():
        from app.models import User
        user_id = db.session.scalar(select(User.id).where(User.username == customer.login))
        old_hash = db.session.get(User, user_id).password
    url = f"/resetpassword/form?pk={user_id}"
    assert admin.get(url).status_code == 200
    weak = admin.post(url, data={"password": "password", "conf_password": "password"})
    assert weak.status_code == 200
    assert "너무 흔하거나 추측하기 쉬운 비밀번호" in weak.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).password == old_hash
    strong = admin.post(url, data={"password": "long unusual phrase 42",
                                   "conf_password": "long unusual phrase 42"})
    assert strong.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).password != old_hash


def test_fab_jwt_login_api_is_not_served(app):
    """Customers reach the API with keys (API-01); FAB's JWT login is not a second door."""
    customer = make_customer(app)
    response = app.test_client().post("/api/v1/security/login", json={
        "username": customer.login, "password": customer.password, "provider": "db"})
    assert response.status_code == 404
