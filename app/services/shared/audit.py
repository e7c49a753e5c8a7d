"""Audit log entries (ACC-08). `record()` adds to the caller's transaction, so the
entry exists exactly when the change it describes does.

The one table of what the codes mean (`ACTIONS`, `OBJECTS`, `FIELDS`, `VALUES`): the
staff audit pages show names, not codes. A new action gets its label here
(tests/unit/test_audit_labels.py finds every action the code records)."""
from __future__ import annotations

import datetime as dt
import json

from app.extensions import db
from app.models import AuditLog
from app.models.wallet import KIND_LABELS

#: action -> what happened, in Korean
ACTIONS: dict[str, str] = {
    "approve": "승인", "reject": "반려",
    **KIND_LABELS, "adjust": "잔액 조정",          # money movements a person made (wallet/ledger)
    "set_daily_cap": "일일 발송 한도 변경", "suspend": "계정 이용 정지", "unsuspend": "계정 이용 정지 해제",
    "create_price_plan": "요금제 추가", "change_price_plan": "요금제 변경", "assign_price_plan": "요금제 지정",
    "suspend_sender_number": "발신번호 이용정지", "revoke_sender_number": "발신번호 등록취소",
    "reinstate_sender_number": "발신번호 이용정지 해제", "cancel_send": "예약 발송 취소",
    "record_optout_call": "080 수신거부 접수", "requeue_failed_job": "실패한 작업 다시 실행", "delete_failed_job": "실패한 작업 삭제",
    "create_user": "사용자 추가", "change_user": "사용자 변경", "delete_user": "사용자 삭제",
    "create_role": "역할 추가", "change_role": "역할 변경", "delete_role": "역할 삭제",
    "start_review": "검수 시작", "comment": "답변", "block": "차단", "unblock": "차단 해제",
    "tax_invoice_issued": "세금계산서 발행", "tax_invoice_issue_failed": "세금계산서 발행 실패",
    "tax_invoice_corrected": "수정세금계산서 작성", "tax_invoice_parties_refreshed": "세금계산서 발행 정보 다시 불러오기",
    "add_extra_holiday": "임시공휴일 추가", "delete_extra_holiday": "임시공휴일 삭제",
    "tax_invoice_settings": "세금계산서 발행 설정",
    "create_webhook_endpoint": "웹훅 엔드포인트 추가", "change_webhook_endpoint": "웹훅 엔드포인트 변경",
    "enable_webhook_endpoint": "웹훅 엔드포인트 다시 사용", "disable_webhook_endpoint": "웹훅 엔드포인트 사용 중지",
    "delete_webhook_endpoint": "웹훅 엔드포인트 삭제", "rotate_webhook_secret": "웹훅 비밀키 재발급",
    "replay_webhook_delivery": "웹훅 다시 보내기",
}
#: object_type -> what it was done to
OBJECTS: dict[str, str] = {
    "account": "고객 계정", "sender_number": "발신번호", "kakao_channel": "카카오 채널",
    "corporate_conversion": "기업전환 신청", "api_use_application": "API 사용 신청", "topup_request": "충전 요청",
    "cash_refund_request": "환불 요청", "price_plan": "요금제", "send": "발송", "rq_job": "작업 큐 작업",
    "user": "사용자", "role": "역할", "optout_call": "080 수신거부 전화", "optout_number": "080 무료거부 번호",
    "alimtalk_template": "알림톡 템플릿", "kakao_targeting": "카카오 채널 타겟팅(M/N) 신청",
    "company_change_request": "기업정보 변경 신청",
    "tax_invoice": "세금계산서", "extra_holiday": "임시공휴일",
    "webhook_endpoint": "웹훅 엔드포인트", "webhook_delivery": "웹훅 전송",
}
#: keys of `before`/`after` -> their names
FIELDS: dict[str, str] = {
    "status": "상태", "kind": "유형", "cash": "충전금", "points": "포인트", "daily_cap": "일일 한도",
    "suspended": "이용 정지", "price_plan": "요금제", "name": "이름", "number": "발신번호", "refunded": "환급액",
    "queue": "대기열", "sms": "SMS", "lms": "LMS", "mms": "MMS", "alimtalk": "알림톡", "friendtalk_text": "친구톡 텍스트",
    "friendtalk_image": "친구톡 이미지", "username": "아이디", "email": "이메일", "first_name": "이름",
    "last_name": "성", "active": "활성", "roles": "역할", "permissions": "권한", "code": "템플릿 코드",
    "brn": "사업자등록번호", "company_name": "상호", "representative": "대표자", "business_address": "사업장주소",
    "business_type": "업태", "business_item": "종목", "display_name": "계정 이름",
    "approval_number": "승인번호", "total": "합계금액", "corrections": "수정세금계산서",
    "url": "URL", "events": "이벤트",
}
#: values of a few keys -> their names
VALUES: dict[str, dict[str, str]] = {
    "status": {"requested": "요청", "approved": "승인", "rejected": "반려", "cancelled": "취소",
               "suspended": "이용정지", "revoked": "등록취소", "scheduled": "예약", "completed": "완료",
               "saved": "저장됨", "in_review": "검수중", "dormant": "휴면", "blocked": "차단",
               "active": "사용 중", "disabled": "사용 중지", "deleted": "삭제됨", "pending": "전송 대기",
               "failed": "실패"},
    "kind": {"individual": "개인", "corporate": "기업"},
    "queue": {"periodic": "주기 작업", "dispatch": "발송", "default": "기본"},
}
_WON = {"cash", "refunded", "total", "sms", "lms", "mms", "alimtalk", "friendtalk_text", "friendtalk_image"}


def action_label(action: str | None) -> str:
    return ACTIONS.get(action or "", action or "")


def object_label(object_type: str | None) -> str:
    return OBJECTS.get(object_type or "", object_type or "")


def _value(key: str, value) -> str:
    if isinstance(value, bool):
        return "예" if value else "아니오"
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}원" if key in _WON else f"{value:,}P" if key == "points" else f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return VALUES.get(key, {}).get(str(value), str(value))


def describe(stored: str | None) -> str:
    """A `before`/`after` as people read it: 상태: 요청 · 유형: 개인."""
    if not stored:
        return ""
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict):
        return str(data)
    return " · ".join(f"{FIELDS.get(key, key)}: {_value(key, value)}" for key, value in data.items())


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(*, actor, action: str, object_type: str, object_id=None, account_id: int | None = None,
           before: dict | None = None, after: dict | None = None, reason: str | None = None,
           now: dt.datetime) -> AuditLog:
    """`actor` is a FAB user or None for the system (the tick, a job)."""
    entry = AuditLog(
        created_at=now,
        actor_id=getattr(actor, "id", None),
        actor_login=getattr(actor, "username", None) or "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        account_id=account_id,
        before=_json(before),
        after=_json(after),
        reason=reason,
    )
    db.session.add(entry)
    return entry
