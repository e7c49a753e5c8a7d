"""The finance workspace (08-tax-invoice.md TAX-03, TAX-05, TAX-06, TAX-07): what finance staff
read — the dashboard's figures, the invoice queue with its filters and its Excel export, one
invoice with its history, corrections and usage breakdown, the 임시공휴일 calendar — and what
they do, each step through the owner of the rule: issuing one or many through
`invoices.issue` with the PDF copy and the e-mail (`documents.after_issue`), corrections
through `invoices.correct`, 임시공휴일 added and deleted here with an audit entry.

Issuing calls the adapter outside any transaction and commits per invoice (`invoices.issue`):
`issue_many` is a loop of those, so what was issued before a failure stays issued.

An invoice keeps the parties' data of the day it was prepared (ACC-12), so an issue refused
for that data fails again however often it is retried. `refresh_parties` (발행 정보 다시
불러오기) lets an invoice not issued yet take the account's current company data and the
configured 공급자; it reads the account as the monthly run does (`invoices.buyer_columns`,
which the lead may rather make public, or move `refresh_parties` beside it)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import holidays as public_holidays
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.domain import tax_invoice as rules
from app.domain.brn import format_brn
from app.domain.korean import N_
from app.errors import InvalidState, MegabirdError, NotFound, ValidationError
from app.extensions import db
from app.gateways.tax_invoices import SupplierNotConfigured, format_approval
from app.models import Account, AuditLog, ExtraHoliday, PeriodicRun, StoredFile, TaxInvoice
from app.models.billing import STATUS_LABELS
from app.services.billing import documents, invoices, usage
from app.services.shared import audit
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

PER_PAGE = 50
#: at most this many invoices issued by one request (each is a call to the issuing service)
ISSUE_LIMIT = 100
MONTHLY_TASK = "tax_invoices_monthly"        # periodic.TASKS' name of the monthly run
KIND_LABELS = {"monthly": N_("월합계"), "correction": N_("수정세금계산서")}
HOLIDAY_NAME_MAX = 100
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_ID = 2**31 - 1


def _id(value) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise NotFound("세금계산서를 찾을 수 없습니다.")
    return int(text)


# --- the queue's filter ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    month: dt.date | None = None        # the usage month (its first day)
    status: str = ""                    # one of STATUS_LABELS, or "" for every state
    query: str = ""                     # the account's name or business number

    def args(self) -> dict[str, str]:
        """The filter as the queue's query string."""
        values = {"month": f"{self.month:%Y-%m}" if self.month else "", "status": self.status, "q": self.query}
        return {key: value for key, value in values.items() if value}


def parse_month(text) -> dt.date | None:
    """'2026-11' -> 2026-11-01; empty -> None; anything else is refused naming 이용월."""
    value = str(text or "").strip()
    if not value:
        return None
    try:
        year, month = value.split("-")
        if len(year) != 4 or not (year.isdigit() and month.isdigit()):
            raise ValueError(value)
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise ValidationError("이용월을 2026-11처럼 연도와 월로 입력해주세요.", field="이용월",
                              code="invalid_month") from None


def queue_filter(month=None, status=None, query=None) -> QueueFilter:
    status = str(status or "").strip()
    if status and status not in STATUS_LABELS:
        raise ValidationError("상태를 목록에서 골라주세요.", field="상태", code="invalid_choice")
    return QueueFilter(month=parse_month(month), status=status, query=" ".join(str(query or "").split())[:100])


def _like(words: str) -> str:
    return "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(f: QueueFilter):
    t = TaxInvoice
    stmt = select(t).join(Account, Account.id == t.account_id)
    if f.month is not None:
        stmt = stmt.where(t.usage_month == f.month)
    if f.status:
        stmt = stmt.where(t.status == f.status)
    if f.query:
        pattern = _like(f.query)
        conditions = [t.buyer_name.ilike(pattern, escape="\\"), Account.company_name.ilike(pattern, escape="\\"),
                      Account.display_name.ilike(pattern, escape="\\")]
        digits = f.query.replace("-", "").replace(" ", "")
        if digits.isdigit():
            conditions += [t.buyer_brn.like(_like(digits), escape="\\"), Account.brn.like(_like(digits), escape="\\")]
        stmt = stmt.where(or_(*conditions))
    return stmt


def queue(f: QueueFilter, *, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[TaxInvoice], int]:
    """TAX-05's queue: the invoices of the filter, the latest usage month first, in the order
    they were made within it."""
    return paginate(_filtered(f), TaxInvoice.usage_month.desc(), TaxInvoice.id, page=page, per_page=per_page)


def months() -> list[dt.date]:
    """The usage months that have invoices, the latest first (the filter's choices)."""
    return list(db.session.scalars(select(TaxInvoice.usage_month).distinct().order_by(TaxInvoice.usage_month.desc())))


# --- the Excel export (TAX-07) ---------------------------------------------------------------------------------

EXPORT_HEADERS = [N_("일련번호"), N_("구분"), N_("계정"), N_("상호"), N_("사업자번호"), N_("이용월"), N_("작성일자"),
                  N_("공급가액"), N_("세액"), N_("합계"), N_("상태"), N_("실패 사유"), N_("승인번호"), N_("발행일시"),
                  N_("담당자 이메일"), N_("수정사유"), N_("당초 승인번호")]


def _export_row(invoice: TaxInvoice, gettext) -> list:
    original = invoice.original
    reason = rules.CORRECTION_REASONS.get(invoice.correction_reason or 0)
    issued = f"{clock.to_kst(invoice.issued_at):%Y-%m-%d %H:%M:%S}" if invoice.issued_at else ""
    return [invoice.serial, gettext(KIND_LABELS[invoice.kind]), f"{invoice.account.display_name} #{invoice.account_id}",
            invoice.buyer_name, format_brn(invoice.buyer_brn), f"{invoice.usage_month:%Y-%m}",
            f"{invoice.written_on:%Y-%m-%d}", invoice.supply_total, invoice.tax_total, invoice.total,
            gettext(invoice.status_label), invoice.failure_reason or "", format_approval(invoice.approval_number),
            issued, invoice.contact_email,
            f"{invoice.correction_reason}. {gettext(reason)}" if reason else "",
            format_approval(original.approval_number) if original is not None else ""]


def export_sheet(f: QueueFilter, *, gettext=lambda text: text) -> tuple[str, list[str], Iterator[list]]:
    """(title, headers, rows) of the filter's invoices, in the queue's order (every page)."""
    stmt = _filtered(f).order_by(TaxInvoice.usage_month.desc(), TaxInvoice.id).execution_options(yield_per=500)

    def rows():
        for invoice in db.session.scalars(stmt):
            yield _export_row(invoice, gettext)
    return gettext("세금계산서"), [gettext(h) for h in EXPORT_HEADERS], rows()


def export_filename(f: QueueFilter, *, gettext=lambda text: text) -> str:
    month = f"{f.month:%Y-%m}" if f.month else gettext("전체기간")
    status = gettext(STATUS_LABELS[f.status]) if f.status else gettext("전체상태")
    return f"megabird_{gettext('세금계산서')}_{month}_{status}.xlsx".replace(" ", "")


# --- the dashboard --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    issued_count: int        # issued or filed, corrections included
    issued_total: int        # won, VAT included (a correction's minus copy counts negative)
    supply_total: int
    tax_total: int
    open_count: int          # not issued yet: 발행대기, 발행중, 발행실패


@dataclass(frozen=True)
class DeadlineWarning:
    invoice: TaxInvoice
    deadline: dt.date
    days_left: int           # negative once the deadline has passed


@dataclass(frozen=True)
class NextRun:
    day: dt.date             # the run day the tick prepares the previous month's invoices on (from then, hourly)
    usage_month: dt.date     # the month that run invoices
    prepared: int            # monthly invoices of that month already made
    last_run_at: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    months: tuple[MonthFigures, ...]      # the previous usage month, then the current
    counts: dict[str, int]                # invoices per state, every month
    warnings: tuple[DeadlineWarning, ...]
    failed: tuple[TaxInvoice, ...]
    next_run: NextRun

    @property
    def invoiced_total(self) -> int:
        return sum(m.issued_total for m in self.months)

    @property
    def invoiced_count(self) -> int:
        return sum(m.issued_count for m in self.months)


def _month_figures(months: list[dt.date]) -> list[MonthFigures]:
    t = TaxInvoice
    issued = {month: (n, total, supply, tax) for month, n, total, supply, tax in db.session.execute(
        select(t.usage_month, func.count(t.id), func.sum(t.total), func.sum(t.supply_total), func.sum(t.tax_total))
        .where(t.usage_month.in_(months), t.status.in_(invoices.DONE)).group_by(t.usage_month))}
    pending = dict(db.session.execute(select(t.usage_month, func.count(t.id))
                                      .where(t.usage_month.in_(months), t.status.notin_(invoices.DONE))
                                      .group_by(t.usage_month)).all())
    out = []
    for month in months:
        n, total, supply, tax = issued.get(month, (0, 0, 0, 0))
        out.append(MonthFigures(month, int(n or 0), int(total or 0), int(supply or 0), int(tax or 0),
                                int(pending.get(month, 0) or 0)))
    return out


def next_run(now: dt.datetime) -> NextRun:
    """The day of the next monthly run (TAX-03): this month's run day until it has passed
    (on the day itself the tick runs it every hour), else next month's."""
    today = invoices.kst_today(now)
    extra = invoices.extra_holidays()
    this_month = rules.month_of(today)
    day = rules.run_day(this_month, extra)
    if today > day:
        this_month = rules.month_of(rules.last_day(this_month) + dt.timedelta(days=1))
        day = rules.run_day(this_month, extra)
    usage_month = rules.previous_month(this_month)
    prepared = db.session.scalar(select(func.count(TaxInvoice.id)).where(TaxInvoice.usage_month == usage_month,
                                                                         TaxInvoice.kind == "monthly"))
    run = db.session.get(PeriodicRun, MONTHLY_TASK)
    return NextRun(day, usage_month, int(prepared or 0), run.last_run_at if run else None,
                   run.last_error if run else None)


def dashboard(now: dt.datetime, *, failed_limit: int = 20) -> Dashboard:
    """재무 대시보드: the invoiced total of the previous usage month and the current (issued or
    filed), the invoices per state, the deadline warnings (from the 8th, with the legal
    deadline), the failed issues with their reasons and the next monthly run."""
    today = invoices.kst_today(now)
    current = rules.month_of(today)
    extra = invoices.extra_holidays()
    counts = {status: 0 for status in STATUS_LABELS}
    counts.update({status: int(n) for status, n in db.session.execute(
        select(TaxInvoice.status, func.count(TaxInvoice.id)).group_by(TaxInvoice.status))})
    warnings = []
    for invoice in invoices.deadline_warnings(now):
        deadline = rules.deadline(invoice.usage_month, extra)
        warnings.append(DeadlineWarning(invoice, deadline, (deadline - today).days))
    failed = db.session.scalars(select(TaxInvoice).where(TaxInvoice.status == "failed")
                                .order_by(TaxInvoice.failed_at.desc(), TaxInvoice.id.desc()).limit(failed_limit))
    return Dashboard(today=today, months=tuple(_month_figures([rules.previous_month(today), current])),
                     counts=counts, warnings=tuple(warnings), failed=tuple(failed), next_run=next_run(now))


# --- one invoice ------------------------------------------------------------------------------------------------

def get(invoice_id) -> TaxInvoice:
    invoice = db.session.get(TaxInvoice, _id(invoice_id))
    if invoice is None:
        raise NotFound("세금계산서를 찾을 수 없습니다.")
    return invoice


def parties(invoice: TaxInvoice) -> tuple[rules.Party, rules.Party]:
    """(공급자, 공급받는자) as the invoice holds them."""
    return invoices.supplier_of(invoice), invoices.buyer(invoice)


def corrections_of(invoice: TaxInvoice) -> list[TaxInvoice]:
    return list(db.session.scalars(select(TaxInvoice).where(TaxInvoice.original_id == invoice.id)
                                   .order_by(TaxInvoice.id)))


def can_correct(invoice: TaxInvoice) -> bool:
    """Whether the page offers 수정세금계산서: an issued monthly invoice not yet cancelled or
    corrected by reason 1, 4 or 6 (`invoices.correct` decides; this only hides the button)."""
    return invoice.kind == "monthly" and invoice.status in invoices.DONE and not any(
        c.correction_reason in (1, 4, 6) for c in corrections_of(invoice))


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    actor: str
    action: str
    label: str               # what happened, in Korean (shared/audit's table)
    reason: str
    details: str             # approval number, amount, corrections made


def history(invoice: TaxInvoice) -> list[HistoryLine]:
    """What happened to the invoice (each issue attempt and its failure, corrections,
    refreshed data), oldest first, from the audit log."""
    entries = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "tax_invoice",
                                                        AuditLog.object_id == str(invoice.id))
                                 .order_by(AuditLog.created_at, AuditLog.id))
    return [HistoryLine(e.created_at, e.actor_login, e.action, audit.action_label(e.action), e.reason or "",
                        audit.describe(e.after)) for e in entries]


def breakdown(invoice: TaxInvoice) -> list[usage.TypeUsage]:
    """The month's usage per message type (TAX-03: on the detail page, not on the invoice)."""
    return usage.breakdown(invoice.account_id, invoice.usage_month)


#: the 공급받는자 columns an invoice holds (ACC-12), and the 공급자's fields, as the page names them
BUYER_COLUMNS = (("buyer_brn", N_("사업자번호")), ("buyer_name", N_("상호")), ("buyer_representative", N_("대표자")),
                 ("buyer_address", N_("사업장주소")), ("buyer_business_type", N_("업태")), ("buyer_business_item", N_("종목")),
                 ("contact_name", N_("담당자")), ("contact_email", N_("담당자 이메일")), ("contact_phone", N_("담당자 연락처")),
                 ("remark", N_("요청사항")))
SUPPLIER_FIELDS = (("brn", N_("사업자번호")), ("name", N_("상호")), ("representative", N_("대표자")), ("address", N_("사업장주소")),
                   ("business_type", N_("업태")), ("business_item", N_("종목")), ("contact_name", N_("담당자")),
                   ("contact_email", N_("담당자 이메일")), ("contact_phone", N_("담당자 연락처")))


def refreshable(invoice: TaxInvoice) -> bool:
    """A monthly invoice not issued yet may take the parties' current data (a correction
    copies its original's, which must stay)."""
    return invoice.kind == "monthly" and invoice.status in ("pending", "failed")


def _current_columns(invoice: TaxInvoice) -> dict:
    """The parties as the monthly run would take them now (the invoice's own 공급자 while the
    SUPPLIER_* settings are incomplete: production mode refuses to start so)."""
    # the account's company data as the monthly run takes it (invoices.buyer_columns: see the module's docstring)
    columns = invoices.buyer_columns(db.session.get(Account, invoice.account_id))
    try:
        columns["supplier_json"] = json.dumps(dataclasses.asdict(invoices.supplier()), ensure_ascii=False)
    except SupplierNotConfigured:
        columns["supplier_json"] = invoice.supplier_json
    return columns


def party_changes(invoice: TaxInvoice) -> list[tuple[str, str, str, str]]:
    """(party, field label, on the invoice, now) where the account's company data or the
    configured 공급자 differ from what an invoice not issued yet holds: what a refresh would
    change (an issued invoice keeps its parties for good)."""
    if not refreshable(invoice):
        return []
    current = _current_columns(invoice)
    changes = [(N_("공급받는자"), label, getattr(invoice, column) or "", current[column] or "")
               for column, label in BUYER_COLUMNS if (getattr(invoice, column) or "") != (current[column] or "")]
    held, fresh = invoices.supplier_of(invoice), rules.Party(**json.loads(current["supplier_json"]))
    changes += [(N_("공급자"), label, getattr(held, name) or "", getattr(fresh, name) or "")
                for name, label in SUPPLIER_FIELDS if (getattr(held, name) or "") != (getattr(fresh, name) or "")]
    return changes


def refresh_parties(invoice_id, *, actor, now: dt.datetime) -> TaxInvoice:
    """발행 정보 다시 불러오기: a monthly invoice not issued yet takes the account's current
    company data and the configured 공급자, so that an issue refused for the data (a wrong
    business number, a missing representative) can succeed once the data is fixed — the
    invoice keeps the data of the day it was prepared until then (ACC-12). Its amounts,
    dates and items stay."""
    with transaction():
        invoice = db.session.scalar(select(TaxInvoice).where(TaxInvoice.id == _id(invoice_id))
                                    .with_for_update())
        if invoice is None:
            raise NotFound("세금계산서를 찾을 수 없습니다.")
        if not refreshable(invoice):
            raise InvalidState("발행대기 또는 발행실패 상태의 월합계 세금계산서만 정보를 다시 불러올 수 있습니다.",
                               code="not_refreshable")
        changes = party_changes(invoice)
        columns = _current_columns(invoice)
        moved = db.session.execute(update(TaxInvoice).where(TaxInvoice.id == invoice.id,
                                                            TaxInvoice.status.in_(("pending", "failed")))
                                   .values(**columns), execution_options={"synchronize_session": False})
        if moved.rowcount != 1:            # pragma: no cover - the row is locked above
            raise InvalidState("세금계산서의 상태가 바뀌었습니다. 페이지를 새로고침해주세요.", code="not_refreshable")
        audit.record(actor=actor, action="tax_invoice_parties_refreshed", object_type="tax_invoice",
                     object_id=invoice.id, account_id=invoice.account_id,
                     before={f"{party} {label}": old for party, label, old, _new in changes},
                     after={f"{party} {label}": new for party, label, _old, new in changes}, now=now)
    db.session.expire_all()
    return db.session.get(TaxInvoice, invoice.id)


def pdf_of(invoice_id) -> tuple[StoredFile, str]:
    """The stored PDF copy of an issued invoice and the name to download it by."""
    invoice = get(invoice_id)
    if invoice.pdf_file_id is None or invoice.pdf_file is None:
        raise NotFound("이 세금계산서에는 PDF 사본이 없습니다. 발행된 세금계산서만 사본이 있습니다.")
    return invoice.pdf_file, documents.filename(invoice)


# --- issuing (TAX-05) -------------------------------------------------------------------------------------------

def issue_one(invoice_id, *, actor, now: dt.datetime, issuer=None) -> TaxInvoice:
    """One invoice through the issuing adapter, with its PDF copy and e-mail (an invoice
    already issued is answered as it is: never a second approval number)."""
    return invoices.issue(invoice_id, actor=actor, now=now, issuer=issuer, after_issue=documents.after_issue)


@dataclass
class IssueOutcome:
    issued: list[TaxInvoice] = dataclasses.field(default_factory=list)
    failed: list[TaxInvoice] = dataclasses.field(default_factory=list)
    already: list[int] = dataclasses.field(default_factory=list)          # issued before this request
    refused: list[tuple[int, str]] = dataclasses.field(default_factory=list)   # (id, why): busy, not found

    def summary(self) -> str:
        """The flash: "2건 발행, 1건 실패", and what else happened."""
        text = f"{len(self.issued):,}건 발행, {len(self.failed):,}건 실패"
        if self.already:
            text += f", 이미 발행된 {len(self.already):,}건 제외"
        if self.refused:
            text += f", 발행할 수 없는 {len(self.refused):,}건 제외"
        return text + "."


def selected_ids(values: Iterable) -> list[int]:
    """The ticked invoices, each once in the order given; refuses none or too many."""
    ids = list(dict.fromkeys(_id(value) for value in values if str(value).strip()))
    if not ids:
        raise ValidationError("발행할 세금계산서를 선택해주세요.", field="세금계산서", code="required")
    if len(ids) > ISSUE_LIMIT:
        raise ValidationError(f"한 번에 {ISSUE_LIMIT:,}건까지 발행할 수 있습니다. 나누어 발행해주세요.",
                              field="세금계산서", code="too_many")
    return ids


def issue_many(values: Iterable, *, actor, now: dt.datetime, issuer=None) -> IssueOutcome:
    """선택 발행: each ticked invoice issued on its own (`issue_one`), so that one refusal
    stops none of the others."""
    outcome = IssueOutcome()
    for invoice_id in selected_ids(values):
        before = db.session.get(TaxInvoice, invoice_id)
        if before is not None and before.status in invoices.DONE:
            outcome.already.append(invoice_id)
            db.session.commit()
            continue
        try:
            invoice = issue_one(invoice_id, actor=actor, now=now, issuer=issuer)
        except MegabirdError as refused:        # being issued by someone else, or no such invoice
            db.session.rollback()
            outcome.refused.append((invoice_id, refused.message))
            continue
        (outcome.issued if invoice.status in invoices.DONE else outcome.failed).append(invoice)
    return outcome


# --- corrections (TAX-06) ---------------------------------------------------------------------------------------

#: what each offered reason makes, for the form
CORRECTION_EFFECTS = {
    1: N_("당초 세금계산서의 마이너스(-) 사본 1장과, 고객 계정의 현재 사업자 정보로 다시 쓴 세금계산서 1장을 만듭니다. "
       "두 장 모두 작성일자는 당초와 같습니다."),
    2: N_("늘거나 줄어든 금액만큼 세금계산서 1장을 만듭니다. 금액은 부가세 포함이며, 줄면 음수(예: -11,000)로 "
       "입력해주세요. 작성일자는 오늘입니다."),
    4: N_("당초 세금계산서의 마이너스(-) 사본 1장을 만들어 취소합니다. 작성일자는 오늘(계약 해제일)입니다."),
    6: N_("잘못 두 번 발행한 세금계산서를 취소하는 마이너스(-) 사본 1장을 만듭니다. 작성일자는 당초와 같습니다."),
}


def correct(original_id, *, reason, amount=None, actor, now: dt.datetime) -> list[TaxInvoice]:
    """수정세금계산서 as pending invoices (`invoices.correct`); the amount is read for reason 2 only."""
    reason_text = str(reason or "").strip()
    if not reason_text:
        raise ValidationError("수정사유를 골라주세요.", field="수정사유", code="required")
    return invoices.correct(original_id, reason=reason_text, actor=actor, now=now,
                            amount=amount if reason_text == "2" else None)


# --- 임시공휴일 (TAX-03) ------------------------------------------------------------------------------------------

def holidays() -> list[ExtraHoliday]:
    return list(db.session.scalars(select(ExtraHoliday).order_by(ExtraHoliday.day.desc())))


def _day(text) -> dt.date:
    value = str(text or "").strip()
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("날짜를 2026-05-01처럼 연-월-일로 입력해주세요.", field="날짜", code="invalid_date") from None


def _spoken(day: dt.date) -> str:
    """2026년 5월 6일 (which takes 은, 이, 을 after its 일)."""
    return f"{day.year}년 {day.month}월 {day.day}일"


def add_holiday(day, name, *, actor, now: dt.datetime) -> ExtraHoliday:
    """A 임시공휴일 the `holidays` package does not know: the monthly run and the deadline move
    past it. Refuses a day already listed here or already a public holiday."""
    day = _day(day)
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError("공휴일 이름을 입력해주세요.", field="이름", code="required")
    if len(name) > HOLIDAY_NAME_MAX:
        raise ValidationError(f"공휴일 이름은 {HOLIDAY_NAME_MAX}자까지 입력할 수 있습니다.", field="이름", code="too_long")
    known = public_holidays.KR(years=day.year, language="ko").get(day)
    if known:
        raise ValidationError(f"{_spoken(day)}은 이미 공휴일({known})입니다. 따로 추가하지 않아도 됩니다.", field="날짜",
                              code="already_holiday")
    duplicate = ValidationError(f"{_spoken(day)}은 이미 임시공휴일로 등록되어 있습니다.", field="날짜", code="duplicate")
    try:
        with transaction():
            if db.session.get(ExtraHoliday, day) is not None:
                raise duplicate
            holiday = ExtraHoliday(day=day, name=name, created_by=getattr(actor, "id", None), created_at=now)
            db.session.add(holiday)
            db.session.flush()
            audit.record(actor=actor, action="add_extra_holiday", object_type="extra_holiday",
                         object_id=day.isoformat(), after={"name": name}, now=now)
    except IntegrityError:          # added by someone else at the same moment
        db.session.rollback()
        raise duplicate from None
    return holiday


def delete_holiday(day, *, actor, now: dt.datetime) -> None:
    day = _day(day)
    with transaction():
        holiday = db.session.get(ExtraHoliday, day)
        if holiday is None:
            raise NotFound("그 날짜의 임시공휴일이 없습니다.")
        audit.record(actor=actor, action="delete_extra_holiday", object_type="extra_holiday",
                     object_id=day.isoformat(), before={"name": holiday.name}, now=now)
        db.session.delete(holiday)


@dataclass(frozen=True)
class MonthCalendar:
    usage_month: dt.date         # the month invoiced
    month: dt.date               # the month the run happens in
    run_day: dt.date             # the run of the previous month's invoices
    deadline: dt.date            # the last day to issue the previous month's invoices


def calendar(now: dt.datetime, count: int = 6) -> list[MonthCalendar]:
    """The run days and deadlines of this month and the next ones, with the 임시공휴일."""
    extra = invoices.extra_holidays()
    month = rules.month_of(invoices.kst_today(now))
    out = []
    for _ in range(count):
        out.append(MonthCalendar(rules.previous_month(month), month, rules.run_day(month, extra),
                                 rules.deadline(rules.previous_month(month), extra)))
        month = rules.month_of(rules.last_day(month) + dt.timedelta(days=1))
    return out
