"""The 알림톡 발송 page (06-kakao.md KAT-06..08, WAL-06): the page for each kind of account,
the sample file's columns, the recipients file read by the template's variables, the
quote the two-column confirm dialog shows (= the hold), a send with fallback through the
pipeline, and every refusal as a Korean 4xx naming the field or row, nothing written."""
from __future__ import annotations

import io
import json
import re
import uuid

import pytest
from openpyxl import load_workbook

from app.models import Message, Send
from tests.support import pipeline as pl
from tests.support.compose import JSON, NOW, channel_id, client, complete, count, error_of, phones, pinned, xlsx  # noqa: F401
from tests.support.compose import payload as sms_payload
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.pipeline import messages, send_row
from tests.support.web import logged_in, text_of

KAKAO, SMS, LMS = 13, 20, 50      # the default price plan
VALUES = {"고객명": "홍길동", "주문번호": "A-1001"}


@pytest.fixture
def customer(app):
    return make_customer(app, kind="corporate", cash=100_000)


@pytest.fixture
def template_id(app, customer, channel_id):
    return make_template(app, customer.account_id, channel_id, status="approved")


def body(customer, template_id, recipients, **changes) -> dict:
    out = {"channel": None, "template_id": template_id, "use_schedule": False, "scheduled_at": "",
           "recipients": [r if isinstance(r, dict) else {"phone": r, "vars": dict(VALUES)} for r in recipients],
           "contact_ids": [], "group_ids": [], "mapping": {}, "upload_id": None,
           "use_fallback": False, "fallback": None, "compose_token": uuid.uuid4().hex}
    out.update(changes)
    return out


def fallback(customer, **changes) -> dict:
    return {"sender": customer.phone, "text": None, "title": None, "ad_company": None, "ad_optout": None, **changes}


def post(client, path, payload):
    return client.post(f"/alimtalk/{path}", json=payload, headers=JSON)


# --- the page ----------------------------------------------------------------------------------------------

def test_kat06_the_page_offers_channel_schedule_templates_fallback_and_recipients(app, client, template_id):
    page = client.get("/alimtalk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for element in ('id="channel"', 'id="use-schedule"', 'id="template"', 'id="use-fallback"', 'id="fallback-sender"',
                    'id="edit-fallback"', 'id="recipient-input"', 'id="open-address-book"', 'id="open-file"',
                    'id="sample-file"', 'id="confirm-dialog"', 'id="preview"',
                    # the SMS page's address-book picker: search and 더 보기 (SMS-12)
                    'id="ab-query"', 'id="ab-search"', 'id="ab-more"', 'js/address_book_picker.js'):
        assert element in html, element
    text = text_of(page)
    assert "@shop" in text and "주문 안내" in text
    assert "대체문자는 일반 문자와 동일하게 과금됩니다" in text
    assert 'href="/alimtalk/"' in client.get("/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["individual", "no_channel", "no_template"])
def test_kat06_accounts_that_cannot_send_yet_are_pointed_where_to_go(app, kind):
    customer = make_customer(app, kind="individual" if kind == "individual" else "corporate")
    if kind == "no_template":
        channel = approve_channel(app, customer.account_id, "@shop")
        make_template(app, customer.account_id, channel, status="requested")      # not approved yet
    page = logged_in(app, customer.login, customer.password).get("/alimtalk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = {"individual": ('id="conversion-link"', "/mypage/conversion"),
                "no_channel": ('id="senders-link"', "/senders/"),
                "no_template": ('id="templates-link"', "/alimtalk/templates/")}[kind]
    assert all(part in html for part in expected)
    assert 'id="confirm-dialog"' not in html


def test_kat06_the_sample_file_has_one_column_per_template_variable(app, client, template_id):
    response = client.get(f"/alimtalk/sample/{template_id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["번호", "#{고객명}", "#{주문번호}"]


def test_kat06_a_file_in_the_sample_format_gives_each_row_its_values(app, client, customer, template_id):
    data = xlsx([["번호", "#{고객명}", "#{주문번호}"], ["010-2345-6701", "김철수", "B-1"],
                 ["010-2345-6702", "이영희", "B-2"]])
    response = client.post("/alimtalk/recipients/upload", data={"template_id": str(template_id),
                                                                "file": (io.BytesIO(data), "list.xlsx")},
                           content_type="multipart/form-data", headers=JSON)
    assert response.status_code == 200, response.get_json()
    upload = response.get_json()
    assert upload["valid"] == 2 and upload["preview"][0]["vars"] == {"고객명": "김철수", "주문번호": "B-1"}
    quoted = post(client, "quote", body(customer, template_id, [], upload_id=upload["upload_id"]))
    assert quoted.status_code == 200 and quoted.get_json()["recipients"] == 2


# --- the quote (KAT-08, WAL-06) ------------------------------------------------------------------------------

def test_kat08_the_quote_shows_both_columns_and_the_hold_at_the_higher_price(app, client, customer, template_id):
    numbers = phones(1, 2, 3)
    q = post(client, "quote", body(customer, template_id, numbers, use_fallback=True,
                                   fallback=fallback(customer, text="#{고객명}님 주문 #{주문번호} 발송"))).get_json()
    assert (q["kakao_type"], q["kakao_price"], q["fallback_type"], q["fallback_price"]) == ("알림톡", KAKAO, "SMS", SMS)
    assert q["recipients"] == 3 and q["hold"] == 3 * max(KAKAO, SMS)
    assert q["remaining"] == 100_000 - q["hold"] and q["scheduled_at"] is None
    without = post(client, "quote", body(customer, template_id, numbers)).get_json()
    assert (without["fallback_type"], without["hold"]) == (None, 3 * KAKAO)
    assert count(app, Send) == 0


def test_kat08_the_quote_refuses_what_accept_refuses_with_the_same_words(app, client, customer, template_id):
    """ACC-10 through acceptance.admit, as the SMS quote: over the daily cap, or suspended,
    the dialog does not open — with send's own refusal — and nothing is written."""
    payload = body(customer, template_id, phones(1, 2, 3), use_fallback=True, fallback=fallback(customer))
    pl.set_daily_cap(app, customer.account_id, 2)
    quoted, sent = post(client, "quote", payload), post(client, "send", payload)
    assert quoted.status_code == sent.status_code == 422
    assert error_of(quoted) == error_of(sent)
    assert (error_of(quoted)["code"], error_of(quoted)["field"]) == ("daily_cap_exceeded", "수신자")
    assert "일일 발송 한도(2건)를 초과합니다. 오늘 남은 발송 가능 건수는 2건입니다 (요청 3건)." in error_of(quoted)["message"]
    assert post(client, "quote", {**payload, "recipients": payload["recipients"][:2]}).status_code == 200
    pl.suspend(app, customer.account_id, reason="스팸 신고 접수")
    quoted, sent = post(client, "quote", payload), post(client, "send", payload)
    assert quoted.status_code == sent.status_code == 403
    assert error_of(quoted) == error_of(sent)
    assert (error_of(quoted)["code"], error_of(quoted)["message"]) == ("account_suspended",
                                                                       "이용이 정지된 계정입니다: 스팸 신고 접수")
    assert count(app, Send) == 0 and count(app, Message) == 0


def test_kat08_the_quote_names_the_refused_numbers_as_the_sms_quote_does(app, client, customer, template_id):
    good = phones(1)[0]
    typed = [{"phone": "12345", "vars": {}}, {"phone": good, "vars": dict(VALUES)},
             {"phone": "010-0123-4567", "vars": {}}, {"phone": "1023456789", "vars": {}}]
    q = post(client, "quote", body(customer, template_id, typed)).get_json()
    assert (q["recipients"], q["rejected_count"], q["hold"]) == (1, 3, KAKAO)
    assert [(r["index"], r["phone"]) for r in q["rejected"]] == [(1, "12345"), (3, "010-0123-4567"), (4, "1023456789")]
    sms = client.post("/sms/quote", json=sms_payload(customer, [r["phone"] for r in typed]), headers=JSON).get_json()
    assert [r["reason"] for r in q["rejected"]] == [r["reason"] for r in sms["rejected"]]
    assert sms["rejected_count"] == q["rejected_count"]
    assert count(app, Send) == 0


def test_kat06_address_book_recipients_get_values_through_the_mapping(app, client, customer, template_id):
    from app import clock
    from app.services.contacts import address_book
    with app.app_context():
        group = address_book.create_group(account_id=customer.account_id, name="고객", now=clock.now())
        address_book.add_contact(account_id=customer.account_id, group_id=group.id, now=clock.now(),
                                 form={"name": "박민수", "phone": "01023456711", "var1": "C-9"})
        group_id = group.id
    payload = body(customer, template_id, [], group_ids=[group_id], mapping={"고객명": "이름", "주문번호": "1"})
    answer = post(client, "quote", payload)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["recipients"] == 1
    unmapped = post(client, "quote", {**payload, "mapping": {"고객명": "이름"}})
    assert unmapped.status_code == 422 and error_of(unmapped)["code"] == "variable_missing"


# --- a send end to end ---------------------------------------------------------------------------------------

def test_kat07_a_send_with_fallback_through_the_pipeline(app, client, customer, template_id):
    numbers = phones(0, 80)          # 00 delivered on Kakao; 80 fails on Kakao, its SMS delivered
    payload = body(customer, template_id, numbers, use_fallback=True,
                   fallback=fallback(customer, text="#{고객명}님 주문 #{주문번호} 발송"))
    q = post(client, "quote", payload).get_json()
    response = post(client, "send", payload)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["hold"] == q["hold"] == 2 * SMS
    assert answer["redirect"].endswith(f"/history/{answer['send_id']}") or str(answer["send_id"]) in answer["redirect"]
    page = client.get(answer["redirect"])
    assert page.status_code == 200
    assert f"알림톡 2건을 접수했습니다. 발송 금액 {2 * SMS:,}원을 선차감했으며" in text_of(page)
    # the same page sent twice is one send
    assert post(client, "send", payload).status_code == 201 and count(app, Send) == 1
    complete(app)
    send_id = int(answer["send_id"])
    row = send_row(app, send_id)
    assert row["status"] == "completed" and row["charged_amount"] == KAKAO + SMS
    layers = sorted((m["layer"], m["state"]) for m in messages(app, send_id))
    assert layers == [("fallback", "delivered"), ("primary", "delivered"), ("primary", "failed")]


# --- refusals: Korean, 4xx, nothing written ------------------------------------------------------------------

def refused(app, client, payload, code, *words, path="send"):
    response = post(client, path, payload)
    assert 400 <= response.status_code < 500, response.get_json()
    error = error_of(response)
    assert error["code"] == code, error
    for word in words:
        assert word in error["message"], error
    assert count(app, Send) == 0 and count(app, Message) == 0
    return error


def test_refusals_template(app, client, customer, template_id, channel_id):
    refused(app, client, body(customer, None, phones(1)), "required", "템플릿")
    saved = make_template(app, customer.account_id, channel_id, status="saved", name="미승인")
    refused(app, client, body(customer, saved, phones(1)), "template_not_approved", "등록완료")
    other = make_customer(app, kind="corporate")
    foreign = make_template(app, other.account_id, approve_channel(app, other.account_id, "@other"), status="approved")
    refused(app, client, body(customer, foreign, phones(1)), "template_not_approved")
    assert client.get(f"/alimtalk/sample/{foreign}.xlsx").status_code == 404


def test_refusals_values_fallback_sender_and_schedule(app, client, customer, template_id):
    refused(app, client, body(customer, template_id, [{"phone": phones(1)[0], "vars": dict(VALUES)},
                                                     {"phone": phones(2)[0], "vars": {"고객명": "김"}}]),
            "variable_missing", "2번째 수신자", "#{주문번호}")
    refused(app, client, body(customer, template_id, phones(1), use_fallback=True,
                              fallback=fallback(customer, text="주문 발송 😀")), "fallback_invalid", "이모지")
    refused(app, client, body(customer, template_id, phones(1), use_fallback=True,
                              fallback=fallback(customer, sender="0212345678")), "sender_not_approved", path="quote")
    other = make_customer(app, kind="corporate")
    error = refused(app, client, body(customer, template_id, phones(1), use_fallback=True,
                                      fallback=fallback(customer, sender=other.phone)), "sender_not_approved")
    assert "발신번호" in error["message"]
    refused(app, client, body(customer, template_id, phones(1), use_schedule=True, scheduled_at="2020-01-01T10:00"),
            "schedule_out_of_range", "10분후부터")
    refused(app, client, body(customer, template_id, []), "required", "수신자")


def test_kat07_a_default_fallback_that_breaks_the_sms_rules_is_flagged_and_refused(app, client, customer, channel_id):
    emoji = make_template(app, customer.account_id, channel_id, status="approved", name="이모지 안내",
                          content="#{고객명}님 주문 #{주문번호} 발송 😀")
    html = client.get("/alimtalk/").get_data(as_text=True)
    page = json.loads(re.search(r"window.MB_ALIMTALK_COMPOSE = (\{.*?\});</script>", html, flags=re.S).group(1))
    flags = {t["name"]: t["fallback_problem"] for t in page["templates"]}
    assert flags["이모지 안내"].startswith("기본 대체문자에 문자 메시지로 보낼 수 없는 문자가 있습니다")
    refused(app, client, body(customer, emoji, phones(1), use_fallback=True, fallback=fallback(customer)),
            "fallback_invalid", "기본 대체문자")
    # edited in 대체문자 수정하기, it goes
    answer = post(client, "quote", body(customer, emoji, phones(1), use_fallback=True,
                                        fallback=fallback(customer, text="#{고객명}님 주문 #{주문번호} 발송")))
    assert answer.status_code == 200 and answer.get_json()["fallback_type"] == "SMS"
