"""ACC-01 sign-up with phone verification; the code goes out through the gateway
(sandbox) by a real RQ worker. The terms and the privacy notice are agreed to (required)
and marketing optionally, each recorded with its time and version on the login; the
marketing choice changes later in 마이페이지."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (Account, AccountMember, PhoneVerification, SandboxMessage, SenderNumber, SystemMessage,
                        User, UserConsent)
from tests.support.jobs import run_worker
from tests.support.web import text_of

FORM = {"name": "우정민", "email": "jm@example.com", "password": "correct-horse-battery",
        "password_confirm": "correct-horse-battery", "phone": "010-2113-3451",
        "agree_terms": "1", "agree_privacy": "1"}


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
    ({"agree_terms": ""}, "이용약관 동의는 필수입니다. 이용약관을 읽고 동의해주세요."),
    ({"agree_privacy": "0"}, "개인정보 수집·이용 동의는 필수입니다. 개인정보 수집·이용을 읽고 동의해주세요."),
    ({"agree_terms": "", "agree_privacy": "", "agree_marketing": "1"}, "이용약관 동의는 필수입니다."),
])
def test_bad_sign_up_input_is_refused_and_changes_nothing(app, client, changes, field_text):
    response = client.post("/signup/", data={**FORM, **changes})
    assert response.status_code == 422
    assert field_text in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(PhoneVerification.id))) == 0
        assert db.session.scalar(select(func.count(SystemMessage.id))) == 0   # no code sent
        assert db.session.scalar(select(func.count(User.id))) == 0


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


def consents_of(app, email: str) -> list[tuple]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        rows = db.session.scalars(select(UserConsent).where(UserConsent.user_id == user.id)
                                  .order_by(UserConsent.id)).all()
        return [(r.kind, r.agreed, r.version, r.source, r.recorded_at) for r in rows]


def test_the_form_offers_every_consent_with_its_text_and_an_agree_all(app, client):
    page = client.get("/signup/")
    html, text = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200
    assert "전체 동의" in text and 'name="agree_all"' in html
    for label in ("이용약관 동의 (필수)", "개인정보 수집·이용 동의 (필수)", "마케팅 정보 수신 동의 (선택)"):
        assert label in text
    # each text can be read in the form (expandable) and on a page of its own
    for kind in ("terms", "privacy", "marketing"):
        assert f'id="details-{kind}"' in html and f'href="/signup/terms/{kind}"' in html
    assert "제1조 (목적)" in text and "수집 항목" in text


def test_the_privacy_notice_names_the_items_the_purpose_and_the_retention(app, client):
    page = client.get("/signup/terms/privacy")
    text = text_of(page)
    assert page.status_code == 200 and "개인정보 수집·이용" in text
    for words in ("수집 항목", "이름, 이메일 주소(로그인 아이디), 비밀번호, 휴대폰번호", "수집·이용 목적", "보유·이용 기간",
                  "회원 탈퇴 시까지", "5년", "동의를 거부할 권리"):
        assert words in text, words
    assert client.get("/signup/terms/terms").status_code == 200
    assert "언제든지" in text_of(client.get("/signup/terms/marketing"))
    assert client.get("/signup/terms/nothing").status_code == 404


def test_consents_are_recorded_with_their_time_and_version_on_the_login(app, client):
    agreed_at = dt.datetime(2026, 12, 2, 1, 0)
    with clock.frozen(agreed_at):
        code = start_signup(app, client)
    with clock.frozen(agreed_at + dt.timedelta(minutes=2)):
        assert client.post("/signup/verify", data={"code": code}).status_code == 302
    # the time the person agreed (the form), not the time the code was typed
    assert consents_of(app, FORM["email"]) == [
        ("terms", True, "2026-12-01", "signup", agreed_at), ("privacy", True, "2026-12-01", "signup", agreed_at),
        ("marketing", False, "2026-12-01", "signup", agreed_at)]


def test_agree_all_agrees_to_marketing_too_and_a_new_code_keeps_the_choices(app, client):
    start_signup(app, client, agree_terms="", agree_privacy="", agree_all="1")
    assert client.post("/signup/resend").status_code == 302
    run_worker(app)
    new_code = code_sent_to(app, "01021133451")
    assert client.post("/signup/verify", data={"code": new_code}).status_code == 302
    assert [(kind, agreed) for kind, agreed, *_ in consents_of(app, FORM["email"])] == [
        ("terms", True), ("privacy", True), ("marketing", True)]


def test_the_marketing_consent_changes_in_mypage_with_its_time(app, client):
    code = start_signup(app, client, agree_marketing="1")
    assert client.post("/signup/verify", data={"code": code}).status_code == 302
    page = text_of(client.get("/mypage/"))
    assert "약관 동의 내역" in page and "마케팅 정보 수신 동의 (선택) 동의" in page
    withdrawn_at = dt.datetime(2026, 12, 3, 6, 30)              # 15:30 KST
    with clock.frozen(withdrawn_at):
        response = client.post("/mypage/marketing", data={"marketing": "refuse"})
    assert response.status_code == 302
    page = text_of(client.get("/mypage/"))
    assert "마케팅 정보 수신 거부 처리되었습니다 (전송자: megabird, 처리 일시: 2026년 12월 03일 15:30)." in page
    assert "마케팅 정보 수신 동의 (선택) 동의하지 않음 2026-12-03 15:30" in page
    with clock.frozen(withdrawn_at + dt.timedelta(days=1)):
        assert client.post("/mypage/marketing", data={"marketing": "agree"}).status_code == 302
    history = [(kind, agreed, source) for kind, agreed, _v, source, _at in consents_of(app, FORM["email"])]
    assert history[-2:] == [("marketing", False, "mypage"), ("marketing", True, "mypage")]
    assert "마케팅 정보 수신 동의 처리되었습니다" in text_of(client.get("/mypage/"))
    # the required ones are not changed here, and a value that is neither choice changes nothing
    response = client.post("/mypage/marketing", data={"marketing": "maybe"})
    assert response.status_code == 422 and "마케팅 정보 수신 동의 여부를 선택해주세요." in text_of(response)
    assert len(consents_of(app, FORM["email"])) == 5


def test_sign_up_codes_are_limited_per_address_and_service_wide(app):
    """SMS pumping (issue 13): one client could have codes sent to many numbers."""
    from app.models import PhoneVerification
    from tests.support.foundation import count
    client = app.test_client()

    def ask(n, ip="198.51.100.20"):
        form = {"name": "가입자", "email": f"pump{n}@example.com", "password": "Str0ng-passw0rd!",
                "password_confirm": "Str0ng-passw0rd!", "phone": f"0102345{n:04d}",
                "agree_terms": "1", "agree_privacy": "1"}
        return client.post("/signup/", data=form, environ_overrides={"REMOTE_ADDR": ip})

    for n in range(10):
        assert ask(n).status_code == 302
    refused = ask(10)
    assert refused.status_code == 429 and "이 네트워크에서 인증번호를 너무 많이 요청했습니다" in text_of(refused)
    assert count(app, PhoneVerification) == 10
    assert ask(11, ip="203.0.113.9").status_code == 302          # another address is not hurt
    app.config["SIGNUP_CODES_PER_HOUR"] = 11
    busy = ask(12, ip="192.0.2.77")
    assert busy.status_code == 429 and "가입 인증 요청이 많아" in text_of(busy)
    assert count(app, PhoneVerification) == 11
