"""POST /api/v1/sends/alimtalk and what GET /sends/{id} and /messages show of a Kakao
send (09-api.md API-03..05, 06-kakao.md KAT-06..09): created with and without 대체문자 and
run to completion through the sandbox (both layers listed, the fallback block's counts and
breakdown), the Idempotency-Key, every refusal with its code and JSON field and nothing
written, and a scheduled send."""
import datetime as dt

import pytest

from app import clock
from app.extensions import db
from app.models import Account, AlimtalkTemplate, Send
from tests.support.api import error_of, post_sms, sms_body
from tests.support.factories import approve_channel, make_template
from tests.support.pipeline import (NOW, api_customer, bearer, count, phones, run_to_completion, sandbox_rows,
                                    kst, snapshot, tick, work)

KAKAO, SMS, LMS = 13, 20, 50      # the default price plan
VALUES = {"고객명": "홍길동", "주문번호": "A-1001"}
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


@pytest.fixture
def kakao(app):
    """(app, client, customer, key, template code) of a corporate API customer with an
    approved channel @shop and an approved template (#{고객명}, #{주문번호}, one web link)."""
    customer, key = api_customer(app, cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    with app.app_context():
        code = db.session.get(AlimtalkTemplate, template_id).code
    with clock.frozen(NOW):
        yield app, app.test_client(), customer, key, code


def body_of(customer, code, numbers, *, fallback=..., **extra) -> dict:
    if fallback is ...:
        fallback = {"from": customer.phone, "text": "#{고객명}님 주문 #{주문번호} 발송"}
    return {"channel": "@shop", "template_code": code, "to": [{"phone": n, "vars": dict(VALUES)} for n in numbers],
            "fallback": fallback, **extra}


def post(client, key, body, **headers):
    return client.post("/api/v1/sends/alimtalk", json=body, headers={**bearer(key), **headers})


def get(client, key, url):
    response = client.get(url, headers=bearer(key))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- created and run to completion ----------------------------------------------------------------------------

def test_api05_alimtalk_with_fallback_through_both_layers(kakao):
    app, client, customer, key, code = kakao
    numbers = phones(0, 80, 90)
    response = post(client, key, body_of(customer, code, numbers))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert {k: answer[k] for k in ("channel", "type", "status", "recipients", "unit_price", "fallback_unit_price",
                                   "fallback_type", "hold", "scheduled_at", "rejected", "duplicates")} == {
        "channel": "alimtalk", "type": "ALIMTALK", "status": "in_progress", "recipients": 3, "unit_price": KAKAO,
        "fallback_unit_price": SMS, "fallback_type": "SMS", "hold": 3 * SMS, "scheduled_at": None,
        "rejected": [], "duplicates": 0}
    send_id = answer["send_id"]
    run_to_completion(app)

    send = get(client, key, f"/api/v1/sends/{send_id}")
    assert (send["channel"], send["type"], send["status"], send["source"]) == ("alimtalk", "ALIMTALK", "completed",
                                                                              "api")
    # the counts are the Kakao layer's; the fallback block the 대체문자 layer's
    assert send["counts"] == {"requested": 3, "delivered": 1, "failed": 2, "pending": 0}
    assert send["categories"] == {"not_deliverable": 1, "send_failed": 1}
    assert send["fallback"] == {"requested": 2, "delivered": 1, "failed": 1, "pending": 0,
                                "categories": {"power_off": 1}, "unit_price": SMS, "type": "SMS"}
    assert send["charged"] == KAKAO + SMS and send["refunded"] == 3 * SMS - (KAKAO + SMS)

    listed = get(client, key, f"/api/v1/sends/{send_id}/messages")
    assert listed["total"] == 5
    messages = listed["messages"]
    kakao_layer = {m["phone"]: m for m in messages if m["layer"] == "primary"}
    fallbacks = {m["phone"]: m for m in messages if m["layer"] == "fallback"}
    assert sorted(kakao_layer) == sorted(numbers) and sorted(fallbacks) == sorted(numbers[1:])
    assert all(m["parent_id"] is None and m["type"] == "ALIMTALK" for m in kakao_layer.values())
    for phone, m in fallbacks.items():
        assert m["parent_id"] == kakao_layer[phone]["id"] and m["type"] == "SMS"
    assert {p[-2:]: (m["status"], m["code"]) for p, m in fallbacks.items()} == {
        "80": ("delivered", "0000"), "90": ("failed", "3001")}
    # the filters read both layers, paging as before
    failed = get(client, key, f"/api/v1/sends/{send_id}/messages?status=failed")["messages"]
    assert sorted((m["layer"], m["phone"][-2:]) for m in failed) == [("fallback", "90"), ("primary", "80"),
                                                                     ("primary", "90")]
    assert [m["phone"] for m in get(client, key, f"/api/v1/sends/{send_id}/messages?category=power_off")
            ["messages"]] == [numbers[2]]
    page = get(client, key, f"/api/v1/sends/{send_id}/messages?per_page=2&page=3")
    assert (page["total"], len(page["messages"])) == (5, 1)
    # the list of sends shows the same block
    [listed_send] = get(client, key, "/api/v1/sends?type=ALIMTALK")["sends"]
    assert listed_send["fallback"] == send["fallback"]
    texts = {(r["channel"], r["recipient"][-2:]): r["text"] for r in sandbox_rows(app, numbers)}
    assert texts[("sms", "80")] == "홍길동님 주문 A-1001 발송"


def test_api05_alimtalk_without_fallback_has_no_fallback_block_or_layer(kakao):
    app, client, customer, key, code = kakao
    numbers = phones(0, 80)
    response = post(client, key, body_of(customer, code, numbers, fallback=None))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["fallback_unit_price"], answer["fallback_type"], answer["hold"]) == (None, None, 2 * KAKAO)
    run_to_completion(app)
    send = get(client, key, f"/api/v1/sends/{answer['send_id']}")
    assert send["fallback"] is None
    assert send["counts"] == {"requested": 2, "delivered": 1, "failed": 1, "pending": 0}
    assert send["charged"] == KAKAO
    messages = get(client, key, f"/api/v1/sends/{answer['send_id']}/messages")["messages"]
    assert [(m["layer"], m["parent_id"]) for m in messages] == [("primary", None), ("primary", None)]


def test_api05_the_default_fallback_is_the_rendered_message_and_its_web_link(kakao):
    app, client, customer, key, code = kakao
    numbers = phones(81)
    response = post(client, key, body_of(customer, code, numbers, fallback={"from": customer.phone}))
    assert response.status_code == 201 and response.get_json()["fallback_type"] == "LMS"
    run_to_completion(app)
    [fallback] = [r for r in sandbox_rows(app, numbers) if r["channel"] == "lms"]
    assert fallback["text"] == ("홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다.\n"
                                "배송 조회: https://shop.example.com/o/A-1001")


def test_api05_an_sms_send_has_no_fallback_block_and_its_messages_are_primary(kakao):
    app, client, customer, key, code = kakao
    answer = post_sms(client, key, sms_body(customer, phones(1))).get_json()
    send = get(client, key, f"/api/v1/sends/{answer['send_id']}")
    assert (send["channel"], send["fallback"]) == ("sms", None)
    [message] = get(client, key, f"/api/v1/sends/{answer['send_id']}/messages")["messages"]
    assert (message["layer"], message["parent_id"]) == ("primary", None)


def test_api05_vars_may_be_numbers_as_for_sms(kakao):
    app, client, customer, key, code = kakao
    body = body_of(customer, code, phones(0), fallback=None)
    body["to"][0]["vars"] = {"고객명": "홍길동", "주문번호": 1001}
    body["to"].append(phones(5)[0])          # a bare number has no values: refused naming its index
    error = error_of(post(client, key, body), 422, "variable_missing", "to")
    assert "to[1]" in error["message"] and error["details"] == {"rows": [1]}
    body["to"].pop()
    assert post(client, key, body).status_code == 201


# --- API-03 --------------------------------------------------------------------------------------------------

def test_api03_same_key_same_body_answers_the_first_201_and_sends_once(kakao):
    app, client, customer, key, code = kakao
    body = body_of(customer, code, phones(0, 1))
    first = post(client, key, body, **{"Idempotency-Key": "order-7"})
    assert first.status_code == 201
    again = post(client, key, body, **{"Idempotency-Key": "order-7"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(app, Send, Send.account_id == customer.account_id) == 1
    changed = post(client, key, {**body, "fallback": None}, **{"Idempotency-Key": "order-7"})
    error_of(changed, 409, "idempotency_conflict", "Idempotency-Key")
    assert count(app, Send, Send.account_id == customer.account_id) == 1
    # a refused request records nothing: the corrected retry with the same key goes through
    bad = post(client, key, {**body, "template_code": "MB000000NOPE00"}, **{"Idempotency-Key": "order-8"})
    error_of(bad, 422, "template_not_approved", "template_code")
    assert post(client, key, body, **{"Idempotency-Key": "order-8"}).status_code == 201
    assert count(app, Send, Send.account_id == customer.account_id) == 2


# --- API-04 refusals -----------------------------------------------------------------------------------------

def _set(path, value):
    """A change to the valid body: `path` as "a.b" or "to.0.vars"."""
    def change(body):
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return change


def _drop(name):
    return lambda body: body.pop(name)


REFUSALS = [
    ("to is not a list", _set("to", "01012345678"), 422, "required", "to"),
    ("to is empty", _set("to", []), 422, "required", "to"),
    ("a recipient is a number", _set("to.1", 1012345678), 422, "invalid_type", "to[1]"),
    ("vars is a list", _set("to.0.vars", ["홍길동"]), 422, "invalid_type", "to[0]"),
    ("a value is an object", _set("to.0.vars", {"고객명": {"a": 1}, "주문번호": "1"}), 422, "invalid_type", "to[0]"),
    ("a value is a boolean", _set("to.1.vars", {"고객명": True, "주문번호": "1"}), 422, "invalid_type", "to[1]"),
    ("a phone is not a string", _set("to.0.phone", 1012345678), 422, "invalid_type", "to[0]"),
    ("a value is missing", _set("to.1.vars", {"고객명": "홍길동"}), 422, "variable_missing", "to"),
    ("a value is empty", _set("to.0.vars", {"고객명": "", "주문번호": "1"}), 422, "variable_missing", "to"),
    ("no template_code", _drop("template_code"), 422, "required", "template_code"),
    ("template_code a number", _set("template_code", 12), 422, "invalid_type", "template_code"),
    ("an unknown template", _set("template_code", "MB000000NOPE00"), 422, "template_not_approved", "template_code"),
    ("no channel", _drop("channel"), 422, "required", "channel"),
    ("another channel", _set("channel", "@other"), 422, "channel_mismatch", "channel"),
    ("fallback not an object", _set("fallback", "yes"), 422, "invalid_type", "fallback"),
    ("fallback without from", _set("fallback", {"text": "안내"}), 422, "required", "fallback.from"),
    ("fallback from a list", _set("fallback", {"from": ["0212345678"]}), 422, "invalid_type", "fallback.from"),
    ("fallback from a number not approved", _set("fallback.from", "0299998888"), 422, "sender_not_approved",
     "fallback.from"),
    ("fallback text with an emoji", _set("fallback.text", "#{고객명}님 주문 완료 😀"), 422, "fallback_invalid",
     "fallback.text"),
    ("fallback text with a variable the template lacks", _set("fallback.text", "#{쿠폰}"), 422, "fallback_invalid",
     "fallback.text"),
    ("fallback text a number", _set("fallback.text", 7), 422, "invalid_type", "fallback.text"),
    ("fallback text over 2,000 bytes", _set("fallback.text", "가" * 1001), 422, "fallback_invalid", "fallback.text"),
    ("fallback ad a string", _set("fallback.ad", "메가버드"), 422, "invalid_type", "fallback.ad"),
    ("scheduled_at a number", _set("scheduled_at", 1), 422, "invalid_type", "scheduled_at"),
    ("scheduled in 5 minutes", _set("scheduled_at", (clock.to_kst(NOW) + dt.timedelta(minutes=5)).isoformat()),
     422, "schedule_out_of_range", "scheduled_at"),
    ("scheduled in 31 days", _set("scheduled_at", (clock.to_kst(NOW) + 31 * DAY).isoformat()), 422,
     "schedule_out_of_range", "scheduled_at"),
]


@pytest.mark.parametrize("name,change,status,code,field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_api04_each_refusal_has_its_code_and_json_field_and_writes_nothing(kakao, name, change, status, code,
                                                                            field):
    app, client, customer, key, template_code = kakao
    body = body_of(customer, template_code, phones(0, 1))
    change(body)
    before = snapshot(app, customer.account_id)
    error_of(post(client, key, body), status, code, field)
    assert snapshot(app, customer.account_id) == before


def test_api04_a_fallback_title_over_30_bytes_names_fallback_title(kakao):
    app, client, customer, key, code = kakao
    body = body_of(customer, code, phones(0), fallback={"from": customer.phone, "text": "가" * 50,
                                                        "title": "제목" * 10})
    before = snapshot(app, customer.account_id)
    error_of(post(client, key, body), 422, "byte_limit", "fallback.title")
    assert snapshot(app, customer.account_id) == before


@pytest.mark.parametrize("status", ["saved", "requested", "in_review", "rejected"])
def test_api04_a_template_not_approved_is_refused(kakao, status):
    app, client, customer, key, code = kakao
    with app.app_context():
        channel_id = db.session.get(AlimtalkTemplate, db.session.query(AlimtalkTemplate.id).filter_by(
            code=code).scalar()).channel_id
    template_id = make_template(app, customer.account_id, channel_id, status=status)
    with app.app_context():
        other = db.session.get(AlimtalkTemplate, template_id).code
    before = snapshot(app, customer.account_id)
    error = error_of(post(client, key, body_of(customer, other, phones(0))), 422, "template_not_approved",
                     "template_code")
    assert "등록완료된 템플릿만" in error["message"]
    assert snapshot(app, customer.account_id) == before


@pytest.mark.parametrize("raw,code", [
    ('{"channel": "@shop", "template_code": "X", "to": [{"phone": "01012345678", "vars": {"고객명": Infinity}}]}',
     "invalid_json"),
    ('{"channel": "@shop", "template_code": "X", "to": [{"phone": "01012345678", "vars": {"고객명": NaN}}]}',
     "invalid_json"),
    ('{"channel": "@shop", "template_code": "X", "to": [{"phone": "01012345678", "vars": {"고객명": "\\ud800"}}]}',
     "invalid_character"),
    ('{"channel": "@shop", "template_code": "X", "to": [{"phone": "01012345678", "vars": {"\\udfff": "a"}}]}',
     "invalid_character"),
    ('[1, 2]', "invalid_json"),
    ('{"channel": ', "invalid_json"),
])
def test_api04_bodies_json_cannot_carry_are_400_or_422_naming_the_body(kakao, raw, code):
    app, client, customer, key, template_code = kakao
    before = snapshot(app, customer.account_id)
    response = client.post("/api/v1/sends/alimtalk", data=raw.replace('"X"', f'"{template_code}"'),
                           content_type="application/json", headers=bearer(key))
    assert response.status_code in (400, 422)
    error_of(response, response.status_code, code, "body")
    assert snapshot(app, customer.account_id) == before


def test_api04_alimtalk_is_for_corporate_accounts_only(kakao):
    """An account that is individual again (an operator's correction) keeps its key but
    may not send Kakao messages."""
    app, client, customer, key, code = kakao
    with app.app_context():
        db.session.get(Account, customer.account_id).kind = "individual"
        db.session.commit()
    before = snapshot(app, customer.account_id)
    error_of(post(client, key, body_of(customer, code, phones(0))), 403, "corporate_only", "channel")
    assert snapshot(app, customer.account_id) == before


def test_api04_insufficient_balance_writes_nothing(app):
    customer, key = api_customer(app, cash=30)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    with app.app_context():
        code = db.session.get(AlimtalkTemplate, template_id).code
    with clock.frozen(NOW):
        before = snapshot(app, customer.account_id)
        client = app.test_client()
        error_of(post(client, key, body_of(customer, code, phones(0, 1))), 422, "insufficient_balance")
        assert snapshot(app, customer.account_id) == before
        assert post(client, key, body_of(customer, code, phones(0, 1), fallback=None)).status_code == 201


# --- scheduled -----------------------------------------------------------------------------------------------

def test_api05_a_scheduled_alimtalk_waits_and_can_be_cancelled(kakao):
    app, client, customer, key, code = kakao
    at = clock.to_kst(NOW) + DAY
    numbers = phones(0, 80)
    response = post(client, key, body_of(customer, code, numbers, scheduled_at=at.isoformat()))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["status"], answer["scheduled_at"], answer["hold"]) == ("scheduled", at.isoformat(), 2 * SMS)
    work(app, NOW)                  # the worker and a tick before its time send nothing
    tick(app, NOW + HOUR)
    send = get(client, key, f"/api/v1/sends/{answer['send_id']}")
    assert (send["status"], send["scheduled_at"]) == ("scheduled", at.isoformat())
    assert send["fallback"] == {"requested": 0, "delivered": 0, "failed": 0, "pending": 0, "categories": {},
                                "unit_price": SMS, "type": "SMS"}
    assert sandbox_rows(app, numbers) == []
    cancelled = client.post(f"/api/v1/sends/{answer['send_id']}/cancel", headers=bearer(key))
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["fallback"]["type"] == "SMS"


def test_kat07_kat09_an_ad_templates_fallback_is_an_ad_and_alimtalk_goes_at_night(app):
    """An AD template's fallback names its company under fallback.ad (SMS-06); AlimTalk
    itself is informational and is accepted at 22:00 (KAT-09)."""
    customer, key = api_customer(app, cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved", message_type="AD",
                                buttons=[{"type": "AC"}], content="#{고객명}님, 이번 주 특가!")
    with app.app_context():
        code = db.session.get(AlimtalkTemplate, template_id).code
    night = kst(2026, 11, 27, 22, 0)
    client = app.test_client()
    body = {"channel": "@shop", "template_code": code, "to": [{"phone": phones(0)[0], "vars": {"고객명": "홍길동"}}],
            "fallback": {"from": customer.phone}}
    with clock.frozen(night):
        before = snapshot(app, customer.account_id)
        error_of(post(client, key, body), 422, "ad_company_required", "fallback.ad.name")
        foreign_080 = {"from": customer.phone, "ad": {"name": "메가샵", "optout": "0801111222"}}
        error_of(post(client, key, {**body, "fallback": foreign_080}), 422, "optout_not_allowed", "fallback.ad.optout")
        assert snapshot(app, customer.account_id) == before
        response = post(client, key, {**body, "fallback": {"from": customer.phone, "ad": {"name": "메가샵"}}})
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["status"] == "in_progress"
