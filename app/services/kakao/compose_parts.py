"""What the two Kakao compose pages (알림톡 발송, 친구톡 발송) share on the server: the
대체문자 block as their scripts post it, and the figures of the two-column confirm dialog
(06-kakao.md KAT-07, KAT-08, KFT-04). Rules stay with the accept services."""
from __future__ import annotations

import datetime as dt

from app import clock
from app.domain import jsonbody
from app.domain.alimtalk_plan import FallbackRequest
from app.errors import ValidationError
from app.services.wallet import ledger


def _text(payload: dict, key: str, label: str) -> str:
    return jsonbody.field(payload, key, str, name=label, label=label) or ""


def fallback_request(payload: dict) -> FallbackRequest | None:
    """대체문자 사용: {"use_fallback": true, "fallback": {sender, text, title, ad_company,
    ad_optout}}; a text left null is the default fallback (the accept service words it)."""
    if not payload.get("use_fallback"):
        return None
    raw = payload.get("fallback") or {}
    if not isinstance(raw, dict):
        raise ValidationError("대체문자의 형식이 올바르지 않습니다.", field="대체문자", code="invalid_type")
    sender = _text(raw, "sender", "발신번호").strip()
    if not sender:
        raise ValidationError("대체문자의 발신번호를 선택해주세요.", field="발신번호", code="required")
    return FallbackRequest(sender=sender, text=_text(raw, "text", "대체문자") or None,
                           title=_text(raw, "title", "대체문자 제목") or None,
                           ad_company=_text(raw, "ad_company", "광고 업체명") or None,
                           ad_optout=_text(raw, "ad_optout", "무료거부 번호") or None)


def dialog(account_id: int, figures: dict, *, kakao_type: str, scheduled_at: dt.datetime | None) -> dict:
    """The confirm dialog (KAT-08): the accept service's quote (both columns, the hold =
    recipients × the higher price) with the balance after it, in won, and the go-out time
    in KST. Reads only."""
    balance = ledger.balance(account_id)
    return {**figures, "kakao_type": kakao_type, "cash": balance.cash, "points": balance.points,
            "remaining": balance.total - figures["hold"], "enough": balance.total >= figures["hold"],
            "scheduled_at": clock.to_kst(scheduled_at).strftime("%Y-%m-%d %H:%M") if scheduled_at else None}


def confirm(account_id: int, request, quote, *, now: dt.datetime, kakao_type: str) -> dict:
    """The figures of 발송하기's dialog for a request of either Kakao page: the service's
    `quote(request, now=)`, which refuses what accept() refuses. Nothing is written."""
    return dialog(account_id, quote(request, now=now), kakao_type=kakao_type, scheduled_at=request.scheduled_at)
