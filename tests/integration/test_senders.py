"""발신정보 (SND-02..08): phone self-verification, document review with operator
decisions, the list and its delete rules, Kakao channels, and tenancy of every route."""
import datetime as dt
import os
import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.domain.recipients import Recipient
from app.domain.sms_plan import SmsRequest
from app.extensions import db
from app.models import AuditLog, KakaoChannel, SandboxMessage, SenderDocument, SenderNumber, StoredFile
from app.services.senders import sender_numbers
from app.services.sending import acceptance, lifecycle
from tests.support.factories import make_customer, make_staff
from tests.support.jobs import run_worker
from tests.support.tenancy import assert_foreign_404
from tests.support.uploads import BAD_DOCUMENTS, PDF, jpeg, png, upload
from tests.support.web import logged_in, text_of


def last_code(app, phone):
    run_worker(app)
    with app.app_context():
        message = db.session.scalars(select(SandboxMessage).where(SandboxMessage.recipient == phone)
                                     .order_by(SandboxMessage.id.desc())).first()
        return re.search(r"\[(\d{6})\]", message.text).group(1)


def rows(app, model):
    with app.app_context():
        return db.session.scalars(select(model).order_by(model.id)).all()


def uploaded_files(app):
    folder = app.config["UPLOAD_DIR"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def corporate_request(client, **changes):
    data = {"owner_type": "employee", "number": "010-3456-7890", "note": "영업팀 김대리",
            "telecom_certificate": upload(png(), "telecom.png"),
            "employment_certificate": upload(PDF, "employment.pdf")}
    data.update(changes)
    return client.post("/senders/numbers/new", data=data, content_type="multipart/form-data")


# --- SND-02 phone self-verification ------------------------------------------------------------

def test_individual_registers_a_mobile_number_by_phone_verification(app):
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    response = client.post("/senders/numbers/new", data={"method": "phone", "number": "010-5555-1234"})
    assert response.status_code == 200 and "인증번호" in text_of(response)
    code = last_code(app, "01055551234")
    response = client.post("/senders/numbers/verify", data={"code": code})
    assert response.status_code == 302
    with app.app_context():
        sender = db.session.scalar(select(SenderNumber).where(SenderNumber.number == "01055551234"))
        assert (sender.status, sender.method) == ("approved", "phone")
    assert "010-5555-1234" in text_of(client.get("/senders/"))


def test_a_rejected_document_request_proven_by_phone_loses_its_documents(app):
    """SND-02/SND-04: the number is approved by the code; the rejected request's
    certificates are not kept attached (nor downloadable, nor on disk)."""
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    client.post("/senders/numbers/new", content_type="multipart/form-data",
                data={"method": "documents", "number": "010-5555-4321",
                      "telecom_certificate": upload(png(), "telecom.png")})
    sender = rows(app, SenderNumber)[-1]
    [document] = rows(app, SenderDocument)
    operator = logged_in(app, *make_staff(app, "Operator"))
    operator.post(f"/staff/queues/sender-numbers/decide/{sender.id}",
                  data={"decision": "reject", "reason": "가입 통신사 증명이 흐립니다."})
    assert len(uploaded_files(app)) == 1
    client.post("/senders/numbers/new", data={"method": "phone", "number": "010-5555-4321"})
    client.post("/senders/numbers/verify", data={"code": last_code(app, "01055554321")})
    with app.app_context():
        sender = db.session.get(SenderNumber, sender.id)
        assert (sender.status, sender.method, sender.documents) == ("approved", "phone", [])
    assert rows(app, SenderDocument) == [] and uploaded_files(app) == []
    assert client.get(f"/files/{document.file_id}").status_code == 404


@pytest.mark.parametrize("number,message", [("02-1234-5678", "휴대폰 번호만"), ("010-0234-5678", "존재하지 않는"),
                                            ("abc", "숫자")])
def test_phone_verification_refuses_what_it_cannot_verify(app, number, message):
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    response = client.post("/senders/numbers/new", data={"method": "phone", "number": number})
    assert response.status_code == 422 and message in text_of(response)


def test_a_wrong_code_does_not_register(app):
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    client.post("/senders/numbers/new", data={"method": "phone", "number": "010-5555-1234"})
    code = last_code(app, "01055551234")
    response = client.post("/senders/numbers/verify", data={"code": "999999" if code != "999999" else "111111"})
    assert response.status_code == 422 and "일치하지 않습니다" in text_of(response)
    assert len(rows(app, SenderNumber)) == 1  # only the sign-up number


def test_duplicates_in_one_account_are_refused(app):
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    response = client.post("/senders/numbers/new", data={"method": "phone", "number": c.phone})
    assert response.status_code == 409 and "이미 등록된" in text_of(response)


# --- SND-03/04/05 documents and review ----------------------------------------------------------

def test_corporate_employee_number_needs_both_documents(app):
    c = make_customer(app, kind="corporate")
    client = logged_in(app, c.login, c.password)
    response = corporate_request(client, employment_certificate=upload(b"", ""))
    assert response.status_code == 422 and "재직증명서" in text_of(response)
    response = corporate_request(client, owner_type="")
    assert response.status_code == 422 and "소유자" in text_of(response)
    response = corporate_request(client, note="가" * 101)
    assert response.status_code == 422 and "요청사항" in text_of(response)
    assert len(rows(app, SenderNumber)) == 1 and uploaded_files(app) == []
    assert corporate_request(client).status_code == 302
    with app.app_context():
        sender = db.session.scalar(select(SenderNumber).where(SenderNumber.number == "01034567890"))
        assert sender.status == "requested" and sorted(d.kind for d in sender.documents) == \
            ["employment_certificate", "telecom_certificate"]
    assert len(uploaded_files(app)) == 2


@pytest.mark.parametrize("name,data,message", BAD_DOCUMENTS)
def test_upload_fuzzing_gives_clear_errors_and_stores_nothing(app, name, data, message):
    c = make_customer(app, kind="corporate")
    client = logged_in(app, c.login, c.password)
    response = corporate_request(client, owner_type="company", telecom_certificate=upload(data, name))
    assert response.status_code in (413, 422), response.status_code
    assert message in text_of(response) or response.status_code == 413
    assert len(rows(app, SenderNumber)) == 1 and rows(app, StoredFile) == [] and uploaded_files(app) == []


def test_operator_rejects_with_a_reason_the_customer_reads_it_and_resubmits(app):
    c = make_customer(app, kind="corporate")
    client = logged_in(app, c.login, c.password)
    corporate_request(client)
    sender = rows(app, SenderNumber)[-1]
    operator = logged_in(app, *make_staff(app, "Operator"))
    queue = text_of(operator.get("/staff/queues/sender-numbers/list/"))
    assert "010-3456-7890" in queue and "대기" in queue
    show = operator.get(f"/staff/queues/sender-numbers/show/{sender.id}")
    docs = rows(app, SenderDocument)
    html = show.get_data(as_text=True)
    assert all(f"/files/{d.file_id}" in html for d in docs) and "<iframe" in html and "<img" in html
    # the documents open for staff
    assert operator.get(f"/files/{docs[0].file_id}").status_code == 200
    # a reason is required
    no_reason = operator.post(f"/staff/queues/sender-numbers/decide/{sender.id}", data={"decision": "reject"},
                              follow_redirects=True)
    assert "반려 사유" in text_of(no_reason)
    operator.post(f"/staff/queues/sender-numbers/decide/{sender.id}",
                  data={"decision": "reject", "reason": "재직증명서 발급일이 3개월을 넘었습니다."})
    detail = client.get(f"/senders/numbers/{sender.id}")
    assert "재직증명서 발급일이 3개월을 넘었습니다." in text_of(detail) and "반려됨" in text_of(detail)
    # resubmit with fresh documents: they replace the old ones
    old_files = set(uploaded_files(app))
    response = client.post(f"/senders/numbers/{sender.id}/resubmit", content_type="multipart/form-data",
                           data={"owner_type": "employee", "telecom_certificate": upload(jpeg(), "t2.jpg"),
                                 "employment_certificate": upload(png(), "e2.png")})
    assert response.status_code == 302
    assert not (set(uploaded_files(app)) & old_files) and len(uploaded_files(app)) == 2
    operator.post(f"/staff/queues/sender-numbers/decide/{sender.id}", data={"decision": "approve"})
    assert "등록완료" in text_of(client.get(f"/senders/numbers/{sender.id}"))
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "sender_number")
                                     .order_by(AuditLog.id)).all()
        assert actions == ["reject", "approve"]


def test_bulk_approve_rechecks_each_row(app):
    c = make_customer(app, kind="corporate")
    client = logged_in(app, c.login, c.password)
    corporate_request(client, number="010-3456-7890")
    corporate_request(client, number="010-3456-7891", owner_type="company")
    first, second = rows(app, SenderNumber)[-2:]
    operator = logged_in(app, *make_staff(app, "Operator"))
    operator.post(f"/staff/queues/sender-numbers/decide/{first.id}", data={"decision": "reject", "reason": "서류 불명확"})
    response = operator.post("/staff/queues/sender-numbers/action_post",
                             data={"action": "approve_selected", "rowid": [str(first.id), str(second.id)]},
                             follow_redirects=True)
    assert "1건을 승인" in text_of(response)
    with app.app_context():
        assert db.session.get(SenderNumber, first.id).status == "rejected"
        assert db.session.get(SenderNumber, second.id).status == "approved"


# --- SND-06 list and delete ------------------------------------------------------------------------

def test_list_shows_the_signup_number_with_name_and_no_delete(app):
    c = make_customer(app, name="우정민")
    client = logged_in(app, c.login, c.password)
    page = client.get("/senders/")
    text = text_of(page)
    assert "문자메시지" in text and "(우정민)" in text and "등록완료" in text
    signup = rows(app, SenderNumber)[0]
    response = client.post(f"/senders/numbers/{signup.id}/delete")
    assert response.status_code == 409 and "삭제할 수 없습니다" in text_of(response)
    assert len(rows(app, SenderNumber)) == 1


def test_a_number_a_scheduled_send_uses_is_kept_with_the_reason_until_the_send_is_cancelled(app):
    """SND-06: the refusal names its reason and changes nothing; once the send is
    cancelled the number and its documents go."""
    c = make_customer(app, kind="corporate", cash=10_000)
    client = logged_in(app, c.login, c.password)
    corporate_request(client, owner_type="company")
    sender = rows(app, SenderNumber)[-1]
    now = clock.now()
    with app.app_context():
        sender_numbers.decide_number(sender.id, approve=True, actor=None, now=now)
        booked = acceptance.accept(SmsRequest(account_id=c.account_id, sender=sender.number, body="예약 안내",
                                              recipients=[Recipient("01023456701", None, {}, 1)],
                                              scheduled_at=now + dt.timedelta(days=1)), now=now).send.id
    response = client.post(f"/senders/numbers/{sender.id}/delete")
    assert response.status_code == 409 and "예약 발송에 사용 중" in text_of(response)
    with app.app_context():
        lifecycle.cancel(account_id=c.account_id, send_id=booked, now=now)
    files_before = uploaded_files(app)
    assert client.post(f"/senders/numbers/{sender.id}/delete").status_code == 302
    assert len(rows(app, SenderNumber)) == 1 and len(uploaded_files(app)) == len(files_before) - 1


def test_list_is_paginated(app):
    c = make_customer(app, kind="corporate")
    with app.app_context():
        for i in range(12):
            sender_numbers.request_by_documents(account_id=c.account_id, number=f"0212345{i:03d}", owner_type="company",
                                         telecom=("t.pdf", PDF), employment=None, note=None,
                                         now=__import__("app").clock.now())
    client = logged_in(app, c.login, c.password)
    first = client.get("/senders/").get_data(as_text=True)
    second = client.get("/senders/?page=2").get_data(as_text=True)
    assert first.count('class="sender-row"') == 10 and second.count('class="sender-row"') == 3
    assert "(고객" in first  # the sign-up number leads the list


# --- SND-07/08 Kakao channels ------------------------------------------------------------------------

def test_individual_accounts_are_pointed_to_corporate_conversion(app):
    c = make_customer(app)
    client = logged_in(app, c.login, c.password)
    assert "기업전환" in text_of(client.get("/senders/channels/new"))
    response = client.post("/senders/channels/new", data={"search_id": "@shop", "admin_phone": "01012345678"})
    assert response.status_code == 403 and "기업전환" in text_of(response)


def test_channel_is_verified_by_its_admin_then_approved_with_the_sender_key(app):
    c = make_customer(app, kind="corporate")
    client = logged_in(app, c.login, c.password)
    refused = client.post("/senders/channels/new", data={"search_id": "@shop", "admin_phone": "01022223393"})
    assert refused.status_code == 422 and "관리자에 등록된 휴대전화번호" in text_of(refused)
    bad = client.post("/senders/channels/new", data={"search_id": "@shop", "admin_phone": "010-2222-3344"})
    assert bad.status_code == 422 and "숫자만" in text_of(bad)
    bad = client.post("/senders/channels/new", data={"search_id": "@ shop!", "admin_phone": "01022223344"})
    assert bad.status_code == 422 and "채널 아이디" in text_of(bad)
    assert client.post("/senders/channels/new", data={"search_id": "shop", "admin_phone": "01022223344"}).status_code == 200
    code = last_code(app, "01022223344")
    assert client.post("/senders/channels/verify", data={"code": code}).status_code == 302
    channel = rows(app, KakaoChannel)[0]
    assert (channel.search_id, channel.status) == ("@shop", "requested")
    assert "등록요청" in text_of(client.get("/senders/"))
    operator = logged_in(app, *make_staff(app, "Operator"))
    assert "@shop" in text_of(operator.get("/staff/queues/channels/list/"))
    operator.post(f"/staff/queues/channels/decide/{channel.id}", data={"decision": "approve"})
    channel = rows(app, KakaoChannel)[0]
    assert (channel.status, channel.sender_key) == ("approved", "SANDBOX-@shop")


# --- tenancy of every sender route (ACC-07) -------------------------------------------------------------

def test_another_accounts_sender_items_and_documents_answer_404(app):
    a = make_customer(app, kind="corporate")
    b = make_customer(app, kind="corporate")
    alice = logged_in(app, a.login, a.password)
    corporate_request(alice)
    with app.app_context():
        now = __import__("app").clock.now()
        db.session.add(KakaoChannel(account_id=a.account_id, search_id="@alice", admin_phone="01011112222",
                                    verified_at=now, status="rejected", reject_reason="비밀 사유", requested_at=now))
        db.session.commit()
    sender = rows(app, SenderNumber)[-1]
    channel = rows(app, KakaoChannel)[0]
    doc = rows(app, SenderDocument)[0]
    bob = logged_in(app, b.login, b.password)
    assert_foreign_404(bob, "GET", f"/senders/numbers/{sender.id}", secret="010-3456-7890")
    assert_foreign_404(bob, "POST", f"/senders/numbers/{sender.id}/resubmit")
    assert_foreign_404(bob, "POST", f"/senders/numbers/{sender.id}/delete")
    assert_foreign_404(bob, "GET", f"/senders/channels/{channel.id}", secret="비밀 사유")
    assert_foreign_404(bob, "POST", f"/senders/channels/{channel.id}/delete")
    assert_foreign_404(bob, "GET", f"/files/{doc.file_id}")
    assert "010-3456-7890" not in text_of(bob.get("/senders/"))
    assert len(rows(app, SenderNumber)) == 3 and len(rows(app, KakaoChannel)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(SenderDocument.id))) == 2
