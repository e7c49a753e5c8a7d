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
from app.models import Account, UsageDayTotal, UsageRollup
from app.services.stats import totals

GROUPS = ("sms", "kakao")
ALL = "all"                 # every type with statistics (staff's revenue per type)
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
class Scope:
    """Whose usage: one account, the accounts of one price plan, or (both None) the whole
    service. Customers only ever get their own account's (views/portal/stats)."""
    account_id: int | None = None
    price_plan_id: int | None = None

    def where(self, stmt):
        r = UsageRollup
        if self.account_id is not None:
            stmt = stmt.where(r.account_id == self.account_id)
        if self.price_plan_id is not None:
            stmt = stmt.where(r.account_id.in_(select(Account.id).where(Account.price_plan_id == self.price_plan_id)))
        return stmt


def _scope(accounts) -> Scope:
    return accounts if isinstance(accounts, Scope) else Scope(account_id=accounts)


@dataclass(frozen=True)
class TypeRow:
    code: str
    label: str
    sent: int
    delivered: int
    failed: int
    charged: int = 0        # won of cash (VAT included)
    points_used: int = 0

    @property
    def failure_rate(self) -> float:
        """실패율 in percent of what was sent."""
        return 100.0 * self.failed / self.sent if self.sent else 0.0

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


def period_or_refusal(choice, start=None, end=None, *, now: dt.datetime) -> tuple[Period, ValidationError | None]:
    """For a page that shows a refused 조회날짜 beside its form: the period asked for, or
    당월 and the refusal."""
    try:
        return period(choice, start, end, now=now), None
    except ValidationError as refusal:
        return period("this", now=now), refusal


def group_of(value: str | None, *, service_wide: bool = False) -> str:
    """The statistics group a page asked for: 문자 (the default) or 카카오톡, and for staff also
    every type at once; anything else is refused naming 통계."""
    group = (value or "sms").strip().lower()
    if group not in GROUPS + ((ALL,) if service_wide else ()):
        raise ValidationError("통계 종류를 골라주세요.", field="통계", code="invalid_choice")
    return group


def types_of(group: str) -> tuple:
    """The catalogue's types of a statistics group ("all": every type that has one)."""
    if group not in (*GROUPS, ALL):
        raise ValidationError("통계 종류를 골라주세요.", field="통계", code="invalid_choice")
    return tuple(t for t in message_types.TYPES if t.stats_group and (group == ALL or t.stats_group == group))


def label(code: str) -> str:
    return LABELS.get(code) or message_types.get(code).label


def _sums(accounts, p: Period, types, *, by_day: bool):
    """(day or None, type, requested, delivered, failed, charged, points_used) summed over the
    scope: one account's rollups, or — for the whole service or a price plan — the day totals
    of clean days (stats/totals) and the rollups of the days still dirty."""
    scope = _scope(accounts)
    r = UsageRollup
    codes = [t.code for t in types]

    def live(days=None):
        keys = ([r.day] if by_day else []) + [r.msg_type]
        stmt = select(*keys, *(func.sum(getattr(r, c)) for c in totals.COUNTERS)).where(
            r.day >= p.start, r.day <= p.end, r.msg_type.in_(codes))
        if days is not None:
            stmt = stmt.where(r.day.in_(days))
        return db.session.execute(scope.where(stmt).group_by(*keys)).all()

    if scope.account_id is not None:
        rows = live()
    else:
        dirty = totals.dirty_days(p.start, p.end)
        t = UsageDayTotal
        keys = ([t.day] if by_day else []) + [t.msg_type]
        stmt = select(*keys, *(func.sum(getattr(t, c)) for c in totals.COUNTERS)).where(
            t.day >= p.start, t.day <= p.end, t.msg_type.in_(codes))
        if dirty:
            stmt = stmt.where(t.day.not_in(dirty))
        if scope.price_plan_id is not None:
            stmt = stmt.where(t.price_plan_id == scope.price_plan_id)
        rows = db.session.execute(stmt.group_by(*keys)).all() + (live(dirty) if dirty else [])
    for row in rows:
        day, rest = (row[0], row[1:]) if by_day else (None, row)
        yield (day, rest[0], *(int(v or 0) for v in rest[1:]))


def type_report(accounts: int | Scope | None, group: str, p: Period) -> Report:
    """One row per type of the group (단문/장문/포토, or 알림톡/친구톡 텍스트/친구톡 포토), in the
    catalogue's order, and 합계. `accounts`: an account id, a Scope, or None for the whole
    service (staff)."""
    types = types_of(group)
    sums: dict[str, list[int]] = {}
    for _day, code, *values in _sums(accounts, p, types, by_day=False):
        into = sums.setdefault(code, [0] * len(values))
        for i, value in enumerate(values):
            into[i] += value
    rows = tuple(TypeRow(t.code, label(t.code), *sums.get(t.code, (0, 0, 0, 0, 0))) for t in types)
    total = TypeRow("TOTAL", N_("합계"), *(sum(getattr(x, f) for x in rows)
                                           for f in ("sent", "delivered", "failed", "charged", "points_used")))
    return Report(group, p, rows, total)


# --- the trend: volume and failures per type over the range ----------------------------------------------------

TREND_BY_MONTH_AFTER = 62       # days: a longer range is drawn month by month


@dataclass(frozen=True)
class Trend:
    by: str                                     # "day" or "month"
    buckets: tuple[dt.date, ...]                # each day, or the first day of each month
    codes: tuple[str, ...]
    sent: dict[str, tuple[int, ...]]            # code -> one figure per bucket
    failed: dict[str, tuple[int, ...]]

    def total_sent(self, index: int) -> int:
        return sum(self.sent[c][index] for c in self.codes)

    def failure_rate(self, index: int) -> float:
        sent = self.total_sent(index)
        return 100.0 * sum(self.failed[c][index] for c in self.codes) / sent if sent else 0.0


def _buckets(p: Period, by: str) -> list[dt.date]:
    if by == "day":
        return [p.start + dt.timedelta(days=i) for i in range(p.days)]
    months, month = [], p.start.replace(day=1)
    while month <= p.end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def trend(accounts: int | Scope | None, group: str, p: Period, *, by: str | None = None) -> Trend:
    """발송건수 and 실패건수 per type and day (or month, over a long range): at most
    366 × types rows of rollups, summed over accounts and sources by the database."""
    types = types_of(group)
    by = by or ("month" if p.days > TREND_BY_MONTH_AFTER else "day")
    buckets = _buckets(p, by)
    index = {b: i for i, b in enumerate(buckets)}
    sent = {t.code: [0] * len(buckets) for t in types}
    failed = {t.code: [0] * len(buckets) for t in types}
    for day, code, requested, _delivered, failures, _charged, _points in _sums(accounts, p, types, by_day=True):
        i = index[day if by == "day" else day.replace(day=1)]
        sent[code][i] += int(requested or 0)
        failed[code][i] += int(failures or 0)
    codes = tuple(t.code for t in types)
    return Trend(by, tuple(buckets), codes, {c: tuple(sent[c]) for c in codes}, {c: tuple(failed[c]) for c in codes})
