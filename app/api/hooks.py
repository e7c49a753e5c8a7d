"""Webhooks that upstreams call (no login, no CSRF: each proves itself its own way).

`POST /hooks/nhn-kakao`: NHN Cloud's result webhook (webhook-api-guide.md; research §5),
set up in NHN's console with this address and a signature string, which NHN sends back in
`X-Toast-Webhook-Signature` (NHN_KAKAO_WEBHOOK_SIGNATURE here; no HMAC is described). Each
`MESSAGE_RESULT_UPDATE` hook's result goes onto the message the adapter kept for it (by
`recipientGroupingKey`, megabird's message id); report jobs apply it as they would a polled
one. Polling stays the truth: results NHN never pushes are read back anyway."""
from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from app.gateways.nhn_kakao.gateway import NhnKakaoGateway

hooks = Blueprint("hooks", __name__, url_prefix="/hooks")
MAX_BODY = 4 * 1024 * 1024


def _refuse(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


@hooks.post("/nhn-kakao")
def nhn_kakao():
    expected = current_app.config.get("NHN_KAKAO_WEBHOOK_SIGNATURE") or ""
    if current_app.config.get("GATEWAY_KAKAO") != "nhn" or not expected:
        return _refuse(404, "not_found", "설정되지 않은 웹훅입니다.")
    given = request.headers.get("X-Toast-Webhook-Signature") or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _refuse(401, "invalid_signature", "웹훅 서명(X-Toast-Webhook-Signature)이 일치하지 않습니다.")
    if request.content_length is None:
        return _refuse(411, "length_required", "웹훅 본문의 길이(Content-Length)가 필요합니다.")
    if request.content_length > MAX_BODY:
        return _refuse(413, "too_large", "웹훅 본문이 너무 큽니다.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("hooks", []), list):
        return _refuse(400, "invalid_body", "웹훅 본문(hooks)을 읽을 수 없습니다.")
    if body.get("appKey") not in (None, current_app.config.get("NHN_KAKAO_APPKEY")):
        return _refuse(403, "other_app", "이 서비스의 앱키(appKey)로 보낸 웹훅이 아닙니다.")
    recorded = 0
    for hook in body.get("hooks") or ():
        if isinstance(hook, dict) and hook.get("recipientGroupingKey"):
            recorded += NhnKakaoGateway.record_hook(str(hook["recipientGroupingKey"])[:64], hook.get("resultCode"),
                                                    hook.get("receiveDate"))
    return jsonify({"header": {"isSuccessful": True, "resultCode": 0, "resultMessage": "success"},
                    "recorded": recorded})
