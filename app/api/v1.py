"""/api/v1 endpoints (09-api.md API-05). Each parses JSON, calls the same services as
the web pages, and answers JSON."""
from __future__ import annotations

import base64
import dataclasses
import binascii
import hashlib
import json

from flask import Blueprint, g, jsonify, request

from app.domain.korean import josa, particle
from app import clock
from app.api.auth import MAX_BODY, PayloadTooLarge, require_key
from app.i18n import localized, message_locale
from app.services.history import bodies
from app.api.openapi import spec
from app.domain import jsonbody, moments
from app.domain import friendtalk
from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.friendtalk_plan import FriendtalkRequest
from app.domain.numbers import format_number, is_digits
from app.domain.recipients import Recipient
from app.errors import MegabirdError, TooManyRequests, ValidationError
from app.services.billing import customer as tax_invoices
from app.services.history import queries
from app.services.kakao import alimtalk_sends, friendtalk_sends
from app.services.kakao import templates as alimtalk_templates
from app.services.senders import kakao_channels, sender_numbers
from app.services.sending import acceptance, lifecycle
from app.services.shared import idempotency
from app.services.wallet import ledger
from app.services.webhooks import delivery as webhook_deliveries
from app.services.webhooks import endpoints as webhook_endpoints

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")

MAX_API_RECIPIENTS = 10_000

#: The services name a field as the web form labels it; the API names its JSON field (API-04).
API_FIELDS = {"발신번호": "from", "수신자": "to", "내용": "text", "제목": "title", "예약시간": "scheduled_at",
              "광고": "ad", "광고 업체명": "ad.name", "무료거부 번호": "ad.optout", "이미지첨부": "images",
              "잔액": "balance", "상태": "status", "분류": "category", "요청": "body",
              "발신 채널 ID": "channel", "템플릿 상태": "state", "템플릿": "template_code",
              "대체문자": "fallback.text", "대체문자 제목": "fallback.title",
              "URL": "url", "이벤트": "events", "설명": "description"}
#: POST /sends/alimtalk: the fallback's sender and ad are inside "fallback" (the services
#: name them as for an SMS)
ALIMTALK_FIELDS = {"발신번호": "fallback.from", "광고": "fallback.ad", "광고 업체명": "fallback.ad.name",
                   "무료거부 번호": "fallback.ad.optout", "제목": "fallback.title", "내용": "fallback.text"}
#: POST /sends/friendtalk: the ad wording is at the top ("ad"), the Brand Message's own fields too
FRIENDTALK_FIELDS = {"발신번호": "fallback.from", "내용": "text", "이미지": "image", "발송 대상": "targeting",
                     "발송시간": "scheduled_at", "광고 업체명": "ad.name", "무료거부 번호": "ad.optout"}
MAX_FRIENDTALK_IMAGE_BASE64 = 7_000_000          # 5 MB (friendtalk.MAX_IMAGE_BYTES) in base64


@api_v1.errorhandler(MegabirdError)
def _api_error(error: MegabirdError):
    """{"error": {"code", "message", "field"}}: `field` is the JSON field, or null."""
    fields = {**API_FIELDS, **g.get("api_fields", {})}
    body = {"code": error.code, "message": localized(error.message, message_locale()),
            "field": fields.get(error.field, error.field)}
    if error.details is not None:
        body["details"] = error.details
    response = jsonify({"error": body})
    response.status_code = error.status
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("요청 본문은 JSON 객체여야 합니다 (Content-Type: application/json).", field="body",
                              code="invalid_json")
    return data


def _field(data: dict, name: str, types, *, required: bool = False, label: str | None = None):
    return jsonbody.field(data, name, types, label=label, required=required)


def _recipients(to, *, keys=jsonbody.VARIABLE_KEYS) -> list[Recipient]:
    """`to` of a send; `keys`: the variable names a recipient's vars may have (None: any,
    an AlimTalk template's #{변수명})."""
    if not isinstance(to, list) or not to:
        raise ValidationError("to에 수신자를 1명 이상 넣어주세요.", field="to", code="required")
    if len(to) > MAX_API_RECIPIENTS:
        raise ValidationError(f"한 요청에 수신자는 최대 {MAX_API_RECIPIENTS:,}명까지입니다.", field="to",
                              code="too_many_recipients")
    out = []
    for index, item in enumerate(to):
        parsed = jsonbody.recipient(item, index, keys=keys)
        if parsed is None:
            shape = '{"1".."4": 값}' if keys else '{"변수명": 값}'
            message = (f"to[{index}]: phone(문자열), name(문자열), vars({shape}) 형식이어야 합니다."
                       if isinstance(item, dict) else f"to[{index}]{particle(str(index), '은/는')} 전화번호 문자열이나 객체여야 합니다.")
            raise ValidationError(message, field=f"to[{index}]", code="invalid_type")
        out.append(parsed)
    return out


def _images(value) -> list[tuple[str, bytes]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("images는 base64 문자열의 배열이어야 합니다.", field="images", code="invalid_type")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or len(item) > 600_000:
            raise ValidationError(f"images[{index}]: 300KB 이하 JPEG의 base64 문자열이어야 합니다.",
                                  field=f"images[{index}]", code="invalid_image")
        try:
            out.append((f"image{index + 1}.jpg", base64.b64decode(item, validate=True)))
        except (binascii.Error, ValueError):
            raise ValidationError(f"images[{index}]: base64 형식이 아닙니다.", field=f"images[{index}]",
                                  code="invalid_image") from None
    return out


def _scheduled(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("scheduled_at은 ISO-8601 문자열이어야 합니다.", field="scheduled_at", code="invalid_type")
    return moments.parse_moment(value, "scheduled_at")


def _accepted(key: idempotency.Key | None, accept, now):
    """A send accepted once per Idempotency-Key (API-03): 201 with what was accepted, the
    same answer replayed for a retry; dispatch asked after the commit."""
    result = idempotency.once(g.api_account_id, key, accept,
                              lambda accepted: (201, accepted.to_api(), accepted.send.id), now=now)
    if isinstance(result, idempotency.Replay):
        return jsonify(result.body), result.status
    acceptance.enqueue_dispatch(result.send)
    return jsonify(result.to_api()), 201


def _idempotency_key() -> idempotency.Key | None:
    """API-03: the Idempotency-Key header, bound to the path and body it came with."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > 200:
        raise ValidationError("Idempotency-Key는 200자 이하여야 합니다.", field="Idempotency-Key", code="invalid")
    body = request.get_data(cache=True)
    return idempotency.Key(key, hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest())


@api_v1.get("/balance")
@require_key
def balance():
    b = ledger.balance(g.api_account_id)
    return jsonify({"cash": b.cash, "points": b.points})


@api_v1.get("/senders")
@require_key
def list_senders():
    numbers = [{"number": s.number, "display": format_number(s.number)} for s in
               sender_numbers.approved_numbers(g.api_account_id)]
    channels = [{"channel": c.search_id} for c in kakao_channels.approved_channels(g.api_account_id)]
    return jsonify({"numbers": numbers, "channels": channels})


@api_v1.post("/sends/sms")
@require_key
def send_sms():
    raw = request.get_data(cache=True)
    data = _json_body()
    images = data.get("images")
    size_without_images = len(raw) - (len(json.dumps(images)) if images else 0)
    if size_without_images > MAX_BODY:
        raise PayloadTooLarge("요청 본문은 이미지를 제외하고 1MB 이하여야 합니다.")
    key = _idempotency_key()
    ad = _ad(data, "ad")
    req = acceptance.SmsRequest(
        account_id=g.api_account_id, sender=_field(data, "from", str, required=True, label="from(발신번호)"),
        body=_field(data, "text", str, required=True, label="text(내용)"), recipients=_recipients(data.get("to")),
        title=_field(data, "title", str), is_ad=ad is not None, ad_company=(ad or {}).get("name"),
        ad_optout=(ad or {}).get("optout"), scheduled_at=_scheduled(data.get("scheduled_at")),
        images=_images(images), source="api", api_key_id=g.api_key.id, max_recipients=MAX_API_RECIPIENTS,
        row_label="to[{}]")
    now = clock.now()
    return _accepted(key, lambda: acceptance.accept(req, now=now), now)


def _ad(data: dict, key: str, *, name: str | None = None) -> dict | None:
    """An ad's wording, {"name": 문자열, "optout": 080번호} or absent (SMS-06)."""
    where = name or key
    ad = jsonbody.field(data, key, dict, name=where)
    if ad is not None and (not isinstance(ad.get("name"), (str, type(None))) or
                           not isinstance(ad.get("optout"), (str, type(None)))):
        raise ValidationError(f"{where}는 {{\"name\": 문자열, \"optout\": 080번호}} 형식이어야 합니다.",
                              field=where, code="invalid_type")
    return ad


def _fallback(value) -> FallbackRequest | None:
    """"fallback": {"from", "text"?, "title"?, "ad"?: {"name", "optout"}} or null (KAT-07)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError("fallback은 {\"from\": 발신번호, \"text\", \"title\", \"ad\"} 객체이거나 "
                              "null이어야 합니다.", field="fallback", code="invalid_type")
    ad = _ad(value, "ad", name="fallback.ad")
    return FallbackRequest(
        sender=jsonbody.field(value, "from", str, name="fallback.from", label="fallback.from(대체문자 발신번호)",
                              required=True),
        text=jsonbody.field(value, "text", str, name="fallback.text"),
        title=jsonbody.field(value, "title", str, name="fallback.title"),
        ad_company=(ad or {}).get("name"), ad_optout=(ad or {}).get("optout"))


@api_v1.post("/sends/alimtalk")
@require_key
def send_alimtalk():
    """POST /sends/alimtalk (09-api.md, 06-kakao.md KAT-06..09): an approved template to
    recipients with its variables, and optionally 대체문자."""
    g.api_fields = ALIMTALK_FIELDS
    if len(request.get_data(cache=True)) > MAX_BODY:
        raise PayloadTooLarge("요청 본문은 이미지를 제외하고 1MB 이하여야 합니다.")
    data = _json_body()
    key = _idempotency_key()
    req = AlimtalkRequest(
        account_id=g.api_account_id, channel=_field(data, "channel", str, required=True, label="channel(발신 채널 ID)"),
        template=_field(data, "template_code", str, required=True, label="template_code(템플릿 코드)"),
        recipients=_recipients(data.get("to"), keys=None), fallback=_fallback(data.get("fallback")),
        scheduled_at=_scheduled(data.get("scheduled_at")), source="api", api_key_id=g.api_key.id,
        max_recipients=MAX_API_RECIPIENTS, row_label="to[{}]")
    now = clock.now()
    return _accepted(key, lambda: alimtalk_sends.accept(req, now=now), now)


def _friendtalk_image(value) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_FRIENDTALK_IMAGE_BASE64:
        raise ValidationError("image는 5MB 이하 jpg/png 파일의 base64 문자열이어야 합니다.", field="image",
                              code="image_rule", details={"rule": "size"})
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("image: base64 형식이 아닙니다.", field="image", code="image_rule",
                              details={"rule": "type"}) from None


@api_v1.post("/sends/friendtalk")
@require_key
def send_friendtalk():
    """POST /sends/friendtalk (09-api.md, 06-kakao.md KFT-01..04): a Brand Message — text,
    an optional image (WIDE or not), buttons, targeting — with its ad fallback."""
    g.api_fields = FRIENDTALK_FIELDS
    raw = request.get_data(cache=True)
    data = _json_body()
    image = data.get("image")
    if len(raw) - (len(json.dumps(image)) if isinstance(image, str) else 0) > MAX_BODY:
        raise PayloadTooLarge("요청 본문은 이미지를 제외하고 1MB 이하여야 합니다.")
    key = _idempotency_key()
    wide = data.get("wide", False)
    if not isinstance(wide, bool):
        raise ValidationError("wide는 true 또는 false여야 합니다.", field="wide", code="invalid_type")
    content = friendtalk.check_content(_field(data, "text", str, required=True, label="text(내용)"),
                                       _field(data, "buttons", list), _friendtalk_image(image), wide=wide)
    fallback = _fallback(data.get("fallback"))
    ad = _ad(data, "ad")
    if fallback is not None and ad is not None:      # the ad wording at the top, as 09-api.md writes it
        fallback.ad_company = fallback.ad_company or ad.get("name")
        fallback.ad_optout = fallback.ad_optout or ad.get("optout")
    req = FriendtalkRequest(
        account_id=g.api_account_id, channel=_field(data, "channel", str, required=True, label="channel(발신 채널 ID)"),
        content=content, recipients=_recipients(data.get("to")), targeting=_field(data, "targeting", str),
        fallback=fallback, scheduled_at=_scheduled(data.get("scheduled_at")), source="api", api_key_id=g.api_key.id,
        max_recipients=MAX_API_RECIPIENTS, row_label="to[{}]")
    now = clock.now()
    return _accepted(key, lambda: friendtalk_sends.accept(req, now=now), now)


def _page_args() -> tuple[int, int]:
    def number(name, default, maximum):
        text = request.args.get(name, str(default))
        if not is_digits(text) or len(text) > 9 or not 1 <= int(text) <= maximum:
            raise ValidationError(f"{josa(name, '은/는')} 1~{maximum} 사이의 정수여야 합니다.", field=name, code="invalid")
        return int(text)
    return number("page", 1, 1_000_000), number("per_page", 20, 100)


@api_v1.get("/sends")
@require_key
def list_sends():
    page, per_page = _page_args()
    flt = queries.SendFilter(
        msg_type=moments.check_choice(request.args.get("type"), queries.VALID_TYPES, "type"),
        status=moments.check_choice(request.args.get("status"), queries.VALID_STATUSES, "status"),
        start=moments.parse_moment(request.args.get("from"), "from"),
        end=moments.parse_moment(request.args.get("to"), "to", end_of_day=True))
    rows, total = queries.list_sends(g.api_account_id, flt, page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page,
                    "sends": [bodies.send_body(s) for s in rows]})


@api_v1.get("/sends/<send_id>")
@require_key
def get_send(send_id):
    return jsonify(bodies.send_body(queries.get_send(g.api_account_id, send_id)))


@api_v1.get("/sends/<send_id>/messages")
@require_key
def send_messages(send_id):
    send = queries.get_send(g.api_account_id, send_id)
    page, per_page = _page_args()
    flt = queries.parse_message_filter(request.args.getlist("status"), request.args.getlist("category"))
    if flt.layer == "primary":  # unless "fallback:"-prefixed values ask for one layer: both layers of a
        flt = dataclasses.replace(flt, layer=None)     # Kakao send, each message with its `layer`
    rows, total = queries.list_messages(send, flt, page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page,
                    "messages": [bodies.message_body(m) for m in rows]})


@api_v1.post("/sends/<send_id>/cancel")
@require_key
def cancel_send(send_id):
    now = clock.now()    # API-03: a retry with the same key gets this answer again, not "already cancelled"
    result = idempotency.once(g.api_account_id, _idempotency_key(),
                              lambda: lifecycle.cancel(account_id=g.api_account_id, send_id=send_id, now=now),
                              lambda send: (200, bodies.send_body(send), send.id), now=now)
    if isinstance(result, idempotency.Replay):
        return jsonify(result.body), result.status
    return jsonify(bodies.send_body(result))


@api_v1.get("/alimtalk/templates")
@require_key
def list_alimtalk_templates():
    page, per_page = _page_args()
    state = moments.check_choice(request.args.get("state"), alimtalk_templates.STATUSES, "state")
    rows, total = alimtalk_templates.list_templates(g.api_account_id, status=state, page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page,
                    "templates": [alimtalk_templates.to_api(t) for t in rows]})


def _template_image(value) -> tuple[None, bytes] | None:
    """이미지형's image as base64 (checked by the service: jpg/png, 500 KB, 2:1)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 700_000:
        raise ValidationError("image는 500KB 이하 jpg/png의 base64 문자열이어야 합니다.", field="image",
                              code="invalid_image")
    try:
        return None, base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("image: base64 형식이 아닙니다.", field="image", code="invalid_image") from None


@api_v1.post("/alimtalk/templates")
@require_key
def create_alimtalk_template():
    raw = request.get_data(cache=True)
    data = _json_body()
    image = data.get("image")
    if len(raw) - (len(json.dumps(image)) if isinstance(image, str) else 0) > MAX_BODY:
        raise PayloadTooLarge("요청 본문은 이미지를 제외하고 1MB 이하여야 합니다.")
    key = _idempotency_key()
    _field(data, "channel", str, required=True, label="channel(발신 채널 ID)")
    request_review = data.get("request_review")
    if request_review is not None and not isinstance(request_review, bool):
        raise ValidationError("request_review는 true 또는 false여야 합니다.", field="request_review",
                              code="invalid_type")
    image = _template_image(image)
    fields = {k: v for k, v in data.items() if k not in ("request_review", "image")}
    now = clock.now()
    result = idempotency.once(
        g.api_account_id, key,
        lambda: alimtalk_templates.create_template(account_id=g.api_account_id, actor=None, raw=fields, image=image,
                                                   request_review=bool(request_review), now=now),
        lambda template: (201, alimtalk_templates.to_api(template, with_history=True), None), now=now)
    if isinstance(result, idempotency.Replay):
        return jsonify(result.body), result.status
    return jsonify(alimtalk_templates.to_api(result, with_history=True)), 201


@api_v1.get("/alimtalk/templates/<code>")
@require_key
def get_alimtalk_template(code):
    return jsonify(alimtalk_templates.to_api(alimtalk_templates.get_by_code(g.api_account_id, code),
                                             with_history=True))


@api_v1.get("/tax-invoices")
@require_key
def list_tax_invoices():
    """API-08: the account's tax invoices of the last five years, newest first (filters
    `month` as YYYY-MM, `state`), each with its amounts per message type."""
    page, per_page = _page_args()
    rows, total = tax_invoices.api_page(g.api_account_id, clock.now(),
                                        month=tax_invoices.parse_month(request.args.get("month")),
                                        state=request.args.get("state") or None, page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page, "tax_invoices": rows})


@api_v1.get("/webhooks/endpoints")
@require_key
def list_webhook_endpoints():
    return jsonify({"endpoints": [webhook_endpoints.to_api(e) for e in webhook_endpoints.list_endpoints(g.api_account_id)]})


@api_v1.post("/webhooks/endpoints")
@require_key
def create_webhook_endpoint():
    """API-06: 201 with the endpoint and its `secret`, the only time it is shown."""
    data = _json_body()
    key = _idempotency_key()
    _field(data, "url", str, required=True, label="url")
    _field(data, "description", str)
    now = clock.now()
    result = idempotency.once(
        g.api_account_id, key,
        lambda: webhook_endpoints.create(account_id=g.api_account_id, url=data["url"], events=data.get("events"),
                                         description=data.get("description"), actor=None, now=now),
        # the stored answer leaves the secret out: shown once, never replayed from a record
        lambda made: (201, webhook_endpoints.to_api(made[0]), None), now=now)
    if isinstance(result, idempotency.Replay):
        return jsonify(result.body), result.status
    endpoint, secret = result
    return jsonify(webhook_endpoints.to_api(endpoint, secret=secret)), 201


@api_v1.delete("/webhooks/endpoints/<endpoint_id>")
@require_key
def delete_webhook_endpoint(endpoint_id):
    webhook_endpoints.delete(account_id=g.api_account_id, endpoint_id=endpoint_id, actor=None, now=clock.now())
    return "", 204


@api_v1.post("/webhooks/endpoints/<endpoint_id>/rotate")
@require_key
def rotate_webhook_secret(endpoint_id):
    """A new secret (shown once); the previous one signs beside it for 24 hours."""
    endpoint, secret = webhook_endpoints.rotate_secret(account_id=g.api_account_id, endpoint_id=endpoint_id,
                                                       actor=None, now=clock.now())
    return jsonify(webhook_endpoints.to_api(endpoint, secret=secret))


@api_v1.post("/webhooks/endpoints/<endpoint_id>/test")
@require_key
def test_webhook_endpoint(endpoint_id):
    webhook_endpoints.send_test(account_id=g.api_account_id, endpoint_id=endpoint_id, actor=None, now=clock.now())
    return jsonify({"queued": True}), 202


@api_v1.get("/webhooks/deliveries")
@require_key
def list_webhook_deliveries():
    """The delivery log, newest first (filters `endpoint`, `status`)."""
    page, per_page = _page_args()
    endpoint = request.args.get("endpoint") or None
    endpoint_id = None
    if endpoint is not None:
        endpoint_id = webhook_endpoints.get(g.api_account_id, endpoint).id       # 404 for another account's
    status = moments.check_choice(request.args.get("status"), webhook_deliveries.STATUSES, "status")
    rows, total = webhook_deliveries.deliveries(account_id=g.api_account_id, endpoint_id=endpoint_id, status=status,
                                                page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page,
                    "deliveries": [webhook_deliveries.to_api(d) for d in rows]})


@api_v1.get("/webhooks/deliveries/<delivery_id>")
@require_key
def get_webhook_delivery(delivery_id):
    return jsonify(webhook_deliveries.to_api(webhook_deliveries.get_delivery(g.api_account_id, delivery_id),
                                             with_attempts=True))


@api_v1.post("/webhooks/deliveries/<delivery_id>/replay")
@require_key
def replay_webhook_delivery(delivery_id):
    """A failed or cancelled delivery sent again, with the same `webhook-id`."""
    found = webhook_deliveries.replay(account_id=g.api_account_id, delivery_id=delivery_id, actor=None,
                                      now=clock.now())
    return jsonify(webhook_deliveries.to_api(found)), 202


@api_v1.get("/openapi.json")
def openapi():
    return jsonify(spec())
