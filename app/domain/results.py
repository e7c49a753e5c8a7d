"""Result categories (05-results.md) and the table that maps raw gateway result
codes to them. The codes are the sandbox carrier's (10-gateway.md GW-02); a real
adapter translates its upstream's codes to these before reporting."""
from __future__ import annotations

from app.domain.korean import N_

# Stable category codes -> Korean labels, in the order the detail page shows them.
SMS_CATEGORIES: dict[str, str] = {
    "message_error": N_("메시지 오류"),
    "shadow_area": N_("음영지역"),
    "network_or_device": N_("통신 및 단말기 문제"),
    "wrong_number": N_("잘못된 번호"),
    "sender_number_error": N_("발신번호 오류"),
    "optout_080": N_("080 ARS 수신거부"),
    "spam_rejected": N_("수신거부 및 스팸"),
    "power_off": N_("단말기 전원 꺼짐"),
    "duplicate": N_("중복 발송"),
    "other": N_("기타"),
}
KAKAO_CATEGORIES: dict[str, str] = {
    "invalid_parameter": N_("잘못된 파라미터"),
    "channel_error": N_("발신 채널 ID 에러"),
    "yellow_id_error": N_("옐로 아이디 오류"),
    "send_failed": N_("메시지 발송 실패"),
    "template_error": N_("템플릿 오류"),
    "not_deliverable": N_("메시지 수신 확인 불가"),
    "recipient_error": N_("수신번호 오류"),
    "image_error": N_("첨부 이미지 오류"),
    "other": N_("기타"),
}
CATEGORY_LABELS: dict[str, str] = {**SMS_CATEGORIES, **KAKAO_CATEGORIES}

DELIVERED = "delivered"
FAILED = "failed"

# Raw code -> (final state, category or None when delivered).
SMS_DELIVERED_CODE = "0000"
KAKAO_DELIVERED_CODE = "1000"
TIMEOUT_CODE = "TIMEOUT"
TEMPLATE_CODE = "TEMPLATE"
RAW_CODES: dict[str, tuple[str, str | None]] = {
    SMS_DELIVERED_CODE: (DELIVERED, None),
    "3001": (FAILED, "power_off"),
    "3002": (FAILED, "shadow_area"),
    "3003": (FAILED, "spam_rejected"),
    "3004": (FAILED, "wrong_number"),
    "3005": (FAILED, "optout_080"),
    "3006": (FAILED, "network_or_device"),
    "3007": (FAILED, "message_error"),
    "3010": (FAILED, "sender_number_error"),
    "3099": (FAILED, "other"),
    # Kakao's own codes, as Kakao dealers pass them on (06-kakao.md KRS-02, 10-gateway.md)
    KAKAO_DELIVERED_CODE: (DELIVERED, None),
    "1021": (FAILED, "channel_error"),        # 차단 상태의 카카오톡 채널
    "1025": (FAILED, "yellow_id_error"),      # 채널 제재 상태 (the manual's 옐로 아이디 오류)
    "1030": (FAILED, "invalid_parameter"),    # 잘못된 파라미터 요청
    "3000": (FAILED, "other"),                # 예기치 않은 오류
    "3008": (FAILED, "recipient_error"),      # 전화번호 오류
    "3015": (FAILED, "template_error"),       # 템플릿을 찾을 수 없음
    "3016": (FAILED, "template_error"),       # 메시지 내용이 템플릿과 일치하지 않음
    "3018": (FAILED, "send_failed"),          # 메시지를 발송할 수 없음
    "3019": (FAILED, "not_deliverable"),      # 카카오톡 유저가 아님 / 친구가 아님
    "3020": (FAILED, "not_deliverable"),      # 알림톡 수신 차단
    "3022": (FAILED, "send_failed"),          # 발송 가능한 시간이 아님 (Brand Message, 08:00–20:50)
    "3024": (FAILED, "image_error"),          # 이미지를 전송할 수 없음
    "3025": (FAILED, "invalid_parameter"),    # 변수 글자수 제한 초과
    # an SMSC's refusal of a submit_sm (GW-03: "SMPP-" and its command_status; others are 기타)
    "SMPP-000A": (FAILED, "sender_number_error"),  # ESME_RINVSRCADR
    "SMPP-000B": (FAILED, "wrong_number"),         # ESME_RINVDSTADR
    "SMPP-0001": (FAILED, "message_error"),        # ESME_RINVMSGLEN
    "SMPP-TEXT": (FAILED, "message_error"),        # longer than 255 segments
    # the Kakao dealer's refusal of a request (NHN's API codes, app/gateways/nhn_kakao/gateway.py)
    "NHN-4019": (FAILED, "recipient_error"),       # -4019/-5000 수신번호 오류
    "NHN-3003": (FAILED, "template_error"),        # 템플릿 없음
    "NHN-3004": (FAILED, "template_error"),        # 템플릿 파라미터 오류
    "NHN-3010": (FAILED, "template_error"),        # 내용·버튼이 템플릿과 다름
    "NHN-2017": (FAILED, "channel_error"),         # 발신 프로필 없음·차단
    "NHN-2019": (FAILED, "invalid_parameter"),     # 치환된 내용이 1,300자 초과
    "NHN-4029": (FAILED, "send_failed"),           # M/N 타게팅 불가
    "NHN-IMAGE": (FAILED, "image_error"),          # NHN이 이미지를 받지 않음
    TEMPLATE_CODE: (FAILED, "template_error"),   # megabird: the template stopped being approved
    "NO_GATEWAY": (FAILED, "other"),             # megabird: its gateway was set to none after accept
    TIMEOUT_CODE: (FAILED, "other"),
}


def classify(code: str) -> tuple[str, str | None]:
    """(state, category) of a raw result code; unknown codes are failures of 기타."""
    return RAW_CODES.get(code, (FAILED, "other"))
