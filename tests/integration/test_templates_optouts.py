"""문자 템플릿 (SMS-08): create, edit, delete, list, search, use on the compose page, save
from it and from the history list. 수신거부 목록 (SMS-13): typed numbers, files, search,
delete, and ad sends skipping listed numbers (optout_080, not charged)."""
import io
import re

import pytest

from app import clock
from app.models import Message, MessageTemplate, OptOut, SandboxMessage, Send
from tests.support.compose import (JSON, MINUTE, NOW, PRICES, complete, count, csv_bytes, error_of, html_unescape, one,
                                   phones, quote, rows, sent, table_rows, xlsx)
from tests.support.compose import client, pinned  # noqa: F401  (fixtures: logged in, clock at NOW)
from tests.support.foundation import flashed, follow
from tests.support.factories import approve_optout_number, make_customer
from tests.support.web import text_of


@pytest.fixture
def customer(app):
    return make_customer(app, cash=10_000)


def error_text(response) -> str:
    match = re.search(r'id="form-error">(.*?)</div>', response.get_data(as_text=True), flags=re.S)
    assert match, "no error box on the page"
    return html_unescape(match.group(1).strip())


# --- templates (SMS-08) -----------------------------------------------------------------------------------

def listed_templates(client, query=""):
    return [r for r in table_rows(client.get(f"/templates/sms/{query}").get_data(as_text=True), "templates")[1:]
            if len(r) > 1]


def test_templates_are_created_listed_searched_edited_and_deleted(app, client, customer):
    response = client.post("/templates/sms/new", data={"name": "배송 안내", "title": "배송", "body": "#[이름]님 배송 시작"})
    assert response.status_code == 302 and "템플릿을 저장했습니다" in flashed(follow(client, response))
    with clock.frozen(NOW + 5 * MINUTE):
        client.post("/templates/sms/new", data={"name": "겨울 세일", "body": "전 품목 30%", "is_ad": "1",
                                                "ad_company": "메가마트", "ad_optout": "0805551234"})
    rows_ = listed_templates(client)
    assert [(r[0], r[1], r[3]) for r in rows_] == [("겨울 세일", "", "광고"), ("배송 안내", "배송", "")]
    assert [r[0] for r in listed_templates(client, "?q=배송")] == ["배송 안내"]       # name, title or body
    assert [r[0] for r in listed_templates(client, "?q=30%")] == ["겨울 세일"]
    assert listed_templates(client, "?q=없음") == []

    template = one(app, MessageTemplate, MessageTemplate.name == "겨울 세일")
    assert (template["is_ad"], template["ad_company"], template["ad_optout"]) == (True, "메가마트", "0805551234")
    page = client.get(f"/templates/sms/{template['id']}/edit")
    assert page.status_code == 200 and "전 품목 30%" in page.get_data(as_text=True)
    response = client.post(f"/templates/sms/{template['id']}/edit", data={"name": "겨울 세일", "body": "전 품목 40%"})
    assert response.status_code == 302
    template = one(app, MessageTemplate, MessageTemplate.id == template["id"])
    assert (template["body"], template["is_ad"], template["ad_company"]) == ("전 품목 40%", False, None)

    response = client.post(f"/templates/sms/{template['id']}/delete")
    assert "템플릿을 삭제했습니다" in flashed(follow(client, response))
    assert [t["name"] for t in rows(app, MessageTemplate)] == ["배송 안내"]


@pytest.mark.parametrize("form,words", [
    ({"name": "", "body": "내용"}, "템플릿 이름을 입력해주세요"),
    ({"name": "이름", "body": "  "}, "내용을 입력해주세요"),
    ({"name": "이름", "body": "이모지 😀"}, "내용에 문자 메시지로 보낼 수 없는 문자"),
    ({"name": "이름", "body": "가" * 1001}, "2,000 byte 이하로 입력해주세요 (현재 2,002 byte)"),
    ({"name": "이름", "title": "가" * 16, "body": "내용"}, "제목은 30 byte 이하"),
    ({"name": "이름", "title": "₩ 가격", "body": "내용"}, "제목에 문자 메시지로 보낼 수 없는 문자"),
    ({"name": "이름", "body": "내용", "is_ad": "1", "ad_company": "가" * 31}, "광고 업체명은 30자 이하"),
    ({"name": "이름", "body": "내용", "is_ad": "1", "ad_company": "메가", "ad_optout": "02-123-4567"},
     "무료거부 번호는 080으로 시작하는"),
])
def test_bad_templates_are_refused_naming_the_field(app, client, form, words):
    response = client.post("/templates/sms/new", data=form)
    assert response.status_code == 422 and words in error_text(response)
    assert count(app, MessageTemplate) == 0


def test_a_template_is_used_and_saved_from_the_compose_page(app, client, customer):
    client.post("/templates/sms/new", data={"name": "세일", "title": "12월", "body": "전 품목 <30%> 세일", "is_ad": "1",
                                            "ad_company": "메가마트", "ad_optout": "080-555-1234"})
    template = one(app, MessageTemplate)
    page = client.get(f"/sms/?template_id={template['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "전 품목 &lt;30%&gt; 세일</textarea>" in html and 'value="12월"' in html and 'value="메가마트"' in html
    assert re.search(r'id="is-ad"\s+checked', html) and 'id="ad-optout" value="0805551234"' in html
    assert f'<option value="{template["id"]}">세일</option>' in html
    # the template select asks for it as JSON
    assert client.get(f"/sms/templates/{template['id']}", headers=JSON).get_json() == {
        "id": template["id"], "name": "세일", "title": "12월", "body": "전 품목 <30%> 세일", "is_ad": True,
        "ad_company": "메가마트", "ad_optout": "0805551234"}

    # 템플릿으로 저장 (POST /sms/templates, as compose.js does)
    response = client.post("/sms/templates", json={"name": "새 템플릿", "title": "", "body": "#[이름]님 안녕하세요",
                                                   "is_ad": False, "ad_company": ""}, headers=JSON)
    assert response.status_code == 201
    saved = response.get_json()
    assert (saved["name"], saved["body"], saved["is_ad"]) == ("새 템플릿", "#[이름]님 안녕하세요", False)
    assert [t["name"] for t in client.get("/sms/templates", headers=JSON).get_json()] == ["새 템플릿", "세일"]
    response = client.post("/sms/templates", json={"name": "", "body": "x"}, headers=JSON)
    assert response.status_code == 422 and error_of(response)["field"] == "템플릿 이름"

    # a send made from a template keeps its id
    send_id = sent(client, customer, phones(1), body="전 품목 <30%> 세일", template_id=template["id"])
    assert one(app, Send, Send.id == send_id)["template_id"] == template["id"]


def test_save_from_the_history_list_makes_a_template_of_the_send(app, client, customer):
    approve_optout_number(app, customer.account_id, "0801234567")
    send_id = sent(client, customer, phones(1), title="연말 안내", body="가" * 60 + " 연말 영업시간 안내", is_ad=True,
                   ad_company="메가마트", ad_optout="0801234567")
    page = client.get("/history/").get_data(as_text=True)
    assert f'formaction="/history/{send_id}/template"' in page and "저장하기" in page
    response = client.post(f"/history/{send_id}/template", headers={"Referer": "/history/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/history/")
    assert "'연말 안내' 템플릿으로 저장했습니다" in html_unescape(flashed(follow(client, response)))
    template = one(app, MessageTemplate)
    assert (template["name"], template["title"], template["body"], template["is_ad"], template["ad_company"],
            template["ad_optout"]) == ("연말 안내", "연말 안내", "가" * 60 + " 연말 영업시간 안내", True, "메가마트",
                                       "0801234567")


# --- the opt-out list (SMS-13) ----------------------------------------------------------------------------

def listed_optouts(client, query=""):
    return [r for r in table_rows(client.get(f"/optouts/{query}").get_data(as_text=True), "optouts")[1:]
            if len(r) > 1]


def test_typed_numbers_are_added_with_any_separators_and_invalid_ones_refused_with_their_position(app, client):
    response = client.post("/optouts/add", data={"numbers": "010-2345-6789, 01034567890\n+82 10 4567 8901",
                                                 "memo": "전화로 요청"})
    assert response.status_code == 302 and "3건을 수신거부 목록에 추가했습니다" in flashed(follow(client, response))
    response = client.post("/optouts/add", data={"numbers": "010-2345-6789; 010-5678-9012"})
    assert "1건을 수신거부 목록에 추가했습니다. (이미 있는 번호 1건)" in flashed(follow(client, response))
    assert sorted((o["number"], o["source"], o["memo"]) for o in rows(app, OptOut)) == [
        ("01023456789", "manual", "전화로 요청"), ("01034567890", "manual", "전화로 요청"),
        ("01045678901", "manual", "전화로 요청"), ("01056789012", "manual", None)]

    response = client.post("/optouts/add", data={"numbers": "010-6789-0123, 02-123-4567, 010-7890-1234"})
    assert response.status_code == 422 and "2번째 번호 02-123-4567" in error_text(response)
    response = client.post("/optouts/add", data={"numbers": "  "})
    assert response.status_code == 422 and "수신거부할 번호를 입력해주세요" in error_text(response)
    response = client.post("/optouts/add", data={"numbers": "010-6789-0123", "memo": "가" * 101})
    assert response.status_code == 422 and "메모는 100자 이하" in error_text(response)
    assert count(app, OptOut) == 4


def test_numbers_are_added_by_file_searched_and_deleted(app, client):
    client.post("/optouts/add", data={"numbers": "010-2345-6789"})
    data = xlsx([["휴대폰번호"], ["010-2345-6789"], [1034567890], ["010-4567-8901"], ["02-123-4567"]])
    response = client.post("/optouts/import", data={"file": (io.BytesIO(data), "거부.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    report = text_of(response)
    assert "전체 4행 중 2건 추가" in report and "이미 있는 번호 1건" in report and "오류 1건 제외" in report
    assert "02-123-4567" in report
    response = client.post("/optouts/import", data={"file": (io.BytesIO(csv_bytes([["이름"]])), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "휴대폰번호" in error_text(response)
    assert {o["source"] for o in rows(app, OptOut) if o["number"] != "01023456789"} == {"file"}

    assert [r[0] for r in listed_optouts(client, "?q=3456-7890")] == ["010-3456-7890"]
    assert [r[0] for r in listed_optouts(client, "?q=8901")] == ["010-4567-8901"]
    assert len(listed_optouts(client)) == 3
    [target] = [o for o in rows(app, OptOut) if o["number"] == "01045678901"]
    response = client.post(f"/optouts/{target['id']}/delete")
    assert "수신거부 목록에서 삭제했습니다" in flashed(follow(client, response))
    assert sorted(o["number"] for o in rows(app, OptOut)) == ["01023456789", "01034567890"]


def test_an_ad_skips_listed_numbers_which_fail_as_optout_080_at_no_charge(app, client, customer):
    listed, other, third = phones(10, 11, 12)
    client.post("/optouts/add", data={"numbers": listed})
    ad = {"body": "겨울 세일", "is_ad": True, "ad_company": "메가마트", "ad_optout": "0801231234"}   # the shared one
    q = quote(client, customer, [listed, other, third], **ad).get_json()
    assert q["recipients"] == 3
    send_id = sent(client, customer, [listed, other, third], **ad)
    row = one(app, Send, Send.id == send_id)
    assert (row["recipient_count"], row["failed_count"], row["hold_amount"]) == (3, 1, 2 * PRICES["SMS"])
    # a message that is not an ad still goes to the listed number
    plain = sent(client, customer, [listed], body="주문하신 상품이 발송되었습니다.")
    complete(app)
    messages = {m["recipient"]: m for m in rows(app, Message, Message.send_id == send_id)}
    assert (messages[listed]["state"], messages[listed]["category"], messages[listed]["charge"]) == \
        ("failed", "optout_080", 0)
    assert {messages[n]["state"] for n in (other, third)} == {"delivered"}
    assert {r["recipient"] for r in rows(app, SandboxMessage)} == {listed, other, third}
    assert [r["recipient"] for r in rows(app, SandboxMessage) if r["text"].startswith("(광고)")] == [other, third]
    row = one(app, Send, Send.id == send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"], row["charged_amount"]) == \
        ("completed", 2, 1, 2 * PRICES["SMS"])
    assert one(app, Send, Send.id == plain)["delivered_count"] == 1
    assert "080 ARS 수신거부" in text_of(client.get(f"/history/{send_id}?show=1&category=optout_080"))
