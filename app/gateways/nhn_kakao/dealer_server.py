"""A local server that speaks NHN Cloud's KakaoTalk Bizmessage API, written from its public
guide (TOAST-DOCS/Alimtalk, ko/*.md; docs/research/nhn-bizmessage.md cites each fact): for the
tests of megabird's Kakao dealer adapter, and for a person trying that adapter without NHN.

    python app/gateways/nhn_kakao/dealer_server.py --port 8089 --appkey K --secret S \
        [--host 127.0.0.1] [--sender @channel[=SENDERKEY]] ... [--log dealer.jsonl] [--report-delay 0]

From tests, in-process on a free loopback port (its state survives stop() and start()):

    dealer = LocalDealer(appkey="k", secret="s", senders=["@shop"]).start()
    dealer.base_url        # http://127.0.0.1:PORT, the guide's https://kakaotalk-bizmessage.api.nhncloudservice.com
    dealer.stop(); dealer.start()          # an outage: the port refuses connections meanwhile
    dealer.control(fault={"kind": "fail", "when": "after", "times": 1})
    dealer.duplicates()                    # recipientGroupingKeys sent more than once: must stay []

What it implements, with the guide's paths (appkey and X-Secret-Key checked on every call):
- AlimTalk v2.3: POST messages / raw-messages (and auth/...), GET messages, GET
  messages/{requestId}/{recipientSeq}, DELETE messages/{requestId}, GET message-results(/count);
  templates: POST/GET senders/{senderKey}/templates, GET/PUT .../templates/{templateCode},
  POST .../comments, POST template-image; senders: POST senders, POST sender/token,
  GET senders, GET senders/{senderKey}.
- Brand Message v1.0: POST freestyle-messages, GET messages, GET messages/{requestId}/{recipientSeq},
  DELETE messages/{requestId}, GET senders/{senderKey}, POST images.
- The result webhook (MESSAGE_RESULT_UPDATE), delivered when told to (POST /_control/webhooks/flush).
- X-NC-API-IDEMPOTENCY-KEY on the AlimTalk sends: the same key again within 10 minutes fails
  with -1005. The Brand Message guide does not give that header to its sends, so by default
  this server ignores it there (`brand_idempotency` turns it on).

Each recipient's result follows the sandbox's magic last two digits (10-gateway.md GW-02,
app/gateways/sandbox.py `magic_result`): 80→3019, 81→3008, 82→3018, 83→3016, 84→3024,
85→1030, 86→1021, 87→1025, 88→3000, 89 delivered after 30 minutes, 90–96→3018 (93→3008),
97→3000, 98 never reported, else 1000; a Brand Message outside 08:00–20:50 KST gets 3022.
A result is available `report_delay` seconds (default 0) after the send (or its requestDate),
on the server's clock, which the control endpoint can fix or move.

It plays the template reviewer: a registered template is TSC01 (요청) until told otherwise on
/_control/templates/review (start → TSC02, approve → TSC03, reject → TSC04 with a comment),
except that a name containing "[승인]" is approved at once and one containing "[반려]" is
rejected at once with a comment (`--auto-approve` / the setting "auto_approve": every other
template approved at once too). A sender profile's admin check succeeds for any phone number
but one ending in 93 (as the sandbox's); its token is readable at GET /_control/state.

Where the guide is silent this server makes a choice, marked "not in the guide" below:
the HTTP status of an error envelope (200 unless `envelope_error_status` says otherwise),
429 for throttling, "READY" for a result not yet known, the requestId format, -7000 for a
phone that is not the channel's admin, the webhook's template event name.

Control (never subject to faults), JSON in and out:
    GET  /_control/state                 counts, duplicates, sends per idempotency key, tokens, templates
    GET  /_control/requests[?path=&method=]   every request received, body parsed, field by field
    GET  /_control/messages[?ref=&recipientNo=]  what was "sent", with its decided result
    POST /_control   {"fault": {"kind": "fail"|"throttle"|"timeout"|"down"|"stop", "when": "before"|"after",
                      "status": 503, "delay": 2.0, "times": 1, "skip": 0, "match": "send"|"all"|"<path part>"},
                      "faults": [] (clears), "clock": {"now": "2026-03-02 10:00[:00]"} | {"advance": 60}
                      | {"real": true}, "report_delay": 0, "envelope_error_status": 200,
                      "brand_idempotency": false, "idempotency_remember": "any"|"accepted",
                      "record_bodies": true, "webhook": {"url": ..., "signature": ...} | null}
    POST /_control/reset                 forget messages, requests, templates, keys (senders stay)
    POST /_control/senders               {"plusFriendId", "senderKey"?, "block"?, "marketingAgreement"?, "dormant"?}
    POST /_control/templates/review      {"senderKey", "templateCode", "action": "start"|"approve"|"reject"
                                          |"block"|"unblock"|"dormant"|"wake", "comment"?}
    POST /_control/webhooks/flush        deliver the results and template changes not yet delivered

A fault: "fail" answers `status` (default 500) with the guide's -9999 envelope, "throttle"
answers 429 (not in the guide) with Retry-After, "timeout" waits `delay` seconds, "down" closes
the connection without an answer. "before" acts instead of (or, for a timeout, before) handling
the request; "after" handles it first — the messages are sent — and then fails, waits or hangs
up, so the client cannot know. `times` (default: until cleared) counts the requests it takes,
after `skip` matching ones were let through. "stop" is an outage: no answer, and the port
refuses connections from then on, until the server is started again.

With --log the server appends what it sent, the templates, sender profiles and idempotency keys
it knows to a JSON-lines file (one write and flush each) and reads it back when started again,
so that a process killed and restarted still knows what it sent.

Only the standard library: no Flask, nothing of the app (run it by its path, not with -m).
"""
from __future__ import annotations

import argparse
import bisect
import email.parser
import email.policy
import functools
import hashlib
import json
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

KST = timezone(timedelta(hours=9), "KST")
#: the guide's production domain, for reference (the adapter's default base URL)
PRODUCTION_URL = "https://kakaotalk-bizmessage.api.nhncloudservice.com"
ALIMTALK = "alimtalk/v2.3"
BRAND = "brand-message/v1.0"
IDEMPOTENCY_HEADER = "X-NC-API-IDEMPOTENCY-KEY"
IDEMPOTENCY_WINDOW = 600.0            # "10분간 동일한 key로 요청 시 해당 요청을 실패 처리"
MAX_RECIPIENTS = 1000                 # recipientList "최대 1000명"
MAX_PAGE_SIZE = 1000
SCHEDULE_LIMIT = timedelta(days=60)   # "최대 60일 이후까지 예약 가능" (-2026's text says 90: see the research note)
QUERY_RANGE_LIMIT = timedelta(days=30)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
SLOW_REPORT = 30 * 60.0               # ending 89: delivered after 30 minutes (GW-02)
BRAND_HOURS = ((8, 0), (20, 50))      # Brand Message may be sent 08:00 <= KST < 20:50 (3022 otherwise)

#: the sandbox's Kakao raw codes (10-gateway.md GW-02, app/gateways/sandbox.py)
KAKAO_FAILURES = {80: "3019", 81: "3008", 82: "3018", 83: "3016", 84: "3024", 85: "1030", 86: "1021",
                  87: "1025", 88: "3000", 93: "3008", 97: "3000"}
DELIVERED = "1000"
OUTSIDE_HOURS = "3022"

#: 발송 결과 코드 (error-code.md "발송 결과 코드"): resultCodeName of the results this server gives
RESULT_NAMES = {
    "1000": "성공", "1021": "차단 상태의 카카오톡 채널", "1025": "채널 제재 상태로 인한 메시지 전송 실패",
    "1030": "잘못된 파라미터 요청", "3000": "예기치 않은 오류 발생", "3008": "전화번호 오류",
    "3016": "메시지 내용이 템플릿과 일치하지 않음", "3018": "메시지를 전송할 수 없음",
    "3019": "메시지를 발송할 수 없음(카카오톡 유저가 아님)", "3022": "발송 가능한 시간이 아님",
    "3024": "메시지에 포함된 이미지를 전송할 수 없음",
}
#: API 응답 코드 (error-code.md "API 응답 코드"): resultMessage, the guide's English column
MESSAGES = {
    0: "success", 4: "Parameter validation failed.",
    -1000: "Invalid appKey.", -1001: "Invalid secretKey.",
    -1005: "The same 'X-NC-API-IDEMPOTENCY-KEY' was used within the last 10 minute.",
    -1016: "It is not found any messages responding with that requestId or recipientSeq.",
    -1027: "The sender is blocked status.", -1031: "All of receivers are failed to send.",
    -2000: "The '{}' must be at less than or equal to {}.", -2001: "The '{}' must not be blank.",
    -2017: "Not exist plus friend.",
    -2019: "The content that is replaced by the template parameters can not exceed 1,300 characters.",
    -2024: "The 'content' is too long. It can be less than 1,300 characters without any image.",
    -2025: "You can not send messages on past dates. Please check `requestDate` again.",
    -2026: "You can not send messages after 60 days. Please check `requestDate` again.",
    -2027: "The 'requestDate' has invalid format.",
    -2029: "All of your messages to cancel are not found or do not meet conditions to cancel.",
    -2030: "The 'content' is too long. If you request the 'wide-image', It must be less than 76 characters.",
    -2031: "The 'buttons' is too many. If you request the 'wide-image', It must be less than 2 buttons size.",
    -3000: "If template have a WL(webLink), must input linkMo",
    -3001: "Already exist templateCode or templateName.", -3002: "Field is not valid.",
    -3003: "Template does not exist.", -3004: "Please check template parameter.",
    -3005: "Please check template status.", -3008: "The button name can't include the replacement parameter.",
    -3010: "The contents are not matched to template.",
    -3012: "Only templates with TSC03(APPROVE)/TSC04(REJECT) can be modified.",
    -3016: "The Template which emphasizeType is 'TEXT' must have templateTitle, templateSubtitle.",
    -3018: "The Template which messageType is 'EX' must have templateExtra.",
    -3020: "The Template which messageType is 'MI' must have templateExtra.",
    -3025: "AC type buttons should be located alone or on top.",
    -3026: "AC type button name must have 채널 추가",
    -3027: "The Template which emphasizeType is 'NONE' can't have templateTitle, templateSubtitle.",
    -3032: "The Template which emphasizeType is 'IMAGE' must have templateImageName, templateImageUrl.",
    -3050: "The templateMessageType (AD/MI) must have button of AC type.",
    -3100: "Could not add comment on registered/completed template status.",
    -3217: "Friendtalk button size is invalid.",
    -4000: "Invalid parameter", -4003: "Search is possible within 31 days.",
    -4019: "Invalid recipient number.",
    -4029: "To send 'M/N type' messages to users who are not friends with your profile, you must first "
           "apply to have the 'M/N type' messaging feature enabled.",
    -4103: "RequestId or startRequestDate/endRequestDate is invalid.",
    -7000: "Vender request API is failed.", -9996: "Only application/json Content-type is supported.",
    -9998: "Not exist API", -9999: "System error. Please inquire at support@toast.com.",
}
TEMPLATE_STATUS = {"TSC01": "요청", "TSC02": "검수 중", "TSC03": "승인", "TSC04": "반려"}
RESEND_STATUS = {"RSC01": "대체 발송 미대상", "RSC02": "대체 발송 대상", "RSC03": "대체 발송 중",
                 "RSC04": "대체 발송 성공", "RSC05": "대체 발송 실패"}
MESSAGE_TYPES = ("BA", "EX", "AD", "MI")
EMPHASIZE_TYPES = ("NONE", "TEXT", "IMAGE", "ITEM_LIST")
CHAT_BUBBLE_TYPES = ("TEXT", "IMAGE", "WIDE", "WIDE_ITEM_LIST", "PREMIUM_VIDEO", "COMMERCE",
                     "CAROUSEL_FEED", "CAROUSEL_COMMERCE")
#: the fixed channel-add notice of AD/MI templates ("templateAd 값이 고정됩니다"); its wording is
#: Kakao's, which the guide does not quote: an approximation
TEMPLATE_AD = "채널 추가하고 이 채널의 광고와 마케팅 메시지를 카카오톡으로 받기"
VARIABLE = re.compile(r"#\{([^{}]+)\}")
APPROVE_MARK, REJECT_MARK = "[승인]", "[반려]"


class ApiError(Exception):
    """An error envelope: header.isSuccessful false with the guide's resultCode."""

    def __init__(self, code: int, *args, extra: dict | None = None):
        template = MESSAGES.get(code, "error")
        super().__init__(template.format(*args) if args else template.replace("'{}' ", "").replace("{}", "?"))
        self.code = code
        self.extra = extra or {}


def text(code: int, *args) -> str:
    """The guide's resultMessage for a code, its {} filled with `args`."""
    return str(ApiError(code, *args)) if code else "SUCCESS"


def envelope(code: int = 0, result_message: str | None = None, /, **body) -> dict:
    return {"header": {"resultCode": code, "resultMessage": result_message or MESSAGES.get(code, ""),
                       "isSuccessful": code == 0}, **body}


@functools.lru_cache(maxsize=1 << 16)        # strftime is most of what a result page costs
def fmt(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, KST).strftime(DATE_FORMAT)


def parse_date(text: str, code: int = -2027) -> float:
    """yyyy-MM-dd HH:mm (the guide's format; seconds accepted too), in KST."""
    for pattern in ("%Y-%m-%d %H:%M", DATE_FORMAT):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=KST).timestamp()
        except (ValueError, AttributeError):
            continue
    raise ApiError(code)


def magic_result(recipient: str) -> tuple[str | None, float]:
    """(raw code, extra delay in seconds) by the last two digits, as the sandbox decides a
    Kakao message; (None, 0) for one that is never reported."""
    tail = recipient[-2:]
    last_two = int(tail) if tail.isdigit() else 0
    if last_two == 98:
        return None, 0.0
    delay = SLOW_REPORT if last_two == 89 else 0.0
    if last_two in KAKAO_FAILURES:
        return KAKAO_FAILURES[last_two], delay
    if 90 <= last_two <= 96:
        return "3018", delay
    return DELIVERED, delay


def in_brand_hours(ts: float) -> bool:
    at = datetime.fromtimestamp(ts, KST)
    return BRAND_HOURS[0] <= (at.hour, at.minute) < BRAND_HOURS[1]


def sender_key_for(appkey: str, plus_friend_id: str) -> str:
    """A 40-character sender key ("발신 키(40자)"), the same every time for a channel."""
    return hashlib.sha1(f"{appkey}:{plus_friend_id}".encode()).hexdigest()


def template_pattern(content: str) -> re.Pattern:
    """The template's text with each #{variable} standing for any text: what a raw message's
    content must match (-3010)."""
    parts = VARIABLE.split(content)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else ".*?" for i, p in enumerate(parts)), re.DOTALL)


class Clock:
    """The server's time: real, real moved by an offset, or fixed."""

    def __init__(self):
        self.fixed: float | None = None
        self.offset = 0.0

    def now(self) -> float:
        return self.fixed if self.fixed is not None else time.time() + self.offset

    def set(self, spec: dict) -> None:
        if spec.get("real"):
            self.fixed, self.offset = None, 0.0
        if "now" in spec:
            self.fixed = parse_date(spec["now"], -4000)
        if "advance" in spec:
            if self.fixed is not None:
                self.fixed += float(spec["advance"])
            else:
                self.offset += float(spec["advance"])

    def describe(self) -> dict:
        return {"now": fmt(self.now()), "fixed": self.fixed is not None, "offset": self.offset}


class State:
    """Everything the server knows, behind one lock. Mutations that matter after a restart
    (messages, cancels, idempotency keys, templates, senders, pending registrations) go
    through `_event`, which applies them and appends them to the log when there is one."""

    def __init__(self, appkey: str, secret: str, *, log_path: str | Path | None = None,
                 senders: tuple | list = (), report_delay: float = 0.0):
        self.lock = threading.RLock()
        self.appkey, self.secret = appkey, secret
        self.clock = Clock()
        self.settings = {"report_delay": float(report_delay), "envelope_error_status": 200,
                         "brand_idempotency": False, "idempotency_remember": "any", "record_bodies": True,
                         "webhook": None, "auto_approve": False}
        self.faults: list[dict] = []
        self.requests: list[dict] = []
        self.preset_senders = list(senders)
        self.log_path = Path(log_path) if log_path else None
        self._log = None
        self._clear()
        for spec in self.preset_senders:
            self.add_sender(**(spec if isinstance(spec, dict) else _sender_spec(spec)))
        if self.log_path and self.log_path.exists():
            with self.log_path.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        self._apply(json.loads(line))
        if self.log_path:
            self._log = self.log_path.open("a", encoding="utf-8")

    def _clear(self) -> None:
        self.messages: list[dict] = []
        self.by_request: dict[str, list[int]] = {}
        # indexes, so that result polling and grouping-key look-ups do not scan every message
        self.by_due: dict[str, list[tuple[float, int]]] = {}   # kind -> sorted (due, id) of reported messages
        self.cancels: list[tuple[float, int]] = []         # sorted (cancelled at, id)
        self.by_ref: dict[str, list[int]] = {}
        self.by_sender_group: dict[str, list[int]] = {}
        self.idempotency: dict[str, float] = {}
        self.sends_by_key: Counter = Counter()
        self.refs: Counter = Counter()
        self.templates: dict[tuple[str, str], dict] = {}
        self.pending_senders: dict[str, dict] = {}
        self.senders: dict[str, dict] = getattr(self, "senders", {})
        self.images: dict[int, dict] = {}
        self.webhooked: set[int] = set()
        self.template_events: list[dict] = []
        self.webhook_log: list[dict] = []
        self.request_seq = 0

    # -- the event log -----------------------------------------------------------------------
    def _event(self, event: dict) -> None:
        self._apply(event)
        if self._log is not None:
            self._log.write(json.dumps(event, ensure_ascii=False) + "\n")
            self._log.flush()

    def _apply(self, event: dict) -> None:
        kind = event["t"]
        if kind == "messages":
            for m in event["messages"]:
                self.messages.append(m)
                self.by_request.setdefault(m["requestId"], []).append(m["id"])
                if m["due"] is not None:
                    bisect.insort(self.by_due.setdefault(m["kind"], []), (m["due"], m["id"]))
                if m.get("recipientGroupingKey"):
                    self.refs[m["recipientGroupingKey"]] += 1
                    self.by_ref.setdefault(m["recipientGroupingKey"], []).append(m["id"])
                if m.get("senderGroupingKey"):
                    self.by_sender_group.setdefault(m["senderGroupingKey"], []).append(m["id"])
            self.sends_by_key[event.get("key") or "-"] += 1
        elif kind == "idempotency":
            self.idempotency[event["key"]] = event["at"]
        elif kind == "cancel":
            for mid in event["ids"]:
                self.messages[mid - 1]["canceled"] = event["at"]
                bisect.insort(self.cancels, (event["at"], mid))
        elif kind == "template":
            t = event["template"]
            self.templates[(t["senderKey"], t["templateCode"])] = t
        elif kind == "sender":
            self.senders[event["sender"]["senderKey"]] = event["sender"]
            self.pending_senders.pop(event["sender"]["plusFriendId"], None)
        elif kind == "pending":
            self.pending_senders[event["plusFriendId"]] = event
        elif kind == "reset":
            senders = self.senders
            self._clear()
            self.senders = senders

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- senders -----------------------------------------------------------------------------
    def add_sender(self, plusFriendId: str, senderKey: str | None = None, **flags) -> dict:
        with self.lock:
            key = senderKey or sender_key_for(self.appkey, plusFriendId)
            sender = dict(self.senders.get(key) or {
                "plusFriendId": plusFriendId, "senderKey": key, "categoryCode": "00100010001", "status": "YSC03",
                "block": False, "dormant": False, "marketingAgreement": False, "createDate": self.clock.now(),
                "unsubscribePhoneNumber": None, "unsubscribeAuthNumber": None})
            sender.update({k: v for k, v in flags.items() if k in ("block", "dormant", "marketingAgreement",
                                                                   "categoryCode", "unsubscribePhoneNumber",
                                                                   "unsubscribeAuthNumber")})
            self._event({"t": "sender", "sender": sender})
            return sender

    def sender(self, key: str) -> dict:
        found = self.senders.get(key)
        if found is None:
            raise ApiError(-2017)
        return found

    # -- faults ------------------------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> dict | None:
        with self.lock:
            for fault in self.faults:
                match = fault.get("match", "all")
                if match == "send":
                    hit = method == "POST" and bool(SEND_PATH.search(path))
                else:
                    hit = match == "all" or match in path
                if not hit:
                    continue
                if fault.get("skip"):          # let this many matching requests pass first
                    fault["skip"] -= 1
                    continue
                if fault.get("times") is not None:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self.faults.remove(fault)
                return dict(fault)
        return None

    def snapshot(self) -> dict:
        with self.lock:
            now = self.clock.now()
            return {"clock": self.clock.describe(), "settings": self.settings, "faults": self.faults,
                    "messages": len(self.messages), "requests": len(self.requests),
                    "refs": dict(self.refs), "duplicates": sorted(r for r, n in self.refs.items() if n > 1),
                    "sends_by_idempotency_key": dict(self.sends_by_key),
                    "idempotency_keys": {k: fmt(at) for k, at in self.idempotency.items()},
                    "pending": sum(1 for m in self.messages if view(m, now)["messageStatus"] == "READY"),
                    "tokens": {p: v["token"] for p, v in self.pending_senders.items()},
                    "senders": [public_sender(s) for s in self.senders.values()],
                    "templates": [{**public_template(t), "history": t["history"]} for t in self.templates.values()],
                    "webhooks_delivered": len(self.webhook_log)}


def _sender_spec(text: str) -> dict:
    name, _, key = text.partition("=")
    return {"plusFriendId": name, "senderKey": key or None}


def view(m: dict, now: float) -> dict:
    """What a message's result looks like at `now`: pending (READY: not in the guide, which
    names only COMPLETED/FAILED/CANCEL for a single message and READY for a mass-send
    recipient), COMPLETED (1000) or FAILED (any other code), or CANCEL."""
    if m.get("canceled") is not None:
        status, code, updated = "CANCEL", None, m["canceled"]
    elif m["due"] is None or now < m["due"]:
        status, code, updated = "READY", None, None
    else:
        code, updated = m["code"], m["due"]
        status = "COMPLETED" if code == DELIVERED else "FAILED"
    resend = m.get("resend") or {}
    if not resend.get("isResend"):
        resend_status = "RSC01"
    elif status == "READY":
        resend_status = "RSC02"
    elif status == "FAILED":
        last_two = m["recipientNo"][-2:]
        resend_status = "RSC05" if last_two.isdigit() and 90 <= int(last_two) <= 97 else "RSC04"
    else:
        resend_status = "RSC01"
    return {"messageStatus": status, "resultCode": code, "resultCodeName": RESULT_NAMES.get(code) if code else None,
            "receiveDate": fmt(m["due"]) if code == DELIVERED else None, "updated": updated,
            "resendStatus": resend_status, "resendStatusName": RESEND_STATUS[resend_status],
            "resendResultCode": None,
            "resendRequestId": m["requestId"] + "-resend" if resend_status in ("RSC04", "RSC05") else None}


def public_sender(s: dict, product: str = "alimtalk") -> dict:
    blocked = bool(s.get("block"))
    out = {"plusFriendId": s["plusFriendId"], "senderKey": s["senderKey"], "categoryCode": s.get("categoryCode"),
           "status": s["status"], "statusName": "정상 등록" if s["status"] == "YSC03" else "등록 대기 중",
           "kakaoStatus": "S" if blocked else "A", "kakaoStatusName": "차단" if blocked else "정상",
           "kakaoProfileStatus": "B" if blocked else "A", "kakaoProfileStatusName": "차단" if blocked else "활성화",
           "profileSpamLevel": "정상", "profileMessageSpamLevel": "정상",
           "dormant": bool(s.get("dormant")), "block": blocked, "createDate": fmt(s.get("createDate")),
           "initialUserRestriction": False}
    if product == "brand":
        out.update(unsubscribePhoneNumber=s.get("unsubscribePhoneNumber"),
                   unsubscribeAuthNumber=s.get("unsubscribeAuthNumber"),
                   brandMessage={"resendAppKey": None, "isResend": False, "resendSendNo": None,
                                 "resendUnsubscribeNo": None},
                   marketingAgreement=bool(s.get("marketingAgreement")))
    else:
        out.update(alimtalk={"resendAppKey": None, "isResend": False, "resendSendNo": None,
                             "dailyMaxCount": 0, "sentCount": 0},
                   friendtalk={"resendAppKey": None, "isResend": False, "resendSendNo": None,
                               "resendUnsubscribeNo": None, "dailyMaxCount": 0, "sentCount": 0})
    return out


TEMPLATE_FIELDS = ("templateName", "templateContent", "templateMessageType", "templateEmphasizeType",
                   "templateExtra", "templateTitle", "templateSubtitle", "templateHeader", "templateItem",
                   "templateItemHighlight", "templateRepresentLink", "templateImageName", "templateImageUrl",
                   "securityFlag", "categoryCode", "buttons", "quickReplies")


def public_template(t: dict) -> dict:
    out = {k: t.get(k) for k in ("plusFriendId", "senderKey", "templateCode", *TEMPLATE_FIELDS)}
    out.update(plusFriendType="NORMAL", kakaoTemplateCode=t["templateCode"], templateAd=t.get("templateAd"),
               comments=t["comments"], status=t["status"], statusName=TEMPLATE_STATUS[t["status"]],
               block=t["block"], dormant=t["dormant"], createDate=fmt(t["createDate"]),
               updateDate=fmt(t["updateDate"]))
    return out


SEND_PATH = re.compile(r"/(alimtalk/v2\.3/appkeys/[^/]+/(auth/)?(raw-)?messages|"
                       r"brand-message/v1\.0/appkeys/[^/]+/(freestyle|basic)-messages)$")


def _required(body: dict, name: str, limit: int | None = None) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(-2001, name)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise ApiError(-2000, name, limit)
    return value


def _page(query: dict) -> tuple[int, int]:
    try:
        num = int(query.get("pageNum") or 1)
        size = int(query.get("pageSize") or 15)
    except ValueError:
        raise ApiError(-4000) from None
    if num < 1 or size < 1 or size > MAX_PAGE_SIZE:
        raise ApiError(-4000)
    return num, size


def _valid_recipient(number) -> bool:
    return isinstance(number, str) and 0 < len(number) <= 15 and number.isdigit()


class Api:
    """The guide's endpoints over a State. Each handler returns (payload, http status)."""

    def __init__(self, state: State, base_url: str = ""):
        self.state = state
        self.base_url = base_url
        s = r"(?P<appkey>[^/]+)"
        a, b = re.escape(ALIMTALK), re.escape(BRAND)
        self.routes = [
            ("POST", rf"/{a}/appkeys/{s}/(?P<auth>auth/)?(?P<raw>raw-)?messages", self.send_alimtalk),
            ("GET", rf"/{a}/appkeys/{s}/(?P<auth>auth/)?messages", self.list_alimtalk),
            ("GET", rf"/{a}/appkeys/{s}/(?P<auth>auth/)?messages/(?P<rid>[^/]+)/(?P<seq>\d+)", self.get_alimtalk),
            ("DELETE", rf"/{a}/appkeys/{s}/messages/(?P<rid>[^/]+)", self.cancel_alimtalk),
            ("GET", rf"/{a}/appkeys/{s}/message-results", self.message_results),
            ("GET", rf"/{a}/appkeys/{s}/message-results/count", self.message_results_count),
            ("POST", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)/templates", self.register_template),
            ("GET", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)/templates", self.list_templates),
            ("GET", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)/templates/(?P<code>[^/]+)", self.get_template),
            ("PUT", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)/templates/(?P<code>[^/]+)", self.modify_template),
            ("POST", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)/templates/(?P<code>[^/]+)/comments",
             self.comment_template),
            ("POST", rf"/{a}/appkeys/{s}/template-image", self.template_image),
            ("POST", rf"/{a}/appkeys/{s}/senders", self.register_sender),
            ("POST", rf"/{a}/appkeys/{s}/sender/token", self.sender_token),
            ("GET", rf"/{a}/appkeys/{s}/senders", self.list_senders),
            ("GET", rf"/{a}/appkeys/{s}/senders/(?P<sk>[^/]+)", self.get_sender),
            ("POST", rf"/{b}/appkeys/{s}/freestyle-messages", self.send_brand),
            ("GET", rf"/{b}/appkeys/{s}/messages", self.list_brand),
            ("GET", rf"/{b}/appkeys/{s}/messages/(?P<rid>[^/]+)/(?P<seq>\d+)", self.get_brand),
            ("DELETE", rf"/{b}/appkeys/{s}/messages/(?P<rid>[^/]+)", self.cancel_brand),
            ("GET", rf"/{b}/appkeys/{s}/senders/(?P<sk>[^/]+)", self.get_brand_sender),
            ("POST", rf"/{b}/appkeys/{s}/images", self.brand_image),
        ]
        self.routes = [(m, re.compile(p + "$"), h) for m, p, h in self.routes]

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers, raw: bytes) -> tuple[dict, int]:
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v is not None}
                try:
                    self._authenticate(params["appkey"], headers)
                    return handler(params=params, query=query, headers=headers, raw=raw), 200
                except ApiError as error:
                    return (envelope(error.code, str(error), **error.extra),
                            self.state.settings["envelope_error_status"])
                except Exception:  # noqa: BLE001  (a request this server did not foresee: the guide's system error)
                    traceback.print_exc()
                    return envelope(-9999), 500
        return envelope(-9998), 404

    def _authenticate(self, appkey: str, headers) -> None:
        if appkey != self.state.appkey:
            raise ApiError(-1000)
        if headers.get("X-Secret-Key") != self.state.secret:
            raise ApiError(-1001)

    @staticmethod
    def _json(headers, raw: bytes) -> dict:
        if "application/json" not in (headers.get("Content-Type") or "").lower():
            raise ApiError(-9996)
        try:
            body = json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise ApiError(-3002) from None
        if not isinstance(body, dict):
            raise ApiError(-3002)
        return body

    def _idempotent(self, headers, now: float) -> str | None:
        """The same X-NC-API-IDEMPOTENCY-KEY within 10 minutes fails the request (-1005). With
        `idempotency_remember` "any" (the guide's literal reading) a key counts from its first
        request whatever became of it; with "accepted" only once a request with it was accepted."""
        key = headers.get(IDEMPOTENCY_HEADER)
        if not key:
            return None
        seen = self.state.idempotency.get(key)
        if seen is not None and now - seen < IDEMPOTENCY_WINDOW:
            raise ApiError(-1005)
        if self.state.settings["idempotency_remember"] == "any":
            self.state._event({"t": "idempotency", "key": key, "at": now})
        return key

    def _request_date(self, body: dict, now: float) -> float | None:
        text = body.get("requestDate")
        if not text:
            return None
        at = parse_date(text)
        if at < now - 60:
            raise ApiError(-2025)
        if at > now + SCHEDULE_LIMIT.total_seconds():
            raise ApiError(-2026)
        return at

    def _new_request_id(self, now: float) -> str:
        """Not in the guide (which only says -2028/4130 for a malformed one): a timestamp and a
        random tail, like the ids NHN returns."""
        tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))
        return datetime.fromtimestamp(now, KST).strftime("%Y%m%d%H%M%S") + tail

    def _store(self, *, kind: str, body: dict, accepted: list[tuple[int, dict, dict]], key: str | None,
               now: float, scheduled: float | None, sender: dict) -> str:
        """The accepted recipients become messages of one new requestId, each with its result
        decided now (by the magic digits) and due `report_delay` after it goes."""
        state = self.state
        request_id = self._new_request_id(now)
        goes_at = scheduled if scheduled is not None else now
        rows = []
        for seq, entry, extra in accepted:
            number = entry["recipientNo"]
            code, delay = magic_result(number)
            if kind == "brand" and not in_brand_hours(goes_at):
                code, delay = OUTSIDE_HOURS, 0.0
            due = None if code is None else goes_at + state.settings["report_delay"] + delay
            rows.append({"id": len(state.messages) + len(rows) + 1, "kind": kind, "requestId": request_id,
                         "recipientSeq": seq, "senderKey": sender["senderKey"], "plusFriendId": sender["plusFriendId"],
                         "templateCode": body.get("templateCode"), "recipientNo": number,
                         "requestDate": goes_at, "createDate": now, "scheduled": scheduled is not None,
                         "senderGroupingKey": body.get("senderGroupingKey"),
                         "recipientGroupingKey": entry.get("recipientGroupingKey"), "idempotencyKey": key,
                         "createUser": body.get("createUser"), "resend": entry.get("resendParameter"),
                         "buttons": entry.get("buttons") if kind != "brand" else body.get("buttons"),
                         "quickReplies": entry.get("quickReplies"), "code": code, "due": due, "canceled": None,
                         **extra})
        state._event({"t": "messages", "key": key, "messages": rows})
        if key and state.settings["idempotency_remember"] == "accepted":
            state._event({"t": "idempotency", "key": key, "at": now})
        return request_id

    # -- AlimTalk sends ----------------------------------------------------------------------
    def send_alimtalk(self, *, params, headers, raw, **_):
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            now = state.clock.now()
            key = self._idempotent(headers, now)
            sender_key = _required(body, "senderKey", 40)
            code = _required(body, "templateCode", 20)
            recipients = body.get("recipientList")
            if not isinstance(recipients, list) or not recipients:
                raise ApiError(-2001, "recipientList")
            if len(recipients) > MAX_RECIPIENTS:
                raise ApiError(-2000, "recipientList", MAX_RECIPIENTS)
            if len(body.get("senderGroupingKey") or "") > 100:
                raise ApiError(-2000, "senderGroupingKey", 100)
            scheduled = self._request_date(body, now)
            sender = state.sender(sender_key)
            if sender.get("block"):
                raise ApiError(-1027)
            template = state.templates.get((sender_key, code))
            if template is None:
                raise ApiError(-3003)
            if template["status"] != "TSC03" or template["block"] or template["dormant"]:
                raise ApiError(-3005)
            raw_mode = "raw" in params
            pattern = template_pattern(template["templateContent"])
            names = VARIABLE.findall(template["templateContent"])
            results, accepted = [], []
            for seq, entry in enumerate(recipients, start=1):
                entry = entry if isinstance(entry, dict) else {}
                number = entry.get("recipientNo")
                result, args, content = 0, (), None
                if not _valid_recipient(number):
                    result = -4019
                elif len(entry.get("recipientGroupingKey") or "") > 100:
                    result, args = -2000, ("recipientGroupingKey", 100)
                elif raw_mode:
                    content = entry.get("content")
                    if not isinstance(content, str) or not content:
                        result, args = -2001, ("content",)
                    elif len(content) > 1300:
                        result = -2019
                    elif not pattern.fullmatch(content):
                        result = -3010
                else:
                    values = entry.get("templateParameter") or {}
                    if not isinstance(values, dict) or any(n not in values for n in names):
                        result = -3004
                    else:
                        content = VARIABLE.sub(lambda v, values=values: str(values[v.group(1)]), template["templateContent"])
                        if len(content) > 1300:
                            result = -2019
                results.append({"recipientSeq": seq, "recipientNo": number, "resultCode": result,
                                "resultMessage": text(result, *args),
                                "recipientGroupingKey": entry.get("recipientGroupingKey")})
                if result == 0:
                    accepted.append((seq, entry, {"content": content, "templateTitle": entry.get("templateTitle"),
                                                  "templateParameter": entry.get("templateParameter")}))
            if not accepted and not any((e.get("resendParameter") or {}).get("isResend")
                                        for e in recipients if isinstance(e, dict)):
                # 2025-04-29: every recipient failed -> a failure, requestId null
                raise ApiError(-1031, extra={"message": {"requestId": None,
                                                         "senderGroupingKey": body.get("senderGroupingKey"),
                                                         "sendResults": results}})
            kind = "alimtalk_auth" if "auth" in params else "alimtalk"
            request_id = self._store(kind=kind, body=body, accepted=accepted, key=key, now=now,
                                     scheduled=scheduled, sender=sender) if accepted else None
        return envelope(message={"requestId": request_id, "senderGroupingKey": body.get("senderGroupingKey"),
                                 "sendResults": results})

    # -- Brand Message sends -----------------------------------------------------------------
    def send_brand(self, *, headers, raw, **_):
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            now = state.clock.now()
            key = self._idempotent(headers, now) if state.settings["brand_idempotency"] else None
            sender = state.sender(_required(body, "senderKey", 40))
            bubble = _required(body, "chatBubbleType")
            if bubble not in CHAT_BUBBLE_TYPES:
                raise ApiError(-4000)
            content = body.get("content")
            buttons = body.get("buttons") or []
            if bubble in ("TEXT", "IMAGE", "WIDE"):
                content = _required(body, "content")
                if bubble == "WIDE" and len(content) > 76:
                    raise ApiError(-2030)
                if len(content) > 1300:
                    raise ApiError(-2024)
            if bubble in ("IMAGE", "WIDE") and not (body.get("image") or {}).get("imageUrl"):
                raise ApiError(-2001, "image")
            if bubble in ("WIDE", "WIDE_ITEM_LIST") and len(buttons) > 2:
                raise ApiError(-2031)
            if len(buttons) > 5:
                raise ApiError(-3217)
            recipients = body.get("recipientList")
            if not isinstance(recipients, list) or not recipients:
                raise ApiError(-2001, "recipientList")
            if len(recipients) > MAX_RECIPIENTS:
                raise ApiError(-2000, "recipientList", MAX_RECIPIENTS)
            scheduled = self._request_date(body, now)
            if sender.get("block"):
                raise ApiError(-1027)
            targetings = [(e or {}).get("targeting") or "I" for e in recipients if isinstance(e, dict)]
            if any(t not in ("M", "N", "I") for t in targetings):
                raise ApiError(-4000)
            if any(t in ("M", "N") for t in targetings) and not sender.get("marketingAgreement"):
                raise ApiError(-4029)
            results, accepted = [], []
            for seq, entry in enumerate(recipients, start=1):
                entry = entry if isinstance(entry, dict) else {}
                number = entry.get("recipientNo")
                result, args = (0, ()) if _valid_recipient(number) else (-4019, ())
                if result == 0 and len(entry.get("recipientGroupingKey") or "") > 100:
                    result, args = -2000, ("recipientGroupingKey", 100)
                results.append({"recipientSeq": seq, "recipientNo": number, "resultCode": result,
                                "resultMessage": text(result, *args)})
                if result == 0:
                    targeting = entry.get("targeting") or "I"
                    accepted.append((seq, entry, {"content": content, "chatBubbleType": bubble, "targeting": targeting,
                                                  "isAddedChannel": targeting != "N",
                                                  "pushAlarm": body.get("pushAlarm", True),
                                                  "adult": bool(body.get("adult")), "image": body.get("image"),
                                                  "coupon": body.get("coupon")}))
            if not accepted:
                raise ApiError(-1031, extra={"message": {"requestId": None, "sendResults": results}})
            request_id = self._store(kind="brand", body=body, accepted=accepted, key=key, now=now,
                                     scheduled=scheduled, sender=sender)
        return envelope(message={"requestId": request_id, "sendResults": results})

    # -- queries -----------------------------------------------------------------------------
    def _find(self, request_id: str, seq: str, kinds: tuple[str, ...]) -> dict:
        for mid in self.state.by_request.get(request_id, ()):
            m = self.state.messages[mid - 1]
            if m["recipientSeq"] == int(seq) and m["kind"] in kinds:
                return m
        raise ApiError(-1016)

    def _search(self, query: dict, kinds: tuple[str, ...], *, create_dates: bool) -> list[dict]:
        state = self.state
        now = state.clock.now()
        if query.get("requestId"):
            found = [state.messages[i - 1] for i in state.by_request.get(query["requestId"], ())]
        else:
            if query.get("recipientGroupingKey"):
                candidates = [state.messages[i - 1] for i in state.by_ref.get(query["recipientGroupingKey"], ())]
            elif query.get("senderGroupingKey"):
                candidates = [state.messages[i - 1] for i in state.by_sender_group.get(query["senderGroupingKey"], ())]
            else:
                candidates = state.messages
            pairs = [("startRequestDate", "endRequestDate", "requestDate")]
            if create_dates:
                pairs.append(("startCreateDate", "endCreateDate", "createDate"))
            for start_name, end_name, field in pairs:
                if query.get(start_name) and query.get(end_name):
                    start, end = parse_date(query[start_name], -4103), parse_date(query[end_name], -4103) + 59.999
                    if end - start > QUERY_RANGE_LIMIT.total_seconds() + 60:
                        raise ApiError(-4003)
                    found = [m for m in candidates if start <= m[field] <= end]
                    break
            else:
                raise ApiError(-4103)
        found = [m for m in found if m["kind"] in kinds]
        for name in ("recipientNo", "senderKey", "templateCode", "senderGroupingKey", "recipientGroupingKey",
                     "createUser"):
            if query.get(name):
                found = [m for m in found if m.get(name) == query[name]]
        if query.get("messageStatus"):
            found = [m for m in found if view(m, now)["messageStatus"] == query["messageStatus"]]
        if query.get("resultCode") in ("MRC01", "MRC02"):
            want = query["resultCode"] == "MRC01"
            found = [m for m in found if view(m, now)["resultCode"] is not None
                     and (view(m, now)["resultCode"] == DELIVERED) == want]
        # 2024-05-28: requestDate descending, then requestId and recipientSeq descending
        found.sort(key=lambda m: (m["requestDate"], m["requestId"], m["recipientSeq"]), reverse=True)
        return found

    def _alimtalk_row(self, m: dict, now: float, *, single: bool = False) -> dict:
        v = view(m, now)
        row = {"requestId": m["requestId"], "recipientSeq": m["recipientSeq"], "plusFriendId": m["plusFriendId"],
               "senderKey": m["senderKey"], "templateCode": m["templateCode"], "recipientNo": m["recipientNo"],
               "content": m.get("content"), "requestDate": fmt(m["requestDate"]), "createDate": fmt(m["createDate"]),
               "receiveDate": v["receiveDate"], "resendStatus": v["resendStatus"],
               "resendStatusName": v["resendStatusName"], "messageStatus": v["messageStatus"],
               "resultCode": v["resultCode"], "resultCodeName": v["resultCodeName"], "createUser": m.get("createUser"),
               "senderGroupingKey": m.get("senderGroupingKey"), "recipientGroupingKey": m.get("recipientGroupingKey")}
        if single:
            row.update(templateTitle=m.get("templateTitle"), resendResultCode=v["resendResultCode"],
                       resendRequestId=v["resendRequestId"], buttons=m.get("buttons") or [],
                       quickReplies=m.get("quickReplies") or [], messageOption=None)
        return row

    def _brand_row(self, m: dict, now: float, *, single: bool = False) -> dict:
        v = view(m, now)
        row = {"requestId": m["requestId"], "recipientSeq": m["recipientSeq"], "plusFriendId": m["plusFriendId"],
               "senderKey": m["senderKey"], "templateCode": m.get("templateCode"), "recipientNo": m["recipientNo"],
               "targeting": m.get("targeting"), "requestDate": fmt(m["requestDate"]),
               "createDate": fmt(m["createDate"]), "receiveDate": v["receiveDate"],
               "chatBubbleType": m.get("chatBubbleType"), "pushAlarm": m.get("pushAlarm", True),
               "messageStatus": v["messageStatus"], "resendStatusCode": v["resendStatus"],
               "resendStatusName": v["resendStatusName"], "resendResultCode": v["resendResultCode"],
               "resendRequestId": v["resendRequestId"], "isAddedChannel": m.get("isAddedChannel", True),
               "resultCode": v["resultCode"], "resultCodeName": v["resultCodeName"], "createUser": m.get("createUser"),
               "senderGroupingKey": m.get("senderGroupingKey"), "recipientGroupingKey": m.get("recipientGroupingKey")}
        if single:
            row.update(content=m.get("content"), adult=m.get("adult", False), image=m.get("image"),
                       buttons=m.get("buttons") or [], coupon=m.get("coupon"))
        return row

    def list_alimtalk(self, *, params, query, **_):
        with self.state.lock:
            kinds = ("alimtalk_auth",) if "auth" in params else ("alimtalk",)
            found = self._search(query, kinds, create_dates=True)
            num, size = _page(query)
            now = self.state.clock.now()
            rows = [self._alimtalk_row(m, now) for m in found[(num - 1) * size:num * size]]
        return envelope(messageSearchResultResponse={"messages": rows, "totalCount": len(found)})

    def get_alimtalk(self, *, params, **_):
        with self.state.lock:
            kinds = ("alimtalk_auth",) if "auth" in params else ("alimtalk",)
            m = self._find(params["rid"], params["seq"], kinds)
            return envelope(message=self._alimtalk_row(m, self.state.clock.now(), single=True))

    def list_brand(self, *, query, **_):
        with self.state.lock:
            found = self._search(query, ("brand",), create_dates=False)
            num, size = _page(query)
            now = self.state.clock.now()
            rows = [self._brand_row(m, now) for m in found[(num - 1) * size:num * size]]
        return envelope(messageSearchResultResponse={"messages": rows, "totalCount": len(found)})

    def get_brand(self, *, params, **_):
        with self.state.lock:
            m = self._find(params["rid"], params["seq"], ("brand",))
            return envelope(message=self._brand_row(m, self.state.clock.now(), single=True))

    def _updated(self, query: dict) -> list[tuple[float, int]]:
        """Results whose update time falls in [startUpdateDate, endUpdateDate] (minutes,
        both ends inclusive), oldest first (the guide gives no order)."""
        if not query.get("startUpdateDate") or not query.get("endUpdateDate"):
            raise ApiError(-2001, "startUpdateDate" if not query.get("startUpdateDate") else "endUpdateDate")
        start = parse_date(query["startUpdateDate"], -4000)
        end = parse_date(query["endUpdateDate"], -4000) + 59.999
        kinds = {"NORMAL": ("alimtalk",), "AUTH": ("alimtalk_auth",)}.get(query.get("alimtalkMessageType"),
                                                                         ("alimtalk", "alimtalk_auth"))
        state, messages = self.state, self.state.messages
        last = min(end, state.clock.now())

        def window(index: list) -> list:
            return index[bisect.bisect_left(index, (start, 0)):bisect.bisect_right(index, (last, float("inf")))]

        parts = [window(state.by_due.get(kind, [])) for kind in kinds]
        found = parts[0] if len(parts) == 1 or not parts[1] else parts[1] if not parts[0] else sorted(parts[0] + parts[1])
        if state.cancels:
            found = [pair for pair in found if messages[pair[1] - 1]["canceled"] is None]
            cancelled = [pair for pair in window(state.cancels) if messages[pair[1] - 1]["kind"] in kinds]
            found = sorted(found + cancelled)
        return found

    def message_results(self, *, query, **_):
        with self.state.lock:
            found = self._updated(query)
            num, size = _page(query)
            now = self.state.clock.now()
            rows = []
            for _, mid in found[(num - 1) * size:num * size]:
                m = self.state.messages[mid - 1]
                v = view(m, now)
                rows.append({"requestId": m["requestId"], "recipientSeq": m["recipientSeq"],
                             "requestDate": fmt(m["requestDate"]), "createDate": fmt(m["createDate"]),
                             "receiveDate": v["receiveDate"], "resendStatus": v["resendStatus"],
                             "resendStatusName": v["resendStatusName"], "resendResultCode": v["resendResultCode"],
                             "resendRequestId": v["resendRequestId"], "messageStatus": v["messageStatus"],
                             "resultCode": v["resultCode"], "resultCodeName": v["resultCodeName"]})
        return envelope(messages=rows)

    def message_results_count(self, *, query, **_):
        with self.state.lock:
            return envelope(totalCount=len(self._updated(query)))

    def _cancel(self, params: dict, query: dict, kinds: tuple[str, ...]) -> dict:
        """Only what has not gone yet (a scheduled message before its requestDate) can be
        cancelled; nothing cancellable -> -2029."""
        state = self.state
        with state.lock:
            now = state.clock.now()
            wanted = {int(s) for s in (query.get("recipientSeq") or "").split(",") if s.strip().isdigit()}
            ids = [mid for mid in state.by_request.get(params["rid"], ())
                   if state.messages[mid - 1]["kind"] in kinds
                   and (not wanted or state.messages[mid - 1]["recipientSeq"] in wanted)
                   and state.messages[mid - 1]["canceled"] is None
                   and state.messages[mid - 1]["requestDate"] > now]
            if not ids:
                raise ApiError(-2029)
            state._event({"t": "cancel", "ids": ids, "at": now})
        return envelope()

    def cancel_alimtalk(self, *, params, query, **_):
        return self._cancel(params, query, ("alimtalk", "alimtalk_auth"))

    def cancel_brand(self, *, params, query, **_):
        return self._cancel(params, query, ("brand",))

    # -- templates (the reviewer) ------------------------------------------------------------
    def _check_template(self, body: dict) -> dict:
        _required(body, "templateName", 150)
        content = _required(body, "templateContent", 1300)
        kind = body.get("templateMessageType") or "BA"
        emphasis = body.get("templateEmphasizeType") or "NONE"
        if kind not in MESSAGE_TYPES or emphasis not in EMPHASIZE_TYPES:
            raise ApiError(-4000)
        if kind == "EX" and not body.get("templateExtra"):
            raise ApiError(-3018)
        if kind == "MI" and not body.get("templateExtra"):
            raise ApiError(-3020)
        if emphasis == "TEXT" and not (body.get("templateTitle") and body.get("templateSubtitle")):
            raise ApiError(-3016)
        if emphasis == "NONE" and (body.get("templateTitle") or body.get("templateSubtitle")):
            raise ApiError(-3027)
        if emphasis == "IMAGE" and not (body.get("templateImageName") and body.get("templateImageUrl")):
            raise ApiError(-3032)
        buttons = body.get("buttons") or []
        if len(buttons) > 5:
            raise ApiError(-2000, "buttons", 5)
        for position, button in enumerate(sorted(buttons, key=lambda b: b.get("ordering") or 0)):
            name = button.get("name") or ""
            if not name:
                raise ApiError(-2001, "buttons.name")
            if len(name) > 14:
                raise ApiError(-2000, "buttons.name", 14)
            if VARIABLE.search(name):
                raise ApiError(-3008)
            if button.get("type") == "WL" and not button.get("linkMo"):
                raise ApiError(-3000)
            if button.get("type") == "AC":
                if name != "채널 추가":
                    raise ApiError(-3026)
                if position != 0:
                    raise ApiError(-3025)
        if kind in ("AD", "MI") and not any(b.get("type") == "AC" for b in buttons):
            raise ApiError(-3050)
        if len(set(VARIABLE.findall(content))) > 40:
            raise ApiError(-3004)
        fields = {k: body.get(k) for k in TEMPLATE_FIELDS}
        fields.update(templateMessageType=kind, templateEmphasizeType=emphasis, securityFlag=bool(body.get("securityFlag")),
                      categoryCode=body.get("categoryCode") or "999999", buttons=buttons,
                      quickReplies=body.get("quickReplies") or [],
                      templateAd=TEMPLATE_AD if kind in ("AD", "MI") else None)
        return fields

    def _review_marks(self, template: dict, now: float) -> None:
        """The reviewer's shortcut: "[승인]" in the name approves, "[반려]" rejects, at once."""
        if REJECT_MARK in template["templateName"]:
            review(template, "reject", now, "반려 사유: 템플릿 이름에 [반려]가 있습니다(로컬 딜러 검수).")
        elif APPROVE_MARK in template["templateName"] or self.state.settings["auto_approve"]:
            review(template, "approve", now, "승인되었습니다.")

    def register_template(self, *, params, headers, raw, **_):
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            now = state.clock.now()
            sender = state.sender(params["sk"])
            code = _required(body, "templateCode", 20)
            fields = self._check_template(body)
            for t in state.templates.values():
                if t["senderKey"] == sender["senderKey"] and (t["templateCode"] == code
                                                              or t["templateName"] == fields["templateName"]):
                    raise ApiError(-3001)
            template = {"senderKey": sender["senderKey"], "plusFriendId": sender["plusFriendId"], "templateCode": code,
                        **fields, "comments": [], "status": "TSC01", "block": False, "dormant": False,
                        "createDate": now, "updateDate": now,
                        "history": [{"status": "TSC01", "at": fmt(now), "comment": None}]}
            self._review_marks(template, now)
            state._event({"t": "template", "template": template})
            state.template_events.append({"senderKey": template["senderKey"], "templateCode": code})
        return envelope()

    def modify_template(self, *, params, headers, raw, **_):
        """Only TSC03/TSC04 can be modified (-3012); the modified template is reviewed again
        from 검수 중 (TSC02), as the console guide says."""
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            now = state.clock.now()
            state.sender(params["sk"])
            template = state.templates.get((params["sk"], params["code"]))
            if template is None:
                raise ApiError(-3003)
            if template["status"] not in ("TSC03", "TSC04"):
                raise ApiError(-3012)
            fields = self._check_template(body)
            template = {**template, **fields, "comments": list(template["comments"]), "history": list(template["history"])}
            set_status(template, "TSC02", now, None)
            self._review_marks(template, now)
            state._event({"t": "template", "template": template})
            state.template_events.append({"senderKey": template["senderKey"], "templateCode": template["templateCode"]})
        return envelope()

    def comment_template(self, *, params, headers, raw, **_):
        """A comment on a rejected template puts it back to 검수 중 (REQ); none on 요청/승인 (-3100)."""
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            now = state.clock.now()
            state.sender(params["sk"])
            template = state.templates.get((params["sk"], params["code"]))
            if template is None:
                raise ApiError(-3003)
            comment = _required(body, "comment")
            if template["status"] in ("TSC01", "TSC03"):
                raise ApiError(-3100)
            template = {**template, "comments": list(template["comments"]), "history": list(template["history"])}
            add_comment(template, comment, "INQ", now, user="customer")
            if template["status"] == "TSC04":
                set_status(template, "TSC02", now, comment)
            state._event({"t": "template", "template": template})
            state.template_events.append({"senderKey": template["senderKey"], "templateCode": template["templateCode"]})
        return envelope()

    def get_template(self, *, params, **_):
        with self.state.lock:
            self.state.sender(params["sk"])
            template = self.state.templates.get((params["sk"], params["code"]))
            if template is None:
                raise ApiError(-3003)
            return envelope(templates=public_template(template))

    def list_templates(self, *, params, query, **_):
        with self.state.lock:
            self.state.sender(params["sk"])
            found = [t for t in self.state.templates.values() if t["senderKey"] == params["sk"]]
            for name, field in (("templateCode", "templateCode"), ("templateName", "templateName"),
                                ("templateStatus", "status")):
                if query.get(name):
                    found = [t for t in found if t[field] == query[name]]
            found.sort(key=lambda t: t["createDate"], reverse=True)
            num, size = _page(query)
            rows = [public_template(t) for t in found[(num - 1) * size:num * size]]
        return envelope(templateListResponse={"templates": rows, "totalCount": len(found)})

    # -- images ------------------------------------------------------------------------------
    def _upload(self, headers, raw: bytes, field: str) -> tuple[int, str, str]:
        content_type = headers.get("Content-Type") or ""
        if "multipart/form-data" not in content_type.lower():
            raise ApiError(-4000)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
        part = next((p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == field),
                    None)
        if part is None:
            raise ApiError(-2001, field)
        name = part.get_filename() or "image.jpg"
        data = part.get_payload(decode=True) or b""
        with self.state.lock:
            seq = len(self.state.images) + 1
            self.state.images[seq] = {"name": name, "data": data, "type": part.get_content_type()}
        return seq, name, f"{self.base_url}/_images/{seq}/{urllib.parse.quote(name)}"

    def template_image(self, *, headers, raw, **_):
        _, name, url = self._upload(headers, raw, "file")
        return envelope(templateImage={"templateImageName": name, "templateImageUrl": url})

    def brand_image(self, *, headers, raw, **_):
        seq, name, url = self._upload(headers, raw, "image")
        return envelope(image={"imageSeq": seq, "imageUrl": url, "imageName": name})

    # -- sender profiles (channels) ----------------------------------------------------------
    def register_sender(self, *, headers, raw, **_):
        """The channel's admin gets a token in KakaoTalk (here: GET /_control/state "tokens").
        A phone that is not the admin's (ending 93, as in the sandbox) fails; the guide does
        not say with which code: -7000 (벤더 요청 API 실패) is this server's choice."""
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            plus_friend_id = _required(body, "plusFriendId", 30)
            phone = _required(body, "phoneNo", 15)
            category = _required(body, "categoryCode", 11)
            if not phone.isdigit() or phone.endswith("93"):
                raise ApiError(-7000)
            token = secrets.randbelow(900000) + 100000
            state._event({"t": "pending", "plusFriendId": plus_friend_id, "phoneNo": phone,
                          "categoryCode": category, "token": token})
        return envelope()

    def sender_token(self, *, headers, raw, **_):
        body = self._json(headers, raw)
        state = self.state
        with state.lock:
            plus_friend_id = _required(body, "plusFriendId")
            pending = state.pending_senders.get(plus_friend_id)
            try:
                token = int(body.get("token"))
            except (TypeError, ValueError):
                raise ApiError(-4000) from None
            if pending is None or pending["token"] != token:
                raise ApiError(-4000)
            sender = state.add_sender(plus_friend_id, categoryCode=pending["categoryCode"])
        return envelope(sender={"plusFriendId": sender["plusFriendId"], "senderKey": sender["senderKey"],
                                "categoryCode": sender["categoryCode"], "status": sender["status"]})

    def get_sender(self, *, params, **_):
        with self.state.lock:
            return envelope(sender=public_sender(self.state.sender(params["sk"])))

    def get_brand_sender(self, *, params, **_):
        with self.state.lock:
            return envelope(sender=public_sender(self.state.sender(params["sk"]), "brand"))

    def list_senders(self, *, query, **_):
        with self.state.lock:
            found = list(self.state.senders.values())
            for name in ("plusFriendId", "senderKey", "status"):
                if query.get(name):
                    found = [s for s in found if s.get(name) == query[name]]
            num, size = _page(query)
            rows = [public_sender(s) for s in found[(num - 1) * size:num * size]]
        return envelope(senders=rows, totalCount=len(found))


def set_status(template: dict, status: str, now: float, comment: str | None) -> None:
    template["status"] = status
    template["updateDate"] = now
    template["history"].append({"status": status, "at": fmt(now), "comment": comment})


def add_comment(template: dict, content: str, status: str, now: float, user: str = "kakao") -> None:
    template["comments"].append({"id": len(template["comments"]) + 1, "content": content, "userName": user,
                                 "createdAt": fmt(now), "attachment": [], "status": status})


def review(template: dict, action: str, now: float, comment: str | None = None) -> None:
    """The reviewer's steps: start (TSC01 -> TSC02), approve / reject (-> TSC03 / TSC04, with a
    comment of status APR / REJ), and the flags a reviewer or time sets (block, dormant)."""
    if action == "start":
        if template["status"] != "TSC01":
            raise ApiError(-4000)
        set_status(template, "TSC02", now, comment)
    elif action in ("approve", "reject"):
        if template["status"] not in ("TSC01", "TSC02"):
            raise ApiError(-4000)
        if template["status"] == "TSC01":
            set_status(template, "TSC02", now, None)
        if action == "reject" and not comment:
            comment = "반려 사유가 입력되지 않았습니다."
        if comment:
            add_comment(template, comment, "APR" if action == "approve" else "REJ", now)
        set_status(template, "TSC03" if action == "approve" else "TSC04", now, comment)
    elif action in ("block", "unblock"):
        template["block"] = action == "block"
        template["updateDate"] = now
    elif action in ("dormant", "wake"):
        template["dormant"] = action == "dormant"
        template["updateDate"] = now
    else:
        raise ApiError(-4000)


class Control:
    """The /_control endpoints: what tests tell the server and ask it."""

    def __init__(self, state: State, api: Api):
        self.state, self.api = state, api

    def handle(self, method: str, path: str, query: dict, raw: bytes) -> tuple[dict, int]:
        try:
            body = json.loads(raw.decode("utf-8") or "{}") if method == "POST" else {}
        except ValueError:
            return {"error": "not JSON"}, 400
        try:
            if method == "GET" and path == "/_control/state":
                return self.state.snapshot(), 200
            if method == "GET" and path == "/_control/requests":
                return {"requests": self.requests(query.get("path"), query.get("method"))}, 200
            if method == "GET" and path == "/_control/messages":
                return {"messages": self.messages(query.get("ref"), query.get("recipientNo"))}, 200
            if method == "POST" and path == "/_control":
                return self.configure(body), 200
            if method == "POST" and path == "/_control/reset":
                self.reset()
                return {"ok": True}, 200
            if method == "POST" and path == "/_control/senders":
                return {"sender": public_sender(self.state.add_sender(**body))}, 200
            if method == "POST" and path == "/_control/templates/review":
                return {"template": self.review(**body)}, 200
            if method == "POST" and path == "/_control/webhooks/flush":
                return self.flush_webhooks(), 200
        except (ApiError, TypeError, KeyError, ValueError) as error:
            return {"error": str(error)}, 400
        return {"error": "no such control"}, 404

    def configure(self, body: dict) -> dict:
        with self.state.lock:
            for name in ("report_delay", "envelope_error_status", "brand_idempotency", "idempotency_remember",
                         "record_bodies", "webhook", "auto_approve"):
                if name in body:
                    self.state.settings[name] = body[name]
            if "faults" in body:
                self.state.faults = [dict(f) for f in body["faults"]]
            if body.get("fault"):
                fault = {"kind": "fail", "when": "before", "match": "all", "times": None, **body["fault"]}
                if fault["kind"] not in ("fail", "throttle", "timeout", "down", "stop"):
                    raise ValueError(f"unknown fault kind {fault['kind']!r}")
                self.state.faults.append(fault)
            if "clock" in body:
                self.state.clock.set(body["clock"])
            return {"settings": self.state.settings, "faults": self.state.faults, "clock": self.state.clock.describe()}

    def reset(self) -> None:
        with self.state.lock:
            self.state._event({"t": "reset"})
            self.state.requests.clear()
            self.state.faults.clear()

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        with self.state.lock:
            return [r for r in self.state.requests
                    if (not path or path in r["path"]) and (not method or r["method"] == method.upper())]

    def messages(self, ref: str | None = None, recipient: str | None = None) -> list[dict]:
        with self.state.lock:
            now = self.state.clock.now()
            return [{**m, **view(m, now), "requestDate": fmt(m["requestDate"]), "createDate": fmt(m["createDate"]),
                     "due": fmt(m["due"]), "canceled": fmt(m["canceled"]), "updated": fmt(view(m, now)["updated"])}
                    for m in self.state.messages
                    if (not ref or m.get("recipientGroupingKey") == ref)
                    and (not recipient or m["recipientNo"] == recipient)]

    def review(self, senderKey: str, templateCode: str, action: str, comment: str | None = None) -> dict:
        state = self.state
        with state.lock:
            template = state.templates.get((senderKey, templateCode))
            if template is None:
                raise ApiError(-3003)
            template = {**template, "comments": list(template["comments"]), "history": list(template["history"])}
            review(template, action, state.clock.now(), comment)
            state._event({"t": "template", "template": template})
            state.template_events.append({"senderKey": senderKey, "templateCode": templateCode})
            return public_template(template)

    def flush_webhooks(self) -> dict:
        """POST the results that became known, and the template changes, since the last flush
        to the configured URL, as the webhook guide's MESSAGE_RESULT_UPDATE (and, for templates,
        an event named TEMPLATE_STATUS_UPDATE: the guide names no event for it)."""
        state = self.state
        with state.lock:
            hook = state.settings.get("webhook")
            if not hook:
                return {"delivered": 0, "error": "no webhook configured"}
            now = state.clock.now()
            results = []
            for m in state.messages:
                v = view(m, now)
                if m["id"] not in state.webhooked and v["updated"] is not None:
                    results.append((m, v))
            templates = list(state.template_events)
            state.template_events.clear()
            kinds = {"alimtalk": "ALIMTALK_NORMAL", "alimtalk_auth": "ALIMTALK_AUTH", "brand": "BRAND_MESSAGE_NORMAL"}
            hooks = [{"kakaoMessageType": kinds[m["kind"]], "requestId": m["requestId"],
                      "recipientSeq": m["recipientSeq"], "requestDate": fmt(m["requestDate"]),
                      "createDate": fmt(m["createDate"]), "receiveDate": v["receiveDate"],
                      "recipientNo": m["recipientNo"], "resultCode": v["resultCode"],
                      "senderGroupingKey": m.get("senderGroupingKey"),
                      "recipientGroupingKey": m.get("recipientGroupingKey"),
                      "isAddedChannel": m.get("isAddedChannel") if m["kind"] == "brand" else None,
                      "_links": {"self": {"href": self._href(m)}}, "hookId": secrets.token_hex(12)}
                     for m, v in results]
            template_hooks = []
            for event in templates:
                t = state.templates.get((event["senderKey"], event["templateCode"]))
                if t is not None:
                    template_hooks.append({"senderKey": t["senderKey"], "templateCode": t["templateCode"],
                                           "kakaoTemplateCode": t["templateCode"], "status": t["status"],
                                           "comments": t["comments"], "updateDate": fmt(t["updateDate"]),
                                           "hookId": secrets.token_hex(12)})
        delivered, errors = 0, []
        for event, batch, ids in (("MESSAGE_RESULT_UPDATE", hooks, [m["id"] for m, _ in results]),
                                  ("TEMPLATE_STATUS_UPDATE", template_hooks, [])):
            if not batch:
                continue
            payload = {"hooksId": secrets.token_hex(14), "webhookConfigId": "local", "productName": "KakaoTalk Bizmessage",
                       "appKey": state.appkey, "event": event, "hooks": batch}
            request = urllib.request.Request(hook["url"], data=json.dumps(payload, ensure_ascii=False).encode(),
                                             method="POST",
                                             headers={"Content-Type": "application/json;charset=UTF-8",
                                                      "X-Toast-Webhook-Signature": hook.get("signature") or ""})
            try:
                with urllib.request.urlopen(request, timeout=float(hook.get("timeout", 5))) as answer:
                    answer.read()
                delivered += len(batch)
                with state.lock:
                    state.webhooked.update(ids)
                    state.webhook_log.append({"event": event, "count": len(batch)})
            except (urllib.error.URLError, OSError) as error:
                errors.append(f"{event}: {error}")
                if event == "TEMPLATE_STATUS_UPDATE":
                    with state.lock:
                        state.template_events.extend(templates)
        return {"delivered": delivered, "errors": errors}

    def _href(self, m: dict) -> str:
        product = BRAND if m["kind"] == "brand" else ALIMTALK
        auth = "auth/" if m["kind"] == "alimtalk_auth" else ""
        return f"{self.api.base_url}/{product}/appkeys/{self.state.appkey}/{auth}messages/{m['requestId']}/{m['recipientSeq']}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as a pooled client expects
    server_version = "megabird-local-nhn-dealer/1"
    # one segment per answer (headers and body buffered, flushed after the request), no Nagle:
    # otherwise each answer waits out the client's delayed ACK (40 ms on Linux)
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format, *args):  # quiet: the requests are recorded instead
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        state: State = self.server.state
        split = urllib.parse.urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_images/"):
            return self._image(path)
        if path == "/_control" or path.startswith("/_control/"):
            payload, status = self.server.control.handle(method, path, query, raw)
            return self._answer(status, payload)
        record = self._record(method, path, split.query, query, raw)
        fault = state.take_fault(method, path)
        if fault:
            record["fault"] = f"{fault['kind']}/{fault['when']}"
        if fault and fault["when"] == "before":
            if fault["kind"] == "timeout":
                time.sleep(float(fault.get("delay", 5)))
            elif self._fail(fault, record):
                return
        payload, status = self.server.api.handle(method, path, query, self.headers, raw)
        record["status"], record["resultCode"] = status, payload.get("header", {}).get("resultCode")
        if fault and fault["when"] == "after":
            if fault["kind"] == "timeout":
                time.sleep(float(fault.get("delay", 5)))
            elif self._fail(fault, record):
                return
        self._answer(status, payload)

    def _fail(self, fault: dict, record: dict) -> bool:
        if fault["kind"] == "stop":
            # an outage: this request gets no answer and the port refuses connections until
            # the server is started again (LocalDealer.start / restart)
            threading.Thread(target=self.server.stop_listening, daemon=True).start()
        if fault["kind"] in ("down", "stop"):
            record["answered"] = False
            self.close_connection = True
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fault["kind"] == "throttle":
            record["answered_status"] = 429
            self._answer(429, {"header": {"resultCode": 429, "resultMessage": "Too Many Requests",
                                          "isSuccessful": False}}, {"Retry-After": str(fault.get("retry_after", 1))})
            return True
        if fault["kind"] == "fail":
            status = int(fault.get("status", 500))
            record["answered_status"] = status
            self._answer(status, envelope(-9999))
            return True
        return False

    def _record(self, method: str, path: str, raw_query: str, query: dict, raw: bytes) -> dict:
        state: State = self.server.state
        body: object = None
        if raw and state.settings["record_bodies"]:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    body = raw.decode("utf-8", "replace")
            else:
                body = {"bytes": len(raw), "content_type": self.headers.get("Content-Type")}
        with state.lock:
            state.request_seq += 1
            record = {"seq": state.request_seq, "at": fmt(state.clock.now()), "method": method, "path": path,
                      "query": query, "raw_query": raw_query, "headers": dict(self.headers.items()), "body": body,
                      "status": None, "resultCode": None, "fault": None}
            state.requests.append(record)
        return record

    def _image(self, path: str) -> None:
        parts = path.split("/")
        image = self.server.state.images.get(int(parts[2])) if len(parts) > 2 and parts[2].isdigit() else None
        if image is None:
            return self._answer(404, {"error": "no such image"})
        self.send_response(200)
        self.send_header("Content-Type", image["type"] or "application/octet-stream")
        self.send_header("Content-Length", str(len(image["data"])))
        self.end_headers()
        self.wfile.write(image["data"])

    def _answer(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class DealerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state: State, verbose: bool = False):
        super().__init__(address, Handler)
        self.state = state
        self.verbose = verbose
        self.connections: set = set()
        self.connections_lock = threading.Lock()
        host, port = self.server_address[:2]
        self.api = Api(state, f"http://{host}:{port}")
        self.control = Control(state, self.api)

    def handle_error(self, request, client_address) -> None:
        """A client that went away (a timeout, a stopped test) is no error of the server's."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)

    def stop_listening(self) -> None:
        self.shutdown()
        self.drop_connections()
        self.server_close()

    def drop_connections(self) -> None:
        """Close the kept-alive connections too: a stopped server answers nobody."""
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class LocalDealer:
    """The server in this process on a loopback port (a free one the first time, the same one
    after), for tests. Its state outlives stop(): start() again is the dealer back up."""

    def __init__(self, appkey: str = "megabird-test-appkey", secret: str = "megabird-test-secret", *,
                 host: str = "127.0.0.1", port: int = 0, senders: tuple | list = (),
                 log_path: str | Path | None = None, report_delay: float = 0.0):
        self.host, self.port = host, port
        self.state = State(appkey, secret, log_path=log_path, senders=senders, report_delay=report_delay)
        self.server: DealerHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def appkey(self) -> str:
        return self.state.appkey

    @property
    def secret(self) -> str:
        return self.state.secret

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.server is not None

    def start(self) -> Self:
        if self.server is None:
            self.server = DealerHTTPServer((self.host, self.port), self.state)
            self.port = self.server.server_address[1]
            self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                           name=f"local-nhn-dealer-{self.port}", daemon=True)
            self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.drop_connections()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = self.thread = None

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        self.state.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # what tests ask and tell, without HTTP (the same as /_control)
    def _control(self) -> Control:
        return self.server.control if self.server is not None else Control(self.state, Api(self.state, self.base_url))

    def control(self, **settings) -> dict:
        return self._control().configure(settings)

    def add_sender(self, plus_friend_id: str, sender_key: str | None = None, **flags) -> dict:
        return self.state.add_sender(plus_friend_id, sender_key, **flags)

    def sender_key(self, plus_friend_id: str) -> str:
        return sender_key_for(self.state.appkey, plus_friend_id)

    def review(self, sender_key: str, template_code: str, action: str, comment: str | None = None) -> dict:
        return self._control().review(sender_key, template_code, action, comment)

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        return self._control().requests(path, method)

    def messages(self, ref: str | None = None, recipient: str | None = None) -> list[dict]:
        return self._control().messages(ref, recipient)

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def duplicates(self) -> list[str]:
        """recipientGroupingKeys (megabird's message references) sent more than once."""
        return self.snapshot()["duplicates"]

    def flush_webhooks(self) -> dict:
        return self._control().flush_webhooks()

    def reset(self) -> None:
        self._control().reset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local server speaking NHN Cloud's KakaoTalk Bizmessage API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--appkey", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--sender", action="append", default=[], metavar="@CHANNEL[=SENDERKEY]",
                        help="a registered sender profile (repeatable); its key is derived when not given")
    parser.add_argument("--log", help="JSON-lines file of what was sent, read back when started again")
    parser.add_argument("--report-delay", type=float, default=0.0, help="seconds until a result is known")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    parser.add_argument("--auto-approve", action="store_true",
                        help="the reviewer approves every template at once (but one named [반려])")
    args = parser.parse_args(argv)
    state = State(args.appkey, args.secret, log_path=args.log, senders=args.sender, report_delay=args.report_delay)
    state.settings["auto_approve"] = args.auto_approve
    server = DealerHTTPServer((args.host, args.port), state, verbose=args.verbose)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"local NHN Bizmessage dealer on http://{args.host}:{server.server_address[1]} "
          f"(appkey {args.appkey}; senders {', '.join(s['plusFriendId'] + '=' + s['senderKey'] for s in state.senders.values()) or 'none'})",
          flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.drop_connections()
        server.server_close()
        state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
