"""카카오톡 발송내역 (06-kakao.md KRS-01..03, 05-results.md RES-04): the list of an
account's Kakao sends with their per-recipient outcome, and one send's two layers — its
Kakao messages and their 대체문자 — each with its counts, its fee and its breakdown.
Everything is read from the send's counters and category table, never by scanning
messages."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from app.domain import message_types
from app.domain.moments import check_choice
from app.domain.results import KAKAO_CATEGORIES, SMS_CATEGORIES
from app.errors import NotFound
from app.extensions import db
from app.models import KakaoChannel, Send
from app.services.history import queries

#: the send channels this history shows (알림톡 and 친구톡)
CHANNELS: tuple[str, ...] = message_types.channels_of_group("kakao")
#: 유형 of the filter, in the manual's order
TYPES: dict[str, str] = {t.code: t.label for t in message_types.TYPES if t.channel in CHANNELS}
LAYERS = ("primary", "fallback")


@dataclass(frozen=True)
class Outcome:
    """Counts of recipients (or of one layer's messages): 발송요청건, 성공, 실패, 대기."""
    requested: int
    delivered: int
    failed: int
    pending: int


def recipient_outcome(send: Send) -> Outcome:
    """Per recipient (KRS-01): a recipient succeeded when its Kakao message or its fallback
    was delivered, failed when its Kakao message failed with no fallback or its fallback
    failed too; the rest are waiting. A fallback exists only for a failed Kakao message
    and is created in the transaction that failed it, so the counters are consistent."""
    delivered = send.delivered_count + send.fallback_delivered_count
    failed = send.failed_count - send.fallback_count + send.fallback_failed_count
    pending = 0 if send.status == "cancelled" else send.recipient_count - delivered - failed
    return Outcome(send.recipient_count, delivered, failed, pending)


def kakao_facts(send: Send) -> dict:
    """What the send keeps in `send.kakao` (search id, template code, fallback, …)."""
    try:
        return json.loads(send.kakao) if send.kakao else {}
    except ValueError:
        return {}


@dataclass(frozen=True)
class ListedSend:
    send: Send
    outcome: Outcome
    search_id: str


def _listed(send: Send) -> ListedSend:
    return ListedSend(send, recipient_outcome(send), kakao_facts(send).get("search_id") or "")


def list_sends(account_id: int, flt: queries.SendFilter, *, page: int = 1,
               per_page: int = 20) -> tuple[list[ListedSend], int]:
    rows, total = queries.list_sends(account_id, flt, page=page, per_page=per_page)
    return [_listed(s) for s in rows], total


def recent(account_id: int, sends: list[Send]) -> list[ListedSend]:
    """The dashboard's 카카오톡 tab: the sends it already read, with their outcome."""
    return [_listed(s) for s in sends if s.account_id == account_id]


def reservations(account_id: int, group: str) -> list[ListedSend]:
    """예약 메시징 현황 (RES-07) of 문자 or 카카오톡, each with its channel."""
    return [_listed(s) for s in queries.scheduled(account_id, group)]


def channel_choices(account_id: int) -> list[str]:
    """발신채널 ID of the filter: the account's channels."""
    return list(db.session.scalars(select(KakaoChannel.search_id).where(KakaoChannel.account_id == account_id)
                                   .order_by(KakaoChannel.search_id)))


def get_send(account_id: int, send_id) -> Send:
    """One of the account's Kakao sends; another account's, or an SMS send, is 404."""
    send = queries.get_send(account_id, send_id)
    if send.channel not in CHANNELS:
        raise NotFound()          # as get_owned: nothing said about the send
    return send


# --- the detail's two tabs (KRS-02) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    key: str                       # primary | fallback
    msg_type: str                  # ALIMTALK … or the fallback's SMS | LMS
    outcome: Outcome
    fee: int                       # Σ charges of the layer: delivered × the layer's frozen price (KRS-04)
    categories: dict[str, int]     # failures per category
    category_labels: dict[str, str]

    @property
    def type_label(self) -> str:
        return message_types.label(self.msg_type)


def layers(send: Send) -> list[Layer]:
    """카카오톡, and 대체문자 when the send has one."""
    pending = 0 if send.status == "cancelled" else send.pending_count
    out = [Layer("primary", send.msg_type, Outcome(send.recipient_count, send.delivered_count, send.failed_count,
                                                   pending),
                 send.delivered_count * send.unit_price, queries.categories(send.id), KAKAO_CATEGORIES)]
    if send.fallback_msg_type:
        out.append(Layer("fallback", send.fallback_msg_type,
                         Outcome(send.fallback_count, send.fallback_delivered_count, send.fallback_failed_count,
                                 send.fallback_pending_count),
                         send.fallback_delivered_count * (send.fallback_unit_price or 0),
                         queries.categories(send.id, "fallback"), SMS_CATEGORIES))
    return out


def message_filter(states, categories, tab: str | None = None) -> queries.MessageFilter:
    """The chosen statuses and categories of one tab (KRS-03 선택한 리스트보기): the
    대체문자 tab's values carry the layer ("fallback:failed"); nothing chosen means the
    whole layer of the tab."""
    flt = queries.parse_message_filter(states, categories)
    if not flt.chosen:
        return queries.MessageFilter(layer="fallback" if tab == "fallback" else "primary")
    allowed = SMS_CATEGORIES if flt.layer == "fallback" else KAKAO_CATEGORIES
    for c in flt.categories:
        check_choice(c, allowed, "분류")
    return flt
