"""Staff statistics (07-dashboard-stats.md STA-05): the customers' figures per account, per
price plan and for the whole service, the daily trend, the top accounts by volume and by
failure rate, the revenue per type, and all of it as one Excel workbook. Read from the
rollups only, as the customers' pages (stats/reports); reads only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.domain.korean import N_
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Account, PricePlan, UsageRollup
from app.services.stats import reports
from app.services.stats.reports import Period, Scope

TOP = 10
#: an account needs this many messages in the range to rank by failure rate (a handful of
#: failures out of three messages says nothing about an account)
MIN_FOR_FAILURE_RATE = 100
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class AccountRow:
    account_id: int
    name: str
    plan: str
    sent: int
    delivered: int
    failed: int
    charged: int
    points_used: int

    @property
    def rate(self) -> float:
        return 100.0 * self.delivered / self.sent if self.sent else 0.0

    @property
    def failure_rate(self) -> float:
        return 100.0 * self.failed / self.sent if self.sent else 0.0


def _int(value, field: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(f"{field} 값이 올바르지 않습니다.", field=field, code="invalid_choice")
    return int(text)


def scope(account=None, plan=None) -> Scope:
    """The scope the page's 계정 / 요금제 choices name; an unknown one is refused."""
    account_id, plan_id = _int(account, "계정"), _int(plan, "요금제")
    if account_id is not None and db.session.get(Account, account_id) is None:
        raise NotFound("계정을 찾을 수 없습니다.")
    if plan_id is not None and db.session.get(PricePlan, plan_id) is None:
        raise ValidationError("요금제를 찾을 수 없습니다.", field="요금제", code="invalid_choice")
    return Scope(account_id=account_id, price_plan_id=plan_id)


def describe(s: Scope) -> tuple[str, str]:
    """What the figures cover, for the page's heading: (what, whose name)."""
    if s.account_id is not None:
        account = db.session.get(Account, s.account_id)
        return N_("계정"), f"{account.company_name or account.display_name} (#{account.id})"
    if s.price_plan_id is not None:
        return N_("요금제"), db.session.get(PricePlan, s.price_plan_id).name
    return N_("서비스 전체"), ""


def plans() -> list[PricePlan]:
    return list(db.session.scalars(select(PricePlan).order_by(PricePlan.name)))


def search_accounts(q: str) -> list[Account]:
    """Accounts whose name, company, business number or id match `q` (at most 20)."""
    q = (q or "").strip()
    if not q:
        return []
    like = f"%{q}%"
    conditions = [Account.display_name.ilike(like), Account.company_name.ilike(like), Account.brn.ilike(like)]
    if q.isdigit():
        conditions.append(Account.id == int(q))
    return list(db.session.scalars(select(Account).where(or_(*conditions)).order_by(Account.id).limit(SEARCH_LIMIT)))


def _accounts_stmt(s: Scope, group: str, p: Period):
    r = UsageRollup
    sent = func.sum(r.requested)
    stmt = s.where(select(r.account_id, sent, func.sum(r.delivered), func.sum(r.failed), func.sum(r.charged),
                          func.sum(r.points_used))
                   .where(r.day >= p.start, r.day <= p.end, r.msg_type.in_([t.code for t in reports.types_of(group)]))
                   .group_by(r.account_id))
    return stmt, sent, func.sum(r.failed)


def _rows(result) -> list[AccountRow]:
    found = [(account_id, *(int(v or 0) for v in values)) for account_id, *values in result]
    ids = [row[0] for row in found]
    names = {}
    if ids:
        names = {a_id: (company or display, plan) for a_id, display, company, plan in db.session.execute(
            select(Account.id, Account.display_name, Account.company_name, PricePlan.name)
            .join(PricePlan, PricePlan.id == Account.price_plan_id).where(Account.id.in_(ids)))}
    return [AccountRow(a_id, *names.get(a_id, (f"#{a_id}", "")), *values) for a_id, *values in found]


def top_by_volume(s: Scope, group: str, p: Period, limit: int = TOP) -> list[AccountRow]:
    stmt, sent, _failed = _accounts_stmt(s, group, p)
    return _rows(db.session.execute(stmt.having(sent > 0).order_by(sent.desc(), UsageRollup.account_id).limit(limit)))


def top_by_failure_rate(s: Scope, group: str, p: Period, limit: int = TOP) -> list[AccountRow]:
    stmt, sent, failed = _accounts_stmt(s, group, p)
    rate = 1.0 * failed / sent
    return _rows(db.session.execute(stmt.having(sent >= MIN_FOR_FAILURE_RATE)
                                    .order_by(rate.desc(), sent.desc(), UsageRollup.account_id).limit(limit)))


def account_rows(s: Scope, group: str, p: Period, *, chunk: int = 1000):
    """Every account with usage in the range, busiest first, for the workbook (streamed)."""
    stmt, sent, _failed = _accounts_stmt(s, group, p)
    ordered = list(db.session.execute(stmt.having(sent > 0).order_by(sent.desc(), UsageRollup.account_id)))
    for start in range(0, len(ordered), chunk):
        yield from _rows(ordered[start:start + chunk])


# --- the workbook ---------------------------------------------------------------------------------------------

TYPE_HEADERS = ["타입", "발송건수", "성공건수", "실패건수", "성공률(%)", "사용금액(원)", "그중 포인트(원)"]
ACCOUNT_HEADERS = ["계정 번호", "계정", "요금제", "발송건수", "성공건수", "실패건수", "성공률(%)", "실패율(%)",
                   "사용금액(원)", "그중 포인트(원)"]


def _type_cells(row: reports.TypeRow) -> list:
    return [row.label, row.sent, row.delivered, row.failed, round(row.rate, 1), row.charged, row.points_used]


def _account_cells(row: AccountRow) -> list:
    return [row.account_id, row.name, row.plan, row.sent, row.delivered, row.failed, round(row.rate, 1),
            round(row.failure_rate, 1), row.charged, row.points_used]


def workbook_sheets(s: Scope, group: str, p: Period, *, gettext=lambda text: text) -> list[tuple]:
    """(sheet title, headers, rows) of the Excel export: per type with revenue, the trend,
    the top accounts both ways and every account."""
    report = reports.type_report(s, group, p)
    revenue = reports.type_report(s, reports.ALL, p)
    trend = reports.trend(s, group, p, by="day")
    tr = gettext
    trend_headers = ["날짜"] + [f"{tr(reports.label(c))} {tr(what)}" for c in trend.codes
                                for what in ("발송건수", "실패건수")] + ["실패율(%)"]
    trend_rows = ([f"{day:%Y-%m-%d}"] + [n for c in trend.codes for n in (trend.sent[c][i], trend.failed[c][i])]
                  + [round(trend.failure_rate(i), 1)] for i, day in enumerate(trend.buckets))
    return [
        ("유형별", TYPE_HEADERS, [_type_cells(r) for r in (*report.rows, report.total)]),
        ("유형별 매출", TYPE_HEADERS, [_type_cells(r) for r in (*revenue.rows, revenue.total)]),
        ("일별 추이", trend_headers, trend_rows),
        ("발송량 상위 계정", ACCOUNT_HEADERS, [_account_cells(r) for r in top_by_volume(s, group, p)]),
        ("실패율 상위 계정", ACCOUNT_HEADERS, [_account_cells(r) for r in top_by_failure_rate(s, group, p)]),
        ("계정별", ACCOUNT_HEADERS, (_account_cells(r) for r in account_rows(s, group, p))),
    ]


def filename(group: str, p: Period) -> str:
    name = {"sms": "문자발송통계", "kakao": "카카오톡발송통계"}.get(group, "발송통계")
    return f"megabird_운영_{name}_{p.start:%Y%m%d}-{p.end:%Y%m%d}.xlsx"
