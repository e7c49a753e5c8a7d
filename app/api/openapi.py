"""The OpenAPI 3 description of /api/v1 (API-05), written by hand next to the code it
describes; tests check that every route of the blueprint is in it."""
from __future__ import annotations

from app.domain import alimtalk, friendtalk
from app.models.kakao import TEMPLATE_STATUSES

ERROR = {"$ref": "#/components/responses/Error"}
ERROR_CONTENT = {"application/json": {"schema": {
    "type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "field"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "field": {"type": "string", "nullable": True}, "details": {}}}}}}}


def _errors(*codes):
    """Every operation may also answer 400: a request with a NUL character, or a JSON body
    nested too deep or holding a lone surrogate, is refused before any route sees it."""
    return {str(code): ERROR for code in sorted({400, *codes})}


EVENT_TYPES = ["send.completed", "message.reported", "template.reviewed"]
_time = {"type": "string", "format": "date-time", "nullable": True}
webhook_endpoint = {
    "type": "object", "required": ["id", "url", "events", "status"],
    "properties": {
        "id": {"type": "string"}, "url": {"type": "string"}, "description": {"type": "string", "nullable": True},
        "events": {"type": "array", "items": {"type": "string", "enum": EVENT_TYPES}},
        "status": {"type": "string", "enum": ["active", "disabled"]},
        "disabled_reason": {"type": "string", "nullable": True}, "created_at": _time, "rotation_ends_at": _time,
        "secret": {"type": "string", "description": "whsec_… — 만들 때와 재발급할 때 한 번만 보입니다."}},
}
webhook_delivery = {
    "type": "object", "required": ["id", "endpoint_id", "event_id", "event_type", "status", "attempts"],
    "properties": {
        "id": {"type": "string"}, "endpoint_id": {"type": "string"},
        "event_id": {"type": "string", "description": "webhook-id 헤더 (모든 시도에서 같음)"},
        "event_type": {"type": "string"}, "status": {"type": "string", "enum": [
            "pending", "succeeded", "failed", "cancelled"]},
        "attempts": {"type": "integer"}, "last_status_code": {"type": "integer", "nullable": True},
        "last_error": {"type": "string", "nullable": True}, "next_attempt_at": _time, "created_at": _time,
        "finished_at": _time,
        "attempt_log": {"type": "array", "items": {"type": "object", "properties": {
            "number": {"type": "integer"}, "at": _time, "outcome": {"type": "string"},
            "status_code": {"type": "integer", "nullable": True}, "latency_ms": {"type": "integer", "nullable": True},
            "error": {"type": "string", "nullable": True}, "excerpt": {"type": "string"}}}}},
}


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _webhook_paths(paging) -> dict:
    """API-06: endpoints and the delivery log. Events are POSTed to an endpoint with the
    Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature."""
    endpoint_id = {"name": "endpoint_id", "in": "path", "required": True, "schema": {"type": "string"}}
    delivery_id = {"name": "delivery_id", "in": "path", "required": True, "schema": {"type": "string"}}
    one_endpoint = {"description": "엔드포인트 (secret 포함)", "content": _json({"$ref": "#/components/schemas/WebhookEndpoint"})}
    one_delivery = {"description": "전송", "content": _json({"$ref": "#/components/schemas/WebhookDelivery"})}
    return {
        "/webhooks/endpoints": {
            "get": {"summary": "웹훅 엔드포인트 목록", "responses": {
                "200": {"description": "목록", "content": _json({"type": "object", "required": ["endpoints"], "properties": {
                    "endpoints": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEndpoint"}}}})},
                **_errors(401, 403, 429)}},
            "post": {"summary": "웹훅 엔드포인트 추가",
                     "description": "https 공개 주소만 등록됩니다 (루프백·사설망·링크 로컬·CGNAT·메타데이터 주소는 거부). "
                                    "응답의 secret(whsec_…)은 이때 한 번만 보입니다. 이벤트 본문은 "
                                    "{\"type\", \"timestamp\", \"data\"}이고 webhook-signature는 "
                                    "v1,base64(HMAC-SHA256(secret, id.timestamp.body))입니다.",
                     "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                     "requestBody": {"required": True, "content": _json({
                         "type": "object", "required": ["url", "events"], "properties": {
                             "url": {"type": "string"}, "description": {"type": "string"},
                             "events": {"type": "array", "items": {"type": "string", "enum": EVENT_TYPES}}}})},
                     "responses": {"201": one_endpoint, **_errors(401, 403, 409, 413, 422, 429)}}},
        "/webhooks/endpoints/{endpoint_id}": {"delete": {
            "summary": "웹훅 엔드포인트 삭제", "parameters": [endpoint_id],
            "responses": {"204": {"description": "삭제됨"}, **_errors(401, 403, 404, 429)}}},
        "/webhooks/endpoints/{endpoint_id}/rotate": {"post": {
            "summary": "비밀키 재발급 (24시간 동안 이전 비밀키의 서명도 함께 보냄)", "parameters": [endpoint_id],
            "responses": {"200": one_endpoint, **_errors(401, 403, 404, 429)}}},
        "/webhooks/endpoints/{endpoint_id}/test": {"post": {
            "summary": "테스트 이벤트(webhook.test) 보내기", "parameters": [endpoint_id],
            "responses": {"202": {"description": "보낼 준비가 됨", "content": _json({"type": "object"})},
                          **_errors(401, 403, 404, 409, 429)}}},
        "/webhooks/deliveries": {"get": {
            "summary": "웹훅 전송 기록 (최근순)",
            "parameters": [{"name": "endpoint", "in": "query", "schema": {"type": "string"}},
                           {"name": "status", "in": "query", "schema": {"type": "string", "enum": [
                               "pending", "succeeded", "failed", "cancelled"]}}, *paging],
            "responses": {"200": {"description": "목록", "content": _json({
                "type": "object", "required": ["total", "page", "per_page", "deliveries"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookDelivery"}}}})},
                **_errors(401, 403, 404, 422, 429)}}},
        "/webhooks/deliveries/{delivery_id}": {"get": {
            "summary": "웹훅 전송 하나와 그 시도", "parameters": [delivery_id],
            "responses": {"200": one_delivery, **_errors(401, 403, 404, 429)}}},
        "/webhooks/deliveries/{delivery_id}/replay": {"post": {
            "summary": "실패하거나 취소된 전송 다시 보내기 (같은 webhook-id)", "parameters": [delivery_id],
            "responses": {"202": one_delivery, **_errors(401, 403, 404, 409, 429)}}},
    }


def spec() -> dict:
    send_summary = {
        "type": "object",
        "properties": {
            "send_id": {"type": "string"}, "channel": {"type": "string", "enum": ["sms", "alimtalk", "friendtalk"]},
            "type": {"type": "string"}, "status": {"type": "string",
                                                   "enum": ["scheduled", "in_progress", "completed", "cancelled"]},
            "source": {"type": "string", "enum": ["web", "api"]},
            "counts": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                                        ("requested", "delivered", "failed", "pending")}},
            "categories": {"type": "object", "additionalProperties": {"type": "integer"}},
            "fallback": {"type": "object", "nullable": True, "description":
                         "카카오 발송의 대체문자 단계 (대체문자 없이 보낸 카카오 발송과 문자 발송은 null)",
                         "required": ["requested", "delivered", "failed", "pending", "categories", "unit_price",
                                      "type"],
                         "properties": {
                             **{k: {"type": "integer"} for k in ("requested", "delivered", "failed", "pending")},
                             "categories": {"type": "object", "additionalProperties": {"type": "integer"}},
                             "unit_price": {"type": "integer"}, "type": {"type": "string", "enum": ["SMS", "LMS"]}}},
            "hold": {"type": "integer"}, "charged": {"type": "integer"}, "refunded": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "scheduled_at": {"type": "string", "format": "date-time", "nullable": True},
            "completed_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    }
    recipient = {"oneOf": [
        {"type": "string", "description": "휴대폰 번호 (010-1234-5678, 01012345678, +82 10…)"},
        {"type": "object", "required": ["phone"], "properties": {
            "phone": {"type": "string"}, "name": {"type": "string"},
            "vars": {"type": "object", "properties": {k: {"type": "string"} for k in ("1", "2", "3", "4")},
                     "additionalProperties": False}}},
    ]}
    kakao_recipient = {"oneOf": [
        {"type": "string", "description": "휴대폰 번호 (템플릿에 변수가 없을 때)"},
        {"type": "object", "required": ["phone"], "properties": {
            "phone": {"type": "string"}, "name": {"type": "string"},
            "vars": {"type": "object", "description": "템플릿 변수 #{변수명}의 값: {\"고객명\": \"홍길동\"}",
                     "additionalProperties": {"type": "string"}}}},
    ]}
    message = {
        "type": "object",
        "required": ["id", "phone", "type", "status", "layer", "parent_id"],
        "properties": {
            "id": {"type": "string"}, "phone": {"type": "string"}, "name": {"type": "string", "nullable": True},
            "type": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "category": {"type": "string", "nullable": True}, "code": {"type": "string", "nullable": True},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "reported_at": {"type": "string", "format": "date-time", "nullable": True},
            "charge": {"type": "integer", "nullable": True},
            "late_code": {"type": "string", "nullable": True},
            "late_at": {"type": "string", "format": "date-time", "nullable": True},
            "layer": {"type": "string", "enum": ["primary", "fallback"],
                      "description": "primary: 발송 자체의 메시지 (카카오), fallback: 카카오 실패로 보낸 대체문자"},
            "parent_id": {"type": "string", "nullable": True, "description": "대체문자가 대신한 카카오 메시지의 id"},
        },
    }
    states = list(TEMPLATE_STATUSES)
    text_or_null = {"type": "string", "nullable": True}
    button = {"type": "object", "required": ["type", "name"], "properties": {
        "type": {"type": "string", "enum": list(alimtalk.BUTTON_TYPES)},
        "name": {"type": "string", "maxLength": 14}, "url_mobile": {"type": "string", "maxLength": 500},
        "url_pc": {"type": "string", "maxLength": 500}, "scheme_ios": {"type": "string"},
        "scheme_android": {"type": "string"}, "phone": {"type": "string"}}}
    item = {"type": "object", "required": ["title", "description"], "properties": {
        "title": {"type": "string", "maxLength": 6}, "description": {"type": "string", "maxLength": 23}}}
    template = {
        "type": "object",
        "required": ["code", "channel", "title", "state", "state_label", "message_type", "emphasis_type",
                     "variables", "buttons", "quick_replies", "created_at", "updated_at"],
        "properties": {
            "code": {"type": "string", "maxLength": 20, "description": "템플릿 코드 (발송할 때 template_code)"},
            "channel": {"type": "string", "description": "발신 채널 ID (@로 시작)"},
            "title": {"type": "string", "description": "템플릿 제목 (등록할 때 name)"},
            "state": {"type": "string", "enum": states},
            "state_label": {"type": "string", "description": "저장됨, 등록요청, 검수중, 등록완료, 반려됨, 휴면, 차단"},
            "message_type": {"type": "string", "enum": list(alimtalk.MESSAGE_TYPES)},
            "emphasis_type": {"type": "string", "enum": list(alimtalk.EMPHASIS_TYPES)},
            "content": {"type": "string"}, "extra": text_or_null, "emphasis_title": text_or_null,
            "emphasis_subtitle": text_or_null, "item_header": text_or_null,
            "items": {"type": "array", "items": item}, "security": {"type": "boolean"},
            "category": text_or_null,
            "variables": {"type": "array", "items": {"type": "string"}},
            "buttons": {"type": "array", "items": button}, "quick_replies": {"type": "array", "items": button},
            "reject_reason": text_or_null,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "requested_at": {"type": "string", "format": "date-time", "nullable": True},
            "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
            "history": {"type": "array", "description": "검수 이력 (템플릿 한 건을 조회할 때)", "items": {
                "type": "object", "required": ["at", "kind", "state", "actor", "comment"], "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "kind": {"type": "string", "enum": ["state", "comment"]},
                    "state": {"type": "string", "enum": states},
                    "actor": {"type": "string", "enum": ["customer", "kakao", "system"]},
                    "comment": text_or_null}}},
        },
    }
    new_template = {
        "type": "object", "required": ["channel", "name", "content"],
        "properties": {
            "channel": {"type": "string", "description": "등록완료된 카카오 채널의 @검색용 아이디"},
            "name": {"type": "string", "maxLength": 150, "description": "템플릿 제목"},
            "message_type": {"type": "string", "enum": list(alimtalk.MESSAGE_TYPES), "default": "BA"},
            "emphasis_type": {"type": "string", "enum": list(alimtalk.EMPHASIS_TYPES), "default": "NONE"},
            "content": {"type": "string", "maxLength": 1300, "description": "내용; 변수 #{변수명}"},
            "extra": {"type": "string", "maxLength": 500, "description": "부가정보 (EX, MI)"},
            "emphasis_title": {"type": "string", "maxLength": 50}, "emphasis_subtitle": {"type": "string",
                                                                                        "maxLength": 50},
            "item_header": {"type": "string", "maxLength": 16},
            "items": {"type": "array", "minItems": 2, "maxItems": 10, "items": item},
            "image": {"type": "string", "format": "byte", "description": "IMAGE: jpg/png 500KB 이하, 2:1 (800×400)"},
            "security": {"type": "boolean"}, "category": {"type": "string", "description": "카테고리 코드 6자리"},
            "buttons": {"type": "array", "maxItems": 5, "items": button},
            "quick_replies": {"type": "array", "maxItems": 5, "items": button},
            "request_review": {"type": "boolean", "description": "true면 저장과 함께 등록 요청(검수 요청)"},
        },
    }
    tax_invoice = {
        "type": "object",
        "required": ["id", "serial", "kind", "month", "written_on", "supply_amount", "vat", "total", "state",
                     "approval_number", "issued_on", "items"],
        "properties": {
            "id": {"type": "integer"}, "serial": {"type": "string", "description": "일련번호 (MB202611-000001)"},
            "kind": {"type": "string", "enum": ["monthly", "correction"],
                     "description": "monthly: 월합계 세금계산서, correction: 수정세금계산서"},
            "month": {"type": "string", "description": "이용월 YYYY-MM (KST, 발송이 완료된 달)"},
            "written_on": {"type": "string", "format": "date", "description": "작성일자 (월합계는 이용월의 말일)"},
            "supply_amount": {"type": "integer", "description": "공급가액 (원; 수정세금계산서는 음수일 수 있음)"},
            "vat": {"type": "integer", "description": "부가세액 (원)"},
            "total": {"type": "integer", "description": "합계금액 = supply_amount + vat"},
            "state": {"type": "string", "enum": ["pending", "issued", "filed", "failed"],
                      "description": "pending 발행대기, issued 발행완료, filed 국세청 전송완료, failed 발행실패"},
            "approval_number": {"type": "string", "nullable": True, "description": "국세청 승인번호 (24자리)"},
            "issued_on": {"type": "string", "format": "date", "nullable": True, "description": "발행일 (KST)"},
            "issued_at": {"type": "string", "format": "date-time", "nullable": True},
            "requested_at": {"type": "string", "format": "date-time", "description": "요청일 (세금계산서가 만들어진 때)"},
            "remark": {"type": "string", "description": "요청사항 (비고)"},
            "original_id": {"type": "integer", "nullable": True, "description": "수정세금계산서가 고치는 당초 세금계산서의 id"},
            "correction_reason": {"type": "integer", "nullable": True, "enum": [1, 2, 4, 6, None],
                                  "description": "수정사유: 1 기재사항 착오정정, 2 공급가액 변동, 4 계약의 해제, "
                                                 "6 착오에 의한 이중발급"},
            "items": {"type": "array", "description":
                      "월합계 세금계산서의 메시지 유형별 내역 (수정세금계산서는 빈 배열): 성공건수와, 세금계산서의 공급가액을 "
                      "유형별 발행 대상 금액(카드 결제분과 포인트 제외)으로 나눈 금액; 합계는 supply_amount와 vat와 같습니다",
                      "items": {"type": "object", "required": ["type", "count", "supply", "vat"], "properties": {
                          "type": {"type": "string", "enum": ["SMS", "LMS", "MMS", "ALIMTALK", "FRIENDTALK_TEXT",
                                                              "FRIENDTALK_IMAGE"]},
                          "count": {"type": "integer", "description": "성공건수"},
                          "supply": {"type": "integer"}, "vat": {"type": "integer"}}}},
        },
    }
    paging = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
              {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]
    send_id = {"name": "send_id", "in": "path", "required": True, "schema": {"type": "string"}}
    idem = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
            "description": "같은 키와 같은 본문은 첫 응답을 그대로 돌려주고 아무것도 보내지 않습니다; 다른 본문이면 409."}
    return {
        "openapi": "3.0.3",
        "info": {"title": "megabird 연동 API", "version": "1.0.0",
                 "description": "문자(SMS/LMS/MMS)와 알림톡 발송, 결과 조회, 알림톡 템플릿 관리, 세금계산서 발행 내역. "
                                "인증: Authorization: Bearer <API 키>. "
                                "오류는 {\"error\": {\"code\", \"message\", \"field\"}} 형식입니다."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "오류", "content": ERROR_CONTENT}},
            "schemas": {"SendSummary": send_summary, "Recipient": recipient, "KakaoRecipient": kakao_recipient,
                        "Message": message, "AlimtalkTemplate": template,
                        "TaxInvoice": tax_invoice, "WebhookEndpoint": webhook_endpoint,
                        "WebhookDelivery": webhook_delivery},
        },
        "paths": {
            "/balance": {"get": {"summary": "잔액", "responses": {
                "200": {"description": "충전금과 포인트 (원)", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"cash": {"type": "integer"}, "points": {"type": "integer"}}}}}},
                **_errors(401, 403, 429)}}},
            "/senders": {"get": {"summary": "등록완료된 발신번호와 카카오 채널", "responses": {
                "200": {"description": "발신정보", "content": {"application/json": {"schema": {"type": "object"}}}},
                **_errors(401, 403, 429)}}},
            "/sends/sms": {"post": {
                "summary": "SMS/LMS/MMS 발송 (유형은 내용 길이와 이미지로 자동 결정)",
                "parameters": [idem],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["from", "to", "text"],
                    "properties": {
                        "from": {"type": "string", "description": "등록완료된 발신번호"},
                        "to": {"type": "array", "minItems": 1, "maxItems": 10000,
                               "items": {"$ref": "#/components/schemas/Recipient"}},
                        "title": {"type": "string", "description": "LMS/MMS만, 30 byte 이하"},
                        "text": {"type": "string", "description": "내용; 가변문자 #[이름], #[1]..#[4]"},
                        "ad": {"type": "object", "nullable": True, "properties": {
                            "name": {"type": "string"},
                            "optout": {"type": "string", "description":
                                       "무료거부 080 번호: 비우면 계정 기본값(없으면 서비스 공용 번호와 계정의 인증코드), "
                                       "공용 번호 또는 승인된 자체 080 번호만 가능"}}},
                        "scheduled_at": {"type": "string", "format": "date-time", "nullable": True},
                        "images": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "byte"}},
                    }}}}},
                "responses": {"201": {"description": "접수됨", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "send_id": {"type": "string"}, "type": {"type": "string"}, "status": {"type": "string"},
                        "recipients": {"type": "integer"}, "unit_price": {"type": "integer"},
                        "hold": {"type": "integer"}, "duplicates": {"type": "integer"},
                        "optouts": {"type": "integer"},
                        "rejected": {"type": "array", "items": {"type": "object", "properties": {
                            "index": {"type": "integer"}, "phone": {"type": "string"},
                            "reason": {"type": "string"}}}}}}}}},
                    **_errors(400, 401, 403, 409, 413, 422, 429)}}},
            "/sends/alimtalk": {"post": {
                "summary": "알림톡 발송 (등록완료된 템플릿, 실패하면 대체문자)",
                "parameters": [idem],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["channel", "template_code", "to"],
                    "properties": {
                        "channel": {"type": "string", "description": "템플릿의 발신 채널 ID (@로 시작)"},
                        "template_code": {"type": "string", "description": "등록완료된 알림톡 템플릿의 코드"},
                        "to": {"type": "array", "minItems": 1, "maxItems": 10000,
                               "items": {"$ref": "#/components/schemas/KakaoRecipient"}},
                        "fallback": {"type": "object", "nullable": True, "required": ["from"], "properties": {
                            "from": {"type": "string", "description": "등록완료된 발신번호"},
                            "text": {"type": "string", "description":
                                     "대체문자 내용 (변수 #{변수명}); 비우면 템플릿 내용과 웹링크 버튼(버튼명: URL)"},
                            "title": {"type": "string", "description": "LMS일 때 제목, 30 byte 이하"},
                            "ad": {"type": "object", "description": "광고형(AD/MI) 템플릿의 대체문자: 업체명과 080 번호",
                                   "properties": {"name": {"type": "string"}, "optout": {"type": "string"}}}}},
                        "scheduled_at": {"type": "string", "format": "date-time", "nullable": True},
                    }}}}},
                "responses": {"201": {"description": "접수됨", "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["send_id", "channel", "type", "status", "recipients", "unit_price",
                                 "fallback_unit_price", "fallback_type", "hold", "scheduled_at", "rejected",
                                 "duplicates", "optouts", "duplicate_sends"],
                    "properties": {
                        "send_id": {"type": "string"}, "channel": {"type": "string", "enum": ["alimtalk"]},
                        "type": {"type": "string", "enum": ["ALIMTALK"]},
                        "status": {"type": "string", "enum": ["scheduled", "in_progress"]},
                        "recipients": {"type": "integer"}, "unit_price": {"type": "integer"},
                        "fallback_unit_price": {"type": "integer", "nullable": True},
                        "fallback_type": {"type": "string", "enum": ["SMS", "LMS"], "nullable": True},
                        "hold": {"type": "integer", "description": "수신자 × max(알림톡 단가, 대체문자 단가)"},
                        "scheduled_at": {"type": "string", "format": "date-time", "nullable": True},
                        "duplicates": {"type": "integer"}, "optouts": {"type": "integer"},
                        "duplicate_sends": {"type": "integer"},
                        "rejected": {"type": "array", "items": {"type": "object", "properties": {
                            "index": {"type": "integer"}, "phone": {"type": "string"},
                            "reason": {"type": "string"}}}}}}}}},
                    **_errors(400, 401, 403, 409, 413, 422, 429)}}},
            "/sends/friendtalk": {"post": {
                "summary": "친구톡 발송 (브랜드 메시지: 텍스트, 이미지, 와이드; 08:00~20:50, 실패하면 광고 대체문자)",
                "parameters": [idem],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["channel", "text", "to"],
                    "properties": {
                        "channel": {"type": "string", "description": "등록완료된 발신 채널 ID (@로 시작)"},
                        "text": {"type": "string", "maxLength": 1300,
                                 "description": "내용, 1,300자·줄바꿈 99개 이하 (wide: 76자); 가변문자 #[이름], #[1]..#[4]"},
                        "image": {"type": "string", "format": "byte", "nullable": True, "description":
                                  "jpg/png, 5MB 이하, 가로 500px 이상, 세로÷가로 0.5~1.333 (wide: 2:1~1:1); "
                                  "있으면 친구톡 포토"},
                        "wide": {"type": "boolean", "default": False,
                                 "description": "와이드형: 이미지 필수, 76자·버튼 2개 이하, 친구톡 포토 요금"},
                        "buttons": {"type": "array", "maxItems": 5, "items": {**button, "properties": {
                            **button["properties"],
                            "type": {"type": "string", "enum": list(friendtalk.BUTTON_TYPES)}}}},
                        "targeting": {"type": "string", "enum": list(friendtalk.TARGETING), "default": "I",
                                      "description": "I: 채널 친구만; M/N: 운영자가 승인한 채널만"},
                        "to": {"type": "array", "minItems": 1, "maxItems": 10000,
                               "items": {"$ref": "#/components/schemas/Recipient"}},
                        "ad": {"type": "object", "properties": {
                            "name": {"type": "string", "description": "대체문자의 (광고) 업체명"},
                            "optout": {"type": "string", "description": "대체문자의 무료거부 080 번호 (비우면 계정 기본값)"}}},
                        "fallback": {"type": "object", "nullable": True, "required": ["from"], "properties": {
                            "from": {"type": "string", "description": "등록완료된 발신번호"},
                            "text": {"type": "string", "description":
                                     "대체문자 내용; 비우면 친구톡 내용과 버튼 링크(버튼명: URL). (광고)·업체명·무료거부 "
                                     "문구가 붙고, 이미지가 MMS 규격이면 MMS, 아니면 LMS"},
                            "title": {"type": "string", "description": "LMS/MMS일 때 제목, 30 byte 이하"}}},
                        "scheduled_at": {"type": "string", "format": "date-time", "nullable": True,
                                         "description": "08:00~20:50 (KST) 사이만"},
                    }}}}},
                "responses": {"201": {"description": "접수됨", "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["send_id", "channel", "type", "status", "recipients", "unit_price", "targeting",
                                 "wide", "fallback_unit_price", "fallback_type", "hold", "scheduled_at", "rejected",
                                 "duplicates", "optouts", "duplicate_sends"],
                    "properties": {
                        "send_id": {"type": "string"}, "channel": {"type": "string", "enum": ["friendtalk"]},
                        "type": {"type": "string", "enum": ["FRIENDTALK_TEXT", "FRIENDTALK_IMAGE"]},
                        "status": {"type": "string", "enum": ["scheduled", "in_progress"]},
                        "recipients": {"type": "integer"}, "unit_price": {"type": "integer"},
                        "targeting": {"type": "string", "enum": list(friendtalk.TARGETING)},
                        "wide": {"type": "boolean"},
                        "fallback_unit_price": {"type": "integer", "nullable": True},
                        "fallback_type": {"type": "string", "enum": ["SMS", "LMS", "MMS"], "nullable": True},
                        "hold": {"type": "integer", "description": "수신자 × max(친구톡 단가, 대체문자 단가)"},
                        "scheduled_at": {"type": "string", "format": "date-time", "nullable": True},
                        "duplicates": {"type": "integer"}, "optouts": {"type": "integer"},
                        "duplicate_sends": {"type": "integer"},
                        "rejected": {"type": "array", "items": {"type": "object", "properties": {
                            "index": {"type": "integer"}, "phone": {"type": "string"},
                            "reason": {"type": "string"}}}}}}}}},
                    **_errors(401, 403, 409, 413, 422, 429),
                    "400": {"description": "잘못된 요청: friendtalk_hours (발송 가능 시간 아님), image_rule (이미지 규칙, "
                                           "details.rule: type, size, width, ratio, wide_ratio), targeting_not_allowed, "
                                           "fallback_invalid 등", "content": ERROR_CONTENT}}}},
            "/sends": {"get": {"summary": "발송 내역", "parameters": [
                {"name": "type", "in": "query", "schema": {"type": "string",
                                                          "enum": ["SMS", "LMS", "MMS", "ALIMTALK",
                                                                   "FRIENDTALK_TEXT", "FRIENDTALK_IMAGE"]}},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": [
                    "scheduled", "in_progress", "completed", "cancelled"]}},
                {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD (KST) 또는 ISO-8601"},
                {"name": "to", "in": "query", "schema": {"type": "string"}}, *paging],
                "responses": {"200": {"description": "목록", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                        "sends": {"type": "array", "items": {"$ref": "#/components/schemas/SendSummary"}}}}}}},
                    **_errors(401, 403, 422, 429)}}},
            "/sends/{send_id}": {"get": {"summary": "발송 한 건", "parameters": [send_id], "responses": {
                "200": {"description": "발송", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/SendSummary"}}}}, **_errors(401, 403, 404, 429)}}},
            "/sends/{send_id}/messages": {"get": {"summary": "수신자별 결과", "parameters": [
                send_id,
                {"name": "status", "in": "query", "schema": {"type": "string",
                                                            "enum": ["delivered", "failed", "pending"]}},
                {"name": "category", "in": "query", "schema": {"type": "string"}}, *paging],
                "responses": {"200": {"description": "메시지 (카카오 발송은 카카오 메시지와 대체문자 모두)", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["total", "page", "per_page", "messages"], "properties": {
                            "total": {"type": "integer"}, "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}}}}}},
                    **_errors(401, 403, 404, 422, 429)}}},
            "/sends/{send_id}/cancel": {"post": {"summary": "예약 발송 취소 (선차감 전액 재충전)",
                                                 "parameters": [send_id, idem], "responses": {
                "200": {"description": "취소됨", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/SendSummary"}}}}, **_errors(401, 403, 404, 409, 422, 429)}}},
            "/alimtalk/templates": {
                "get": {"summary": "알림톡 템플릿 목록 (최근 등록순)", "parameters": [
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": states}}, *paging],
                    "responses": {"200": {"description": "목록", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["total", "page", "per_page", "templates"], "properties": {
                            "total": {"type": "integer"}, "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "templates": {"type": "array",
                                          "items": {"$ref": "#/components/schemas/AlimtalkTemplate"}}}}}}},
                        **_errors(401, 403, 422, 429)}},
                "post": {"summary": "알림톡 템플릿 등록 (request_review: true면 등록 요청까지)", "parameters": [idem],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": new_template}}},
                         "responses": {"201": {"description": "등록됨 (검수 이력 포함)", "content": {
                             "application/json": {"schema": {"$ref": "#/components/schemas/AlimtalkTemplate"}}}},
                             **_errors(401, 403, 409, 413, 422, 429)}}},
            "/alimtalk/templates/{code}": {"get": {
                "summary": "알림톡 템플릿 한 건과 검수 이력",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "템플릿", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/AlimtalkTemplate"}}}}, **_errors(401, 403, 404, 429)}}},
            "/tax-invoices": {"get": {
                "summary": "세금계산서 발행 내역 (최근 5년, 최근 요청순)",
                "description": "기업회원의 월합계 세금계산서와 수정세금계산서. 충전금 중 무통장입금 등으로 충전한 금액의 사용분만 "
                               "발행되며, 카드 결제분(카드 매출전표로 갈음)과 포인트는 포함되지 않습니다.",
                "parameters": [
                    {"name": "month", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                     "description": "이용월 YYYY-MM"},
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": [
                        "pending", "issued", "filed", "failed"]}}, *paging],
                "responses": {"200": {"description": "목록", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["total", "page", "per_page", "tax_invoices"], "properties": {
                        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                        "tax_invoices": {"type": "array", "items": {"$ref": "#/components/schemas/TaxInvoice"}}}}}}},
                    **_errors(401, 403, 422, 429)}}},
            **_webhook_paths(paging),
            "/openapi.json": {"get": {"summary": "이 문서", "security": [], "responses": {
                "200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
    }
