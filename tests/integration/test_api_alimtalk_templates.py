"""AlimTalk templates through the integration API (09-api.md API-07, 06-kakao.md KAT-01..03):
create, create and request review, the list with its `state` filter and paging, one
template with its review history after an operator (the sandbox's Kakao reviewer)
rejected it, Idempotency-Key (API-03), and every bad shape of input refused with the
error shape of API-04, its `field` the JSON path, nothing saved."""
from __future__ import annotations

import base64
import json
import re

import pytest

from app import clock
from app.extensions import db
from app.models import Account, AlimtalkTemplate, AlimtalkTemplateEvent, ApiRequest
from tests.support.api import error_of
from tests.support.factories import TEMPLATE_FIELDS, approve_channel, make_customer, make_template
from tests.support.foundation import follow, staff_client
from tests.support.pipeline import NOW, api_customer, bearer, count
from tests.support.uploads import png

URL = "/api/v1/alimtalk/templates"
ISO_KST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$")
BODY = {"channel": "@shop", **TEMPLATE_FIELDS}


@pytest.fixture
def api(app):
    """(app, client, customer, key): a corporate customer approved for the API with the
    approved channel @shop, the clock pinned at NOW."""
    customer, key = api_customer(app)
    approve_channel(app, customer.account_id, "@shop")
    with clock.frozen(NOW):
        yield app, app.test_client(), customer, key


def post(client, key, body, **headers):
    return client.post(URL, json=body, headers={**bearer(key), **headers})


def post_raw(client, key, raw: str, **headers):
    return client.post(URL, data=raw, headers={**bearer(key), "Content-Type": "application/json", **headers})


def test_api07_create_answers_201_with_the_template(api):
    app, client, customer, key = api
    response = post(client, key, BODY)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert 0 < len(body["code"]) <= 20
    assert (body["channel"], body["title"], body["state"], body["state_label"]) == ("@shop", "주문 안내", "saved", "저장됨")
    assert (body["message_type"], body["emphasis_type"]) == ("BA", "NONE")
    assert body["variables"] == ["고객명", "주문번호"]
    assert body["buttons"] == [{"type": "WL", "name": "배송 조회", "url_mobile": "https://shop.example.com/o/#{주문번호}"}]
    assert body["quick_replies"] == [] and body["content"] == TEMPLATE_FIELDS["content"]
    assert ISO_KST.match(body["created_at"]) and ISO_KST.match(body["updated_at"])
    assert body["created_at"].startswith("2026-11-27T12:00:00")
    assert [(h["state"], h["actor"]) for h in body["history"]] == [("saved", "customer")]
    with app.app_context():
        [row] = db.session.scalars(db.select(AlimtalkTemplate)).all()
        assert (row.code, row.account_id, row.status) == (body["code"], customer.account_id, "saved")
    shown = client.get(f"{URL}/{body['code']}", headers=bearer(key))
    assert shown.status_code == 200 and shown.get_json() == body


def test_api07_request_review_true_also_requests_it_and_the_operators_queue_has_it(api):
    app, client, customer, key = api
    body = post(client, key, {**BODY, "request_review": True}).get_json()
    assert (body["state"], body["state_label"]) == ("requested", "등록요청")
    assert [h["state"] for h in body["history"]] == ["saved", "requested"]
    assert ISO_KST.match(body["requested_at"])
    _login, operator = staff_client(app, "Operator")
    assert f'data-code="{body["code"]}"' in operator.get("/staff/queues/alimtalk-templates/").get_data(as_text=True)


def test_api07_the_list_filters_by_state_and_pages(api):
    app, client, customer, key = api
    saved = [post(client, key, {**BODY, "name": f"안내 {i}"}).get_json()["code"] for i in range(2)]
    requested = post(client, key, {**BODY, "name": "요청한 안내", "request_review": True}).get_json()["code"]
    listing = client.get(URL, headers=bearer(key)).get_json()
    assert (listing["total"], listing["page"], listing["per_page"]) == (3, 1, 20)
    assert {t["code"] for t in listing["templates"]} == {*saved, requested}
    only = client.get(f"{URL}?state=requested", headers=bearer(key)).get_json()
    assert only["total"] == 1 and [t["code"] for t in only["templates"]] == [requested]
    assert client.get(f"{URL}?state=approved", headers=bearer(key)).get_json()["total"] == 0
    pages = [client.get(f"{URL}?per_page=2&page={n}", headers=bearer(key)).get_json() for n in (1, 2)]
    assert [len(p["templates"]) for p in pages] == [2, 1] and pages[1]["total"] == 3
    assert "history" not in listing["templates"][0]
    error_of(client.get(f"{URL}?state=bogus", headers=bearer(key)), 422, "invalid_filter", "state")
    error_of(client.get(f"{URL}?page=0", headers=bearer(key)), 422, "invalid", "page")


def test_api07_one_template_with_its_history_after_an_operator_rejects_it(api):
    app, client, customer, key = api
    code = post(client, key, {**BODY, "request_review": True}).get_json()["code"]
    with app.app_context():
        template_id = db.session.scalar(db.select(AlimtalkTemplate.id).where(AlimtalkTemplate.code == code))
    staff_login, operator = staff_client(app, "Operator", login="reviewer-kim")
    reason = "버튼 링크의 도메인이 채널 정보와 다릅니다. 채널에 등록된 도메인으로 바꿔주세요."
    assert follow(operator, operator.post(f"/staff/queues/alimtalk-templates/{template_id}/start")).status_code == 200
    operator.post(f"/staff/queues/alimtalk-templates/{template_id}/reject", data={"reason": reason})
    operator.post(f"/staff/queues/alimtalk-templates/{template_id}/comment",
                  data={"comment": "도메인을 바꾸신 뒤 다시 요청해주세요."})
    response = client.get(f"{URL}/{code}", headers=bearer(key))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["state"], body["state_label"], body["reject_reason"]) == ("rejected", "반려됨", reason)
    assert ISO_KST.match(body["reviewed_at"])
    assert [(h["kind"], h["state"], h["actor"], h["comment"]) for h in body["history"]] == [
        ("state", "saved", "customer", None), ("state", "requested", "customer", None),
        ("state", "in_review", "kakao", None), ("state", "rejected", "kakao", reason),
        ("comment", "rejected", "kakao", "도메인을 바꾸신 뒤 다시 요청해주세요.")]
    assert all(ISO_KST.match(h["at"]) for h in body["history"])
    # the reviewer is Kakao to the customer: no staff login or name in the answer
    text = response.get_data(as_text=True)
    assert staff_login not in text and "Operator" not in text and "staff" not in text


def test_api07_megabirds_own_block_and_unblock_read_as_system(api):
    app, client, customer, key = api
    code = post(client, key, {**BODY, "request_review": True}).get_json()["code"]
    with app.app_context():
        template_id = db.session.scalar(db.select(AlimtalkTemplate.id).where(AlimtalkTemplate.code == code))
    _login, operator = staff_client(app, "Operator")
    for step, form in (("queues/alimtalk-templates/{}/start", {}), ("queues/alimtalk-templates/{}/approve", {}),
                       ("alimtalk-templates/{}/block", {"reason": "스팸 신고가 이어졌습니다."}),
                       ("alimtalk-templates/{}/unblock", {})):
        assert operator.post("/staff/" + step.format(template_id), data=form).status_code == 302
    body = client.get(f"{URL}/{code}", headers=bearer(key)).get_json()
    assert [(h["state"], h["actor"]) for h in body["history"]] == [
        ("saved", "customer"), ("requested", "customer"), ("in_review", "kakao"), ("approved", "kakao"),
        ("blocked", "system"), ("approved", "system")]
    assert body["history"][4]["comment"] == "스팸 신고가 이어졌습니다." and body["state"] == "approved"


def test_api07_another_code_or_an_unknown_one_is_404(api):
    app, client, customer, key = api
    error_of(client.get(f"{URL}/NOPE", headers=bearer(key)), 404, "not_found")
    error_of(client.get(f"{URL}/{'X' * 21}", headers=bearer(key)), 404, "not_found")


def test_api07_an_emphasis_image_comes_as_base64(api):
    app, client, customer, key = api
    image = base64.b64encode(png((800, 400))).decode()
    body = {**BODY, "emphasis_type": "IMAGE", "image": image}
    response = post(client, key, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["emphasis_type"] == "IMAGE"
    with app.app_context():
        [row] = db.session.scalars(db.select(AlimtalkTemplate)).all()
        assert row.image_file is not None and row.image_file.content_type == "image/png"
    error_of(post(client, key, {**body, "image": base64.b64encode(png((300, 300))).decode()}), 422, "invalid_image",
             "image")
    error_of(post(client, key, {**BODY, "emphasis_type": "IMAGE"}), 422, "required", "image")
    assert count(app, AlimtalkTemplate) == 1


SIX_BUTTONS = [{"type": "WL", "name": f"링크 {i}", "url_mobile": "https://shop.example.com"} for i in range(6)]

BAD_BODIES = [
    ({"name": ["주문 안내"]}, 422, "invalid_type", "name"),
    ({"name": {"text": "주문 안내"}}, 422, "invalid_type", "name"),
    ({"content": 1300}, 422, "invalid_type", "content"),
    ({"content": {"text": "안녕하세요"}}, 422, "invalid_type", "content"),
    ({"content": None}, 422, "required", "content"),
    ({"buttons": SIX_BUTTONS}, 422, "too_many_buttons", "buttons"),
    ({"buttons": {"type": "WL"}}, 422, "invalid_type", "buttons"),
    ({"buttons": ["배송 조회"]}, 422, "invalid_type", "buttons[0]"),
    ({"buttons": [{"type": "WL", "name": "배송 조회", "url_mobile": {"href": "https://a.example"}}]}, 422,
     "invalid_type", "buttons[0].url_mobile"),
    ({"buttons": [{"type": "WL", "name": "배송 조회", "url_mobile": "ftp://a.example"}]}, 422, "invalid_url",
     "buttons[0].url_mobile"),
    ({"buttons": [{"type": "ZZ", "name": "배송 조회"}]}, 422, "invalid_choice", "buttons[0].type"),
    ({"quick_replies": [{"type": "TN", "name": "전화", "phone": "0212345678"}]}, 422, "invalid_choice",
     "quick_replies[0].type"),
    ({"message_type": "ZZ"}, 422, "invalid_choice", "message_type"),
    ({"message_type": 1}, 422, "invalid_choice", "message_type"),
    ({"emphasis_type": ["TEXT"]}, 422, "invalid_choice", "emphasis_type"),
    ({"items": "a,b"}, 422, "invalid_type", "items"),
    ({"security": "maybe"}, 422, "invalid_type", "security"),
    ({"category": 1001}, 422, "invalid_choice", "category"),
    ({"channel": ["@shop"]}, 422, "invalid_type", "channel"),
    ({"channel": {"id": 1}}, 422, "invalid_type", "channel"),
    ({"channel": True}, 422, "invalid_type", "channel"),
    ({"channel": None}, 422, "required", "channel"),
    ({"channel": "@nobody"}, 422, "channel_not_approved", "channel"),
    ({"request_review": "yes"}, 422, "invalid_type", "request_review"),
    ({"request_review": 1}, 422, "invalid_type", "request_review"),
    ({"image": 12}, 422, "invalid_image", "image"),
    ({"image": "not base64!"}, 422, "invalid_image", "image"),
]


@pytest.mark.parametrize("change, status, code, field", BAD_BODIES,
                         ids=[f"{json.dumps(c, ensure_ascii=False)[:40]}" for c, *_ in BAD_BODIES])
def test_api07_a_wrong_type_or_value_is_refused_naming_its_json_path_and_nothing_is_saved(api, change, status, code,
                                                                                        field):
    app, client, customer, key = api
    body = {**BODY, **change}
    error_of(post(client, key, body), status, code, field)
    error_of(post(client, key, {**body, "request_review": True} if "request_review" not in change else body),
             status, code, field)
    assert count(app, AlimtalkTemplate) == 0 and count(app, AlimtalkTemplateEvent) == 0


@pytest.mark.parametrize("raw, code", [
    ('{"channel": "@shop", "name": "안내", "content": NaN}', "invalid_json"),
    ('{"channel": "@shop", "name": "안내", "content": "x", "security": Infinity}', "invalid_json"),
    ('{"channel": "@shop", "name": "안내", "content": -Infinity}', "invalid_json"),
    ('{"channel": "@shop", "name": "\\ud800 안내", "content": "내용"}', "invalid_character"),
    ('{"channel": "@shop", "name": "안내", "content": "내용 \\udfff"}', "invalid_character"),
    ('{"channel": "@shop", "name": "안내", "content": "내용", "buttons": [{"type": "WL", "name": "\\udc00"}]}',
     "invalid_character"),
    ('{"channel": "@shop", "name": "안내", ', "invalid_json"),
    ('["@shop", "안내"]', "invalid_json"),
    ('"안내"', "invalid_json"),
])
def test_api07_json_that_is_not_a_template_is_refused_as_a_body_error(api, raw, code):
    app, client, customer, key = api
    response = post_raw(client, key, raw)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code, code, "body")
    assert count(app, AlimtalkTemplate) == 0


def test_api07_individual_accounts_are_refused_corporate_only(api):
    app, client, customer, key = api
    # no service turns a corporate account back into an individual one: the row is set so,
    # as an account that was never converted but holds a key would be
    with app.app_context():
        db.session.get(Account, customer.account_id).kind = "individual"
        db.session.commit()
    error_of(post(client, key, BODY), 403, "corporate_only")
    assert count(app, AlimtalkTemplate) == 0


def test_api03_the_same_idempotency_key_gives_the_first_answer_and_saves_once(api):
    app, client, customer, key = api
    first = post(client, key, BODY, **{"Idempotency-Key": "tpl-1"})
    again = post(client, key, BODY, **{"Idempotency-Key": "tpl-1"})
    assert (first.status_code, again.status_code) == (201, 201) and first.get_json() == again.get_json()
    assert count(app, AlimtalkTemplate) == 1
    error_of(post(client, key, {**BODY, "name": "다른 안내"}, **{"Idempotency-Key": "tpl-1"}), 409,
             "idempotency_conflict", "Idempotency-Key")
    assert count(app, AlimtalkTemplate) == 1
    # a refused request stores no answer: the corrected one with the same key goes through
    error_of(post(client, key, {**BODY, "content": 5}, **{"Idempotency-Key": "tpl-2"}), 422, "invalid_type", "content")
    assert count(app, ApiRequest, ApiRequest.idempotency_key == "tpl-2") == 0
    assert post(client, key, BODY, **{"Idempotency-Key": "tpl-2"}).status_code == 201
    assert count(app, AlimtalkTemplate) == 2


def test_api07_templates_made_on_the_pages_are_listed_too(app):
    customer, key = api_customer(app)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    other = make_customer(app, kind="corporate")
    make_template(app, other.account_id, approve_channel(app, other.account_id, "@other"), status="approved")
    listing = app.test_client().get(URL, headers=bearer(key)).get_json()
    assert listing["total"] == 1
    [shown] = listing["templates"]
    with app.app_context():
        assert shown["code"] == db.session.get(AlimtalkTemplate, template_id).code
    assert (shown["state"], shown["state_label"], shown["channel"]) == ("approved", "등록완료", "@shop")
