"""친구톡 (Brand Message) sends through the whole pipeline with the sandbox as Kakao and as
the carrier (06-kakao.md KFT-01..04, KAT-07a, KRS-04, 10-gateway.md): the magic endings
through both layers with the ad fallback, prices of 텍스트 and 포토 (WIDE billed as 포토),
an MMS fallback carrying the image, 3022 for a Brand Message that reaches Kakao after
20:50 and its fallback ending NIGHT_AD free, opt-outs applied to both layers, a channel
blocked after accept, refusals that write nothing, and the ledger invariant."""
from __future__ import annotations

import json

import pytest

from app.domain import friendtalk
from app.domain.friendtalk_plan import FallbackRequest, FriendtalkRequest
from app.domain.recipients import Recipient
from app.errors import ValidationError
from app.extensions import db
from app.models import KakaoChannel, Message, Send
from app.services.contacts import optouts
from app.services.kakao import friendtalk_sends
from app.services.sending import acceptance
from tests.support.factories import apply_targeting, approve_channel, approve_optout_number, make_customer
from tests.support.pipeline import (NOW, balance, duplicate_submissions, invariant, kst, messages, phones,
                                    run_to_completion, sandbox_rows, send_row)
from tests.support.uploads import jpeg, png

TEXT, PHOTO, SMS, LMS, MMS = 15, 25, 20, 50, 150      # the default price plan
WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c/#[1]"}


@pytest.fixture
def corp(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    return customer, channel_id


def entries(numbers) -> list[Recipient]:
    return [Recipient(n, "홍길동", {"1": f"C{i}"}, i) for i, n in enumerate(numbers, start=1)]


def send(app, customer, channel_id, numbers, *, fallback=True, now=NOW, text="#[이름]님, 쿠폰 #[1] 도착",
         buttons=(WL,), image=None, wide=False, fallback_changes=None, **changes) -> int:
    with app.app_context():
        content = friendtalk.check_content(text, list(buttons), image, wide=wide)
        request = FriendtalkRequest(account_id=customer.account_id, channel=channel_id, content=content,
                                    recipients=changes.pop("recipients", None) or entries(numbers),
                                    fallback=FallbackRequest(customer.phone, **{"ad_company": "메가샵",
                                                                                "ad_optout": None,
                                                                                **(fallback_changes or {})})
                                    if fallback else None, **changes)
        accepted = friendtalk_sends.accept(request, now=now)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


def layer(app, send_id, name) -> dict[str, Message]:
    with app.app_context():
        rows = {m.recipient: m for m in db.session.query(Message).filter_by(send_id=send_id, layer=name)}
        db.session.expunge_all()
    return rows


def test_kft04_krs04_magic_endings_through_both_layers(app, corp):
    customer, channel_id = corp
    numbers = phones(0, 80, 84, 90, 98)
    before = balance(app, customer.account_id)
    send_id = send(app, customer, channel_id, numbers)
    row = send_row(app, send_id)
    assert (row["msg_type"], row["channel"], row["unit_price"]) == ("FRIENDTALK_TEXT", "friendtalk", TEXT)
    assert (row["fallback_msg_type"], row["fallback_unit_price"]) == ("LMS", LMS)
    assert row["hold_amount"] == 5 * max(TEXT, LMS)
    run_to_completion(app)

    kakao = layer(app, send_id, "primary")
    assert {n[-2:]: (m.result_code, m.category) for n, m in kakao.items()} == {
        "00": ("1000", None), "80": ("3019", "not_deliverable"), "84": ("3024", "image_error"),
        "90": ("3018", "send_failed"), "98": ("TIMEOUT", "other")}
    fallbacks = layer(app, send_id, "fallback")
    assert {n[-2:]: (f.state, f.result_code) for n, f in fallbacks.items()} == {
        "80": ("delivered", "0000"), "84": ("delivered", "0000"), "90": ("failed", "3001")}
    row = send_row(app, send_id)
    assert row["status"] == "completed"
    charged = TEXT + 2 * LMS
    assert (row["charged_amount"], row["refunded_amount"]) == (charged, row["hold_amount"] - charged)
    assert balance(app, customer.account_id)[0] == before[0] - charged

    sent = {(r["channel"], r["recipient"][-2:]): r for r in sandbox_rows(app, numbers)}
    assert sent[("friendtalk", "00")]["text"] == "홍길동님, 쿠폰 C1 도착"
    assert sent[("friendtalk", "00")]["sender"] == "SANDBOX-@shop"
    # the ad fallback (KFT-04): (광고) and the company, the button as a line, the 080 line
    assert sent[("lms", "80")]["text"].startswith("(광고)메가샵\n홍길동님, 쿠폰 C2 도착\n쿠폰 받기: "
                                                 "https://shop.example.com/c/C2\n무료거부 080-123-1234 인증코드 ")
    assert sent[("lms", "80")]["sender"] == customer.phone
    assert duplicate_submissions(app) == 0
    assert invariant(app) == []


def test_kft01_a_photo_costs_the_photo_price_and_falls_back_by_mms_with_its_image(app, corp):
    customer, channel_id = corp
    numbers = phones(0, 80)
    send_id = send(app, customer, channel_id, numbers, text="신상품 입고 안내", buttons=(), image=jpeg((800, 600)))
    row = send_row(app, send_id)
    assert (row["msg_type"], row["unit_price"], row["fallback_msg_type"]) == ("FRIENDTALK_IMAGE", PHOTO, "MMS")
    assert row["hold_amount"] == 2 * MMS
    run_to_completion(app)
    sent = {(r["channel"], r["recipient"][-2:]): r for r in sandbox_rows(app, numbers)}
    assert sent[("friendtalk", "00")]["image_count"] == 1
    assert sent[("mms", "80")]["image_count"] == 1
    assert send_row(app, send_id)["charged_amount"] == PHOTO + MMS
    assert invariant(app) == []


def test_kft01_wide_is_billed_as_photo_and_a_png_falls_back_by_lms_without_it(app, corp):
    customer, channel_id = corp
    numbers = phones(0, 81)
    send_id = send(app, customer, channel_id, numbers, text="주말 특가", buttons=(WL,), image=png((800, 400)),
                   wide=True)
    row = send_row(app, send_id)
    assert (row["msg_type"], row["unit_price"], row["fallback_msg_type"]) == ("FRIENDTALK_IMAGE", PHOTO, "LMS")
    run_to_completion(app)
    sent = {(r["channel"], r["recipient"][-2:]): r for r in sandbox_rows(app, numbers)}
    assert sent[("lms", "81")]["image_count"] == 0
    assert send_row(app, send_id)["charged_amount"] == PHOTO + LMS
    assert invariant(app) == []


def test_kft03_kat07a_reaching_kakao_after_2050_fails_3022_and_the_fallback_ends_night_ad_free(app, corp):
    """Accepted at 20:45 KST, dispatched at 20:55: Kakao answers 3022 (outside the hours);
    the ad fallback would go at 20:55 — refused NIGHT_AD, free, so an ad never reaches the
    carrier near 21:00."""
    customer, channel_id = corp
    numbers = phones(0, 1)
    before = balance(app, customer.account_id)
    send_id = send(app, customer, channel_id, numbers, now=kst(2026, 11, 27, 20, 45))
    run_to_completion(app, kst(2026, 11, 27, 20, 55))
    assert {(m.result_code, m.category) for m in layer(app, send_id, "primary").values()} == {("3022", "send_failed")}
    assert {(f.state, f.result_code, f.charge) for f in layer(app, send_id, "fallback").values()} == {
        ("failed", "NIGHT_AD", 0)}
    row = send_row(app, send_id)
    assert (row["status"], row["charged_amount"], row["refunded_amount"]) == ("completed", 0, row["hold_amount"])
    assert balance(app, customer.account_id) == before
    assert [r["channel"] for r in sandbox_rows(app, numbers)] == ["friendtalk", "friendtalk"]
    assert invariant(app) == []


def test_kft03_a_failure_reported_at_2049_still_falls_back(app, corp):
    customer, channel_id = corp
    numbers = phones(80)
    send_id = send(app, customer, channel_id, numbers, now=kst(2026, 11, 27, 20, 49, 40))
    run_to_completion(app, kst(2026, 11, 27, 20, 49, 40))
    [f] = layer(app, send_id, "fallback").values()
    # reported 10 s later, at 20:49:50: the fallback went and was delivered
    assert (f.state, f.result_code) == ("delivered", "0000")
    assert invariant(app) == []


def test_kft03_outside_the_hours_nothing_is_written(app, corp):
    customer, channel_id = corp
    for moment, scheduled in ((kst(2026, 11, 27, 7, 59), None), (kst(2026, 11, 27, 20, 50), None),
                              (NOW, kst(2026, 11, 27, 21, 0)), (NOW, kst(2026, 11, 28, 7, 30))):
        with pytest.raises(ValidationError) as refused:
            send(app, customer, channel_id, phones(0), now=moment, scheduled_at=scheduled)
        assert refused.value.code == "friendtalk_hours"
    scheduled_id = send(app, customer, channel_id, phones(0), now=kst(2026, 11, 27, 22, 0),
                        scheduled_at=kst(2026, 11, 28, 8, 0))
    assert send_row(app, scheduled_id)["status"] == "scheduled"
    with app.app_context():
        assert db.session.query(Send).count() == 1


def test_kft02_targeting_beyond_friends_is_refused_without_approval(app, corp):
    customer, channel_id = corp
    with pytest.raises(ValidationError) as refused:
        send(app, customer, channel_id, phones(0), targeting="M")
    assert refused.value.code == "targeting_not_allowed"
    with app.app_context():
        assert db.session.query(Send).count() == 0


def test_kft02_m_and_n_once_the_channel_is_approved_and_an_own_080_number_registered(app, corp):
    customer, channel_id = corp
    apply_targeting(app, customer.account_id, channel_id, status="approved")
    with pytest.raises(ValidationError) as refused:         # no own 080 number yet
        send(app, customer, channel_id, phones(0), targeting="M")
    assert refused.value.code == "targeting_not_allowed"
    approve_optout_number(app, customer.account_id, "0801112222")
    send_id = send(app, customer, channel_id, phones(0), targeting="N")
    with app.app_context():
        assert json.loads(db.session.get(Send, send_id).kakao)["targeting"] == "N"


def test_kft03_opted_out_numbers_get_neither_layer(app, corp):
    customer, channel_id = corp
    numbers = phones(0, 80)
    with app.app_context():
        optouts.add_many(customer.account_id, [numbers[1]], source="manual", now=NOW)
        db.session.commit()
    send_id = send(app, customer, channel_id, numbers)
    assert send_row(app, send_id)["hold_amount"] == max(TEXT, LMS)
    run_to_completion(app)
    kakao = layer(app, send_id, "primary")
    assert (kakao[numbers[1]].state, kakao[numbers[1]].result_code) == ("failed", "OPTOUT")
    assert layer(app, send_id, "fallback") == {}
    assert [r["recipient"] for r in sandbox_rows(app, numbers)] == [numbers[0]]
    assert invariant(app) == []


def test_kat07a_a_channel_blocked_after_accept_fails_and_falls_back(app, corp):
    customer, channel_id = corp
    numbers = phones(0, 1)
    send_id = send(app, customer, channel_id, numbers)
    with app.app_context():
        db.session.get(KakaoChannel, channel_id).status = "rejected"
        db.session.commit()
    run_to_completion(app)
    assert {(m["result_code"], m["category"]) for m in messages(app, send_id) if m["layer"] == "primary"} == {
        ("1021", "channel_error")}
    assert {f.state for f in layer(app, send_id, "fallback").values()} == {"delivered"}
    assert [r["channel"] for r in sandbox_rows(app, numbers)] == ["lms", "lms"]
    assert invariant(app) == []


def test_kft01_no_approved_channel_no_send(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    with pytest.raises(ValidationError) as refused:
        send(app, customer, 999, phones(0))
    assert (refused.value.code, refused.value.field) == ("channel_not_approved", "발신 채널 ID")
    individual = make_customer(app, kind="individual", cash=100_000)
    with pytest.raises(Exception) as refused:
        send(app, individual, 1, phones(0))
    assert getattr(refused.value, "code", None) == "corporate_only"


def test_kft01_the_quote_shows_both_columns(app, corp):
    customer, channel_id = corp
    with app.app_context():
        request = FriendtalkRequest(account_id=customer.account_id, channel="@shop",
                                    content=friendtalk.check_content("신상품", [], jpeg((800, 600))),
                                    recipients=entries(phones(0, 1, 2)),
                                    fallback=FallbackRequest(customer.phone, ad_company="메가샵", ad_optout=None))
        quote = friendtalk_sends.quote(request, now=NOW)
    assert (quote["type"], quote["kakao_price"], quote["fallback_type"], quote["fallback_price"]) == (
        "FRIENDTALK_IMAGE", PHOTO, "MMS", MMS)
    assert quote["hold"] == 3 * MMS and quote["recipients"] == 3
    with app.app_context():
        assert db.session.query(Send).count() == 0
