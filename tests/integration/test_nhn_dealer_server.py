"""The local server that speaks NHN Cloud's KakaoTalk Bizmessage API
(app/gateways/nhn_kakao/dealer_server.py; docs/research/nhn-bizmessage.md for the guide it
follows), driven by plain HTTP: no megabird adapter, no app, no database. What a Kakao dealer
adapter will meet: the documented envelopes and codes, the magic-number results, the
idempotency header, the template reviewer, sender profiles, the webhook, and the faults the
server can be told to play. Nothing sleeps to let time pass: the server's clock is fixed and
moved by the control endpoint."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from app.gateways.nhn_kakao import dealer_server
from app.gateways.nhn_kakao.dealer_server import LocalDealer
from tests.support.servers import free_port

APPKEY, SECRET = "mb-appkey", "mb-secret"
A = f"/alimtalk/v2.3/appkeys/{APPKEY}"
B = f"/brand-message/v1.0/appkeys/{APPKEY}"
IDEMPOTENCY = "X-NC-API-IDEMPOTENCY-KEY"
NOON = "2026-03-02 12:00"          # a Monday, inside the Brand Message hours
CONTENT = "#{이름}님, 주문 #{주문번호}이(가) 접수되었습니다."
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "app" / "gateways" / "nhn_kakao" / "dealer_server.py"


class Client:
    """Plain HTTP to the dealer, as an adapter would call it."""

    def __init__(self, base_url: str, secret: str = SECRET):
        self.base_url = base_url
        self.secret = secret
        self.session = requests.Session()

    def call(self, method: str, path: str, body=None, *, headers=None, params=None, timeout=5.0, secret=None):
        sent = {"X-Secret-Key": self.secret if secret is None else secret}
        if body is not None:
            sent["Content-Type"] = "application/json;charset=UTF-8"
        sent.update(headers or {})
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        return self.session.request(method, self.base_url + path, data=data, headers=sent, params=params,
                                    timeout=timeout)

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def get(self, path, **params):
        return self.call("GET", path, params=params)


@pytest.fixture
def dealer():
    server = LocalDealer(APPKEY, SECRET, senders=["@shop"]).start()
    server.control(clock={"now": NOON})
    yield server
    server.close()


@pytest.fixture
def api(dealer):
    client = Client(dealer.base_url)
    yield client
    client.session.close()


def header(response) -> dict:
    return response.json()["header"]


def register(api, dealer, code="ORDER01", name=None, content=CONTENT, **fields) -> requests.Response:
    return api.post(f"{A}/senders/{dealer.sender_key('@shop')}/templates",
                    {"templateCode": code, "templateName": name or f"[승인] 주문 접수 {code}",
                     "templateContent": content, **fields})


def alimtalk(dealer, numbers, *, code="ORDER01", refs=None, **top) -> dict:
    recipients = [{"recipientNo": n, "templateParameter": {"이름": "홍길동", "주문번호": f"A-{n[-4:]}"},
                   "resendParameter": {"isResend": False},
                   **({"recipientGroupingKey": refs[i]} if refs else {})} for i, n in enumerate(numbers)]
    return {"senderKey": dealer.sender_key("@shop"), "templateCode": code, "recipientList": recipients, **top}


def numbers(*endings: str) -> list[str]:
    return ["010123456" + e.rjust(2, "0") for e in endings]


def results(api, request_id: str) -> dict:
    """recipientNo -> (messageStatus, resultCode) of one request."""
    found = api.get(f"{A}/messages", requestId=request_id, pageSize=1000).json()
    return {m["recipientNo"]: (m["messageStatus"], m["resultCode"])
            for m in found["messageSearchResultResponse"]["messages"]}


# -- AlimTalk sends: the documented request and response, field by field ------------------------

def test_alimtalk_send_answers_the_documented_envelope_and_records_the_body(dealer, api):
    assert header(register(api, dealer)) == {"resultCode": 0, "resultMessage": "success", "isSuccessful": True}
    body = alimtalk(dealer, numbers("01", "02"), refs=["m-1", "m-2"], senderGroupingKey="send-7")
    answer = api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "send-7-batch-0"})

    assert answer.status_code == 200
    payload = answer.json()
    assert payload["header"] == {"resultCode": 0, "resultMessage": "success", "isSuccessful": True}
    message = payload["message"]
    assert message["requestId"] and message["senderGroupingKey"] == "send-7"
    assert message["sendResults"] == [
        {"recipientSeq": 1, "recipientNo": "01012345601", "resultCode": 0, "resultMessage": "SUCCESS",
         "recipientGroupingKey": "m-1"},
        {"recipientSeq": 2, "recipientNo": "01012345602", "resultCode": 0, "resultMessage": "SUCCESS",
         "recipientGroupingKey": "m-2"}]

    sent = dealer.requests(path="/messages", method="POST")[-1]
    assert sent["path"] == f"{A}/messages"
    assert sent["headers"]["X-Secret-Key"] == SECRET and sent["headers"][IDEMPOTENCY] == "send-7-batch-0"
    assert sent["headers"]["Content-Type"].startswith("application/json")
    assert sent["body"]["senderKey"] == dealer.sender_key("@shop") and len(sent["body"]["senderKey"]) == 40
    assert sent["body"]["templateCode"] == "ORDER01"
    first = sent["body"]["recipientList"][0]
    assert first == {"recipientNo": "01012345601", "templateParameter": {"이름": "홍길동", "주문번호": "A-5601"},
                     "resendParameter": {"isResend": False}, "recipientGroupingKey": "m-1"}

    single = api.get(f"{A}/messages/{message['requestId']}/1").json()["message"]
    assert single["content"] == "홍길동님, 주문 A-5601이(가) 접수되었습니다."
    assert (single["messageStatus"], single["resultCode"], single["resultCodeName"]) == ("COMPLETED", "1000", "성공")
    assert single["recipientGroupingKey"] == "m-1" and single["resendStatus"] == "RSC01"
    assert single["requestDate"] == "2026-03-02 12:00:00" and single["receiveDate"] == "2026-03-02 12:00:00"


def test_raw_messages_must_match_the_template_and_a_request_whose_recipients_all_fail_fails(dealer, api):
    register(api, dealer)
    good = "홍길동님, 주문 A-1이(가) 접수되었습니다."
    body = {"senderKey": dealer.sender_key("@shop"), "templateCode": "ORDER01",
            "recipientList": [{"recipientNo": "01012345601", "content": good},
                              {"recipientNo": "01012345602", "content": "전혀 다른 내용"},
                              {"recipientNo": "010-1234", "content": good}]}
    payload = api.post(f"{A}/raw-messages", body).json()
    assert header_ok(payload)
    assert [r["resultCode"] for r in payload["message"]["sendResults"]] == [0, -3010, -4019]
    assert len(dealer.messages()) == 1

    body["recipientList"] = body["recipientList"][1:]
    payload = api.post(f"{A}/raw-messages", body).json()
    # 2025-04-29 release note: every recipient failed -> a failure with requestId null
    assert payload["header"]["resultCode"] == -1031 and payload["header"]["isSuccessful"] is False
    assert payload["message"]["requestId"] is None
    assert len(dealer.messages()) == 1


def header_ok(payload: dict) -> bool:
    return payload["header"]["isSuccessful"] is True and payload["header"]["resultCode"] == 0


def test_every_magic_ending_gives_the_sandbox_s_kakao_code(dealer, api):
    from app.gateways.sandbox import magic_result as sandbox_magic

    for ending in range(100):
        number = f"010000000{ending:02d}"
        ours, delay = dealer_server.magic_result(number)
        theirs, their_delay = sandbox_magic("alimtalk", number)
        assert ours == theirs, number
        assert (delay > 0) == (their_delay is not None and their_delay.total_seconds() > 5), number

    register(api, dealer)
    everyone = [f"010000000{e:02d}" for e in range(100)]
    payload = api.post(f"{A}/messages", alimtalk(dealer, everyone)).json()
    request_id = payload["message"]["requestId"]
    seen = results(api, request_id)
    assert len(seen) == 100
    assert seen["01000000000"] == ("COMPLETED", "1000")
    expected = {"80": "3019", "81": "3008", "82": "3018", "83": "3016", "84": "3024", "85": "1030", "86": "1021",
                "87": "1025", "88": "3000", "90": "3018", "93": "3008", "97": "3000"}
    for ending, code in expected.items():
        assert seen["010000000" + ending] == ("FAILED", code), ending
    assert seen["01000000098"] == ("READY", None)         # never reported
    assert seen["01000000089"] == ("READY", None)         # 30 minutes later
    assert api.get(f"{A}/message-results/count", startUpdateDate=NOON, endUpdateDate=NOON).json()["totalCount"] == 98

    dealer.control(clock={"advance": 30 * 60})
    assert results(api, request_id)["01000000089"] == ("COMPLETED", "1000")
    assert results(api, request_id)["01000000098"] == ("READY", None)
    later = api.get(f"{A}/message-results", startUpdateDate="2026-03-02 12:30",
                    endUpdateDate="2026-03-02 12:30").json()
    assert header_ok(later)
    assert [(m["recipientSeq"], m["resultCode"], m["messageStatus"]) for m in later["messages"]] == [
        (90, "1000", "COMPLETED")]


def test_results_wait_for_the_report_delay_on_the_server_s_clock(dealer, api):
    dealer.control(report_delay=5)
    register(api, dealer)
    request_id = api.post(f"{A}/messages", alimtalk(dealer, numbers("01", "80"))).json()["message"]["requestId"]
    assert set(results(api, request_id).values()) == {("READY", None)}
    assert api.get(f"{A}/message-results", startUpdateDate=NOON, endUpdateDate=NOON).json()["messages"] == []
    dealer.control(clock={"advance": 5})
    assert results(api, request_id) == {"01012345601": ("COMPLETED", "1000"), "01012345680": ("FAILED", "3019")}
    updated = api.get(f"{A}/message-results", startUpdateDate=NOON, endUpdateDate=NOON, pageSize=1).json()
    assert len(updated["messages"]) == 1


def test_sms_fallback_by_the_dealer_shows_in_resend_status(dealer, api):
    register(api, dealer)
    body = alimtalk(dealer, numbers("80", "90", "01"))
    for recipient in body["recipientList"]:
        recipient["resendParameter"] = {"isResend": True, "resendType": "SMS", "resendSendNo": "0212345678"}
    request_id = api.post(f"{A}/messages", body).json()["message"]["requestId"]
    rows = {m["recipientNo"]: m for m in api.get(f"{A}/messages", requestId=request_id).json()
            ["messageSearchResultResponse"]["messages"]}
    assert rows["01012345680"]["resendStatus"] == "RSC04"
    assert rows["01012345690"]["resendStatus"] == "RSC05"
    assert rows["01012345601"]["resendStatus"] == "RSC01"


# -- idempotency -----------------------------------------------------------------------------------

def test_the_idempotency_key_refuses_a_repeat_for_ten_minutes_only(dealer, api):
    register(api, dealer)
    body = alimtalk(dealer, numbers("01"), refs=["m-1"])
    first = api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "batch-1"}).json()
    again = api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "batch-1"}).json()
    assert header_ok(first)
    assert again["header"] == {"resultCode": -1005, "isSuccessful": False,
                               "resultMessage": "The same 'X-NC-API-IDEMPOTENCY-KEY' was used within the last 10 minute."}
    assert dealer.duplicates() == [] and dealer.snapshot()["sends_by_idempotency_key"] == {"batch-1": 1}

    dealer.control(clock={"advance": 601})      # the guide's window is 10 minutes: then it sends again
    assert header_ok(api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "batch-1"}).json())
    assert dealer.duplicates() == ["m-1"] and dealer.snapshot()["sends_by_idempotency_key"] == {"batch-1": 2}


def test_a_key_is_remembered_from_its_first_request_unless_told_otherwise(dealer, api):
    body = alimtalk(dealer, numbers("01"))
    refused = api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "k"}).json()
    assert refused["header"]["resultCode"] == -3003          # no such template yet
    register(api, dealer)
    assert api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "k"}).json()["header"]["resultCode"] == -1005

    dealer.control(idempotency_remember="accepted")
    assert api.post(f"{A}/messages", {**body, "templateCode": "NOPE"},
                    headers={IDEMPOTENCY: "k2"}).json()["header"]["resultCode"] == -3003
    assert header_ok(api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "k2"}).json())


def test_brand_message_sends_ignore_the_key_unless_told(dealer, api):
    body = brand_body(dealer, numbers("01"), refs=["b-1"])
    for _ in range(2):
        assert header_ok(api.post(f"{B}/freestyle-messages", body, headers={IDEMPOTENCY: "b"}).json())
    assert dealer.duplicates() == ["b-1"]

    dealer.control(brand_idempotency=True)
    body = brand_body(dealer, numbers("02"), refs=["b-2"])
    assert header_ok(api.post(f"{B}/freestyle-messages", body, headers={IDEMPOTENCY: "b2"}).json())
    assert api.post(f"{B}/freestyle-messages", body,
                    headers={IDEMPOTENCY: "b2"}).json()["header"]["resultCode"] == -1005
    assert dealer.duplicates() == ["b-1"]


# -- errors ----------------------------------------------------------------------------------------

def test_keys_content_type_and_unknown_paths(dealer, api):
    register(api, dealer)
    body = alimtalk(dealer, numbers("01"))
    assert header(api.post("/alimtalk/v2.3/appkeys/other/messages", body))["resultCode"] == -1000
    assert header(api.post(f"{A}/messages", body, secret="wrong")) == {
        "resultCode": -1001, "resultMessage": "Invalid secretKey.", "isSuccessful": False}
    assert header(api.post(f"{A}/messages", body, secret=""))["resultCode"] == -1001
    plain = api.call("POST", f"{A}/messages", None, headers={"Content-Type": "text/plain"})
    assert header(plain)["resultCode"] == -9996
    broken = api.session.post(api.base_url + f"{A}/messages", data=b"{not json",
                              headers={"X-Secret-Key": SECRET, "Content-Type": "application/json"})
    assert header(broken)["resultCode"] == -3002
    missing = api.get(f"{A}/no-such-api")
    assert missing.status_code == 404 and header(missing)["resultCode"] == -9998
    assert not dealer.messages()

    assert api.post(f"{A}/messages", body, secret="wrong").status_code == 200   # the guide names no HTTP status
    dealer.control(envelope_error_status=400)
    assert api.post(f"{A}/messages", body, secret="wrong").status_code == 400


def test_send_validation_codes(dealer, api):
    register(api, dealer)
    register(api, dealer, code="WAITING", name="대기 중인 템플릿")
    base = alimtalk(dealer, numbers("01"))

    def code_of(body):
        return header(api.post(f"{A}/messages", body))["resultCode"]

    assert code_of({**base, "senderKey": ""}) == -2001
    assert code_of({**base, "recipientList": []}) == -2001
    assert code_of({**base, "recipientList": base["recipientList"] * 1001}) == -2000
    assert code_of({**base, "senderKey": "0" * 40}) == -2017
    assert code_of({**base, "templateCode": "NONE"}) == -3003
    assert code_of({**base, "templateCode": "WAITING"}) == -3005
    assert code_of({**base, "requestDate": "2026-03-02 11:00"}) == -2025
    assert code_of({**base, "requestDate": "2026-05-02 12:00"}) == -2026
    assert code_of({**base, "requestDate": "2026/03/03 12:00"}) == -2027
    missing = {**base, "recipientList": [{"recipientNo": "01012345601", "templateParameter": {"이름": "x"}}]}
    assert code_of(missing) == -1031 and api.post(f"{A}/messages", missing).json()["message"]["sendResults"][0][
        "resultCode"] == -3004
    assert code_of({**base, "recipientList": base["recipientList"] * 1000}) == 0
    dealer.add_sender("@shop", block=True)
    assert code_of(base) == -1027
    assert len(dealer.messages()) == 1000


def test_list_queries_need_a_request_id_or_a_range_and_filter_by_grouping_keys(dealer, api):
    register(api, dealer)
    api.post(f"{A}/messages", alimtalk(dealer, numbers("01", "02", "80"), refs=["r1", "r2", "r3"],
                                       senderGroupingKey="send-1"))
    assert header(api.get(f"{A}/messages"))["resultCode"] == -4103
    too_long = api.get(f"{A}/messages", startRequestDate="2026-01-01 00:00", endRequestDate="2026-03-02 23:59")
    assert header(too_long)["resultCode"] == -4003
    window = {"startRequestDate": "2026-03-02 00:00", "endRequestDate": "2026-03-02 23:59"}
    found = api.get(f"{A}/messages", recipientGroupingKey="r2", **window).json()["messageSearchResultResponse"]
    assert found["totalCount"] == 1 and found["messages"][0]["recipientNo"] == "01012345602"
    failed = api.get(f"{A}/messages", resultCode="MRC02", senderGroupingKey="send-1", **window).json()
    assert [m["recipientGroupingKey"] for m in failed["messageSearchResultResponse"]["messages"]] == ["r3"]
    paged = api.get(f"{A}/messages", pageNum=2, pageSize=2, **window).json()["messageSearchResultResponse"]
    assert paged["totalCount"] == 3 and len(paged["messages"]) == 1
    assert header(api.get(f"{A}/messages", pageSize=1001, **window))["resultCode"] == -4000
    assert header(api.get(f"{A}/messages/nope/1"))["resultCode"] == -1016


def test_a_scheduled_send_can_be_cancelled_until_it_goes(dealer, api):
    register(api, dealer)
    request_id = api.post(f"{A}/messages", alimtalk(dealer, numbers("01", "02"), requestDate="2026-03-02 13:00")
                          ).json()["message"]["requestId"]
    assert set(results(api, request_id).values()) == {("READY", None)}
    assert header_ok(api.call("DELETE", f"{A}/messages/{request_id}", params={"recipientSeq": "1"}).json())
    assert results(api, request_id) == {"01012345601": ("CANCEL", None), "01012345602": ("READY", None)}
    dealer.control(clock={"advance": 3600})
    assert header(api.call("DELETE", f"{A}/messages/{request_id}"))["resultCode"] == -2029
    assert results(api, request_id)["01012345602"] == ("COMPLETED", "1000")


# -- the template reviewer -----------------------------------------------------------------------

def test_the_reviewer_walks_a_template_through_kakao_s_states(dealer, api):
    key = dealer.sender_key("@shop")
    path = f"{A}/senders/{key}/templates/PLAIN01"
    assert header_ok(register(api, dealer, code="PLAIN01", name="배송 안내").json())
    template = api.get(path).json()["templates"]
    assert (template["status"], template["statusName"], template["comments"]) == ("TSC01", "요청", [])
    assert template["templateContent"] == CONTENT and template["kakaoTemplateCode"] == "PLAIN01"
    assert header(api.post(f"{path}/comments", {"comment": "빨리요"}))["resultCode"] == -3100
    assert header(api.call("PUT", path, {"templateName": "배송 안내", "templateContent": CONTENT}))["resultCode"] == -3012

    dealer.review(key, "PLAIN01", "start")
    assert api.get(path).json()["templates"]["status"] == "TSC02"
    dealer.review(key, "PLAIN01", "reject", "변수에 대한 설명이 필요합니다.")
    template = api.get(path).json()["templates"]
    assert template["status"] == "TSC04"
    assert [(c["status"], c["content"]) for c in template["comments"]] == [("REJ", "변수에 대한 설명이 필요합니다.")]

    assert header_ok(api.post(f"{path}/comments", {"comment": "주문번호는 영문과 숫자입니다."}).json())
    template = api.get(path).json()["templates"]
    assert template["status"] == "TSC02" and template["comments"][-1]["status"] == "INQ"
    dealer.review(key, "PLAIN01", "approve")
    assert api.get(path).json()["templates"]["status"] == "TSC03"
    history = next(t for t in dealer.snapshot()["templates"] if t["templateCode"] == "PLAIN01")["history"]
    assert [h["status"] for h in history] == ["TSC01", "TSC02", "TSC04", "TSC02", "TSC03"]

    changed = api.call("PUT", path, {"templateName": "배송 안내", "templateContent": CONTENT + " 감사합니다."})
    assert header_ok(changed.json()) and api.get(path).json()["templates"]["status"] == "TSC02"


def test_the_name_marks_approve_or_reject_at_once_and_the_list_filters_by_status(dealer, api):
    key = dealer.sender_key("@shop")
    register(api, dealer, code="OK01")
    register(api, dealer, code="NO01", name="[반려] 이벤트 안내")
    assert api.get(f"{A}/senders/{key}/templates/OK01").json()["templates"]["status"] == "TSC03"
    rejected = api.get(f"{A}/senders/{key}/templates/NO01").json()["templates"]
    assert rejected["status"] == "TSC04" and rejected["comments"][0]["status"] == "REJ"
    listed = api.get(f"{A}/senders/{key}/templates", templateStatus="TSC04").json()["templateListResponse"]
    assert listed["totalCount"] == 1 and listed["templates"][0]["templateCode"] == "NO01"
    assert header(register(api, dealer, code="OK01", name="다른 이름"))["resultCode"] == -3001
    assert header(register(api, dealer, code="OTHER", name="[승인] 주문 접수 OK01"))["resultCode"] == -3001
    fixed = api.call("PUT", f"{A}/senders/{key}/templates/NO01",
                     {"templateName": "[승인] 이벤트 안내", "templateContent": CONTENT})
    assert header_ok(fixed.json())
    assert api.get(f"{A}/senders/{key}/templates/NO01").json()["templates"]["status"] == "TSC03"


def test_template_registration_checks_the_documented_rules(dealer, api):
    def code_of(**fields):
        return header(register(api, dealer, code="T1", **fields))["resultCode"]

    assert code_of(templateCode="X" * 21) == -2000
    assert code_of(content="가" * 1301) == -2000
    assert code_of(templateMessageType="EX") == -3018
    assert code_of(templateMessageType="AD") == -3050
    assert code_of(templateEmphasizeType="TEXT", templateTitle="제목") == -3016
    assert code_of(templateTitle="제목") == -3027
    assert code_of(buttons=[{"ordering": 1, "type": "WL", "name": "보기"}]) == -3000
    assert code_of(buttons=[{"ordering": 1, "type": "WL", "name": "#{링크}", "linkMo": "https://a.kr"}]) == -3008
    assert code_of(templateMessageType="AD", buttons=[{"ordering": 1, "type": "AC", "name": "추가"}]) == -3026
    assert code_of(templateMessageType="AD", buttons=[{"ordering": 1, "type": "WL", "name": "보기", "linkMo": "https://a.kr"},
                                                      {"ordering": 2, "type": "AC", "name": "채널 추가"}]) == -3025
    assert header(api.post(f"{A}/senders/{'0' * 40}/templates",
                           {"templateCode": "T", "templateName": "n", "templateContent": "c"}))["resultCode"] == -2017
    ad = register(api, dealer, code="AD01", templateMessageType="AD",
                  buttons=[{"ordering": 1, "type": "AC", "name": "채널 추가"}]).json()
    assert header_ok(ad)
    template = api.get(f"{A}/senders/{dealer.sender_key('@shop')}/templates/AD01").json()["templates"]
    assert template["templateAd"] and template["buttons"][0]["type"] == "AC"


# -- sender profiles -------------------------------------------------------------------------------

def test_a_channel_is_registered_with_the_admin_s_token_and_queried(dealer, api):
    assert header(api.post(f"{A}/senders", {"plusFriendId": "@cafe", "phoneNo": "01012345693",
                                           "categoryCode": "00100010001"}))["resultCode"] == -7000
    assert header_ok(api.post(f"{A}/senders", {"plusFriendId": "@cafe", "phoneNo": "01012345601",
                                              "categoryCode": "00100010001"}).json())
    token = dealer.snapshot()["tokens"]["@cafe"]
    assert header(api.post(f"{A}/sender/token", {"plusFriendId": "@cafe", "token": token + 1}))["resultCode"] == -4000
    answer = api.post(f"{A}/sender/token", {"plusFriendId": "@cafe", "token": token}).json()
    assert header_ok(answer)
    sender = answer["sender"]
    assert sender["status"] == "YSC03" and sender["senderKey"] == dealer.sender_key("@cafe")
    assert len(sender["senderKey"]) == 40

    found = api.get(f"{A}/senders/{sender['senderKey']}").json()["sender"]
    assert (found["plusFriendId"], found["status"], found["kakaoStatus"], found["block"]) == ("@cafe", "YSC03", "A", False)
    listed = api.get(f"{A}/senders", plusFriendId="@cafe").json()
    assert listed["totalCount"] == 1 and listed["senders"][0]["senderKey"] == sender["senderKey"]
    assert header(api.get(f"{A}/senders/{'0' * 40}"))["resultCode"] == -2017
    brand = api.get(f"{B}/senders/{sender['senderKey']}").json()["sender"]
    assert brand["marketingAgreement"] is False and "brandMessage" in brand


# -- Brand Message -----------------------------------------------------------------------------------

def brand_body(dealer, recipients, *, refs=None, **top) -> dict:
    return {"senderKey": dealer.sender_key("@shop"), "chatBubbleType": "TEXT", "content": "(광고) 봄 세일",
            "buttons": [{"name": "보러 가기", "type": "WL", "linkMo": "https://shop.example/sale"}],
            "recipientList": [{"recipientNo": n, "targeting": "I",
                               **({"recipientGroupingKey": refs[i]} if refs else {})} for i, n in enumerate(recipients)],
            **top}


def test_brand_message_freestyle_send_and_its_results(dealer, api):
    payload = api.post(f"{B}/freestyle-messages", brand_body(dealer, numbers("01", "84"), refs=["b1", "b2"])).json()
    assert header_ok(payload)
    assert set(payload["message"]) == {"requestId", "sendResults"}
    request_id = payload["message"]["requestId"]
    listed = api.get(f"{B}/messages", requestId=request_id).json()["messageSearchResultResponse"]["messages"]
    rows = {m["recipientNo"]: m for m in listed}
    assert (rows["01012345601"]["messageStatus"], rows["01012345601"]["resultCode"]) == ("COMPLETED", "1000")
    assert rows["01012345684"]["resultCode"] == "3024"
    assert rows["01012345601"]["resendStatusCode"] == "RSC01" and rows["01012345601"]["isAddedChannel"] is True
    assert rows["01012345601"]["chatBubbleType"] == "TEXT" and rows["01012345601"]["targeting"] == "I"
    single = api.get(f"{B}/messages/{request_id}/1").json()["message"]
    assert single["content"] == "(광고) 봄 세일" and single["buttons"][0]["linkMo"] == "https://shop.example/sale"
    sent = dealer.requests(path="freestyle-messages")[-1]["body"]
    assert sent["chatBubbleType"] == "TEXT" and sent["recipientList"][0]["targeting"] == "I"


def test_brand_message_rules_and_hours(dealer, api):
    base = brand_body(dealer, numbers("01"))

    def code_of(**fields):
        return header(api.post(f"{B}/freestyle-messages", {**base, **fields}))["resultCode"]

    assert code_of(chatBubbleType="") == -2001
    assert code_of(chatBubbleType="POSTCARD") == -4000
    assert code_of(content="") == -2001
    assert code_of(chatBubbleType="WIDE", content="가" * 77, image={"imageUrl": "https://x/i.jpg"}) == -2030
    assert code_of(chatBubbleType="IMAGE") == -2001
    assert code_of(buttons=base["buttons"] * 6) == -3217
    assert code_of(recipientList=[{"recipientNo": "01012345601", "targeting": "M"}]) == -4029
    dealer.add_sender("@shop", marketingAgreement=True)
    assert code_of(recipientList=[{"recipientNo": "01012345601", "targeting": "M"}]) == 0

    dealer.control(clock={"now": "2026-03-02 20:50"})        # Kakao's 3022 outside 08:00–20:50
    request_id = api.post(f"{B}/freestyle-messages", base).json()["message"]["requestId"]
    row = api.get(f"{B}/messages", requestId=request_id).json()["messageSearchResultResponse"]["messages"][0]
    assert (row["messageStatus"], row["resultCode"], row["resultCodeName"]) == ("FAILED", "3022", "발송 가능한 시간이 아님")


def test_images_are_uploaded_as_multipart_and_served(dealer, api):
    upload = api.session.post(api.base_url + f"{B}/images", headers={"X-Secret-Key": SECRET},
                              files={"image": ("sale.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")},
                              data={"imageType": "IMAGE"}).json()
    assert header_ok(upload) and upload["image"]["imageName"] == "sale.jpg"
    assert requests.get(upload["image"]["imageUrl"], timeout=5).content == b"\xff\xd8jpeg-bytes"
    template_image = api.session.post(api.base_url + f"{A}/template-image", headers={"X-Secret-Key": SECRET},
                                      files={"file": ("t.png", b"png", "image/png")}).json()
    assert header_ok(template_image) and template_image["templateImage"]["templateImageName"] == "t.png"


# -- faults and outages --------------------------------------------------------------------------------

def test_faults_before_send_nothing(dealer, api):
    register(api, dealer)
    body = alimtalk(dealer, numbers("01"), refs=["m-1"])
    dealer.control(fault={"kind": "fail", "status": 503, "match": "send", "times": 1})
    failed = api.post(f"{A}/messages", body)
    assert failed.status_code == 503 and header(failed)["resultCode"] == -9999
    dealer.control(fault={"kind": "throttle", "times": 1})
    throttled = api.post(f"{A}/messages", body)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    dealer.control(fault={"kind": "down", "times": 1})
    with pytest.raises(requests.ConnectionError):
        api.post(f"{A}/messages", body)
    assert dealer.messages() == [] and dealer.snapshot()["faults"] == []
    assert header_ok(api.post(f"{A}/messages", body).json())
    assert [r["fault"] for r in dealer.requests(path="/messages", method="POST")] == [
        "fail/before", "throttle/before", "down/before", None]


def test_faults_after_send_and_the_client_cannot_tell(dealer, api):
    register(api, dealer)
    body = alimtalk(dealer, numbers("01", "02"), refs=["m-1", "m-2"])
    dealer.control(fault={"kind": "fail", "when": "after", "match": "send", "times": 1})
    assert api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "b-1"}).status_code == 500
    # the retry with the same key is refused: the dealer has the batch, the client must look it up
    assert header(api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "b-1"}))["resultCode"] == -1005
    found = api.get(f"{A}/messages", recipientGroupingKey="m-2", startRequestDate=NOON,
                    endRequestDate=NOON).json()["messageSearchResultResponse"]
    assert found["totalCount"] == 1

    dealer.control(fault={"kind": "down", "when": "after", "times": 1})
    with pytest.raises(requests.ConnectionError):
        api.post(f"{A}/messages", alimtalk(dealer, numbers("03"), refs=["m-3"]))
    dealer.control(fault={"kind": "timeout", "when": "after", "delay": 2.0, "times": 1})
    with pytest.raises(requests.Timeout):
        api.post(f"{A}/messages", alimtalk(dealer, numbers("04"), refs=["m-4"]), timeout=0.3)
    assert sorted(dealer.snapshot()["refs"]) == ["m-1", "m-2", "m-3", "m-4"]
    assert dealer.duplicates() == []


def test_a_slow_dealer_still_takes_the_request_it_answers_late(dealer, api):
    register(api, dealer)
    dealer.control(fault={"kind": "timeout", "when": "before", "delay": 0.5, "times": 1})
    started = time.monotonic()
    assert header_ok(api.post(f"{A}/messages", alimtalk(dealer, numbers("01"))).json())
    assert time.monotonic() - started >= 0.5
    assert len(dealer.messages()) == 1


def test_an_outage_refuses_connections_and_the_dealer_comes_back_with_what_it_had(dealer, api):
    register(api, dealer)
    request_id = api.post(f"{A}/messages", alimtalk(dealer, numbers("01"), refs=["m-1"])).json()["message"]["requestId"]
    port = dealer.port
    dealer.stop()
    with pytest.raises(requests.ConnectionError):
        api.get(f"{A}/messages/{request_id}/1")
    dealer.start()
    assert dealer.port == port
    assert api.get(f"{A}/messages/{request_id}/1").json()["message"]["recipientGroupingKey"] == "m-1"
    assert dealer.snapshot()["refs"] == {"m-1": 1}


# -- the webhook -----------------------------------------------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_results_and_template_changes_reach_the_webhook_once(dealer, api):
    _Receiver.received = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        dealer.control(webhook={"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "signature": "sig"})
        register(api, dealer)
        api.post(f"{A}/messages", alimtalk(dealer, numbers("01", "80", "98"), refs=["w1", "w2", "w3"]))
        assert dealer.flush_webhooks()["delivered"] == 3          # two results and one template change
        assert dealer.flush_webhooks()["delivered"] == 0
    finally:
        receiver.shutdown()
        receiver.server_close()
    events = {payload["event"]: (headers, payload) for headers, payload in _Receiver.received}
    headers, results_payload = events["MESSAGE_RESULT_UPDATE"]
    assert headers["X-Toast-Webhook-Signature"] == "sig"
    assert results_payload["productName"] == "KakaoTalk Bizmessage" and results_payload["appKey"] == APPKEY
    hooks = {h["recipientGroupingKey"]: h for h in results_payload["hooks"]}
    assert set(hooks) == {"w1", "w2"}
    assert hooks["w2"]["resultCode"] == "3019" and hooks["w1"]["kakaoMessageType"] == "ALIMTALK_NORMAL"
    assert hooks["w1"]["_links"]["self"]["href"].endswith(f"/messages/{hooks['w1']['requestId']}/1")
    template_hook = events["TEMPLATE_STATUS_UPDATE"][1]["hooks"][0]
    assert (template_hook["templateCode"], template_hook["status"]) == ("ORDER01", "TSC03")


# -- the standalone process --------------------------------------------------------------------------

def test_the_module_needs_nothing_of_the_app():
    probe = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('d', sys.argv[1]); "
             "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
             "print(sorted(n for n in ('flask', 'app', 'sqlalchemy', 'werkzeug') if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe, str(SCRIPT)], capture_output=True, text=True, timeout=30,
                         cwd="/", check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _start(port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(SCRIPT), "--port", str(port), "--appkey", APPKEY,
                                "--secret", SECRET, "--sender", "@shop", "--log", str(log)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.02)
    process.kill()
    raise AssertionError("the dealer process did not start")


def test_a_killed_dealer_process_started_again_on_its_log_remembers_what_it_sent(tmp_path):
    port, log = free_port(), tmp_path / "dealer.jsonl"
    process = _start(port, log)
    api = Client(f"http://127.0.0.1:{port}")
    key = dealer_server.sender_key_for(APPKEY, "@shop")
    try:
        api.post(f"{A}/senders/{key}/templates", {"templateCode": "ORDER01", "templateName": "[승인] 주문",
                                                  "templateContent": CONTENT})
        body = {"senderKey": key, "templateCode": "ORDER01",
                "recipientList": [{"recipientNo": "01012345601", "recipientGroupingKey": "p-1",
                                   "templateParameter": {"이름": "a", "주문번호": "1"}}]}
        request_id = api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "p"}).json()["message"]["requestId"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        api.session.close()

        process = _start(port, log)
        api = Client(f"http://127.0.0.1:{port}")
        assert api.get(f"{A}/messages/{request_id}/1").json()["message"]["recipientGroupingKey"] == "p-1"
        assert header(api.post(f"{A}/messages", body, headers={IDEMPOTENCY: "p"}))["resultCode"] == -1005
        state = api.get("/_control/state").json()
        assert state["refs"] == {"p-1": 1} and state["duplicates"] == []
        assert state["templates"][0]["status"] == "TSC03"
    finally:
        process.terminate()
        process.wait(timeout=10)
