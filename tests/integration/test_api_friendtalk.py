"""POST /api/v1/sends/friendtalk (09-api.md, 06-kakao.md KFT-01..04): a Brand Message with
and without image, WIDE, the ad fallback run to completion through the sandbox (both
layers in GET /sends/{id}), the Idempotency-Key, and every refusal — friendtalk_hours,
image_rule with its rule, targeting_not_allowed, fallback_invalid — with its JSON field
and nothing written."""
import base64

import pytest

from app import clock
from app.models import Send
from tests.support.factories import approve_channel
from tests.support.pipeline import NOW, api_customer, bearer, count, kst, phones, run_to_completion, sandbox_rows
from tests.support.uploads import jpeg, png

TEXT, PHOTO, LMS, MMS = 15, 25, 50, 150      # the default price plan
WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c"}


@pytest.fixture
def kakao(app):
    customer, key = api_customer(app, cash=100_000)
    approve_channel(app, customer.account_id, "@shop")
    with clock.frozen(NOW):
        yield app, app.test_client(), customer, key


def body_of(customer, numbers, **extra) -> dict:
    return {"channel": "@shop", "text": "#[이름]님, 겨울 세일 시작", "buttons": [WL],
            "to": [{"phone": n, "name": "홍길동"} for n in numbers], "ad": {"name": "메가샵"},
            "fallback": {"from": customer.phone}, **extra}


def post(client, key, body, **headers):
    return client.post("/api/v1/sends/friendtalk", json=body, headers={**bearer(key), **headers})


def refused(client, key, body, status=422):
    response = post(client, key, body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_api_friendtalk_text_with_fallback_through_both_layers(kakao):
    app, client, customer, key = kakao
    numbers = phones(0, 80)
    response = post(client, key, body_of(customer, numbers))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["channel"], answer["type"], answer["targeting"], answer["wide"]) == (
        "friendtalk", "FRIENDTALK_TEXT", "I", False)
    assert (answer["unit_price"], answer["fallback_type"], answer["hold"]) == (TEXT, "LMS", 2 * LMS)
    run_to_completion(app)
    send = client.get(f"/api/v1/sends/{answer['send_id']}", headers=bearer(key)).get_json()
    assert (send["channel"], send["status"]) == ("friendtalk", "completed")
    assert send["counts"]["delivered"] == 1 and send["fallback"]["delivered"] == 1
    assert send["charged"] == TEXT + LMS
    lms = [r for r in sandbox_rows(app, numbers) if r["channel"] == "lms"]
    assert lms[0]["text"].startswith("(광고)메가샵\n홍길동님, 겨울 세일 시작\n쿠폰 받기: https://shop.example.com/c\n무료거부")


def test_api_friendtalk_photo_and_wide_and_the_idempotency_key(kakao):
    app, client, customer, key = kakao
    photo = body_of(customer, phones(0), image=base64.b64encode(jpeg((800, 600))).decode())
    first = post(client, key, photo, **{"Idempotency-Key": "ft-1"})
    again = post(client, key, photo, **{"Idempotency-Key": "ft-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert first.get_json()["send_id"] == again.get_json()["send_id"]
    assert (first.get_json()["type"], first.get_json()["fallback_type"]) == ("FRIENDTALK_IMAGE", "MMS")
    wide = body_of(customer, phones(1), text="주말 특가", wide=True, image=base64.b64encode(png((800, 400))).decode())
    answer = post(client, key, wide).get_json()
    assert (answer["type"], answer["unit_price"], answer["wide"], answer["fallback_type"]) == (
        "FRIENDTALK_IMAGE", PHOTO, True, "LMS")
    with app.app_context():
        assert count(app, Send) == 2


@pytest.mark.parametrize("change,code,field", [
    ({"image": base64.b64encode(jpeg((400, 400))).decode()}, "image_rule", "image"),
    ({"image": base64.b64encode(b"GIF89a....").decode()}, "image_rule", "image"),
    ({"image": "not base64!"}, "image_rule", "image"),
    ({"wide": True, "image": base64.b64encode(jpeg((800, 400))).decode(), "text": "가" * 77}, "too_long", "text"),
    ({"targeting": "M"}, "targeting_not_allowed", "targeting"),
    ({"text": "특가 🎉"}, "fallback_invalid", "fallback.text"),
    ({"ad": None}, "ad_company_required", "ad.name"),
    ({"buttons": [{"type": "AC", "name": "채널 추가"}]}, "invalid_choice", "buttons[0].type"),
    ({"channel": "@unknown"}, "channel_not_approved", "channel"),
    ({"scheduled_at": "2026-11-27T21:30:00+09:00"}, "friendtalk_hours", "scheduled_at"),
])
def test_api_friendtalk_refusals_name_the_field_and_write_nothing(kakao, change, code, field):
    app, client, customer, key = kakao
    error = refused(client, key, {**body_of(customer, phones(0)), **change})
    assert (error["code"], error["field"]) == (code, field)
    if code == "image_rule":
        assert error["details"]["rule"] in ("width", "type")
    assert count(app, Send) == 0


def test_api_friendtalk_outside_the_hours_now(app):
    customer, key = api_customer(app, cash=100_000)
    approve_channel(app, customer.account_id, "@shop")
    with clock.frozen(kst(2026, 11, 27, 20, 50)):
        error = refused(app.test_client(), key, body_of(customer, phones(0)))
    assert (error["code"], error["field"]) == ("friendtalk_hours", "scheduled_at")
    assert "08:00~20:50" in error["message"]
    assert count(app, Send) == 0
