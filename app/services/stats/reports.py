"""발송통계 (07-dashboard-stats.md STA-01, STA-02, STA-04): 문자발송 통계 and 카카오톡발송
통계 of an account over 조회날짜 — 전월, 당월 or a custom range of KST days — read from the
per-day rollups only (never by scanning messages: a year of a busy account reads at most
365 × types × sources rows). Web and API sends are added together (the rollups keep the
source apart, the report sums it away); a deleted send already left the rollups
(history/retention). A Kakao send's fallback SMS/LMS/MMS count under their own type, in
문자발송 통계, as what they are."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app import clock
from app.domain import message_types
from app.domain.korean import N_, josa
from app.errors import ValidationError
from app.extensions import db
from app.models import UsageRollup

GROUPS = ("sms", "kakao")
#: the manual's names in 문자발송 통계 (the other types keep the catalogue's label)
LABELS = {"SMS": N_("단문"), "LMS": N_("장문"), "MMS": N_("포토")}
PERIODS = ("prev", "this", "custom")
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: dt.date          # KST days, both included
    end: dt.date
    choice: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class TypeRow:
    code: str
    label: str
    sent: int
    delivered: int
    failed: int

    @property
    def rate(self) -> float:
        """성공률 in percent of what was sent (0 when nothing was)."""
        return 100.0 * self.delivered / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Report:
    group: str
    period: Period
    rows: tuple[TypeRow, ...]
    total: TypeRow


def _day(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(f"{josa(field, '을/를')} YYYY-MM-DD 형식으로 입력해주세요.", field="조회날짜",
                              code="invalid_date") from None


def period(choice: str | None, start=None, end=None, *, now: dt.datetime) -> Period:
    """조회날짜: 전월 (the whole previous month), 당월 (this month up to today, the default) or
    a custom range (start ≤ end, at most 366 days, nothing after today)."""
    today = clock.to_kst(now).date()
    choice = (choice or "this").strip().lower()
    if choice not in PERIODS:
        raise ValidationError("조회날짜를 전월, 당월 또는 기간 지정 중에서 골라주세요.", field="조회날짜", code="invalid_choice")
    if choice == "this":
        return Period(today.replace(day=1), today, choice)
    if choice == "prev":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return Period(last.replace(day=1), last, choice)
    first, last = _day(start, "시작일"), _day(end, "종료일")
    if first > last:
        raise ValidationError("조회 시작일이 종료일보다 늦습니다.", field="조회날짜", code="invalid_range")
    if last > today:
        raise ValidationError("오늘 이후의 날짜는 조회할 수 없습니다.", field="조회날짜", code="invalid_range")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(f"조회 기간은 최대 {MAX_DAYS}일까지 지정할 수 있습니다.", field="조회날짜",
                              code="range_too_long")
    return Period(first, last, choice)


def type_report(account_id: int | None, group: str, p: Period) -> Report:
    """One row per type of the group (단문/장문/포토, or 알림톡/친구톡 텍스트/친구톡 포토), in the
    catalogue's order, and 합계. `account_id` None: the whole service (staff)."""
    if group not in GROUPS:
        raise ValidationError("통계 종류를 골라주세요.", field="통계", code="invalid_choice")
    types = tuple(t for t in message_types.TYPES if t.stats_group == group)
    r = UsageRollup
    stmt = (select(r.msg_type, func.sum(r.requested), func.sum(r.delivered), func.sum(r.failed))
            .where(r.day >= p.start, r.day <= p.end, r.msg_type.in_([t.code for t in types]))
            .group_by(r.msg_type))
    if account_id is not None:
        stmt = stmt.where(r.account_id == account_id)
    sums = {code: (int(a or 0), int(b or 0), int(c or 0)) for code, a, b, c in db.session.execute(stmt)}
    rows = tuple(TypeRow(t.code, LABELS.get(t.code, t.label), *sums.get(t.code, (0, 0, 0))) for t in types)
    total = TypeRow("TOTAL", N_("합계"), sum(x.sent for x in rows), sum(x.delivered for x in rows),
                    sum(x.failed for x in rows))
    return Report(group, p, rows, total)
