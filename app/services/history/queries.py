"""Reading sends and messages (05-results.md, 09-api.md): lists with filters, one send's
counts and breakdown, its recipients. Scoped to one account; counts come from the
send's own counters and category table, never from scanning messages."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import or_, select

from app import clock
from app.domain import message_types, sms
from app.domain.korean import N_
from app.domain.moments import parse_moment
from app.errors import ValidationError
from app.extensions import db
from app.models import Message, Send, SendCategoryCount
from app.models.sending import MESSAGE_STATES, OPEN_STATES, SEND_STATUSES
from app.security.tenancy import get_owned
from app.services.accounts import optout_codes
from app.services.sending.selections import MessageFilter, parse_message_filter  # noqa: F401 (re-exported)
from app.services.shared.paging import paginate

# `unknown` (an SMSC link died before it answered, GW-03) is 결과확인중 too: a receipt or the
# 49-hour timeout will end it
MESSAGE_STATUS_LABELS = {"pending": N_("결과확인중"), "submitting": N_("결과확인중"), "submitted": N_("결과확인중"),
                         "unknown": N_("결과확인중"), "delivered": N_("발송성공"), "failed": N_("발송실패")}


@dataclass(frozen=True)
class SendFilter:
    channel: str | None = None
    msg_type: str | None = None
    status: str | None = None
    source: str | None = None
    start: dt.datetime | None = None     # naive UTC, inclusive
    end: dt.datetime | None = None       # naive UTC, exclusive
    search: str | None = None
    channels: tuple[str, ...] = ()       # one of several channels (카카오톡: alimtalk, friendtalk)
    search_id: str | None = None         # 발신채널 ID of a Kakao send (KRS-01)

    def apply(self, stmt):
        if self.channel:
            stmt = stmt.where(Send.channel == self.channel)
        if self.channels:
            stmt = stmt.where(Send.channel.in_(self.channels))
        if self.search_id:
            # the channel is kept in the send's Kakao facts as written by json.dumps
            # (its search id outlives the channel row); LIKE's wildcards are escaped
            literal = json.dumps({"search_id": self.search_id}, ensure_ascii=False)[1:-1]
            escaped = literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Send.kakao.like(f"%{escaped}%", escape="\\"))
        if self.msg_type:
            stmt = stmt.where(Send.msg_type == self.msg_type)
        if self.status:
            stmt = stmt.where(Send.status == self.status)
        if self.source:
            stmt = stmt.where(Send.source == self.source)
        if self.start:
            stmt = stmt.where(Send.created_at >= self.start)
        if self.end:
            stmt = stmt.where(Send.created_at < self.end)
        if self.search:
            pattern = f"%{self.search}%"
            stmt = stmt.where(or_(Send.title.like(pattern), Send.body.like(pattern)))
        return stmt


def list_sends(account_id: int, flt: SendFilter, *, page: int = 1, per_page: int = 20) -> tuple[list[Send], int]:
    return paginate(flt.apply(select(Send).where(Send.account_id == account_id)), Send.created_at.desc(),
                    Send.id.desc(), page=page, per_page=per_page)


def get_send(account_id: int, send_id) -> Send:
    return get_owned(Send, send_id, account_id)


def as_composed(send: Send) -> tuple[str | None, str]:
    """Title and text as composed, variables shown as #[…], the ad wording around it
    (the detail page's preview)."""
    ad = (sms.AdSettings(send.ad_company, send.ad_optout, optout_codes.footer_code(send.account_id, send.ad_optout))
          if send.is_ad else None)
    return send.title, (ad.wrap(send.body) if ad else send.body)


def categories(send_id: int, layer: str = "primary") -> dict[str, int]:
    """A send's failures per category, of its own messages or of its fallback layer."""
    return {c: n for c, n in db.session.execute(
        select(SendCategoryCount.category, SendCategoryCount.count).where(SendCategoryCount.send_id == send_id,
                                                                          SendCategoryCount.layer == layer))
        if n}


def send_summary(send: Send) -> dict:
    """GET /api/v1/sends/{id} (09-api.md)."""
    def iso(value):
        return clock.to_kst(value).isoformat() if value else None
    return {
        "send_id": str(send.id), "channel": send.channel, "type": send.msg_type, "status": send.status,
        "source": send.source,
        "counts": {"requested": send.recipient_count, "delivered": send.delivered_count,
                   "failed": send.failed_count, "pending": send.pending_count},
        "categories": categories(send.id),
        "fallback": None,
        "hold": send.hold_amount, "charged": send.charged_amount, "refunded": send.refunded_amount,
        "created_at": iso(send.created_at), "scheduled_at": iso(send.scheduled_at),
        "completed_at": iso(send.completed_at),
    }


def list_messages(send: Send, flt: MessageFilter, *, page: int = 1, per_page: int = 50):
    return paginate(flt.apply(select(Message).where(Message.send_id == send.id)), Message.id, page=page,
                    per_page=per_page)


def message_dict(m: Message) -> dict:
    def iso(value):
        return clock.to_kst(value).isoformat() if value else None
    status = "pending" if m.state in OPEN_STATES else m.state
    return {"id": str(m.id), "phone": m.recipient, "name": m.name, "type": m.msg_type, "status": status,
            "category": m.category, "code": m.result_code, "submitted_at": iso(m.submitted_at),
            "reported_at": iso(m.reported_at), "charge": m.charge,
            "late_code": m.late_code, "late_at": iso(m.late_at)}


VALID_TYPES = message_types.CODES
VALID_STATUSES = SEND_STATUSES
VALID_STATES = MESSAGE_STATES


# --- the history list's period (RES-02) -----------------------------------------------------------------------

PERIODS = {"1h": N_("최근 1시간"), "today": N_("오늘"), "7d": N_("최근 7일"), "1m": N_("최근 1개월"), "custom": N_("직접 선택")}


@dataclass(frozen=True)
class Period:
    start: dt.datetime          # naive UTC, inclusive
    end: dt.datetime            # naive UTC, exclusive
    first_day: dt.date          # KST, for the sentence
    last_day: dt.date

    def sentence(self, count: int) -> str:
        def korean(day: dt.date) -> str:
            return f"{day.year}년 {day.month}월 {day.day}일"
        return f"{korean(self.first_day)} ~ {korean(self.last_day)}의 발송건수는 {count:,}건 입니다."


def period_of(kind: str | None, date_from: str | None, date_to: str | None, now: dt.datetime) -> Period:
    kind = kind or "1m"
    if kind not in PERIODS:
        raise ValidationError("발송일시 값이 올바르지 않습니다.", field="발송일시", code="invalid_filter")
    today = clock.to_kst(now).date()
    midnight = clock.kst_to_utc(dt.datetime.combine(today, dt.time()))
    end = now + dt.timedelta(seconds=1)
    if kind == "1h":
        start = now - dt.timedelta(hours=1)
    elif kind == "today":
        start = midnight
    elif kind == "7d":
        start = midnight - dt.timedelta(days=6)
    elif kind == "1m":
        start = midnight - dt.timedelta(days=29)
    else:
        start = parse_moment(date_from, "시작일") or midnight - dt.timedelta(days=29)
        end = parse_moment(date_to, "종료일", end_of_day=True) or end
        if start >= end:
            raise ValidationError("시작일이 종료일보다 늦습니다.", field="시작일", code="invalid_range")
        if end - start > dt.timedelta(days=366):
            raise ValidationError("조회 기간은 최대 1년입니다.", field="발송일시", code="invalid_range")
    last = clock.to_kst(end - dt.timedelta(seconds=1)).date()
    return Period(start, end, clock.to_kst(start).date(), last)


# --- reservations (RES-07) --------------------------------------------------------------------------------

RESERVATION_GROUPS = {"sms": N_("문자"), "kakao": N_("카카오톡")}


def scheduled(account_id: int, group: str = "sms") -> list[Send]:
    """Scheduled sends of a channel group (RES-07): 문자 (sms) or 카카오톡 (alimtalk, friendtalk)."""
    channels = message_types.channels_of_group(group)
    return list(db.session.scalars(select(Send).where(Send.account_id == account_id, Send.status == "scheduled",
                                                      Send.channel.in_(channels)).order_by(Send.scheduled_at)))
