"""ACC-01 sign-up with phone verification; the code goes out through the gateway
(sandbox) by a real RQ worker."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Account, AccountMember, PhoneVerification, SandboxMessage, SenderNumber, User
from tests.support.jobs import run_worker
from tests.support.web import text_of

FORM = {"name": "우정민", "email": "jm@example.com", "password": "correct-horse-battery",
        "password_confirm": "correct-horse-battery", "phone": "010-2113-3451"}


def code_sent_to(app, phone: str) -> str:
    with app.app_context():
        message = db.session.scalars(select(SandboxMessage).where(SandboxMessage.recipient == phone)
                                     .order_by(SandboxMessage.id.desc())).first()
        assert message is not None, "no SMS reached the sandbox"
        return re.search(r"\[(\d{6})\]", message.text).group(1)


def start_signup(app, client, **changes):
    response = client.post("/signup/", data={**FORM, **changes})
    assert response.status_code == 302 and response.headers["Location"].endswith("/signup/verify")
    run_worker(app)
    return code_sent_to(app, "01021133451")


def test_sign_up_verifies_the_phone_and_lands_on_the_dashboard(app, client):
    code = start_signup(app, client)
    response = client.post("/signup/verify", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "우정민님 안녕하세요!" in text_of(page)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "jm@example.com"))
        member = db.session.scalar(select(AccountMember).where(AccountMember.user_id == user.id))
        account = db.session.get(Account, member.account_id)
        assert account.kind == "individual" and member.is_owner
        sender = db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account.id))
        assert (sender.number, sender.status, sender.is_signup, sender.owner_name) == \
            ("01021133451", "approved", True, "우정민")
        assert account.daily_cap == 1000  # ACC-10 default
        # the code is stored only as a hash
        assert code not in db.session.scalar(select(PhoneVerification.code_hash))


def test_wrong_codes_count_and_lock_after_five(app, client):
    code = start_signup(app, client)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = client.post("/signup/verify", data={"code": wrong})
        assert response.status_code == 422
        assert f"남은 입력 횟수 {left}회" in text_of(response)
    assert client.post("/signup/verify", data={"code": wrong}).status_code == 422
    response = client.post("/signup/verify", data={"code": code})
    assert response.status_code == 422 and "5회" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == FORM["email"])) == 0


def test_code_expires_after_three_minutes(app, client):
    start = dt.datetime(2026, 11, 27, 1, 0)
    with clock.frozen(start):
        code = start_signup(app, client)
    with clock.frozen(start + dt.timedelta(minutes=3, seconds=1)):
        response = client.post("/signup/verify", data={"code": code})
    assert response.status_code == 422 and "유효시간(3분)" in text_of(response)


def test_at_most_five_codes_per_number_per_hour(app, client):
    with clock.frozen(dt.datetime(2026, 11, 27, 1, 0)):
        for _ in range(5):
            assert client.post("/signup/", data=FORM).status_code == 302
        response = client.post("/signup/", data=FORM)
    assert response.status_code == 429 and "5회" in text_of(response)
    with clock.frozen(dt.datetime(2026, 11, 27, 2, 1)):
        assert client.post("/signup/", data=FORM).status_code == 302


@pytest.mark.parametrize("changes,field_text", [
    ({"name": ""}, "이름"), ({"email": "not-an-email"}, "이메일"), ({"password": "password", "password_confirm": "password"}, "흔하거나"),
    ({"password_confirm": "different-horse"}, "비밀번호 확인"), ({"phone": "02-1234-5678"}, "휴대폰"),
    ({"phone": "010-1234-5678"}, "존재하지 않는"), ({"password": "short", "password_confirm": "short"}, "8자"),
])
def test_bad_sign_up_input_is_refused_and_changes_nothing(app, client, changes, field_text):
    response = client.post("/signup/", data={**FORM, **changes})
    assert response.status_code == 422
    assert field_text in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(PhoneVerification.id))) == 0


def test_an_email_already_registered_is_refused_after_verification(app, client):
    code = start_signup(app, client)
    client.post("/signup/verify", data={"code": code})
    other = app.test_client()
    with app.app_context():
        pass
    response = other.post("/signup/", data={**FORM, "phone": "010-2113-3452"})
    run_worker(app)
    code2 = code_sent_to(app, "01021133452")
    response = other.post("/signup/verify", data={"code": code2})
    assert response.status_code == 422 and "이미 가입된 이메일" in text_of(response)
