"""AlimTalk sends through the whole pipeline with the sandbox as Kakao and as the carrier
(06-kakao.md KAT-06..09, KRS-04, 10-gateway.md): the magic endings through both layers,
the hold at the higher price, charges per recipient, the refund once, the fallback only
where KAT-07a says, a template that stops being approved between accept and dispatch,
the night rule of an ad fallback, and the ledger invariant."""
from __future__ import annotations

import pytest

from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.recipients import Recipient
from app.errors import ValidationError
from app.extensions import db
from app.models import Message, Send
from app.services.kakao import alimtalk_sends, templates
from app.services.history import queries
from app.services.sending import acceptance
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.pipeline import (NOW, balance, duplicate_submissions, invariant, kst, messages, phones,
                                    run_to_completion, sandbox_rows, send_row)

KAKAO, SMS, LMS = 13, 20, 50      # the default price plan


@pytest.fixture
def corp(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    return customer, template_id


def entries(numbers, **values) -> list[Recipient]:
    values = values or {"고객명": "홍길동", "주문번호": "A-1001"}
    return [Recipient(n, None, dict(values), i) for i, n in enumerate(numbers, start=1)]


def send(app, customer, template_id, numbers, *, fallback=True, now=NOW, **changes) -> int:
    with app.app_context():
        request = AlimtalkRequest(account_id=customer.account_id, channel=None, template=template_id,
                                  recipients=changes.pop("recipients", None) or entries(numbers),
                                  fallback=FallbackRequest(customer.phone, **changes.pop("fallback_changes", {}))
                                  if fallback else None, **changes)
        accepted = alimtalk_sends.accept(request, now=now)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


def test_kat07_krs04_every_layer_of_the_magic_endings(app, corp):
    customer, template_id = corp
    numbers = phones(0, 80, 83, 86, 90, 93, 97, 98)
    before = balance(app, customer.account_id)
    send_id = send(app, customer, template_id, numbers, fallback_changes={"text": "#{고객명}님 주문 #{주문번호} 발송"})
    row = send_row(app, send_id)
    assert (row["unit_price"], row["fallback_unit_price"], row["fallback_msg_type"]) == (KAKAO, SMS, "SMS")
    assert row["hold_amount"] == 8 * max(KAKAO, SMS)
    run_to_completion(app)

    kakao = {m["recipient"]: m for m in messages(app, send_id) if m["layer"] == "primary"}
    with app.app_context():
        fallbacks = {m.recipient: m for m in db.session.query(Message).filter_by(send_id=send_id, layer="fallback")}
        db.session.expunge_all()
    # the Kakao layer: delivered 1000; 80–88 fail on Kakao only; 90–97 on both; 98 never answers
    assert {n[-2:]: (m["result_code"], m["category"]) for n, m in kakao.items()} == {
        "00": ("1000", None), "80": ("3019", "not_deliverable"), "83": ("3016", "template_error"),
        "86": ("1021", "channel_error"), "90": ("3018", "send_failed"), "93": ("3008", "recipient_error"),
        "97": ("3000", "other"), "98": ("TIMEOUT", "other")}
    # a fallback for every Kakao failure but the timeout, sent from the chosen number
    assert sorted(n[-2:] for n in fallbacks) == ["80", "83", "86", "90", "93", "97"]
    assert {n[-2:]: (f.state, f.result_code) for n, f in fallbacks.items()} == {
        "80": ("delivered", "0000"), "83": ("delivered", "0000"), "86": ("delivered", "0000"),
        "90": ("failed", "3001"), "93": ("failed", "3004"), "97": ("failed", "3099")}
    assert all(f.parent_id == kakao[n]["id"] for n, f in fallbacks.items())

    row = send_row(app, send_id)
    assert row["status"] == "completed"
    assert (row["delivered_count"], row["failed_count"]) == (1, 7)
    assert (row["fallback_count"], row["fallback_delivered_count"], row["fallback_failed_count"]) == (6, 3, 3)
    # KRS-04: one Kakao price, three fallback prices, the rest free; the refund is the difference
    charged = KAKAO + 3 * SMS
    assert row["charged_amount"] == charged
    assert row["refunded_amount"] == row["hold_amount"] - charged
    assert balance(app, customer.account_id)[0] == before[0] - charged
    with app.app_context():
        assert queries.categories(send_id, "fallback") == {"power_off": 1, "wrong_number": 1, "other": 1}
        assert queries.categories(send_id)["template_error"] == 1
    # the sandbox got each message once: 8 Kakao, 6 SMS from the fallback number
    rows = sandbox_rows(app, numbers)
    assert sorted((r["channel"], r["recipient"][-2:]) for r in rows) == sorted(
        [("alimtalk", n[-2:]) for n in numbers] + [("sms", e) for e in ("80", "83", "86", "90", "93", "97")])
    assert {r["sender"] for r in rows if r["channel"] == "sms"} == {customer.phone}
    assert {r["sender"] for r in rows if r["channel"] == "alimtalk"} == {"SANDBOX-@shop"}
    assert duplicate_submissions(app) == 0
    assert invariant(app) == []


def test_kat07_the_messages_read_as_rendered_with_their_buttons(app, corp):
    customer, template_id = corp
    numbers = phones(0, 81)
    send_id = send(app, customer, template_id, numbers)
    run_to_completion(app)
    rows = {(r["channel"], r["recipient"][-2:]): r for r in sandbox_rows(app, numbers)}
    assert rows[("alimtalk", "00")]["text"] == "홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다."
    # the default fallback: the rendered message and its web-link button as `버튼명: URL`
    assert rows[("lms", "81")]["text"] == ("홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다.\n"
                                          "배송 조회: https://shop.example.com/o/A-1001")
    assert send_row(app, send_id)["fallback_msg_type"] == "LMS"


def test_kat07_without_fallback_a_kakao_failure_is_final(app, corp):
    customer, template_id = corp
    send_id = send(app, customer, template_id, phones(0, 80), fallback=False)
    row = send_row(app, send_id)
    assert row["hold_amount"] == 2 * KAKAO and row["fallback_unit_price"] is None
    run_to_completion(app)
    row = send_row(app, send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"], row["fallback_count"]) == ("completed", 1, 1, 0)
    assert row["charged_amount"] == KAKAO
    assert invariant(app) == []


def test_kat07a_a_template_blocked_after_accept_fails_template_and_falls_back(app, corp):
    customer, template_id = corp
    numbers = phones(0, 1)
    send_id = send(app, customer, template_id, numbers)
    with app.app_context():
        templates.block(template_id, actor=None, reason="스팸 신고", now=NOW)
    run_to_completion(app)
    assert {m["result_code"] for m in messages(app, send_id) if m["layer"] == "primary"} == {"TEMPLATE"}
    row = send_row(app, send_id)
    assert (row["fallback_count"], row["fallback_delivered_count"], row["charged_amount"]) == (2, 2, 2 * LMS)
    assert [r["channel"] for r in sandbox_rows(app, numbers)] == ["lms", "lms"]
    assert invariant(app) == []


def test_kat07b_two_order_notices_to_one_number_both_go(app, corp):
    customer, template_id = corp
    [number] = phones(0)
    people = [Recipient(number, None, {"고객명": "홍길동", "주문번호": "A-1"}, 1),
              Recipient(number, None, {"고객명": "홍길동", "주문번호": "A-2"}, 2),
              Recipient(number, None, {"고객명": "홍길동", "주문번호": "A-1"}, 3)]
    send_id = send(app, customer, template_id, [], recipients=people)
    row = send_row(app, send_id)
    assert (row["recipient_count"], row["duplicate_count"]) == (2, 1)
    run_to_completion(app)
    assert sorted(r["text"] for r in sandbox_rows(app, [number])) == [
        "홍길동님, 주문하신 상품(주문번호 A-1)이 발송되었습니다.", "홍길동님, 주문하신 상품(주문번호 A-2)이 발송되었습니다."]


def test_kat06_refusals_name_the_row_and_write_nothing(app, corp):
    customer, template_id = corp
    numbers = phones(0, 1)
    people = [Recipient(numbers[0], None, {"고객명": "홍길동", "주문번호": "A-1"}, 1),
              Recipient(numbers[1], None, {"고객명": "김철수"}, 2)]
    with pytest.raises(ValidationError) as refused:
        send(app, customer, template_id, [], recipients=people)
    assert refused.value.code == "variable_missing" and "2행" in refused.value.message
    with pytest.raises(ValidationError) as refused:
        send(app, customer, template_id, numbers, fallback_changes={"text": "#{고객명}님 😀 주문 완료"})
    assert refused.value.code == "fallback_invalid"
    with app.app_context():
        templates.block(template_id, actor=None, reason="x", now=NOW)
    with pytest.raises(ValidationError) as refused:
        send(app, customer, template_id, numbers)
    assert refused.value.code == "template_not_approved"
    with app.app_context():
        assert db.session.query(Send).count() == 0


def test_kat07a_an_ad_fallback_at_night_fails_night_ad_free(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved", message_type="AD",
                                buttons=[{"type": "AC"}])
    night = kst(2026, 11, 27, 22, 0)
    numbers = phones(0, 80)
    send_id = send(app, customer, template_id, numbers, now=night,
                   fallback_changes={"ad_company": "메가샵", "ad_optout": None})
    run_to_completion(app, night)
    row = send_row(app, send_id)
    assert row["status"] == "completed"
    assert (row["fallback_count"], row["fallback_failed_count"], row["charged_amount"]) == (1, 1, KAKAO)
    with app.app_context():
        [m] = db.session.query(Message).filter_by(send_id=send_id, layer="fallback").all()
        assert (m.state, m.result_code, m.charge) == ("failed", "NIGHT_AD", 0)
    assert invariant(app) == []


def test_rel05_ledger_check_finds_a_second_fallback_and_wrong_counters(app, corp):
    """ledger-check's Kakao part can fail: a fallback made twice, counters that drift."""
    customer, template_id = corp
    send_id = send(app, customer, template_id, phones(0, 80, 81))
    run_to_completion(app)
    assert invariant(app) == []
    with app.app_context():
        fallback = db.session.query(Message).filter_by(send_id=send_id, layer="fallback").first()
        twin = Message(send_id=send_id, account_id=fallback.account_id, parent_id=fallback.parent_id, layer="fallback",
                       msg_type=fallback.msg_type, recipient=fallback.recipient, state="failed", charge=0)
        db.session.add(twin)
        db.session.commit()
    problems = invariant(app)
    assert any("2 fallbacks" in p for p in problems) and any("fallback counters" in p for p in problems)
