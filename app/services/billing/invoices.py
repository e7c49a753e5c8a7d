"""세금계산서 (08-tax-invoice.md TAX-03..06): the monthly run that prepares one 월합계 invoice per
corporate account with 매월 자동 발행, issuing through the issuing adapter (idempotent per
invoice: its serial is the adapter's management key), corrections, and the part of the money
invariant that says invoices and usage agree.

An invoice keeps the parties' data as they were when it was prepared (ACC-12) and is never
edited once issued; a correction is another invoice that points at it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.domain import tax_invoice as rules
from app.domain.tax_invoice import InvoiceDocument, Item, Party
from app.errors import InvalidState, NotFound, ValidationError
from app.extensions import db
from app.gateways import tax_invoices
from app.gateways.tax_invoices import IssueRefused, get_issuer
from app.models import Account, ExtraHoliday, TaxInvoice, TaxInvoiceItem
from app.security.tenancy import get_owned
from app.services.billing import usage
from app.services.shared import audit
from app.services.shared.uow import transaction

log = logging.getLogger(__name__)

ISSUABLE = ("pending", "failed")
DONE = ("issued", "filed")
#: an invoice left `issuing` this long (its worker died mid-call) may be issued again: the
#: adapter answers the same approval number for the same management key
STALE_ISSUING = dt.timedelta(minutes=10)
HISTORY_YEARS = 5


# --- the calendar --------------------------------------------------------------------------------------------

def extra_holidays() -> list[dt.date]:
    return list(db.session.scalars(select(ExtraHoliday.day)))


def kst_today(now: dt.datetime) -> dt.date:
    return clock.to_kst(now).date()


# --- the parties ---------------------------------------------------------------------------------------------

def supplier() -> Party:
    """공급자: the service's own business data from configuration (gateways/tax_invoices)."""
    return tax_invoices.supplier()


def buyer_columns(account: Account) -> dict:
    """공급받는자 and the contact as an invoice keeps them (the monthly run, a correction, 발행 정보 다시 불러오기)."""
    return {"buyer_brn": account.brn or "", "buyer_name": account.company_name or account.display_name,
            "buyer_representative": account.representative or "", "buyer_address": account.business_address or "",
            "buyer_business_type": account.business_type or "", "buyer_business_item": account.business_item or "",
            "contact_name": account.tax_contact_name or "", "contact_email": account.tax_contact_email or "",
            "contact_phone": account.tax_contact_phone or "", "remark": (account.tax_request_note or "")[:100]}


def buyer(invoice: TaxInvoice) -> Party:
    return Party(brn=invoice.buyer_brn, name=invoice.buyer_name, representative=invoice.buyer_representative,
                 address=invoice.buyer_address, business_type=invoice.buyer_business_type,
                 business_item=invoice.buyer_business_item, contact_name=invoice.contact_name,
                 contact_email=invoice.contact_email, contact_phone=invoice.contact_phone)


def supplier_of(invoice: TaxInvoice) -> Party:
    return Party(**json.loads(invoice.supplier_json))


# --- the monthly run (TAX-03) --------------------------------------------------------------------------------

def monthly_key(account_id: int, month: dt.date) -> str:
    return f"monthly:{account_id}:{month:%Y-%m}"


def _monthly(account: Account, month: dt.date, total: int, supplier_json: str, now: dt.datetime) -> TaxInvoice:
    supply, tax = rules.split_vat(total)
    written = rules.last_day(month)
    invoice = TaxInvoice(account_id=account.id, kind="monthly", dedupe_key=monthly_key(account.id, month),
                         usage_month=month, written_on=written, status="pending", supply_total=supply,
                         tax_total=tax, total=total, supplier_json=supplier_json, created_at=now,
                         **buyer_columns(account))
    invoice.items = [TaxInvoiceItem(seq=1, written_on=written, name=rules.item_name(month), supply=supply, tax=tax)]
    return invoice


def run_due(now: dt.datetime) -> bool:
    """Whether today (KST) is the run day of this month or later."""
    today = kst_today(now)
    return today >= rules.run_day(rules.month_of(today), extra_holidays())


def prepare_month(now: dt.datetime, *, month: dt.date | None = None, chunk: int = 500) -> int:
    """The tick's monthly run: from the run day (the 5th, or the next business day) on, the
    previous month's 월합계 for every corporate account with 매월 자동 발행 and a non-zero
    invoiced amount, status 발행대기. Safe to run twice, late or at once from two ticks: an
    invoice exists once per account and month (its dedupe key). Returns how many it made."""
    if month is None:
        if not run_due(now):
            return 0
        month = rules.previous_month(kst_today(now))
    amounts = usage.invoiced_by_account(month)
    done = set(db.session.scalars(select(TaxInvoice.account_id).where(TaxInvoice.usage_month == month,
                                                                      TaxInvoice.kind == "monthly")))
    wanted = [account_id for account_id, total in sorted(amounts.items()) if total > 0 and account_id not in done]
    supplier_json = json.dumps(dataclasses.asdict(supplier()), ensure_ascii=False)
    made = 0
    for start in range(0, len(wanted), chunk):
        ids = wanted[start:start + chunk]
        accounts = list(db.session.scalars(select(Account).where(Account.id.in_(ids), Account.kind == "corporate",
                                                                 Account.tax_invoice_auto.is_(True))
                                           .order_by(Account.id)))
        try:
            with transaction():
                for account in accounts:
                    db.session.add(_monthly(account, month, amounts[account.id], supplier_json, now))
            made += len(accounts)
        except IntegrityError:          # another run made some of them meanwhile: one by one
            db.session.rollback()
            for account in accounts:
                try:
                    with transaction():
                        db.session.add(_monthly(db.session.get(Account, account.id), month, amounts[account.id],
                                                supplier_json, now))
                    made += 1
                except IntegrityError:
                    db.session.rollback()
    db.session.commit()
    return made


def deadline_warnings(now: dt.datetime) -> list[TaxInvoice]:
    """From the 8th: last month's invoices still not issued (the deadline is the 10th, or the
    next business day)."""
    today = kst_today(now)
    if today.day < rules.WARNING_DAY:
        return []
    month = rules.previous_month(today)
    return list(db.session.scalars(select(TaxInvoice).where(TaxInvoice.usage_month <= month,
                                                            TaxInvoice.status.in_(("pending", "failed", "issuing")))
                                   .order_by(TaxInvoice.usage_month, TaxInvoice.id)))


# --- issuing (TAX-05) ----------------------------------------------------------------------------------------

def document(invoice: TaxInvoice) -> InvoiceDocument:
    original = invoice.original
    return InvoiceDocument(
        key=invoice.serial, written_on=invoice.written_on, supplier=supplier_of(invoice), buyer=buyer(invoice),
        supply_total=invoice.supply_total, tax_total=invoice.tax_total,
        items=tuple(Item(written_on=i.written_on, name=i.name, supply=i.supply, tax=i.tax, note=i.note)
                    for i in invoice.items),
        remark=invoice.remark, correction_reason=invoice.correction_reason,
        original_approval=original.approval_number if original is not None else None)


def _claim(invoice_id: int, now: dt.datetime) -> bool:
    t = TaxInvoice
    claimed = db.session.execute(
        update(t).where(t.id == invoice_id, t.status.in_(ISSUABLE)
                        | ((t.status == "issuing") & (t.issuing_since < now - STALE_ISSUING)))
        .values(status="issuing", attempts=t.attempts + 1, issuing_since=now),
        execution_options={"synchronize_session": False})
    db.session.commit()
    return claimed.rowcount == 1


def issue(invoice_id, *, actor, now: dt.datetime, issuer=None, after_issue=None) -> TaxInvoice:
    """Issue one invoice through the adapter: 발행완료 with the NTS approval number, or 발행실패
    with the adapter's reason (retry later). Claimed first, so two clerks (or a double click)
    issue it once; a retry after a lost answer asks the adapter again with the same key,
    which answers the same approval number. `after_issue(invoice)` (the PDF copy and the
    e-mail) runs in a transaction of its own once the issue is recorded; if it fails, the tick
    makes the copy again (documents.make_missing)."""
    invoice = db.session.get(TaxInvoice, _int(invoice_id))
    if invoice is None:
        raise NotFound("세금계산서를 찾을 수 없습니다.")
    if invoice.status in DONE:
        return invoice
    if not _claim(invoice.id, now):
        raise InvalidState("이미 발행 중이거나 발행된 세금계산서입니다.", code="not_issuable")
    invoice = db.session.get(TaxInvoice, invoice.id)
    doc = document(invoice)
    db.session.commit()             # nothing held while the provider answers
    try:
        result = (issuer or get_issuer()).issue(doc)
    except IssueRefused as refused:
        with transaction():
            invoice = db.session.get(TaxInvoice, invoice.id)
            invoice.status, invoice.failure_reason, invoice.failed_at = "failed", refused.message[:500], now
            audit.record(actor=actor, action="tax_invoice_issue_failed", object_type="tax_invoice",
                         object_id=invoice.id, account_id=invoice.account_id, reason=refused.message[:500], now=now)
        return invoice
    with transaction():
        invoice = db.session.get(TaxInvoice, invoice.id)
        invoice.status, invoice.approval_number = "issued", result.approval_number
        invoice.issued_at, invoice.failed_at, invoice.failure_reason = result.issued_at or now, None, None
        invoice.issued_by = getattr(actor, "id", None)
        audit.record(actor=actor, action="tax_invoice_issued", object_type="tax_invoice", object_id=invoice.id,
                     account_id=invoice.account_id, after={"approval_number": result.approval_number,
                                                           "total": invoice.total}, now=now)
    if after_issue is not None:     # the copy and its e-mail: once the issue is recorded, whatever befalls them
        try:
            with transaction():
                after_issue(db.session.get(TaxInvoice, invoice.id))
        except Exception:
            log.exception("the copy of tax invoice %s was not made; the tick makes it again", invoice.id)
    return db.session.get(TaxInvoice, invoice.id)


def refresh_filed(now: dt.datetime, limit: int = 200) -> int:
    """The tick: issued invoices the NTS has received since are 국세청 전송완료."""
    invoices = db.session.scalars(select(TaxInvoice).where(TaxInvoice.status == "issued")
                                  .order_by(TaxInvoice.id).limit(limit)).all()
    keys = {invoice.id: invoice.serial for invoice in invoices}
    db.session.commit()
    issuer, filed = get_issuer(), 0
    for invoice_id, key in keys.items():
        try:
            state = issuer.status(key)
        except IssueRefused as refused:
            log.warning("status of tax invoice %s: %s", key, refused.message)
            continue
        if state.state == "filed":
            moved = db.session.execute(update(TaxInvoice).where(TaxInvoice.id == invoice_id,
                                                                TaxInvoice.status == "issued")
                                       .values(status="filed", filed_at=now),
                                       execution_options={"synchronize_session": False})
            filed += moved.rowcount
            db.session.commit()
    return filed


# --- corrections (TAX-06) ------------------------------------------------------------------------------------

def _copy(original: TaxInvoice, *, sign: int, reason: int, now: dt.datetime, written_on: dt.date,
          supply: int | None = None, tax: int | None = None, parties: Account | None = None) -> TaxInvoice:
    supply = sign * original.supply_total if supply is None else supply
    tax = sign * original.tax_total if tax is None else tax
    columns = {c: getattr(original, c) for c in ("buyer_brn", "buyer_name", "buyer_representative", "buyer_address",
                                                  "buyer_business_type", "buyer_business_item", "contact_name",
                                                  "contact_email", "contact_phone", "remark")}
    if parties is not None:
        columns.update(buyer_columns(parties))
    invoice = TaxInvoice(account_id=original.account_id, kind="correction", usage_month=original.usage_month,
                         written_on=written_on, status="pending", supply_total=supply, tax_total=tax,
                         total=supply + tax, supplier_json=original.supplier_json, correction_reason=reason,
                         original_id=original.id, created_at=now, **columns)
    name = rules.item_name(original.usage_month)
    invoice.items = [TaxInvoiceItem(seq=1, written_on=written_on, name=name, supply=supply, tax=tax,
                                    note=str(rules.CORRECTION_REASONS[reason]))]
    return invoice


def correct(original_id, *, reason, actor, now: dt.datetime, amount=None) -> list[TaxInvoice]:
    """수정세금계산서 of an issued invoice, as pending invoices to issue:
    1 기재사항 착오정정 — a minus copy of the original and a corrected one with the account's
      current company data, both dated as the original;
    2 공급가액 변동 — one invoice of the ± difference `amount` (VAT included), dated today;
    4 계약의 해제 — a minus copy, dated today;
    6 착오에 의한 이중발급 — a minus copy, dated as the original."""
    reason = _int(reason, field="수정사유")
    if reason not in rules.CORRECTION_REASONS:
        raise ValidationError("수정사유를 1, 2, 4, 6 중에서 골라주세요.", field="수정사유", code="invalid_choice")
    with transaction():
        original = db.session.scalar(select(TaxInvoice).where(TaxInvoice.id == _int(original_id)).with_for_update())
        if original is None:
            raise NotFound("세금계산서를 찾을 수 없습니다.")
        if original.status not in DONE or original.kind != "monthly":
            raise InvalidState("발행된 세금계산서만 수정할 수 있습니다.", code="not_correctable")
        if db.session.scalar(select(TaxInvoice.id).where(TaxInvoice.original_id == original.id,
                                                         TaxInvoice.correction_reason.in_((1, 4, 6))).limit(1)):
            raise InvalidState("이미 취소 또는 정정된 세금계산서입니다.", code="already_corrected")
        today = kst_today(now)
        if reason == 1:
            made = [_copy(original, sign=-1, reason=1, now=now, written_on=original.written_on),
                    _copy(original, sign=1, reason=1, now=now, written_on=original.written_on,
                          parties=db.session.get(Account, original.account_id))]
        elif reason == 2:
            difference = _int(amount, field="변동 금액", signed=True)
            if not difference:
                raise ValidationError("변동 금액을 입력해주세요. 늘면 양수, 줄면 음수입니다.", field="변동 금액",
                                      code="required")
            if original.total + difference < 0:
                raise ValidationError("변동 후 합계금액이 0원보다 작을 수 없습니다.", field="변동 금액",
                                      code="invalid_amount")
            supply, tax = rules.split_vat(difference)
            made = [_copy(original, sign=1, reason=2, now=now, written_on=today, supply=supply, tax=tax)]
        else:
            made = [_copy(original, sign=-1, reason=reason, now=now,
                          written_on=today if reason == 4 else original.written_on)]
        for invoice in made:
            db.session.add(invoice)
        db.session.flush()
        audit.record(actor=actor, action="tax_invoice_corrected", object_type="tax_invoice", object_id=original.id,
                     account_id=original.account_id, reason=str(rules.CORRECTION_REASONS[reason]),
                     after={"corrections": [i.id for i in made]}, now=now)
    return made


def _int(value, *, field: str = "세금계산서", signed: bool = False) -> int:
    text = str(value if value is not None else "").strip().replace(",", "")
    digits = text[1:] if signed and text[:1] in "+-" else text
    if not digits.isdigit() or len(digits) > 12:
        raise ValidationError(f"{field} 값이 올바르지 않습니다.", field=field, code="invalid_number")
    return int(text)


# --- reading ---------------------------------------------------------------------------------------------------

def of_account(account_id: int, invoice_id) -> TaxInvoice:
    return get_owned(TaxInvoice, _int(invoice_id), account_id)


def history_since(now: dt.datetime) -> dt.date:
    today = kst_today(now)
    return today.replace(year=today.year - HISTORY_YEARS, day=1)


# --- the invariant --------------------------------------------------------------------------------------------

def violations(limit: int = 1) -> list[str]:
    """For every account and month with an issued monthly invoice: the issued invoices of that
    month (the monthly one and its corrections) add up to the cash invoiced by its usage — unless
    a correction changed the amount on purpose (2 공급가액 변동, 4 계약의 해제, 6 이중발급)."""
    t = TaxInvoice
    issued = (select(t.account_id, t.usage_month, func.sum(t.total).label("total"))
              .where(t.status.in_(DONE)).group_by(t.account_id, t.usage_month).subquery())
    months = db.session.execute(
        select(issued.c.account_id, issued.c.usage_month, issued.c.total)
        .where(select(t.id).where(t.account_id == issued.c.account_id, t.usage_month == issued.c.usage_month,
                                  t.kind == "monthly", t.status.in_(DONE)).exists())
        .where(~select(t.id).where(t.account_id == issued.c.account_id, t.usage_month == issued.c.usage_month,
                                   t.correction_reason.in_((2, 4, 6))).exists())).all()
    problems = []
    for account_id, month, total in months:
        invoiced = usage.invoiced_by_account(month, [account_id]).get(account_id, 0)
        if int(total or 0) != invoiced:
            problems.append(f"account {account_id}: invoices of {month:%Y-%m} total {int(total or 0)} "
                            f"but its usage invoiced {invoiced}")
            if len(problems) >= limit:
                break
    return problems
