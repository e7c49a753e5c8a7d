"""Staff suspend or revoke a sender number found abused (발신번호 사전등록제, issue 12): a
required reason, an audit entry, the customer sees the state and the reason, the
number's scheduled sends are cancelled with their whole hold refunded (the pipeline's
own cancel), sending from it is refused in Korean, a suspended number can be reinstated
and a revoked one cannot."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, InvalidState, ValidationError
from app.extensions import db
from app.models import AuditLog, Send, SenderNumber
from app.services.ops import sender_enforcement
from app.services.senders import sender_numbers
from tests.support.api import error_of as api_error_of, post_sms, sms_body
from tests.support.compose import error_of, quote, send
from tests.support.foundation import flashed, follow, rows, staff_client
from tests.support.pipeline import (NOW, accept, actor, add_sender_number, api_customer, balance, invariant,
                                    messages, new_key, phones, send_row, staff_user, work)
from tests.support.uploads import png
from tests.support.web import logged_in, text_of

SECOND_NUMBER = "0212345678"
LATER = NOW + dt.timedelta(hours=3)
REASON = "스미싱 신고 접수: 번호 도용 확인"


@pytest.fixture
def pinned():
    with clock.frozen(NOW):
        yield NOW


def _customer(app, **kwargs):
    from tests.support.factories import make_customer
    customer = make_customer(app, cash=1_000, **kwargs)
    sender_id = add_sender_number(app, customer.account_id, SECOND_NUMBER)
    return customer, sender_id


def _sender(app, sender_id) -> dict:
    [row] = rows(app, SenderNumber, SenderNumber.id == sender_id)
    return row


def _audit(app, object_type: str):
    return rows(app, AuditLog, AuditLog.object_type == object_type, order_by=AuditLog.id)


def test_suspending_cancels_the_numbers_scheduled_sends_with_their_refund(app, pinned):
    customer, sender_id = _customer(app)
    stopped = accept(app, customer, phones(1, 2, 3), sender=SECOND_NUMBER, scheduled_at=LATER, enqueue=False)
    other = accept(app, customer, phones(4, 5), scheduled_at=LATER, enqueue=False)   # the sign-up number's
    assert balance(app, customer.account_id) == (1_000 - 60 - 40, 0)
    login, operator = staff_client(app, "Operator")

    response = operator.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": REASON})
    assert response.status_code == 302
    assert "발신번호를 이용정지했습니다. 예약 발송 1건을 취소하고 60원을 환급했습니다." in flashed(follow(operator, response))

    sender = _sender(app, sender_id)
    assert (sender["status"], sender["stop_reason"], sender["stopped_at"]) == ("suspended", REASON, NOW)
    cancelled = send_row(app, stopped.send_id)
    assert (cancelled["status"], cancelled["refunded_amount"], cancelled["cancelled_at"]) == ("cancelled", 60, NOW)
    assert send_row(app, other.send_id)["status"] == "scheduled"
    assert balance(app, customer.account_id) == (1_000 - 40, 0)
    assert invariant(app) == []
    [suspended] = _audit(app, "sender_number")
    assert (suspended["action"], suspended["actor_login"], suspended["reason"], suspended["account_id"]) == \
        ("suspend_sender_number", login, REASON, customer.account_id)
    [cancel] = _audit(app, "send")
    assert (cancel["action"], cancel["object_id"], cancel["actor_login"]) == ("cancel_send", str(stopped.send_id), login)
    assert REASON in cancel["reason"]


def test_the_customer_sees_the_state_and_the_reason_and_cannot_delete_it(app, pinned):
    customer, sender_id = _customer(app)
    operator = staff_user(app)
    with app.app_context():
        sender_enforcement.suspend(sender_id, actor=actor(operator), reason=REASON, now=NOW)
    client = logged_in(app, customer.login, customer.password)

    listing = text_of(client.get("/senders/"))
    assert "02-1234-5678 이용정지 사유: " + REASON in listing
    detail = client.get(f"/senders/numbers/{sender_id}")
    assert detail.status_code == 200
    page = text_of(detail)
    assert "이용정지" in page and f"정지 사유 {REASON}" in page and "관리자가 이용정지했습니다" in page

    refused = client.post(f"/senders/numbers/{sender_id}/delete")
    assert refused.status_code == 409
    assert "이용정지된 발신번호는 삭제할 수 없습니다." in text_of(refused)
    assert _sender(app, sender_id)["status"] == "suspended"


@pytest.mark.parametrize("stop", ["suspend", "revoke"])
def test_sending_from_a_stopped_number_is_refused_in_korean(app, pinned, stop):
    customer, key = api_customer(app)
    sender_id = add_sender_number(app, customer.account_id, SECOND_NUMBER)
    operator = staff_user(app)
    with app.app_context():
        getattr(sender_enforcement, stop)(sender_id, actor=actor(operator), reason=REASON, now=NOW)
    label = "이용정지" if stop == "suspend" else "등록취소"
    expected = f"{label}된 발신번호 02-1234-5678로는 보낼 수 없습니다 (사유: {REASON}). 다른 발신번호를 선택해주세요."

    with app.app_context(), pytest.raises(ValidationError) as refused:
        sender_numbers.approved_number(customer.account_id, "02-1234-5678")
    assert (refused.value.message, refused.value.field, refused.value.code) == \
        (expected, "발신번호", f"sender_{'suspended' if stop == 'suspend' else 'revoked'}")

    client = logged_in(app, customer.login, customer.password)
    for response in (quote(client, customer, phones(1), sender=SECOND_NUMBER),
                     send(client, customer, phones(1), sender=SECOND_NUMBER)):
        assert response.status_code == 422
        assert error_of(response)["message"] == expected
    compose = client.get("/sms/").get_data(as_text=True)
    assert "02-1234-5678" not in compose              # not offered as a sender any more

    api = new_key(app, customer.account_id, name="두번째")
    error = api_error_of(post_sms(app.test_client(), api, sms_body(customer, phones(2), **{"from": SECOND_NUMBER})),
                         422, f"sender_{'suspended' if stop == 'suspend' else 'revoked'}", "from")
    assert error["message"] == expected
    assert rows(app, Send, Send.account_id == customer.account_id) == []
    assert key


def test_a_send_in_progress_stops_sending_from_it_and_costs_nothing(app, pinned):
    """Accepted before the suspension, not dispatched yet: dispatch asks before every batch."""
    customer, sender_id = _customer(app)
    accepted = accept(app, customer, phones(1, 2), sender=SECOND_NUMBER)
    operator = staff_user(app)
    with app.app_context():
        sender_enforcement.suspend(sender_id, actor=actor(operator), reason=REASON, now=NOW)
    work(app)
    assert {(m["state"], m["category"], m["charge"]) for m in messages(app, accepted.send_id)} == \
        {("failed", "sender_number_error", 0)}


def test_a_suspended_number_is_reinstated_and_sends_again(app, pinned):
    customer, sender_id = _customer(app)
    stopped = accept(app, customer, phones(1), sender=SECOND_NUMBER, scheduled_at=LATER, enqueue=False)
    login, operator = staff_client(app, "Operator")
    assert operator.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": REASON}).status_code == 302

    page = text_of(operator.get(f"/staff/sender-numbers/show/{sender_id}"))
    assert f"이용정지됨 — {REASON}" in page and "정지 해제" in page
    response = operator.post(f"/staff/sender-numbers/{sender_id}/reinstate", data={"reason": "본인 확인 완료"})
    assert "이용정지를 해제했습니다." in flashed(follow(operator, response))

    sender = _sender(app, sender_id)
    assert (sender["status"], sender["stop_reason"], sender["stopped_at"]) == ("approved", None, None)
    assert send_row(app, stopped.send_id)["status"] == "cancelled"         # a cancel stays a cancel
    again = accept(app, customer, phones(2), sender=SECOND_NUMBER, scheduled_at=LATER, enqueue=False)
    assert send_row(app, again.send_id)["status"] == "scheduled"
    assert [(a["action"], a["reason"]) for a in _audit(app, "sender_number")] == \
        [("suspend_sender_number", REASON), ("reinstate_sender_number", "본인 확인 완료")]
    assert _audit(app, "sender_number")[-1]["actor_login"] == login


def test_a_revoked_number_is_final(app, pinned):
    customer, sender_id = _customer(app)
    operator_login = staff_user(app)
    with app.app_context():
        sender_enforcement.suspend(sender_id, actor=actor(operator_login), reason="조사 중", now=NOW)
        sender_enforcement.revoke(sender_id, actor=actor(operator_login), reason=REASON, now=NOW)   # suspended → revoked
    _login, operator = staff_client(app, "Operator")

    refused = operator.post(f"/staff/sender-numbers/{sender_id}/reinstate", data={"reason": "실수"})
    assert refused.status_code == 409
    assert "등록취소된 발신번호는 되돌릴 수 없습니다." in text_of(refused)
    again = operator.post(f"/staff/sender-numbers/{sender_id}/revoke", data={"reason": REASON})
    assert again.status_code == 409 and "이미 등록취소된 발신번호입니다." in text_of(again)
    suspend = operator.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": REASON})
    assert suspend.status_code == 409 and "등록취소된 발신번호는 이용정지할 수 없습니다." in text_of(suspend)
    page = text_of(operator.get(f"/staff/sender-numbers/show/{sender_id}"))
    assert "등록취소는 되돌릴 수 없습니다" in page and "정지 해제" not in page
    assert _sender(app, sender_id)["status"] == "revoked"
    assert [a["action"] for a in _audit(app, "sender_number")] == ["suspend_sender_number", "revoke_sender_number"]

    # the customer can neither delete it nor register it again
    with app.app_context():
        with pytest.raises(InvalidState):
            sender_numbers.delete_number(account_id=customer.account_id, sender_id=sender_id, now=NOW)
        with pytest.raises(Conflict) as duplicate:
            sender_numbers.request_by_documents(account_id=customer.account_id, number="02-1234-5678", owner_type=None,
                                                telecom=("a.png", png()), employment=None, note=None, now=NOW)
        assert "등록취소된 발신번호라 다시 등록할 수 없습니다" in duplicate.value.message
        mobile = add_sender_number(app, customer.account_id, "01077778888")
        sender_enforcement.revoke(mobile, actor=actor(operator_login), reason=REASON, now=NOW)
        with pytest.raises(Conflict):
            sender_numbers.start_phone_verification(account_id=customer.account_id, number="010-7777-8888", now=NOW)
    assert _sender(app, sender_id)["status"] == "revoked"


def test_the_reason_is_required_and_a_refusal_changes_nothing(app, pinned):
    customer, sender_id = _customer(app)
    stopped = accept(app, customer, phones(1), sender=SECOND_NUMBER, scheduled_at=LATER, enqueue=False)
    _login, operator = staff_client(app, "Operator")
    for action in ("suspend", "revoke"):
        response = operator.post(f"/staff/sender-numbers/{sender_id}/{action}", data={"reason": "   "})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "사유를 입력해주세요." in text_of(response) and "has-error" in html
    long = operator.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": "가" * 501})
    assert long.status_code == 422 and "사유는 500자 이하로 입력해주세요." in text_of(long)
    assert _sender(app, sender_id)["status"] == "approved"
    assert send_row(app, stopped.send_id)["status"] == "scheduled"
    assert _audit(app, "sender_number") == [] and _audit(app, "send") == []


@pytest.mark.parametrize("status", ["requested", "rejected"])
def test_only_an_approved_number_can_be_stopped(app, pinned, status):
    customer, _ = _customer(app)
    sender_id = add_sender_number(app, customer.account_id, "0311234567", status=status)
    _login, operator = staff_client(app, "Operator")
    response = operator.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": REASON})
    assert response.status_code == 409
    assert "등록완료된 발신번호만 이용정지할 수 있습니다." in text_of(response)
    reinstate = operator.post(f"/staff/sender-numbers/{sender_id}/reinstate")
    assert reinstate.status_code == 409 and "이용정지된 발신번호만 정지를 해제할 수 있습니다." in text_of(reinstate)
    assert _sender(app, sender_id)["status"] == status


def test_an_unknown_number_is_404_and_other_roles_are_refused(app, pinned):
    customer, sender_id = _customer(app)
    _login, operator = staff_client(app, "Operator")
    assert operator.post("/staff/sender-numbers/999999/suspend", data={"reason": REASON}).status_code == 404
    assert operator.get("/staff/sender-numbers/show/999999").status_code == 404
    _login, finance = staff_client(app, "Finance")
    assert finance.post(f"/staff/sender-numbers/{sender_id}/suspend", data={"reason": REASON}).status_code == 403
    customer_client = logged_in(app, customer.login, customer.password)
    assert customer_client.post(f"/staff/sender-numbers/{sender_id}/revoke", data={"reason": REASON}).status_code == 403
    assert _sender(app, sender_id)["status"] == "approved"


def test_the_staff_list_and_page_read_in_korean(app, pinned):
    customer, sender_id = _customer(app)
    accept(app, customer, phones(1), sender=SECOND_NUMBER, scheduled_at=LATER, enqueue=False)
    _login, operator = staff_client(app, "Operator")
    listing = text_of(operator.get("/staff/sender-numbers/list/"))
    assert "02-1234-5678" in listing and "등록완료" in listing and "휴대폰 본인 확인" in listing
    assert "None" not in listing and "approved" not in listing
    page = text_of(operator.get(f"/staff/sender-numbers/show/{sender_id}"))
    assert "예약 발송 1건" in page and "None" not in page
    with app.app_context():
        assert db.session.scalar(select(SenderNumber.status).where(SenderNumber.id == sender_id)) == "approved"
