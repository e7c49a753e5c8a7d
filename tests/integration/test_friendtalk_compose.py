"""The 친구톡 발송 page, sent as a Brand Message (06-kakao.md KFT-01..04, KAT-07/08, WAL-06):
the page for a corporate account and for one that cannot send yet, an image attached and
checked by the Brand Message rules, a saved content filling the page, the two-column quote
(= the hold) for 텍스트, 포토 and 와이드형, a send through the pipeline, the hours at
07:59 / 08:00 / 20:49 / 20:50 KST with the clock pinned, a schedule into the hours made
from outside them, and every refusal as a Korean 4xx naming its field, nothing written."""
from __future__ import annotations

import io
import re
import uuid

import pytest

from app import clock
from app.models import Message, SendImage, StoredFile
from app.models import Send
from app.services.kakao import friendtalk_templates
from tests.support.compose import (JSON, NOW, channel_id, client, complete, count, error_of, kst, phones,  # noqa: F401
                                   pinned, raise_daily_cap)
from tests.support.factories import approve_channel, make_customer
from tests.support.pipeline import messages, send_row
from tests.support.uploads import jpeg, png
from tests.support.web import logged_in, text_of

TEXT, PHOTO, SMS, LMS, MMS = 15, 25, 20, 50, 150      # the default price plan
WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c/#[1]"}
FRIDAY = (2026, 11, 27)                                 # NOW's day (12:00 KST)


@pytest.fixture
def customer(app):
    return make_customer(app, kind="corporate", cash=100_000)


def body(channel_id, recipients, **changes) -> dict:
    """What static/js/friendtalk_compose.js payload() posts."""
    out = {"channel": str(channel_id) if channel_id else "", "use_schedule": False, "scheduled_at": "",
           "template_id": None, "content": "#[이름]님, 쿠폰 #[1] 도착", "wide": False, "image_id": None, "buttons": [WL], "targeting": "I",
           "recipients": [r if isinstance(r, dict) else {"phone": r, "name": "홍길동", "vars": {"1": "C1"}}
                          for r in recipients],
           "contact_ids": [], "group_ids": [], "upload_id": None, "use_fallback": False, "fallback": None,
           "compose_token": uuid.uuid4().hex}
    out.update(changes)
    return out


def fallback(customer, **changes) -> dict:
    return {"sender": customer.phone, "text": None, "title": None, "ad_company": "메가샵", "ad_optout": None,
            **changes}


def post(client, path, payload):
    return client.post(f"/friendtalk/{path}", json=payload, headers=JSON)


def attach(client, data: bytes, name: str = "photo.jpg", *, wide: bool = False):
    return client.post("/friendtalk/images", data={"image": (io.BytesIO(data), name), "wide": "1" if wide else "0"},
                       content_type="multipart/form-data", headers=JSON)


def image_id(client, data: bytes, name: str = "photo.jpg", *, wide: bool = False) -> int:
    response = attach(client, data, name, wide=wide)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["image_id"]


def nothing_written(app) -> bool:
    return count(app, Send) == 0 and count(app, Message) == 0


# --- the page (KFT-01) ----------------------------------------------------------------------------------------

def test_kft01_the_page_offers_every_field_of_the_manual(app, client, customer, channel_id):
    page = client.get("/friendtalk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for element in ('id="channel"', 'id="use-schedule"', 'id="scheduled-at"', 'id="template"', 'id="content"',
                    'id="content-count"', 'data-var="#[이름]"', 'data-var="#[4]"', 'id="toggle-specials"',
                    'id="image-input"', 'id="wide"', 'id="button-rows"', 'id="new-button-type"', 'id="add-button"',
                    'name="targeting" value="I"', 'id="recipient-input"', 'id="open-address-book"', 'id="open-file"',
                    'id="clear-recipients"', 'id="use-fallback"', 'id="fallback-sender"', 'id="ad-company"',
                    'id="ad-optout"', 'id="edit-fallback"', 'id="fallback-editor"', 'id="fallback-title"',
                    'id="confirm-dialog"', 'id="confirm-fallback-type"', 'id="preview"', 'js/alimtalk_bubble.js'):
        assert element in html, element
    text = text_of(page)
    assert "@shop" in text
    assert "※ 친구톡(브랜드 메시지)은 08:00~20:50에만 발송할 수 있습니다." in text
    assert "08:00~20:50(한국 시간)에만 발송되므로 예약 시간도" in text            # under 예약시간
    assert "10분후부터 최대 30일 이후까지" in text
    assert re.search(r'id="content-count">0</span>/<span id="content-limit">1,300</span>', html)
    for rule in ("jpg 또는 png 파일", "5MB 이하", "가로 500px 이상", "세로÷가로 비율 0.5~1.333", "와이드형은 가로:세로 2:1~1:1"):
        assert rule in text, rule                                          # the image's rules, as 친구톡 템플릿 lists them
    assert "와이드형은 넓은 이미지와 함께 보내며, 내용은 76자, 버튼은 2개까지" in text
    # the button types are KAT-02's without 채널 추가; the sample file is the SMS page's
    assert 'value="WL"' in html and 'value="AC"' not in html and 'id="row-buttons-WL"' in html
    assert 'href="/sms/sample.xlsx"' in html
    # the ad fallback names the account's company and its 080 number, as the SMS ad form does
    assert re.search(r'id="ad-company"[^>]*value="고객\d+"', html)
    assert 'id="optout-choices"' in html
    # M/N are offered only where the channel may use them (friendtalk_sends.targeting_choices)
    assert re.search(r'<option value="\d+" data-targeting="I">@shop</option>', html)
    menu = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/friendtalk/"' in menu and menu.index('href="/alimtalk/"') < menu.index('href="/friendtalk/"')


@pytest.mark.parametrize("kind", ["individual", "no_channel"])
def test_kft01_accounts_that_cannot_send_yet_are_pointed_where_to_go(app, kind):
    customer = make_customer(app, kind="individual" if kind == "individual" else "corporate", cash=10_000)
    visitor = logged_in(app, customer.login, customer.password)
    page = visitor.get("/friendtalk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = {"individual": ('id="conversion-link"', "/mypage/conversion", "기업회원만"),
                "no_channel": ('id="senders-link"', "/senders/", "발신 채널 ID가 없습니다")}[kind]
    assert all(part in html for part in expected)
    assert 'id="confirm-dialog"' not in html


def test_kft01_an_individual_account_is_refused_and_nothing_is_written(app):
    individual = make_customer(app, kind="individual", cash=10_000)
    visitor = logged_in(app, individual.login, individual.password)
    for path in ("quote", "send"):
        response = post(visitor, path, body(1, phones(1)))
        assert response.status_code == 403 and error_of(response)["code"] == "corporate_only", path
        assert "기업회원" in error_of(response)["message"]
    response = attach(visitor, jpeg((800, 600)))
    assert response.status_code == 403 and error_of(response)["field"] == "이미지"
    assert nothing_written(app) and count(app, StoredFile) == 0


# --- the quote (KAT-08, WAL-06) and the send ------------------------------------------------------------------

def test_kat08_a_text_quotes_both_columns_and_sends_through_the_pipeline(app, client, customer, channel_id):
    numbers = phones(0, 80)          # 00 delivered by Kakao; 80 fails on Kakao and its fallback is delivered
    payload = body(channel_id, numbers, use_fallback=True, fallback=fallback(customer))
    q = post(client, "quote", payload).get_json()
    assert (q["kakao_type"], q["kakao_price"], q["fallback_type"], q["fallback_price"]) == (
        "친구톡 텍스트", TEXT, "LMS", LMS)
    assert (q["recipients"], q["hold"], q["remaining"]) == (2, 2 * LMS, 100_000 - 2 * LMS)
    assert q["scheduled_at"] is None and q["enough"] is True
    without = post(client, "quote", body(channel_id, numbers)).get_json()
    assert (without["fallback_type"], without["hold"]) == (None, 2 * TEXT)
    assert nothing_written(app)

    response = post(client, "send", payload)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["type"], answer["hold"], answer["targeting"]) == ("FRIENDTALK_TEXT", q["hold"], "I")
    assert answer["redirect"] == f"/history/kakao/{answer['send_id']}"
    page = client.get(answer["redirect"])
    assert f"친구톡 텍스트 2건을 접수했습니다. 발송 금액 {2 * LMS:,}원을 선차감했으며" in text_of(page)
    assert post(client, "send", payload).status_code == 201 and count(app, Send) == 1    # one page, one send
    complete(app)
    send_id = int(answer["send_id"])
    row = send_row(app, send_id)
    assert (row["status"], row["charged_amount"]) == ("completed", TEXT + LMS)
    assert sorted((m["layer"], m["state"]) for m in messages(app, send_id)) == [
        ("fallback", "delivered"), ("primary", "delivered"), ("primary", "failed")]


def test_kft01_an_image_makes_it_a_photo_with_an_mms_fallback(app, client, customer, channel_id):
    attached = attach(client, jpeg((800, 600)))
    assert attached.status_code == 200, attached.get_json()
    image = attached.get_json()
    assert (image["width"], image["height"], image["format"], image["meets_mms"]) == (800, 600, "jpeg", True)
    assert client.get(image["url"]).status_code == 200                      # the page's thumbnail and bubble
    payload = body(channel_id, phones(1, 2), content="신상품 입고 안내", buttons=[], image_id=image["image_id"],
                   use_fallback=True, fallback=fallback(customer))
    q = post(client, "quote", payload).get_json()
    assert (q["kakao_type"], q["kakao_price"], q["fallback_type"], q["hold"]) == ("친구톡 포토", PHOTO, "MMS", 2 * MMS)
    response = post(client, "send", payload)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["type"] == "FRIENDTALK_IMAGE"
    assert count(app, SendImage) == 1
    assert "친구톡 포토 2건을 접수했습니다" in text_of(client.get(response.get_json()["redirect"]))


def test_kft01_wide_is_a_photo_of_76_characters_and_2_buttons(app, client, customer, channel_id):
    wide = image_id(client, png((800, 400)), "wide.png", wide=True)
    payload = body(channel_id, phones(1), content="주말 특가", image_id=wide, wide=True, buttons=[WL, WL])
    q = post(client, "quote", payload)
    assert q.status_code == 200, q.get_json()
    assert (q.get_json()["kakao_type"], q.get_json()["kakao_price"]) == ("친구톡 포토", PHOTO)
    refused(app, client, {**payload, "content": "가" * 77}, "too_long", "내용", "76자")
    refused(app, client, {**payload, "buttons": [WL, WL, WL]}, "too_many_buttons", "buttons", "2개")
    refused(app, client, {**payload, "image_id": None}, "image_rule", "이미지", "와이드형")
    response = post(client, "send", payload)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["wide"] is True


# --- the hours (KFT-03), with the clock pinned ----------------------------------------------------------------

@pytest.mark.parametrize("hour, minute, allowed", [(7, 59, False), (8, 0, True), (20, 49, True), (20, 50, False)])
def test_kft03_an_immediate_send_only_from_0800_up_to_2050_kst(app, client, channel_id, hour, minute, allowed):
    payload = body(channel_id, phones(1))
    with clock.frozen(kst(*FRIDAY, hour, minute)):
        for path in ("quote", "send"):
            response = post(client, path, payload)
            if allowed:
                assert response.status_code == (200 if path == "quote" else 201), response.get_json()
            else:
                assert response.status_code == 422, response.get_json()
                error = error_of(response)
                assert (error["code"], error["field"]) == ("friendtalk_hours", "발송시간")
                assert "08:00~20:50" in error["message"] and "예약 발송" in error["message"]
    assert count(app, Send) == (1 if allowed else 0)


def test_kft03_a_schedule_into_the_hours_made_outside_them(app, client, channel_id):
    with clock.frozen(kst(*FRIDAY, 7, 0)):
        into = body(channel_id, phones(1), use_schedule=True, scheduled_at="2026-11-27T09:00")
        q = post(client, "quote", into)
        assert q.status_code == 200 and q.get_json()["scheduled_at"] == "2026-11-27 09:00", q.get_json()
        response = post(client, "send", into)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["status"] == "scheduled"
        assert "2026-11-27 09:00 예약 발송으로 접수했습니다" in text_of(client.get(response.get_json()["redirect"]))
        late = post(client, "send", body(channel_id, phones(2), use_schedule=True, scheduled_at="2026-11-27T21:00"))
        assert late.status_code == 422
        assert (error_of(late)["code"], error_of(late)["field"]) == ("friendtalk_hours", "예약시간")
    assert count(app, Send) == 1


# --- a saved content (친구톡 템플릿) fills the page -----------------------------------------------------------------

def test_kft01_a_saved_content_fills_the_page_and_sends_with_its_image(app, client, customer, channel_id):
    with app.app_context():
        saved = friendtalk_templates.create_template(account_id=customer.account_id, name="겨울 세일",
                                                     text="#[이름]님 세일 안내", buttons=[WL],
                                                     image=("sale.jpg", jpeg((800, 600))), now=clock.now())
        saved_id = saved.id
    page = client.get("/friendtalk/").get_data(as_text=True)
    assert f'<option value="{saved_id}">겨울 세일 (친구톡 포토)</option>' in page
    filled = client.get(f"/friendtalk/template-content/{saved_id}", headers=JSON)
    assert filled.status_code == 200
    t = filled.get_json()
    assert (t["content"], t["wide"], t["buttons"]) == ("#[이름]님 세일 안내", False, [WL])
    assert t["image"]["width"] == 800 and client.get(t["image"]["url"]).status_code == 200
    payload = body(channel_id, phones(1), template_id=saved_id, content=t["content"], buttons=t["buttons"],
                   image_id=t["image"]["image_id"])
    assert post(client, "quote", payload).get_json()["kakao_type"] == "친구톡 포토"
    response = post(client, "send", payload)
    assert response.status_code == 201, response.get_json()
    other = make_customer(app, kind="corporate")
    with app.app_context():
        foreign = friendtalk_templates.create_template(account_id=other.account_id, name="남의 것", text="비밀 내용",
                                                       now=clock.now()).id
    answer = client.get(f"/friendtalk/template-content/{foreign}", headers=JSON)
    assert answer.status_code == 404 and "비밀 내용" not in answer.get_data(as_text=True)


# --- refusals: Korean, 4xx, the field named, nothing written ---------------------------------------------------

def refused(app, client, payload, code, field, *words, path="send", status=422):
    before = (count(app, Send), count(app, Message))
    response = post(client, path, payload)
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert (error["code"], error.get("field")) == (code, field), error
    for word in words:
        assert word in error["message"], error
    assert (count(app, Send), count(app, Message)) == before
    return error


def test_refusals_the_image_names_its_rule(app, client, channel_id):
    small = attach(client, jpeg((400, 400)))
    assert small.status_code == 422
    assert (error_of(small)["code"], error_of(small)["field"], error_of(small)["details"]["rule"]) == (
        "image_rule", "이미지", "width")
    tall = attach(client, png((600, 900)), "tall.png")
    assert error_of(tall)["details"]["rule"] == "ratio"
    gif = attach(client, b"GIF89a" + b"\x00" * 64, "a.gif")
    assert error_of(gif)["details"]["rule"] == "type"
    assert count(app, StoredFile) == 0
    # a 포토 image taller than it is wide (3:3.5) is no wide one: sent as 와이드형 it is refused
    photo = image_id(client, jpeg((600, 700)))
    error = refused(app, client, body(channel_id, phones(1), image_id=photo, wide=True, buttons=[]),
                    "image_rule", "이미지", "와이드형")
    assert error["details"]["rule"] == "wide_ratio"
    refused(app, client, body(channel_id, phones(1), image_id=987654), "invalid_image", "이미지", "다시 첨부")


def test_refusals_channel_content_buttons_targeting_and_recipients(app, client, customer, channel_id):
    refused(app, client, body(None, phones(1)), "required", "발신 채널 ID", path="quote")
    other = make_customer(app, kind="corporate")
    foreign = approve_channel(app, other.account_id, "@other")
    refused(app, client, body(foreign, phones(1)), "channel_not_approved", "발신 채널 ID")
    refused(app, client, body(channel_id, phones(1), content="  "), "required", "내용", "내용을 입력해주세요")
    refused(app, client, body(channel_id, phones(1), content="가" * 1301), "too_long", "내용", "1,300자")
    refused(app, client, body(channel_id, phones(1), buttons=[{"type": "WL", "name": "쿠폰"}]), "required",
            "buttons[0].url_mobile", "Mobile")
    refused(app, client, body(channel_id, phones(1), buttons=[{"type": "AC", "name": "채널 추가"}]), "invalid_choice",
            "buttons[0].type")
    error = refused(app, client, body(channel_id, phones(1), targeting="M"), "targeting_not_allowed", "발송 대상")
    assert "승인" in error["message"]
    refused(app, client, body(channel_id, []), "required", "수신자", "수신자를 입력해주세요")
    refused(app, client, body(channel_id, [{"phone": phones(1)[0]}]), "missing_variable", "수신자", "1번째 수신자")


def test_refusals_fallback_balance_and_daily_cap(app, client, customer, channel_id):
    emoji = body(channel_id, phones(1), use_fallback=True, fallback=fallback(customer, text="쿠폰 도착 😀"))
    refused(app, client, emoji, "fallback_invalid", "대체문자", "이모지", path="quote")
    refused(app, client, emoji, "fallback_invalid", "대체문자")
    default = body(channel_id, phones(1), content="쿠폰 도착 😀", use_fallback=True, fallback=fallback(customer))
    refused(app, client, default, "fallback_invalid", "대체문자", "기본 대체문자")
    refused(app, client, body(channel_id, phones(1), use_fallback=True, fallback=fallback(customer, ad_company="")),
            "ad_company_required", "광고 업체명")
    other_sender = fallback(customer, sender="0212345678")
    refused(app, client, body(channel_id, phones(1), use_fallback=True, fallback=other_sender),
            "sender_not_approved", "발신번호", path="quote")
    refused(app, client, body(channel_id, phones(1), use_schedule=True, scheduled_at="2020-01-01T10:00"),
            "schedule_out_of_range", "예약시간", "10분후부터")
    raise_daily_cap(app, customer.account_id, 1)
    refused(app, client, body(channel_id, phones(1, 2)), "daily_cap_exceeded", "수신자", "일일 발송 한도", path="quote")
    poor = make_customer(app, kind="corporate", cash=10)
    poor_channel = approve_channel(app, poor.account_id, "@poor")
    poor_client = logged_in(app, poor.login, poor.password)
    q = post(poor_client, "quote", body(poor_channel, phones(1))).get_json()
    assert (q["enough"], q["remaining"]) == (False, 10 - TEXT)
    refused(app, poor_client, body(poor_channel, phones(1)), "insufficient_balance", "잔액", "잔액이 부족합니다")
