"""Sessions and login (issue 13, SEC-06): a session cookie no longer works after logout or
after the password was changed elsewhere; logout is a POST with the CSRF token; the login
throttle counts per user as well as per typed login."""
from app.extensions import db
from app.models import UserSession
from tests.support.factories import make_customer, make_staff
from tests.support.web import logged_in


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _stolen(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_a_copied_cookie_stops_working_after_logout(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    copy = _stolen(app, _cookie(client))
    assert copy.get("/dashboard/").status_code == 200
    assert client.get("/logout/").status_code == 200                  # a GET only asks
    assert client.get("/dashboard/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/dashboard/").status_code in (302, 401)
    again = copy.get("/dashboard/")
    assert again.status_code == 302 and "/login" in again.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)
                                 .where(UserSession.revoked_at.is_(None))) == 0


def test_a_password_change_ends_the_other_sessions_but_not_the_one_that_changed_it(app):
    customer = make_customer(app)
    laptop = logged_in(app, customer.login, customer.password)
    phone = logged_in(app, customer.login, customer.password)
    changed = laptop.post("/mypage/password", data={"current": customer.password, "new": "N3w-passw0rd!long",
                                                    "confirm": "N3w-passw0rd!long"})
    assert changed.status_code == 302
    assert laptop.get("/dashboard/").status_code == 200          # the one that changed it
    assert phone.get("/dashboard/").status_code == 302           # every other one ends
    assert logged_in(app, customer.login, "N3w-passw0rd!long").get("/dashboard/").status_code == 200
    # staff's reset of a user's password (FAB's user admin) ends the user's sessions too
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username=customer.login).id
    with app.test_request_context():
        app.appbuilder.sm.reset_password(user_id, "An0ther-passw0rd!")
    assert laptop.get("/dashboard/").status_code == 302


def test_the_throttle_counts_per_user_whatever_login_is_typed(app):
    login, password = make_staff(app, "Finance")
    with app.app_context():
        email = app.appbuilder.sm.find_user(username=login).email
    client = app.test_client()
    for n in range(10):       # 5 by name, 5 by e-mail: one user's budget of 10
        typed = login if n % 2 else email
        client.post("/login/", data={"username": typed, "password": f"wrong-{n}"})
    answer = client.post("/login/", data={"username": login, "password": password})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]     # throttled, not in
