"""세금계산서 as the customer sees it (08-tax-invoice.md TAX-01, TAX-02, TAX-04; 09-api.md API-08):
the settings of a corporate account (발행 여부 and the 담당자 that every monthly invoice names),
this month's running totals, the history of the last five years with one invoice's detail and
its PDF copy, and the same invoices for the API. Every read takes the account it acts for;
another account's invoice is not found."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app import clock
from app.domain import message_types
from app.domain import tax_invoice as rules
from app.domain import text
from app.domain.korean import josa
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.gateways.tax_invoices import format_approval
from app.models import BillingUsage, StoredFile, TaxInvoice
from app.services.accounts import accounts
from app.services.billing import documents, invoices, usage
from app.services.shared import audit
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

PER_PAGE = 20
REQUEST_NOTE_MAX = 100
#: 발행 여부 on the form: 매월 자동 발행 or 발행하지 않음
ISSUE_CHOICES = {"auto": True, "none": False}
#: the states the API names (09-api.md): an invoice being issued is still waiting to be issued
API_STATES = ("pending", "issued", "filed", "failed")
_API_STATE = {"issuing": "pending"}
_STATES_OF = {"pending": ("pending", "issuing")}

CORPORATE_ONLY = "세금계산서 신청은 기업회원만 가능합니다. 먼저 기업회원으로 전환해주세요."


# --- TAX-01 the settings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    auto: bool
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    request_note: str | None

    def as_dict(self) -> dict:
        return {"tax_invoice_auto": self.auto, "tax_contact_name": self.contact_name,
                "tax_contact_email": self.contact_email, "tax_contact_phone": self.contact_phone,
                "tax_request_note": self.request_note}


def check_settings(form) -> Settings:
    """The 담당자 정보 form, every refusal naming its field. The contact is required while 매월
    자동 발행 is chosen (the invoice is sent to it); with 발행하지 않음 it may be left blank."""
    choice = (form.get("issue") or "").strip()
    if choice not in ISSUE_CHOICES:
        raise ValidationError("발행 여부를 선택해주세요.", field="발행 여부", code="required")
    auto = ISSUE_CHOICES[choice]
    name, email, phone = form.get("contact_name"), form.get("contact_email"), form.get("contact_phone")
    if auto or any(str(v or "").strip() for v in (name, email, phone)):
        name = text.required(name, "담당자 이름", max_length=50)
        email = _contact_email(email)
        phone = accounts._contact_phone(phone)         # the rule of 기업전환's 담당자 연락처
    else:
        name = email = phone = None
    note = text.optional(form.get("request_note"), "요청 사항", max_length=REQUEST_NOTE_MAX)
    return Settings(auto=auto, contact_name=name, contact_email=email, contact_phone=phone, request_note=note)


def _contact_email(value) -> str:
    try:
        return text.email(value, "담당자 이메일")
    except ValidationError as error:          # the shared wording does not name the field
        if error.code != "invalid_email":
            raise
        raise ValidationError("담당자 이메일을 올바른 이메일 주소로 입력해주세요 (예: tax@example.com).",
                              field="담당자 이메일", code="invalid_email") from None


def settings_of(account) -> Settings:
    return Settings(auto=bool(account.tax_invoice_auto), contact_name=account.tax_contact_name,
                    contact_email=account.tax_contact_email, contact_phone=account.tax_contact_phone,
                    request_note=account.tax_request_note)


def save_settings(*, account_id: int, form, actor, now: dt.datetime):
    """[신청]: the settings saved on the account, with an audit entry; the next monthly invoice
    names this contact and carries the request note (요청사항). Corporate accounts only."""
    with transaction():
        account = accounts.get_account(account_id, for_update=True)
        if not account.is_corporate:
            raise Forbidden(CORPORATE_ONLY, code="corporate_only")
        wanted = check_settings(form)
        before = settings_of(account).as_dict()
        for name, value in wanted.as_dict().items():
            setattr(account, name, value)
        audit.record(actor=actor, action="tax_invoice_settings", object_type="account", object_id=account.id,
                     account_id=account.id, before=before, after=wanted.as_dict(), now=now)
    return account


# --- TAX-02 this month --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Running:
    month: dt.date
    totals: usage.MonthTotals


def running_totals(account_id: int, now: dt.datetime) -> Running:
    """This KST month's usage so far: 총 공급가액 and 총 부가세액 of the invoiced cash, the card
    part (the card slip stands for the invoice) and the points (free credit), neither invoiced."""
    month = rules.month_of(clock.to_kst(now).date())
    return Running(month=month, totals=usage.month_totals(account_id, month))


# --- TAX-04 history and detail --------------------------------------------------------------------------------

def _listed(account_id: int, now: dt.datetime):
    return select(TaxInvoice).where(TaxInvoice.account_id == account_id,
                                    TaxInvoice.usage_month >= invoices.history_since(now))


def history(account_id: int, now: dt.datetime, *, page: int, per_page: int = PER_PAGE) -> tuple[list[TaxInvoice], int]:
    """세금계산서 발행 내역: the account's invoices of the last five years, newest first."""
    return paginate(_listed(account_id, now), TaxInvoice.created_at.desc(), TaxInvoice.id.desc(),
                    page=page, per_page=per_page)


@dataclass(frozen=True)
class Detail:
    invoice: TaxInvoice
    supplier: rules.Party
    buyer: rules.Party
    approval: str
    types: list[usage.TypeUsage]
    reason: str | None              # a correction's 수정사유
    original_approval: str          # a correction's original, its approval number (8-8-8)

    @property
    def downloadable(self) -> bool:
        return self.invoice.status in invoices.DONE and self.invoice.pdf_file_id is not None

    @property
    def type_totals(self) -> usage.TypeUsage:
        return usage.TypeUsage("", "", *(sum(getattr(row, name) for row in self.types) for name in
                                 ("delivered", "charged", "card_cash", "invoiced_cash", "points")))


def detail(account_id: int, invoice_id) -> Detail:
    """One invoice of the account: both parties as the invoice names them, its items, the
    approval number (8-8-8) and the month's usage per type."""
    invoice = invoices.of_account(account_id, invoice_id)
    reason = rules.CORRECTION_REASONS.get(invoice.correction_reason) if invoice.correction_reason else None
    original = invoice.original
    return Detail(invoice=invoice, supplier=invoices.supplier_of(invoice), buyer=invoices.buyer(invoice),
                  approval=_approval(invoice), types=usage.breakdown(account_id, invoice.usage_month), reason=reason,
                  original_approval=_approval(original) if original is not None else "")


def _approval(invoice: TaxInvoice) -> str:
    return format_approval(invoice.approval_number) if invoice.approval_number else ""


@dataclass(frozen=True)
class Copy:
    file: StoredFile
    filename: str               # 세금계산서_MB202611-000001_메가존.pdf
    ascii_filename: str         # for clients that cannot read the Korean one


def pdf_copy(account_id: int, invoice_id) -> Copy:
    """The stored PDF copy of an issued invoice of the account."""
    invoice = invoices.of_account(account_id, invoice_id)
    if invoice.status not in invoices.DONE or invoice.pdf_file is None:
        raise NotFound("PDF 사본은 세금계산서가 발행된 후에 내려받을 수 있습니다.")
    return Copy(file=invoice.pdf_file, filename=documents.filename(invoice),
                ascii_filename=f"tax-invoice-{invoice.serial}.pdf")


# --- API-08 ---------------------------------------------------------------------------------------------------

def parse_month(value, field: str = "month") -> dt.date | None:
    """`YYYY-MM` → the month's first day; None when blank."""
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        digits = raw[:4] + raw[5:]
        if len(raw) != 7 or raw[4] != "-" or not (digits.isascii() and digits.isdigit()):
            raise ValueError
        return dt.date(int(raw[:4]), int(raw[5:]), 1)
    except ValueError:
        raise ValidationError(f"{josa(field, '은/는')} YYYY-MM 형식이어야 합니다 (예: 2026-11).", field=field,
                              code="invalid_month") from None


def api_page(account_id: int, now: dt.datetime, *, month: dt.date | None, state: str | None, page: int,
             per_page: int) -> tuple[list[dict], int]:
    """GET /api/v1/tax-invoices: the account's invoices of the last five years, newest first,
    filtered by usage month and state, each with its per-type items."""
    if state is not None and state not in API_STATES:
        raise ValidationError(f"state 값이 올바르지 않습니다: {state}", field="state", code="invalid_filter")
    stmt = _listed(account_id, now)
    if month is not None:
        stmt = stmt.where(TaxInvoice.usage_month == month)
    if state is not None:
        stmt = stmt.where(TaxInvoice.status.in_(_STATES_OF.get(state, (state,))))
    rows, total = paginate(stmt, TaxInvoice.created_at.desc(), TaxInvoice.id.desc(), page=page, per_page=per_page)
    types = _types_of_months(account_id, {invoice.usage_month for invoice in rows if invoice.kind == "monthly"})
    return [to_api(invoice, types.get(invoice.usage_month, []) if invoice.kind == "monthly" else [])
            for invoice in rows], total


def _types_of_months(account_id: int, months: set[dt.date]) -> dict[dt.date, list[tuple[str, int, int]]]:
    """Per month: (type, delivered, invoiced cash) of the account's usage, in one query."""
    if not months:
        return {}
    u = BillingUsage
    found: dict[dt.date, list[tuple[str, int, int]]] = {}
    for month, code, delivered, invoiced in db.session.execute(
            select(u.month, u.msg_type, func.sum(u.delivered), func.sum(u.invoiced_cash))
            .where(u.account_id == account_id, u.month.in_(sorted(months)))
            .group_by(u.month, u.msg_type).order_by(u.month, u.msg_type)):
        found.setdefault(month, []).append((code, int(delivered or 0), int(invoiced or 0)))
    order = {code: i for i, code in enumerate(message_types.CODES)}
    for rows in found.values():
        rows.sort(key=lambda row: (order.get(row[0], len(order)), row[0]))
    return found


def api_items(invoice: TaxInvoice, types: list[tuple[str, int, int]]) -> list[dict]:
    """A monthly invoice's amounts per message type: the invoice's 공급가액 shared out by each
    type's invoiced cash, so that the items add up to the invoice (its VAT is split once, on
    the month's total); a type's own split when the usage no longer matches the invoice."""
    invoiced = [amount for _code, _count, amount in types]
    if sum(invoiced) == invoice.total:
        supplies = usage.shares(invoice.supply_total, invoiced)
    else:
        supplies = [rules.split_vat(amount)[0] for amount in invoiced]
    return [{"type": code, "count": count, "supply": supply, "vat": amount - supply}
            for (code, count, amount), supply in zip(types, supplies)]


def _kst_iso(value: dt.datetime | None) -> str | None:
    return clock.to_kst(value).isoformat() if value else None


def to_api(invoice: TaxInvoice, types: list[tuple[str, int, int]]) -> dict:
    issued = clock.to_kst(invoice.issued_at).date().isoformat() if invoice.issued_at else None
    return {
        "id": invoice.id, "serial": invoice.serial, "kind": invoice.kind,
        "month": f"{invoice.usage_month:%Y-%m}", "written_on": invoice.written_on.isoformat(),
        "supply_amount": invoice.supply_total, "vat": invoice.tax_total, "total": invoice.total,
        "state": _API_STATE.get(invoice.status, invoice.status), "approval_number": invoice.approval_number,
        "issued_on": issued, "issued_at": _kst_iso(invoice.issued_at), "requested_at": _kst_iso(invoice.created_at),
        "remark": invoice.remark, "original_id": invoice.original_id, "correction_reason": invoice.correction_reason,
        "items": api_items(invoice, types),
    }
