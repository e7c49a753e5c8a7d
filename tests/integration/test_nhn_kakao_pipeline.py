"""Kakao sends through NHN Cloud's API (GATEWAY_KAKAO=nhn, issue 20), the local server that
speaks it standing in for NHN: the magic-number tests of the AlimTalk and 친구톡 pipelines
again — the same counts, charges and fallbacks — with the template reviewed by the dealer
(KAT-03), the channel's sender key from it, and what NHN received read back from the server.
SMS (the fallbacks) stays the sandbox."""
from __future__ import annotations

import pytest

from app.domain import friendtalk
from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.friendtalk_plan import FallbackRequest as BrandFallback, FriendtalkRequest
from app.domain.recipients import Recipient
from app.extensions import db
from app.models import AlimtalkTemplate, Message
from app.services.history import queries
from app.services.kakao import alimtalk_sends, friendtalk_sends, templates
from app.services.sending import acceptance
from tests.support.dealer import app, dealer  # noqa: F401  (the fixtures)
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.pipeline import (NOW, balance, duplicate_submissions, invariant, phones, run_to_completion,
                                    sandbox_rows, send_row)

KAKAO, TEXT, SMS, LMS = 13, 15, 20, 50      # the default price plan


def reviewed_template(app, account_id: int, channel_id: int, **fields) -> int:
    """A template requested by the customer, registered at the dealer by the tick's job and
    approved by the dealer's reviewer ("[승인]" in its name), its state read back (KAT-03)."""
    template_id = make_template(app, account_id, channel_id, status="requested",
                                name=fields.pop("name", "[승인] 주문 안내"), **fields)
    with app.app_context():
        assert templates.submit_requested(NOW) == 1
        assert templates.sync_reviews(NOW) == 1
        assert db.session.get(AlimtalkTemplate, template_id).status == "approved"
        db.session.commit()
    return template_id


@pytest.fixture
def corp(app, dealer):
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    return customer, channel_id


def layers(app, send_id) -> tuple[dict[str, Message], dict[str, Message]]:
    with app.app_context():
        rows = list(db.session.query(Message).filter_by(send_id=send_id))
        db.session.expunge_all()
    return ({m.recipient: m for m in rows if m.layer == "primary"},
            {m.recipient: m for m in rows if m.layer == "fallback"})


def alimtalk_send(app, customer, template_id, numbers, **fallback) -> int:
    with app.app_context():
        recipients = [Recipient(n, None, {"고객명": "홍길동", "주문번호": "A-1001"}, i)
                      for i, n in enumerate(numbers, start=1)]
        request = AlimtalkRequest(account_id=customer.account_id, channel=None, template=template_id,
                                  recipients=recipients, fallback=FallbackRequest(customer.phone, **fallback))
        accepted = alimtalk_sends.accept(request, now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


def test_kat07_krs04_the_magic_endings_through_the_dealer(app, dealer, corp):
    customer, channel_id = corp
    template_id = reviewed_template(app, customer.account_id, channel_id)
    numbers = phones(0, 80, 83, 86, 90, 93, 97, 98)
    before = balance(app, customer.account_id)
    send_id = alimtalk_send(app, customer, template_id, numbers, text="#{고객명}님 주문 #{주문번호} 발송")
    run_to_completion(app)

    kakao, fallbacks = layers(app, send_id)
    assert {n[-2:]: (m.result_code, m.category) for n, m in kakao.items()} == {
        "00": ("1000", None), "80": ("3019", "not_deliverable"), "83": ("3016", "template_error"),
        "86": ("1021", "channel_error"), "90": ("3018", "send_failed"), "93": ("3008", "recipient_error"),
        "97": ("3000", "other"), "98": ("TIMEOUT", "other")}
    assert {n[-2:]: (f.state, f.result_code) for n, f in fallbacks.items()} == {
        "80": ("delivered", "0000"), "83": ("delivered", "0000"), "86": ("delivered", "0000"),
        "90": ("failed", "3001"), "93": ("failed", "3004"), "97": ("failed", "3099")}
    row = send_row(app, send_id)
    assert row["status"] == "completed"
    assert (row["delivered_count"], row["failed_count"]) == (1, 7)
    assert (row["fallback_count"], row["fallback_delivered_count"], row["fallback_failed_count"]) == (6, 3, 3)
    charged = KAKAO + 3 * SMS
    assert (row["charged_amount"], row["refunded_amount"]) == (charged, row["hold_amount"] - charged)
    assert balance(app, customer.account_id)[0] == before[0] - charged
    with app.app_context():
        assert queries.categories(send_id, "fallback") == {"power_off": 1, "wrong_number": 1, "other": 1}

    # NHN got each recipient once, as one raw-messages request, its content rendered
    sent = dealer.messages()
    assert sorted(m["recipientNo"][-2:] for m in sent) == sorted(n[-2:] for n in numbers)
    assert {m["recipientGroupingKey"] for m in sent} == {str(m.id) for m in kakao.values()}
    assert {m["senderKey"] for m in sent} == {dealer.sender_key("@shop")}
    first = next(m for m in sent if m["recipientNo"].endswith("00"))
    assert first["content"] == "홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다."
    assert dealer.duplicates() == []
    # the fallback SMS went to the sandbox carrier, nothing of Kakao did
    assert {r["channel"] for r in sandbox_rows(app, numbers)} == {"sms"}
    assert duplicate_submissions(app) == 0
    assert invariant(app) == []


def test_kft04_krs04_a_brand_message_through_the_dealer(app, dealer, corp):
    customer, channel_id = corp
    numbers = phones(0, 80, 84, 90, 98)
    before = balance(app, customer.account_id)
    with app.app_context():
        content = friendtalk.check_content("쿠폰이 도착했습니다", [{"type": "WL", "name": "쿠폰 받기",
                                                               "url_mobile": "https://shop.example.com/c"}],
                                           None, wide=False)
        request = FriendtalkRequest(account_id=customer.account_id, channel=channel_id, content=content,
                                    recipients=[Recipient(n, "홍길동", {}, i) for i, n in enumerate(numbers, 1)],
                                    fallback=BrandFallback(customer.phone, ad_company="메가샵", ad_optout=None))
        accepted = friendtalk_sends.accept(request, now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    run_to_completion(app)

    kakao, fallbacks = layers(app, send_id)
    assert {n[-2:]: (m.result_code, m.category) for n, m in kakao.items()} == {
        "00": ("1000", None), "80": ("3019", "not_deliverable"), "84": ("3024", "image_error"),
        "90": ("3018", "send_failed"), "98": ("TIMEOUT", "other")}
    assert {n[-2:]: (f.state, f.result_code) for n, f in fallbacks.items()} == {
        "80": ("delivered", "0000"), "84": ("delivered", "0000"), "90": ("failed", "3001")}
    row = send_row(app, send_id)
    assert row["status"] == "completed"
    charged = TEXT + 2 * LMS          # the ad fallback ((광고), the button line, 080) is an LMS
    assert (row["charged_amount"], row["refunded_amount"]) == (charged, row["hold_amount"] - charged)
    assert balance(app, customer.account_id)[0] == before[0] - charged
    requests_ = dealer.requests(path="freestyle-messages", method="POST")
    assert len(requests_) == 1
    body = requests_[0]["body"]
    assert (body["chatBubbleType"], body["content"], body["senderKey"]) == ("TEXT", "쿠폰이 도착했습니다",
                                                                           dealer.sender_key("@shop"))
    assert body["buttons"] == [{"type": "WL", "name": "쿠폰 받기", "linkMo": "https://shop.example.com/c"}]
    assert {r["targeting"] for r in body["recipientList"]} == {"I"}
    assert all(r["resendParameter"] == {"isResend": False} for r in body["recipientList"])
    assert dealer.duplicates() == []
    assert invariant(app) == []


@pytest.mark.parametrize("wide", [False, True], ids=["photo", "wide"])
def test_kft01_a_photo_brand_message_uploads_its_image_once_and_sends_its_url(app, dealer, corp, wide):
    from tests.support.uploads import jpeg
    customer, channel_id = corp
    numbers = phones(0, 1, 80)
    image = jpeg((800, 400) if wide else (800, 600))
    with app.app_context():
        content = friendtalk.check_content("신상품 입고 안내", [], image, wide=wide)
        request = FriendtalkRequest(account_id=customer.account_id, channel=channel_id, content=content,
                                    recipients=[Recipient(n, None, {}, i) for i, n in enumerate(numbers, 1)],
                                    fallback=BrandFallback(customer.phone, ad_company="메가샵", ad_optout=None))
        accepted = friendtalk_sends.accept(request, now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    run_to_completion(app)
    [upload] = dealer.requests(path="/images", method="POST")
    assert upload["body"]["content_type"].startswith("multipart/form-data")
    [post] = dealer.requests(path="freestyle-messages", method="POST")
    assert post["body"]["chatBubbleType"] == ("WIDE" if wide else "IMAGE")
    assert post["body"]["image"]["imageUrl"].startswith(dealer.base_url)
    kakao, fallbacks = layers(app, send_id)
    assert {n[-2:]: m.result_code for n, m in kakao.items()} == {"00": "1000", "01": "1000", "80": "3019"}
    assert [f.state for f in fallbacks.values()] == ["delivered"]
    assert send_row(app, send_id)["status"] == "completed"
    assert invariant(app) == []


def test_kft03_kat07a_a_brand_message_nhn_takes_after_2050_fails_3022_and_the_ad_fallback_ends_night_ad(app, dealer, corp):
    """Accepted at 20:45 KST, reaching NHN at 20:55 (its clock too): Kakao's 3022 (outside the
    Brand Message hours) through the adapter, and the ad fallback refused NIGHT_AD, free."""
    from tests.support.dealer import kst_text
    from tests.support.pipeline import kst
    customer, channel_id = corp
    numbers = phones(0, 1)
    before = balance(app, customer.account_id)
    with app.app_context():
        content = friendtalk.check_content("쿠폰이 도착했습니다", [], None, wide=False)
        request = FriendtalkRequest(account_id=customer.account_id, channel=channel_id, content=content,
                                    recipients=[Recipient(n, None, {}, i) for i, n in enumerate(numbers, 1)],
                                    fallback=BrandFallback(customer.phone, ad_company="메가샵", ad_optout=None))
        accepted = friendtalk_sends.accept(request, now=kst(2026, 11, 27, 20, 45))
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    dealer.control(clock={"now": kst_text(kst(2026, 11, 27, 20, 55))})
    run_to_completion(app, kst(2026, 11, 27, 20, 55))
    kakao, fallbacks = layers(app, send_id)
    assert {(m.result_code, m.category) for m in kakao.values()} == {("3022", "send_failed")}
    assert {(f.state, f.result_code, f.charge) for f in fallbacks.values()} == {("failed", "NIGHT_AD", 0)}
    row = send_row(app, send_id)
    assert (row["status"], row["charged_amount"], row["refunded_amount"]) == ("completed", 0, row["hold_amount"])
    assert balance(app, customer.account_id) == before
    assert len(dealer.messages()) == 2 and invariant(app) == []
