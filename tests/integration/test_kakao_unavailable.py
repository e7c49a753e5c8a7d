"""GATEWAY_KAKAO=none (issue 20, SEC-09): an installation without a Kakao gateway. Every
Kakao entry point — the 알림톡 and 친구톡 compose pages and their POSTs, 알림톡 템플릿 관리,
친구톡 템플릿, 발신 채널 ID 등록 and 타겟팅 신청, the API's Kakao sends and template
registration, the accept services themselves — answers `kakao_unavailable` (409) and
writes nothing, holds no money; pages show the notice instead of their form; reading
(카카오톡 발송내역, the lists, the API's GETs) stays; the tick and report polling run
without a Kakao adapter. The same account with the sandbox configured sends as before."""
from __future__ import annotations

import datetime as dt
import io
import uuid
from types import SimpleNamespace

import pytest

from app import clock, gateways
from app.domain.alimtalk_plan import AlimtalkRequest
from app.domain.friendtalk import check_content
from app.domain.friendtalk_plan import FriendtalkRequest
from app.errors import Conflict
from app.extensions import db
from app.gateways.sandbox import SandboxGateway
from app.models import (AlimtalkTemplate, FriendtalkTemplate, KakaoChannel, KakaoTargetingApplication,
                        PhoneVerification, RecipientUpload, StoredFile)
from app.services import periodic
from app.services.accounts.access import KAKAO_UNAVAILABLE
from app.services.kakao import alimtalk_sends, friendtalk_sends
from app.services.sending import reports
from app.services.senders.kakao_channels import STAFF_KAKAO_UNAVAILABLE
from tests.support.api import error_of as api_error_of
from tests.support.compose import xlsx
from tests.support.factories import approve_channel, make_friendtalk_template, make_staff, make_template
from tests.support.foundation import count, flashed, rows
from tests.support.pipeline import NOW, api_customer, bearer, phones, run_to_completion, snapshot
from tests.support.uploads import PDF, jpeg, png
from tests.support.web import logged_in, text_of

JSON = {"Accept": "application/json"}
VALUES = {"고객명": "홍길동", "주문번호": "A-1001"}
WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c"}


@pytest.fixture
def shop(app):
    """A corporate API customer made while the sandbox played Kakao — an approved channel
    @shop, an approved and a saved AlimTalk template, a saved 친구톡 content, 100,000 won —
    then the installation switched to GATEWAY_KAKAO=none."""
    customer, key = api_customer(app, cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    approved = make_template(app, customer.account_id, channel_id, status="approved")
    saved = make_template(app, customer.account_id, channel_id, name="가입 환영", content="가입을 환영합니다.")
    friendtalk = make_friendtalk_template(app, customer.account_id)
    with app.app_context():
        code = db.session.get(AlimtalkTemplate, approved).code
    client = logged_in(app, customer.login, customer.password)
    app.config["GATEWAY_KAKAO"] = "none"
    with clock.frozen(NOW):
        yield SimpleNamespace(app=app, customer=customer, key=key, client=client, channel_id=channel_id,
                              approved=approved, saved=saved, code=code, friendtalk=friendtalk)


def unchanged(shop, before) -> None:
    """Nothing written, no money moved, nothing handed to the (sandbox) carrier."""
    assert snapshot(shop.app, shop.customer.account_id) == before


def refused(response) -> dict:
    """A compose page's JSON refusal: 409 kakao_unavailable with the notice's words."""
    assert response.status_code == 409, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert (error["code"], error["message"]) == ("kakao_unavailable", KAKAO_UNAVAILABLE)
    return error


def notice_instead_of(response, *form_ids: str, status: int = 200) -> str:
    """A page that shows the notice and none of the form's elements."""
    assert response.status_code == status, (response.status_code, text_of(response)[:300])
    html = response.get_data(as_text=True)
    assert 'id="kakao-unavailable"' in html and KAKAO_UNAVAILABLE in text_of(response)
    for element in form_ids:
        assert f'id="{element}"' not in html, element
    return html


def alimtalk_body(shop, numbers, **changes) -> dict:
    return {"channel": None, "template_id": shop.approved, "use_schedule": False, "scheduled_at": "",
            "recipients": [{"phone": n, "vars": dict(VALUES)} for n in numbers], "contact_ids": [], "group_ids": [],
            "mapping": {}, "upload_id": None, "use_fallback": False, "fallback": None,
            "compose_token": uuid.uuid4().hex, **changes}


def friendtalk_body(shop, numbers, **changes) -> dict:
    return {"channel": str(shop.channel_id), "use_schedule": False, "scheduled_at": "", "template_id": None,
            "content": "#[이름]님, 쿠폰 도착", "wide": False, "image_id": None, "buttons": [WL], "targeting": "I",
            "recipients": [{"phone": n, "name": "홍길동"} for n in numbers], "contact_ids": [], "group_ids": [],
            "upload_id": None, "use_fallback": False, "fallback": None, "compose_token": uuid.uuid4().hex, **changes}


# --- the configuration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("config, available", [
    ({"GATEWAY_KAKAO": "none"}, False), ({"GATEWAY_KAKAO": " None "}, False), ({"GATEWAY_KAKAO": ""}, False),
    ({"GATEWAY_KAKAO": "sandbox"}, True), ({}, True), ({"GATEWAY_KAKAO": "nhn"}, True),
    ({"GATEWAY_KAKAO": "sandbox", "MEGABIRD_ENV": "production"}, False),
    ({"GATEWAY_KAKAO": "sandbox", "MEGABIRD_ENV": "production", "MEGABIRD_ALLOW_SANDBOX": "GATEWAY_KAKAO"}, False),
    ({"GATEWAY_KAKAO": "nhn", "MEGABIRD_ENV": "production"}, True),
    ({"GATEWAY_KAKAO": "none", "MEGABIRD_ENV": "production"}, False),
])
def test_kakao_available_by_configuration(config, available):
    assert gateways.kakao_available(config) is available


def test_no_kakao_adapter_and_the_tick_and_report_polling_run_without_one(shop):
    app = shop.app
    with app.app_context():
        assert gateways.kakao_available() is False
        with pytest.raises(RuntimeError, match="GATEWAY_KAKAO=none"):
            gateways.get_gateway("kakao")
        assert list(gateways.adapters()) == ["sms"]
        assert isinstance(gateways.get_gateway("sms"), SandboxGateway)
        assert reports.poll_reports(NOW) == {}
        results = periodic.tick(NOW + dt.timedelta(seconds=10))
    failed = {name: result for name, result in results.items() if str(result).startswith("error")}
    assert not failed, failed
    assert {"recover_claims", "recover_connector_claims", "reports", "submit_templates",
            "forward_template_comments", "sync_template_reviews"} <= set(results)


# --- the compose pages and their POSTs -----------------------------------------------------------------------

@pytest.mark.parametrize("page, form", [("/alimtalk/", "template"), ("/friendtalk/", "content")])
def test_the_compose_pages_show_the_notice_and_the_menu_still_leads_there(shop, page, form):
    html = notice_instead_of(shop.client.get(page), form, "confirm-dialog", "compose-token", "corporate-only",
                             "no-channel")
    assert "compose_common" not in html                   # no compose script without its form
    assert f'href="{page}"' in shop.client.get("/dashboard/").get_data(as_text=True)
    # the same page with the sandbox configured offers its form again
    shop.app.config["GATEWAY_KAKAO"] = "sandbox"
    again = shop.client.get(page).get_data(as_text=True)
    assert 'id="kakao-unavailable"' not in again and f'id="{form}"' in again and 'id="confirm-dialog"' in again


def test_alimtalk_quote_send_and_recipients_file_are_refused_nothing_written(shop):
    client, before = shop.client, snapshot(shop.app, shop.customer.account_id)
    files_before, uploads_before = count(shop.app, StoredFile), count(shop.app, RecipientUpload)
    payload = alimtalk_body(shop, phones(1, 2))
    refused(client.post("/alimtalk/quote", json=payload, headers=JSON))
    refused(client.post("/alimtalk/send", json=payload, headers=JSON))
    data = xlsx([["번호", "#{고객명}", "#{주문번호}"], ["010-2345-6701", "김철수", "B-1"]])
    refused(client.post("/alimtalk/recipients/upload", headers=JSON, content_type="multipart/form-data",
                        data={"template_id": str(shop.approved), "file": (io.BytesIO(data), "list.xlsx")}))
    unchanged(shop, before)
    assert (count(shop.app, StoredFile), count(shop.app, RecipientUpload)) == (files_before, uploads_before)
    # the same request with the sandbox configured is accepted: the refusal was the gateway's
    shop.app.config["GATEWAY_KAKAO"] = "sandbox"
    sent = client.post("/alimtalk/send", json=payload, headers=JSON)
    assert sent.status_code == 201, sent.get_json()
    assert snapshot(shop.app, shop.customer.account_id).sends == before.sends + 1


def test_friendtalk_quote_send_and_image_are_refused_nothing_written(shop):
    client, before = shop.client, snapshot(shop.app, shop.customer.account_id)
    files_before = count(shop.app, StoredFile)
    payload = friendtalk_body(shop, phones(1, 2))
    refused(client.post("/friendtalk/quote", json=payload, headers=JSON))
    refused(client.post("/friendtalk/send", json=payload, headers=JSON))
    refused(client.post("/friendtalk/images", headers=JSON, content_type="multipart/form-data",
                        data={"image": (io.BytesIO(jpeg((800, 600))), "photo.jpg"), "wide": "0"}))
    unchanged(shop, before)
    assert count(shop.app, StoredFile) == files_before
    shop.app.config["GATEWAY_KAKAO"] = "sandbox"
    sent = client.post("/friendtalk/send", json=payload, headers=JSON)
    assert sent.status_code == 201, sent.get_json()


def test_the_accept_services_refuse_by_themselves(shop):
    """Every path to a Kakao send goes through accept(): it refuses too, before any hold."""
    before = snapshot(shop.app, shop.customer.account_id)
    account_id = shop.customer.account_id
    with shop.app.app_context():
        alimtalk = AlimtalkRequest(account_id=account_id, channel="@shop", template=shop.code,
                                   recipients=[], fallback=None, scheduled_at=None, source="web")
        content = check_content("#[이름]님, 쿠폰 도착", [WL], None, wide=False)
        friendtalk = FriendtalkRequest(account_id=account_id, channel="@shop", content=content, recipients=[],
                                       targeting=None, fallback=None, scheduled_at=None, source="web")
        for call in (lambda: alimtalk_sends.accept(alimtalk, now=NOW), lambda: alimtalk_sends.quote(alimtalk, now=NOW),
                     lambda: friendtalk_sends.accept(friendtalk, now=NOW),
                     lambda: friendtalk_sends.quote(friendtalk, now=NOW)):
            with pytest.raises(Conflict) as error:
                call()
            assert (error.value.status, error.value.code, error.value.message) == (
                409, "kakao_unavailable", KAKAO_UNAVAILABLE)
        db.session.rollback()
    unchanged(shop, before)


def test_kakao_history_stays_readable(shop):
    shop.app.config["GATEWAY_KAKAO"] = "sandbox"
    sent = shop.client.post("/alimtalk/send", json=alimtalk_body(shop, phones(1)), headers=JSON)
    assert sent.status_code == 201
    run_to_completion(shop.app)
    shop.app.config["GATEWAY_KAKAO"] = "none"
    listed = shop.client.get("/history/kakao/")
    assert listed.status_code == 200 and "주문 안내" in text_of(listed)
    detail = shop.client.get(f"/history/kakao/{sent.get_json()['send_id']}")
    assert detail.status_code == 200 and "kakao-unavailable" not in detail.get_data(as_text=True)


# --- 알림톡 템플릿 관리 and 친구톡 템플릿 ------------------------------------------------------------------------

def template_form(channel_id, **changes) -> dict:
    return {"channel": str(channel_id), "name": "배송 시작", "message_type": "BA", "emphasis_type": "NONE",
            "content": "#{고객명}님, 상품이 출발했습니다.", "extra": "", "emphasis_title": "", "emphasis_subtitle": "",
            "item_header": "", "category": "", "new_button_type": "WL", "new_reply_type": "WL", "op": "save",
            **changes}


def test_alimtalk_templates_cannot_be_registered_edited_or_requested(shop):
    client, app = shop.client, shop.app
    listed = client.get("/alimtalk/templates/")
    html = notice_instead_of(listed, "register-template")
    assert "주문 안내" in text_of(listed) and "가입 환영" in text_of(listed)        # the list stays readable
    assert 'id="template-form"' not in html
    notice_instead_of(client.get("/alimtalk/templates/new"), "template-form")
    templates_before = rows(app, AlimtalkTemplate)
    for op in ("save", "request"):
        response = client.post("/alimtalk/templates/new", data=template_form(shop.channel_id, op=op),
                               content_type="multipart/form-data")
        notice_instead_of(response, "template-form", status=409)
    notice_instead_of(client.get(f"/alimtalk/templates/{shop.saved}/edit"), "template-form")
    edited = client.post(f"/alimtalk/templates/{shop.saved}/edit", data=template_form(shop.channel_id, name="바뀐 제목"),
                         content_type="multipart/form-data")
    notice_instead_of(edited, "template-form", status=409)
    requested = client.post(f"/alimtalk/templates/{shop.saved}/request")
    assert requested.status_code == 409 and KAKAO_UNAVAILABLE in text_of(requested)
    assert rows(app, AlimtalkTemplate) == templates_before
    # deleting one stays possible: it needs no gateway
    assert client.post(f"/alimtalk/templates/{shop.saved}/delete").status_code == 302
    assert count(app, AlimtalkTemplate) == len(templates_before) - 1


def test_friendtalk_templates_cannot_be_saved_or_edited(shop):
    client, app = shop.client, shop.app
    listed = client.get("/templates/friendtalk/")
    notice_instead_of(listed, "register-template")
    assert "겨울 세일" in text_of(listed)
    notice_instead_of(client.get("/templates/friendtalk/new"), "template-form")
    before = rows(app, FriendtalkTemplate)
    form = {"name": "봄 세일", "content": "#[이름]님, 봄 세일을 시작합니다.", "op": "save"}
    notice_instead_of(client.post("/templates/friendtalk/new", data=form, content_type="multipart/form-data"),
                      "template-form", status=409)
    notice_instead_of(client.post(f"/templates/friendtalk/{shop.friendtalk}/edit", data=form,
                                  content_type="multipart/form-data"), "template-form", status=409)
    assert rows(app, FriendtalkTemplate) == before


# --- 발신 채널 ID 등록, 타겟팅 신청, and the operators' side ---------------------------------------------------

def test_channel_registration_and_targeting_are_refused(shop):
    client, app = shop.client, shop.app
    notice_instead_of(client.get("/senders/channels/new"), "send-channel-code", "search_id")
    channels, codes = rows(app, KakaoChannel), count(app, PhoneVerification)
    response = client.post("/senders/channels/new", data={"search_id": "@outlet", "admin_phone": "01022223344"})
    notice_instead_of(response, "send-channel-code", status=409)
    verify = client.post("/senders/channels/verify", data={"code": "123456"})
    notice_instead_of(verify, "verify-channel", status=409)
    applied = client.post(f"/senders/channels/{shop.channel_id}/targeting", content_type="multipart/form-data",
                          data={"friend_count": "60000", "business_document": (io.BytesIO(PDF), "사업자.pdf"),
                                "consent_document": (io.BytesIO(png()), "동의.png")})
    assert applied.status_code == 409 and KAKAO_UNAVAILABLE in text_of(applied)
    assert (rows(app, KakaoChannel), count(app, PhoneVerification)) == (channels, codes)
    assert count(app, KakaoTargetingApplication) == 0
    assert "@shop" in text_of(client.get("/senders/"))                   # the list stays readable


def test_operators_cannot_approve_a_channel_without_a_gateway_but_can_reject_it(shop):
    app = shop.app
    with app.app_context():
        channel = KakaoChannel(account_id=shop.customer.account_id, search_id="@outlet", admin_phone="01022223344",
                               verified_at=NOW, status="requested", requested_at=NOW)
        db.session.add(channel)
        db.session.commit()
        channel_id = channel.id
    operator = logged_in(app, *make_staff(app, "Operator"))
    approved = operator.post(f"/staff/queues/channels/decide/{channel_id}", data={"decision": "approve"})
    assert STAFF_KAKAO_UNAVAILABLE in flashed(operator.get(approved.headers["Location"]))
    assert rows(app, KakaoChannel, KakaoChannel.id == channel_id)[0]["status"] == "requested"
    operator.post(f"/staff/queues/channels/decide/{channel_id}", data={"decision": "reject", "reason": "카카오 미연동"})
    assert rows(app, KakaoChannel, KakaoChannel.id == channel_id)[0]["status"] == "rejected"
    # the AlimTalk review queue opens (no dealer will decide: the operators may answer what waits)
    queue = operator.get("/staff/queues/alimtalk-templates/")
    assert queue.status_code == 200


# --- the integration API -------------------------------------------------------------------------------------

def test_api_kakao_sends_and_template_registration_answer_kakao_unavailable(shop):
    client, key, before = shop.app.test_client(), shop.key, snapshot(shop.app, shop.customer.account_id)
    templates_before = count(shop.app, AlimtalkTemplate)
    alimtalk = {"channel": "@shop", "template_code": shop.code, "to": [{"phone": phones(1)[0], "vars": VALUES}]}
    friendtalk = {"channel": "@shop", "text": "#[이름]님, 겨울 세일 시작", "buttons": [WL],
                  "to": [{"phone": phones(1)[0], "name": "홍길동"}], "ad": {"name": "메가샵"}}
    template = {"channel": "@shop", "name": "배송 시작", "message_type": "BA", "emphasis_type": "NONE",
                "content": "#{고객명}님, 상품이 출발했습니다.", "request_review": True}
    for path, body in (("/api/v1/sends/alimtalk", alimtalk), ("/api/v1/sends/friendtalk", friendtalk),
                       ("/api/v1/alimtalk/templates", template)):
        error = api_error_of(client.post(path, json=body, headers=bearer(key)), 409, "kakao_unavailable", None)
        assert error["message"] == KAKAO_UNAVAILABLE
    unchanged(shop, before)
    assert count(shop.app, AlimtalkTemplate) == templates_before
    # reading stays
    assert client.get("/api/v1/alimtalk/templates", headers=bearer(key)).status_code == 200
    assert client.get(f"/api/v1/alimtalk/templates/{shop.code}", headers=bearer(key)).status_code == 200
    assert client.get("/api/v1/sends", headers=bearer(key)).status_code == 200


def test_api_a_retry_of_a_send_accepted_before_still_gets_its_first_answer(shop):
    """API-03: a send accepted while a Kakao gateway was configured is not denied by its
    retry after the switch — the client would think it failed and send again."""
    client, key = shop.app.test_client(), shop.key
    body = {"channel": "@shop", "template_code": shop.code, "to": [{"phone": phones(1)[0], "vars": VALUES}]}
    headers = {**bearer(key), "Idempotency-Key": "order-1001"}
    shop.app.config["GATEWAY_KAKAO"] = "sandbox"
    first = client.post("/api/v1/sends/alimtalk", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    shop.app.config["GATEWAY_KAKAO"] = "none"
    again = client.post("/api/v1/sends/alimtalk", json=body, headers=headers)
    assert again.status_code == 201 and again.get_json()["send_id"] == first.get_json()["send_id"]
    other = client.post("/api/v1/sends/alimtalk", json=body, headers={**bearer(key), "Idempotency-Key": "order-1002"})
    api_error_of(other, 409, "kakao_unavailable", None)


def test_an_installation_started_without_kakao_shows_the_notice(database_url, redis_server):
    """GATEWAY_KAKAO=none from the start (no sandbox Kakao ever): the app starts, the pages
    show the notice, a corporate account cannot register a channel."""
    from tests.conftest import make_app
    from tests.support.factories import make_customer
    app = make_app(database_url, REDIS_URL=redis_server.url, GATEWAY_KAKAO="none")
    customer = make_customer(app, kind="corporate", cash=10_000)
    client = logged_in(app, customer.login, customer.password)
    for page in ("/alimtalk/", "/friendtalk/", "/senders/channels/new", "/alimtalk/templates/new",
                 "/templates/friendtalk/new"):
        notice_instead_of(client.get(page))
    response = client.post("/senders/channels/new", data={"search_id": "@shop", "admin_phone": "01022223344"})
    notice_instead_of(response, status=409)
    assert count(app, PhoneVerification) == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
