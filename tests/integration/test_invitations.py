"""ACC-04: a corporate owner invites a login by e-mail; the invitee joins the same
account through the link in the mail. Only owners of corporate accounts invite; a
used, cancelled or expired invitation answers 404."""
import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AccountMember, Invitation, User, UserConsent
from app.services.accounts import accounts
from app.services.shared.mail import outbox_messages
from tests.support.factories import make_customer, make_staff
from tests.support.foundation import count, customer_client, rows
from tests.support.web import logged_in, text_of

START = dt.datetime(2026, 11, 27, 1, 0)
PASSWORD = "purple-monkey-dishwasher"
#: the required consents every new login gives (ACC-01)
CONSENTS = {"agree_terms": "1", "agree_privacy": "1"}


def mails_to(app, address: str):
    with app.app_context():
        return [m for m in outbox_messages() if m["To"] == address]


def invitation_path(app, address: str) -> str:
    """The /invite/<token> path of the newest mail to `address`."""
    messages = mails_to(app, address)
    assert messages, f"no invitation mail to {address}"
    body = messages[-1].get_content()
    url = re.search(r"https?://\S+/invite/\S+", body).group(0)
    return urlparse(url).path


def invite(client, address: str):
    return client.post("/mypage/invite", data={"email": address})


def dashboard_numbers(client) -> dict:
    html = client.get("/dashboard/").get_data(as_text=True)
    stats = re.findall(r'<div class="mb-help">([^<]+)</div><div class="value"[^>]*>([^<]+)</div>', html)
    return dict(stats)


@pytest.fixture
def corporate(app):
    """A corporate owner with a distinctive daily cap, logged in."""
    owner, client = customer_client(app, kind="corporate", name="메가버드 주식회사")
    operator = make_staff(app, "Operator")[0]
    with app.app_context():
        accounts.set_daily_cap(account_id=owner.account_id, cap=4321, reason="테스트",
                               actor=app.appbuilder.sm.find_user(username=operator), now=clock.now())
    return owner, client


def test_acc04_owner_invites_and_the_invitee_sees_the_same_account(app, corporate):
    owner, owner_client = corporate
    response = invite(owner_client, "new.colleague@example.com")
    assert response.status_code == 302
    [mail] = mails_to(app, "new.colleague@example.com")
    assert "메가버드 주식회사" in mail["Subject"]
    path = invitation_path(app, "new.colleague@example.com")
    assert "대기 중인 초대" in text_of(owner_client.get("/mypage/")) and \
        "new.colleague@example.com" in text_of(owner_client.get("/mypage/"))

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "메가버드 주식회사" in text_of(page) and "new.colleague@example.com" in text_of(page)
    response = invitee.post(path, data={"name": "이동료", "password": PASSWORD, "password_confirm": PASSWORD,
                                        **CONSENTS})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")

    # logged in straight away, on the same account: the same numbers and name
    mine, theirs = dashboard_numbers(invitee), dashboard_numbers(owner_client)
    assert mine == theirs and mine["일일 발송 한도"].startswith("4,321") and mine["회원 유형"] == "기업회원"
    assert "이동료님 안녕하세요!" in text_of(invitee.get("/dashboard/"))
    members_page = text_of(owner_client.get("/mypage/"))
    assert "이동료" in members_page and "new.colleague@example.com" in members_page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.colleague@example.com"))
        member = db.session.scalar(select(AccountMember).where(AccountMember.user_id == user.id))
        assert (member.account_id, member.is_owner) == (owner.account_id, False)
        assert [r.name for r in user.roles] == ["Customer"]
    # and the password chosen on the invitation page works for a fresh login
    assert logged_in(app, "new.colleague@example.com", PASSWORD).get("/dashboard/").status_code == 200


def test_acc04_bad_password_on_the_invitation_page_creates_nobody(app, corporate):
    _owner, owner_client = corporate
    invite(owner_client, "weak@example.com")
    path = invitation_path(app, "weak@example.com")
    response = app.test_client().post(path, data={"name": "약한비번", "password": "password",
                                                  "password_confirm": "password", **CONSENTS})
    assert response.status_code == 422 and "흔하거나" in text_of(response)
    assert count(app, User, User.email == "weak@example.com") == 0
    assert app.test_client().get(path).status_code == 200  # still usable


def test_acc01_the_invitee_gives_the_required_consents_too(app, corporate):
    """A login made from an invitation agrees to the terms and the privacy notice as a
    signed-up one does; refusing one creates nobody and names it."""
    _owner, owner_client = corporate
    invite(owner_client, "consent@example.com")
    path = invitation_path(app, "consent@example.com")
    page = text_of(app.test_client().get(path))
    assert "전체 동의" in page and "이용약관 동의 (필수)" in page and "마케팅 정보 수신 동의 (선택)" in page
    response = app.test_client().post(path, data={"name": "동의안함", "password": PASSWORD,
                                                  "password_confirm": PASSWORD, "agree_terms": "1"})
    assert response.status_code == 422
    assert "개인정보 수집·이용 동의는 필수입니다." in text_of(response)
    assert count(app, User, User.email == "consent@example.com") == 0
    with clock.frozen(START):
        response = app.test_client().post(path, data={"name": "모두동의", "password": PASSWORD,
                                                      "password_confirm": PASSWORD, "agree_all": "1"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "consent@example.com"))
        rows = db.session.scalars(select(UserConsent).where(UserConsent.user_id == user.id)
                                  .order_by(UserConsent.kind)).all()
        assert [(r.kind, r.agreed, r.source, r.recorded_at) for r in rows] == [
            ("marketing", True, "invitation", START), ("privacy", True, "invitation", START),
            ("terms", True, "invitation", START)]


def test_acc04_a_member_who_is_not_the_owner_cannot_invite(app, corporate):
    _owner, owner_client = corporate
    invite(owner_client, "member@example.com")
    member = app.test_client()
    member.post(invitation_path(app, "member@example.com"),
                data={"name": "일반사용자", "password": PASSWORD, "password_confirm": PASSWORD, **CONSENTS})
    response = invite(member, "third@example.com")
    assert response.status_code == 403
    assert "계정 소유자만 사용자를 초대할 수 있습니다." in text_of(response)
    assert mails_to(app, "third@example.com") == []
    assert count(app, Invitation, Invitation.email == "third@example.com") == 0


def test_acc04_an_individual_account_cannot_invite(app):
    _customer, client = customer_client(app)
    response = invite(client, "friend@example.com")
    assert response.status_code == 403
    assert "사용자 초대는 기업회원만 이용할 수 있습니다." in text_of(response)
    assert mails_to(app, "friend@example.com") == [] and count(app, Invitation) == 0


def test_acc04_inviting_a_registered_email_is_refused(app, corporate):
    _owner, owner_client = corporate
    existing = make_customer(app)
    response = invite(owner_client, existing.login)
    assert response.status_code == 422 and "이미 가입된 이메일" in text_of(response)
    assert count(app, Invitation) == 0


def _assert_gone(app, path: str):
    for response in (app.test_client().get(path),
                     app.test_client().post(path, data={"name": "누구", "password": PASSWORD,
                                                        "password_confirm": PASSWORD, **CONSENTS})):
        assert response.status_code == 404
        assert "유효하지 않거나 만료된 초대입니다." in text_of(response)


def test_acc04_a_used_invitation_answers_404(app, corporate):
    _owner, owner_client = corporate
    invite(owner_client, "once@example.com")
    path = invitation_path(app, "once@example.com")
    app.test_client().post(path, data={"name": "한번만", "password": PASSWORD, "password_confirm": PASSWORD, **CONSENTS})
    _assert_gone(app, path)
    assert count(app, User, User.email == "once@example.com") == 1


def test_acc04_a_cancelled_invitation_answers_404(app, corporate):
    _owner, owner_client = corporate
    invite(owner_client, "cancelled@example.com")
    path = invitation_path(app, "cancelled@example.com")
    [invitation] = rows(app, Invitation)
    response = owner_client.post(f"/mypage/invitations/{invitation['id']}/cancel")
    assert response.status_code == 302
    assert "cancelled@example.com" not in text_of(owner_client.get("/mypage/"))
    _assert_gone(app, path)
    assert count(app, User, User.email == "cancelled@example.com") == 0


def test_acc04_an_invitation_expires_after_seven_days(app, corporate):
    _owner, owner_client = corporate
    with clock.frozen(START):
        invite(owner_client, "late@example.com")
    path = invitation_path(app, "late@example.com")
    with clock.frozen(START + dt.timedelta(days=6, hours=23)):
        assert app.test_client().get(path).status_code == 200
    with clock.frozen(START + dt.timedelta(days=7, seconds=1)):
        _assert_gone(app, path)
    assert count(app, User, User.email == "late@example.com") == 0


def test_acc04_an_unknown_token_answers_404(app):
    _assert_gone(app, "/invite/not-a-real-token")
