"""Issue 12: when a sender number, a Kakao channel, a 기업전환 or an API-use application is
approved or rejected, the customer is told — a notice in the portal (the header's unread
count, the 알림 page) and an e-mail to the owner, with the reason — through the one hook in
shared/reviews.decide. The e-mail is written in the decision's transaction and sent after
it by the real RQ worker (or the tick, when the enqueue was lost); a delivery run twice or
at once sends it once; a mail server that refuses is tried again, then given up."""
from __future__ import annotations

import datetime as dt
import re
import socket
import threading

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db, redis_connection
from app.models import (AccountNotice, ApiUseApplication, CorporateConversion, KakaoChannel, MailOutbox,
                        SandboxMessage, SenderNumber, TopupRequest, User)
from app.services import periodic
from app.services.accounts import accounts
from app.services.senders import kakao_channels, sender_numbers
from app.services.shared import mail, notices, uow
from app.services.wallet import topups
from tests.support.factories import make_staff
from tests.support.foundation import apply_conversion, customer_client, rows, staff_client
from tests.support.jobs import run_worker
from tests.support.tenancy import assert_foreign_404
from tests.support.uploads import PDF, png, upload
from tests.support.web import text_of

DECIDED_AT = dt.datetime(2026, 12, 2, 5, 0)          # 14:00 KST


def operator(app):
    login, _ = make_staff(app, "Operator")
    with app.app_context():
        return app.appbuilder.sm.find_user(username=login).id


def as_actor(user_id):
    return db.session.get(User, user_id)


def mails(app, to: str | None = None):
    with app.app_context():
        return [m for m in mail.outbox_messages() if to is None or m["To"] == to]


def outbox_states(app) -> list[str]:
    return [row["state"] for row in rows(app, MailOutbox)]


def request_number(app, client):
    """A corporate employee's number by documents (waits for an operator)."""
    response = client.post("/senders/numbers/new", content_type="multipart/form-data", data={
        "owner_type": "employee", "number": "010-3456-7890", "note": "영업팀",
        "telecom_certificate": upload(png(), "telecom.png"), "employment_certificate": upload(PDF, "employment.pdf")})
    assert response.status_code == 302, text_of(response)[:300]
    return rows(app, SenderNumber)[-1]["id"]


def unread_badge(client) -> str | None:
    found = re.search(r'id="notice-count">(\d+)<', client.get("/dashboard/").get_data(as_text=True))
    return found.group(1) if found else None


def test_a_rejected_then_approved_sender_number_is_told_by_notice_and_email_with_the_reason(app):
    owner, client = customer_client(app, kind="corporate", name="메가버드", login="owner@megabird.example")
    staff = operator(app)
    sender_id = request_number(app, client)
    assert unread_badge(client) is None
    with app.app_context(), clock.frozen(DECIDED_AT):
        sender_numbers.decide_number(sender_id, approve=False, actor=as_actor(staff), now=clock.now(),
                                     reason="재직증명서 발급일이 3개월을 넘었습니다.")
    # written with the decision, not sent inside it
    assert outbox_states(app) == ["pending"] and mails(app) == []
    run_worker(app)
    [rejected] = mails(app, "owner@megabird.example")
    assert rejected["Subject"] == "[megabird] 발신번호 010-3456-7890 등록이 반려되었습니다"
    body = rejected.get_content()
    assert "안녕하세요, 메가버드님." in body
    assert "요청하신 발신번호 010-3456-7890 등록이 반려되었습니다." in body
    assert "반려 사유: 재직증명서 발급일이 3개월을 넘었습니다." in body
    assert "알림 일시: 2026-12-02 14:00 (한국 시간)" in body and "http://localhost/notices/" in body
    assert "을(를)" not in body and "이(가)" not in body
    assert outbox_states(app) == ["sent"]
    # the portal's notice: the header's count and the list
    assert unread_badge(client) == "1"
    page = text_of(client.get("/notices/"))
    assert "발신번호 010-3456-7890 등록이 반려되었습니다" in page and "재직증명서 발급일이 3개월을 넘었습니다." in page
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="dashboard-notices"' in dashboard
    assert "2026-12-02 14:00 · 발신번호 010-3456-7890 등록이 반려되었습니다" in dashboard

    client.post(f"/senders/numbers/{sender_id}/resubmit", content_type="multipart/form-data", data={
        "owner_type": "employee", "telecom_certificate": upload(png(), "t2.png"),
        "employment_certificate": upload(PDF, "e2.pdf")})
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=as_actor(staff), now=DECIDED_AT)
    run_worker(app)
    approved = mails(app, "owner@megabird.example")[-1]
    assert approved["Subject"] == "[megabird] 발신번호 010-3456-7890 등록이 승인되었습니다"
    assert "이제 이 번호로 문자를 보낼 수 있습니다." in approved.get_content()
    assert "반려 사유" not in approved.get_content()
    assert unread_badge(client) == "2" and len(mails(app)) == 2


def test_a_channel_approval_and_a_conversion_rejection_and_approval_are_told(app):
    owner, client = customer_client(app, kind="individual", name="우정민")
    staff = operator(app)
    assert apply_conversion(client, company_name="주식회사 우정").status_code == 302
    [conversion] = rows(app, CorporateConversion)
    with app.app_context():
        accounts.decide_conversion(conversion["id"], approve=False, actor=as_actor(staff), now=DECIDED_AT,
                                   reason="사업자등록증 사본이 흐려 읽을 수 없습니다.")
    assert apply_conversion(client, company_name="주식회사 우정").status_code == 302
    second = rows(app, CorporateConversion)[-1]
    with app.app_context():
        accounts.decide_conversion(second["id"], approve=True, actor=as_actor(staff), now=DECIDED_AT)
    run_worker(app)
    rejected, approved = mails(app)
    assert rejected["Subject"] == "[megabird] 기업전환 신청이 반려되었습니다"
    assert "반려 사유: 사업자등록증 사본이 흐려 읽을 수 없습니다." in rejected.get_content()
    assert approved["Subject"] == "[megabird] 기업전환 신청이 승인되었습니다"
    assert "주식회사 우정으로 기업회원 전환이 완료되었습니다." in approved.get_content()
    # now corporate: a channel, verified by its admin, approved
    client.post("/senders/channels/new", data={"search_id": "@ujung", "admin_phone": "01022223344"})
    run_worker(app)
    code = sandbox_code(app, "01022223344")
    assert client.post("/senders/channels/verify", data={"code": code}).status_code == 302
    [channel] = rows(app, KakaoChannel)
    with app.app_context():
        kakao_channels.decide_channel(channel["id"], approve=True, actor=as_actor(staff), now=DECIDED_AT)
    run_worker(app)
    told = mails(app)[-1]
    assert told["Subject"] == "[megabird] 카카오 채널 @ujung 등록이 승인되었습니다"
    assert "이제 이 채널로 알림톡과 친구톡을 보낼 수 있습니다." in told.get_content()
    titles = [n["title"] for n in rows(app, AccountNotice)]
    assert titles == ["기업전환 신청이 반려되었습니다", "기업전환 신청이 승인되었습니다",
                      "카카오 채널 @ujung 등록이 승인되었습니다"]
    assert all(n["account_id"] == owner.account_id for n in rows(app, AccountNotice))


def test_a_company_name_without_a_final_consonant_takes_ro(app):
    _owner, client = customer_client(app, name="김대표")
    apply_conversion(client, company_name="메가버드")
    [conversion] = rows(app, CorporateConversion)
    with app.app_context():
        accounts.decide_conversion(conversion["id"], approve=True, actor=as_actor(operator(app)), now=DECIDED_AT)
    [notice] = rows(app, AccountNotice)
    assert notice["body"].startswith("요청하신 기업전환 신청이 승인되었습니다.\n메가버드로 기업회원 전환이 완료되었습니다.")


def test_an_api_use_rejection_is_told_with_its_reason(app):
    _owner, client = customer_client(app, kind="corporate")
    assert client.post("/mypage/api", data={"purpose": "주문 알림 연동", "server_ips": ""}).status_code == 302
    [application] = rows(app, ApiUseApplication)
    with app.app_context():
        accounts.decide_api_use(application["id"], approve=False, actor=as_actor(operator(app)), now=DECIDED_AT,
                                reason="서버 IP를 적어주세요.")
    [notice] = rows(app, AccountNotice)
    assert notice["title"] == "API 사용 신청이 반려되었습니다" and "반려 사유: 서버 IP를 적어주세요." in notice["body"]
    assert notice["link"] == "MyPageView.api_use"


def test_a_decision_that_is_refused_or_rolled_back_tells_nothing(app):
    _owner, client = customer_client(app, kind="corporate")
    staff = operator(app)
    sender_id = request_number(app, client)
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=as_actor(staff), now=DECIDED_AT)
        with pytest.raises(Exception, match="이미 처리된 요청입니다"):
            sender_numbers.decide_number(sender_id, approve=False, actor=as_actor(staff), now=DECIDED_AT,
                                         reason="두 번째 결정")
        with pytest.raises(Exception, match="반려 사유"):
            sender_numbers.decide_number(sender_id, approve=False, actor=as_actor(staff), now=DECIDED_AT)
    assert len(rows(app, AccountNotice)) == 1 and len(rows(app, MailOutbox)) == 1


def test_queues_without_wording_tell_nothing(app):
    """A bank transfer's confirmation is shown on the wallet page; it has no notice."""
    customer, client = customer_client(app)
    assert client.post("/wallet/bank-transfer", data={"amount": "10000", "depositor_name": "홍길동"}).status_code == 302
    request_id = rows(app, TopupRequest)[0]["id"]
    with app.app_context():
        topups.decide_bank_transfer(request_id, approve=True, actor=as_actor(operator(app)), now=DECIDED_AT)
    assert rows(app, AccountNotice) == [] and rows(app, MailOutbox) == []


def test_delivery_run_twice_or_at_once_sends_each_mail_once_and_the_tick_relays_a_lost_enqueue(app):
    _owner, client = customer_client(app, kind="corporate", login="twice@megabird.example")
    staff = operator(app)
    sender_id = request_number(app, client)
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=as_actor(staff), now=DECIDED_AT)
    redis_connection_of(app).flushdb()                       # Redis lost the delivery job
    run_worker(app)
    assert mails(app) == [] and outbox_states(app) == ["pending"]
    barrier = threading.Barrier(3)
    sent, errors = [], []

    def deliver():
        with app.app_context():
            try:
                barrier.wait()
                sent.append(notices.deliver_pending(DECIDED_AT))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sorted(sent) == [0, 0, 1]
    with app.app_context():
        assert periodic.tick(DECIDED_AT + dt.timedelta(seconds=5), only={"notice_mail"}) == {"notice_mail": 0}
    assert len(mails(app, "twice@megabird.example")) == 1 and outbox_states(app) == ["sent"]


def test_the_tick_delivers_what_no_job_was_asked_for(app):
    _owner, client = customer_client(app, kind="corporate", login="tick@megabird.example")
    sender_id = request_number(app, client)
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=as_actor(operator(app)), now=DECIDED_AT)
    redis_connection_of(app).flushdb()
    with app.app_context():
        assert periodic.tick(DECIDED_AT, only={"notice_mail"}) == {"notice_mail": 1}
    assert [m["Subject"] for m in mails(app, "tick@megabird.example")] == [
        "[megabird] 발신번호 010-3456-7890 등록이 승인되었습니다"]


def test_a_refusing_mail_server_is_tried_again_then_given_up(app):
    _owner, client = customer_client(app, kind="corporate")
    sender_id = request_number(app, client)
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=as_actor(operator(app)), now=DECIDED_AT)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port())
    for attempt in range(1, notices.MAX_ATTEMPTS + 1):
        with app.app_context():
            assert notices.deliver_pending(DECIDED_AT) == 0
        [row] = rows(app, MailOutbox)
        assert row["attempts"] == attempt and row["last_error"]
        assert row["state"] == ("failed" if attempt == notices.MAX_ATTEMPTS else "pending")
    app.config.update(MAIL_SERVER="")
    with app.app_context():
        assert notices.deliver_pending(DECIDED_AT) == 0          # given up: not sent later
    assert mails(app) == []


def test_the_notice_page_opens_a_notice_and_marks_all_read(app):
    owner, client = customer_client(app, kind="corporate")
    staff = operator(app)
    sender_id = request_number(app, client)
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=False, actor=as_actor(staff), now=DECIDED_AT,
                                     reason="통신서비스 이용증명원이 아닙니다.")
    [notice] = rows(app, AccountNotice)
    html = client.get("/notices/").get_data(as_text=True)
    assert f'id="notice-{notice["id"]}"' in html and "mb-notice-unread" in html and "새 알림" in html
    response = client.post(f"/notices/{notice['id']}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/senders/")
    assert rows(app, AccountNotice)[0]["read_at"] is not None and unread_badge(client) is None
    with app.app_context():
        for i in range(3):
            with uow.transaction():
                notices.post(account_id=owner.account_id, kind="test", title=f"알림 {i}", body="본문",
                             now=DECIDED_AT, email=False)
    assert unread_badge(client) == "3"
    response = client.post("/notices/read-all", follow_redirects=True)
    assert "알림 3건을 읽음으로 표시했습니다." in text_of(response) and unread_badge(client) is None
    # another account sees none of it
    _stranger, stranger = customer_client(app)
    assert "통신서비스 이용증명원이 아닙니다." not in stranger.get("/notices/").get_data(as_text=True)
    assert_foreign_404(stranger, "POST", f"/notices/{notice['id']}/open")
    # staff have no notice list (a customer page)
    staff_home = staff_client(app, "Operator")[1].get("/staff/")
    assert staff_home.status_code == 200 and "notice-bell" not in staff_home.get_data(as_text=True)


# --- helpers ----------------------------------------------------------------------------------------------

def sandbox_code(app, phone: str) -> str:
    with app.app_context():
        message = db.session.scalars(select(SandboxMessage).where(SandboxMessage.recipient == phone)
                                     .order_by(SandboxMessage.id.desc())).first()
        return re.search(r"\[(\d{6})\]", message.text).group(1)


def redis_connection_of(app):
    with app.app_context():
        return redis_connection()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
