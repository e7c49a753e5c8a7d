"""월별 이용·매출 보고서 (08-tax-invoice.md TAX-07; 11-quality.md PERF-09): for one usage month
(the KST month in which each send settled, as TAX-02 counts it), per account and message type
what was delivered and charged, the points used, the refunds and the cash charged split into
its card part (the card slip stands for the invoice) and its invoiced part (bank transfers:
the tax invoice); per account the month's top-ups (ledger `topup` entries in the KST month),
card vs bank transfer by the cash lot each credited; totals per type and overall; and the tax
invoices of the month by state. A send's refund (hold − charged) counts under the type of its own
messages (billing_usage keeps it on the primary layer); a cancelled top-up (`topup_cancel`) is
not netted off the month's top-ups.

Read from `billing_usage` (written by each settlement, billing/usage) and the ledger, never
from messages. The rows stream from the database on a connection of their own
(`read_only_connection`, `yield_per`: a server-side cursor on PostgreSQL), so a month of
10,000 accounts × 6 types costs constant memory. Up to INLINE_LIMIT account × type rows the
workbook is made during the request; beyond that an RQ job builds it with its progress
(shared/export_jobs), as a staff file that no customer owns (`account_id` None). The month's
summary is a PDF through shared/pdf.render_pdf. Reads only."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import render_template
from flask_babel import get_locale
from sqlalchemy import and_, case, func, or_, select

from app import clock
from app.domain import message_types
from app.domain import tax_invoice as rules
from app.domain.files import CheckedFile
from app.errors import ValidationError
from app.extensions import db, read_only_connection
from app.models import Account, BillingUsage, CashLot, ExportJob, LedgerEntry, TaxInvoice, TopupRequest
from app.models.billing import INVOICE_STATUSES, STATUS_LABELS
from app.services.shared import export_jobs, xlsx
from app.services.shared.pdf import render_pdf

#: more account × type rows than this and the workbook is built by a job
INLINE_LIMIT = 10_000
#: rows fetched from the database at a time, and how often a job reports its progress
CHUNK = 5_000
TOP = 10
KIND = "finance_usage"
JOB = "app.jobs.finance_reports.build_report"
XLSX = CheckedFile(xlsx.XLSX_MIME, "xlsx")
PDF = CheckedFile("application/pdf", "pdf")
MONTH_FIELD = "월"

#: the figures of billing_usage that the report sums, in the workbook's column order
FIELDS = ("delivered", "charged", "points", "cash", "card_cash", "invoiced_cash", "refunded")
FIGURE_HEADERS = ["발송성공(건)", "사용금액(원)", "포인트 사용(원)", "현금 사용(원)", "카드 결제분(원)",
                  "세금계산서 발행분(원)", "환불(원)"]
TYPE_HEADERS = ["유형", *FIGURE_HEADERS]
PAIR_HEADERS = ["계정 번호", "계정", "사업자번호", "유형", *FIGURE_HEADERS]
ACCOUNT_HEADERS = ["계정 번호", "계정", "사업자번호", *FIGURE_HEADERS, "카드 충전(원)", "무통장입금 충전(원)",
                   "충전 합계(원)"]
TOTAL_LABEL = "합계"


# --- the month --------------------------------------------------------------------------------------------------

def parse_month(value, *, now: dt.datetime) -> dt.date:
    """The usage month a page asks for ("YYYY-MM"); none: last month (the one invoiced)."""
    text = str(value or "").strip()
    if not text:
        return rules.previous_month(clock.to_kst(now).date())
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if match is None or not 2000 <= int(match[1]) <= 2999 or not 1 <= int(match[2]) <= 12:
        raise ValidationError("월 값이 올바르지 않습니다.", field=MONTH_FIELD, code="invalid_month")
    return dt.date(int(match[1]), int(match[2]), 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The KST month as naive UTC [start, end)."""
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return (clock.kst_to_utc(dt.datetime(month.year, month.month, 1)),
            clock.kst_to_utc(dt.datetime(following.year, following.month, 1)))


# --- figures ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """What a month's usage adds up to (won, VAT included; `delivered` in messages)."""
    delivered: int = 0
    charged: int = 0
    points: int = 0
    cash: int = 0
    card_cash: int = 0
    invoiced_cash: int = 0
    refunded: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(*(getattr(self, f) + getattr(other, f) for f in FIELDS))

    @property
    def cells(self) -> list[int]:
        return [getattr(self, f) for f in FIELDS]

    @property
    def supply(self) -> int:
        """공급가액 of the invoiced part (as one invoice of the whole would split it)."""
        return rules.split_vat(self.invoiced_cash)[0]

    @property
    def tax(self) -> int:
        return rules.split_vat(self.invoiced_cash)[1]

    def share(self, part: int) -> float:
        """`part` as a percentage of the won charged."""
        return 100.0 * part / self.charged if self.charged else 0.0


def _figures(row, offset: int = 0) -> Figures:
    return Figures(*(int(v or 0) for v in row[offset:offset + len(FIELDS)]))


@dataclass(frozen=True)
class TypeLine:
    code: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class AccountLine:
    account_id: int
    name: str
    brn: str
    figures: Figures
    topup_card: int = 0
    topup_transfer: int = 0

    @property
    def topups(self) -> int:
        return self.topup_card + self.topup_transfer


@dataclass(frozen=True)
class InvoiceLine:
    status: str
    label: str
    count: int
    total: int


@dataclass(frozen=True)
class Summary:
    """The month at a glance: the page and the PDF."""
    month: dt.date
    types: list[TypeLine]
    total: Figures
    topup_card: int
    topup_transfer: int
    accounts: int           # accounts with usage in the month
    pairs: int              # account × type rows of the workbook
    top: list[AccountLine]
    invoices: list[InvoiceLine]

    @property
    def topups(self) -> int:
        return self.topup_card + self.topup_transfer

    @property
    def by_job(self) -> bool:
        return self.pairs > INLINE_LIMIT

    @property
    def invoice_count(self) -> int:
        return sum(line.count for line in self.invoices)

    @property
    def invoice_total(self) -> int:
        return sum(line.total for line in self.invoices)


# --- queries ------------------------------------------------------------------------------------------------------

def _sums(table) -> list:
    return [func.sum(getattr(table, f)).label(f) for f in FIELDS]


def _type_order(column):
    return case({t.code: i for i, t in enumerate(message_types.TYPES)}, value=column, else_=len(message_types.TYPES))


def _name(company, display, account_id) -> str:
    return company or display or f"#{account_id}"


def _pairs_stmt(month: dt.date):
    u = BillingUsage
    grouped = (select(u.account_id, u.msg_type, *_sums(u)).where(u.month == month)
               .group_by(u.account_id, u.msg_type).subquery())
    return (select(grouped.c.account_id, Account.company_name, Account.display_name, Account.brn, grouped.c.msg_type,
                   *(grouped.c[f] for f in FIELDS))
            .select_from(grouped).outerjoin(Account, Account.id == grouped.c.account_id)
            .order_by(grouped.c.account_id, _type_order(grouped.c.msg_type)))


def _topups_stmt(month: dt.date):
    """Per account, the month's top-ups: card or bank transfer as the cash lot the entry
    credited says (its TopupRequest's method for a top-up made before lots existed; any
    other credit is a bank transfer, invoiced)."""
    e, lot, request = LedgerEntry, CashLot, TopupRequest
    start, end = month_bounds(month)
    funding = func.coalesce(lot.funding, request.method, "bank_transfer")
    return (select(e.account_id, func.sum(case((funding == "card", e.cash_delta), else_=0)).label("topup_card"),
                   func.sum(case((funding == "card", 0), else_=e.cash_delta)).label("topup_transfer"))
            .select_from(e)
            .outerjoin(lot, and_(lot.entry_id == e.id, lot.account_id == e.account_id))
            .outerjoin(request, request.id == e.topup_id)
            .where(e.kind == "topup", e.created_at >= start, e.created_at < end)
            .group_by(e.account_id))


def _accounts_stmt(month: dt.date):
    u = BillingUsage
    usage = select(u.account_id, *_sums(u)).where(u.month == month).group_by(u.account_id).subquery()
    topups = _topups_stmt(month).subquery()
    return (select(Account.id, Account.company_name, Account.display_name, Account.brn,
                   *(usage.c[f] for f in FIELDS), topups.c.topup_card, topups.c.topup_transfer)
            .select_from(Account)
            .outerjoin(usage, usage.c.account_id == Account.id)
            .outerjoin(topups, topups.c.account_id == Account.id)
            .where(or_(usage.c.account_id.is_not(None), topups.c.account_id.is_not(None)))
            .order_by(Account.id))


def _stream(stmt) -> Iterator:
    """The rows of `stmt` in chunks on a read-only connection of their own (server-side on
    PostgreSQL). The caller ends its session's transaction first."""
    with read_only_connection() as conn:
        yield from conn.execute(stmt.execution_options(yield_per=CHUNK))


def account_type_rows(month: dt.date) -> Iterator[tuple[int, str, str, TypeLine]]:
    """(account id, name, business number, the type's line) per account and type, by account
    then the catalogue's order of types; streamed."""
    for row in _stream(_pairs_stmt(month)):
        account_id, company, display, brn, code = row[:5]
        yield account_id, _name(company, display, account_id), brn or "", TypeLine(
            code, message_types.label(code), _figures(row, 5))


def account_lines(month: dt.date) -> Iterator[AccountLine]:
    """Per account with usage or a top-up in the month: its usage and its top-ups; streamed."""
    for row in _stream(_accounts_stmt(month)):
        account_id, company, display, brn = row[:4]
        card, transfer = row[4 + len(FIELDS):]
        yield AccountLine(account_id, _name(company, display, account_id), brn or "", _figures(row, 4),
                          int(card or 0), int(transfer or 0))


def type_lines(month: dt.date) -> list[TypeLine]:
    """Every type of the catalogue (zero when unused), then any other type found."""
    u = BillingUsage
    found = {code: _figures(row) for code, *row in db.session.execute(
        select(u.msg_type, *_sums(u)).where(u.month == month).group_by(u.msg_type))}
    codes = [*message_types.CODES, *sorted(set(found) - set(message_types.CODES))]
    return [TypeLine(code, message_types.label(code), found.get(code, Figures())) for code in codes]


def topup_totals(month: dt.date) -> tuple[int, int]:
    """(card, bank transfer) top-ups of the month."""
    topups = _topups_stmt(month).subquery()
    card, transfer = db.session.execute(select(func.sum(topups.c.topup_card), func.sum(topups.c.topup_transfer))).one()
    return int(card or 0), int(transfer or 0)


def count_pairs(month: dt.date) -> int:
    """Account × type rows of the month (what decides inline or by a job)."""
    u = BillingUsage
    pairs = select(u.account_id, u.msg_type).where(u.month == month).group_by(u.account_id, u.msg_type).subquery()
    return int(db.session.scalar(select(func.count()).select_from(pairs)) or 0)


def count_accounts(month: dt.date) -> int:
    return int(db.session.scalar(select(func.count()).select_from(_accounts_stmt(month).order_by(None).subquery()))
               or 0)


def top_accounts(month: dt.date, limit: int = TOP) -> list[AccountLine]:
    """The accounts with the most revenue (cash charged: points are free credit), then won
    charged."""
    u = BillingUsage
    cash = func.sum(u.cash)
    rows = db.session.execute(select(u.account_id, *_sums(u)).where(u.month == month).group_by(u.account_id)
                              .order_by(cash.desc(), func.sum(u.charged).desc(), u.account_id).limit(limit)).all()
    names = {a_id: (company, display, brn) for a_id, company, display, brn in db.session.execute(
        select(Account.id, Account.company_name, Account.display_name, Account.brn)
        .where(Account.id.in_([row[0] for row in rows])))} if rows else {}
    out = []
    for account_id, *values in rows:
        company, display, brn = names.get(account_id, (None, None, None))
        out.append(AccountLine(account_id, _name(company, display, account_id), brn or "", _figures(values)))
    return out


def invoice_lines(month: dt.date) -> list[InvoiceLine]:
    """The month's tax invoices (monthly and corrections) per state, in the states' order."""
    t = TaxInvoice
    found = {status: (int(n or 0), int(total or 0)) for status, n, total in db.session.execute(
        select(t.status, func.count(t.id), func.sum(t.total)).where(t.usage_month == month).group_by(t.status))}
    return [InvoiceLine(status, STATUS_LABELS[status], *found.get(status, (0, 0))) for status in INVOICE_STATUSES]


def summary(month: dt.date) -> Summary:
    types = type_lines(month)
    total = sum((line.figures for line in types), Figures())
    card, transfer = topup_totals(month)
    accounts = int(db.session.scalar(select(func.count(func.distinct(BillingUsage.account_id)))
                                     .where(BillingUsage.month == month)) or 0)
    return Summary(month=month, types=types, total=total, topup_card=card, topup_transfer=transfer,
                   accounts=accounts, pairs=count_pairs(month), top=top_accounts(month),
                   invoices=invoice_lines(month))


# --- the workbook --------------------------------------------------------------------------------------------------

def filename(month: dt.date) -> str:
    return f"megabird_월별이용매출_{month:%Y%m}.xlsx"


def pdf_filename(month: dt.date) -> str:
    return f"megabird_월별매출요약_{month:%Y%m}.pdf"


class _Progress:
    """Counts the rows written over every sheet and tells a job every CHUNK rows."""

    def __init__(self, report: Callable[[int], None] | None):
        self.report, self.done = report, 0

    def count(self, rows: Iterable[list]) -> Iterator[list]:
        for row in rows:
            yield row
            self.done += 1
            if self.report and self.done % CHUNK == 0:
                self.report(self.done)


def _type_rows(types: list[TypeLine]) -> Iterator[list]:
    for line in types:
        yield [line.label, *line.figures.cells]
    yield [TOTAL_LABEL, *sum((line.figures for line in types), Figures()).cells]


def _pair_rows(month: dt.date) -> Iterator[list]:
    total = Figures()
    for account_id, name, brn, line in account_type_rows(month):
        total += line.figures
        yield [account_id, name, brn, line.label, *line.figures.cells]
    yield ["", TOTAL_LABEL, "", "", *total.cells]


def _account_rows(month: dt.date) -> Iterator[list]:
    total, card, transfer = Figures(), 0, 0
    for line in account_lines(month):
        total, card, transfer = total + line.figures, card + line.topup_card, transfer + line.topup_transfer
        yield [line.account_id, line.name, line.brn, *line.figures.cells, line.topup_card, line.topup_transfer,
               line.topups]
    yield ["", TOTAL_LABEL, "", *total.cells, card, transfer, card + transfer]


def workbook_sheets(month: dt.date, progress: Callable[[int], None] | None = None) -> list[tuple]:
    """(title, headers, rows) of the report: the totals per type, every account × type, every
    account with its top-ups. The account sheets stream while the workbook is written (each
    ends with its 합계 row, summed as it streams)."""
    counter = _Progress(progress)
    types = type_lines(month)
    return [("유형별 합계", TYPE_HEADERS, counter.count(_type_rows(types))),
            ("계정별 유형별", PAIR_HEADERS, counter.count(_pair_rows(month))),
            ("계정별 합계", ACCOUNT_HEADERS, counter.count(_account_rows(month)))]


def steps(month: dt.date) -> int:
    """The rows the workbook will have (what a job's progress counts)."""
    return len(type_lines(month)) + 1 + count_pairs(month) + 1 + count_accounts(month) + 1


def write_workbook(path, month: dt.date, progress: Callable[[int], None] | None = None) -> int:
    """The report into the file `path` (the job's writer and the benchmark's); the rows written."""
    sheets = workbook_sheets(month, progress)
    db.session.commit()     # the rows stream on their own read-only connection; nothing held meanwhile
    return xlsx.write_workbook(path, sheets)


@dataclass(frozen=True)
class InlineWorkbook:
    """A report small enough to write during the request: its file name and its sheets."""
    filename: str
    sheets: list[tuple]


def export(month: dt.date, *, actor_id: int | None, now: dt.datetime) -> ExportJob | InlineWorkbook:
    """엑셀 다운로드 of the month: up to INLINE_LIMIT account × type rows now, more by a job
    whose progress staff watch (a service-wide file: no account owns it)."""
    if count_pairs(month) > INLINE_LIMIT:
        return start_job(month, actor_id=actor_id, now=now)
    sheets = workbook_sheets(month)
    db.session.commit()     # the rows stream on their own read-only connection
    return InlineWorkbook(filename(month), sheets)


def start_job(month: dt.date, *, actor_id: int | None, now: dt.datetime) -> ExportJob:
    return export_jobs.start(account_id=None, kind=KIND, filename=filename(month),
                             params={"month": f"{month:%Y-%m}", "requested_by": actor_id},
                             total=steps(month), job=JOB, now=now)


def _write(job: ExportJob, params: dict, path: str, progress) -> int:
    return write_workbook(path, dt.date.fromisoformat(params["month"] + "-01"), progress)


def build(job_id: int) -> str:
    """The job: the month's workbook (shared/export_jobs claims, stores and marks it)."""
    return export_jobs.run(job_id, _write, checked=XLSX, error="내보내기를 만들지 못했습니다. 다시 시도해주세요.")


def get_job(job_id) -> ExportJob:
    """A report built by a job (staff's only: a customer's export is never found here)."""
    return export_jobs.get_staff(job_id, (KIND,))


def recent_jobs(limit: int = 10) -> list[ExportJob]:
    return export_jobs.staff_jobs((KIND,), limit)


as_dict = export_jobs.as_dict


# --- the PDF summary ---------------------------------------------------------------------------------------------

def summary_pdf(month: dt.date, *, now: dt.datetime) -> bytes:
    """The month's revenue summary as a PDF (render_pdf; Korean in NanumGothic): totals per type,
    invoiced vs card vs points, top-ups, the top accounts by revenue and the tax invoices of
    the month by state. Needs a request context (the page's language)."""
    s = summary(month)
    db.session.commit()
    html = render_template("staff/finance_reports/summary_pdf.html", s=s, printed_at=clock.to_kst(now),
                           lang=str(get_locale() or "ko"))
    return render_pdf(html)
