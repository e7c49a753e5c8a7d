"""Issuing tax invoices through the issuing adapter (08-tax-invoice.md TAX-05, TAX-06, REL-08):
발행완료 with the NTS approval number, the PDF copy stored and e-mailed to the contact; a
refusal recorded with its reason and retried; issuing twice, or at once from two clerks, gives
one approval number; corrections 1, 2, 4, 6 make the documents the law asks for; and
ledger-check proves issued invoices equal the month's invoiced usage."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest
from sqlalchemy import select

from app import clock
from app.errors import InvalidState, ValidationError
from app.extensions import db
from app.models import Account, MailOutbox, SandboxTaxInvoice, StoredFile, TaxInvoice
from app.services.billing import documents, invoices
from app.services.checks import invariant_violations
from tests.support.billing import corporate, invoices_of, usage_of
from tests.support.pdftext import pdf_text
from tests.support.pipeline import kst

RUN_AT = kst(2026, 12, 7, 9, 0)
ISSUE_AT = kst(2026, 12, 7, 10, 0)


def prepared(app, total: int = 2_020, **fields) -> tuple[object, int]:
    customer = corporate(app, **fields)
    usage_of(app, customer, total)
    with app.app_context():
        invoices.prepare_month(RUN_AT)
    [invoice] = invoices_of(app, customer.account_id)
    return customer, invoice.id


def issue(app, invoice_id: int, now: dt.datetime = ISSUE_AT, *, pin: bool = True) -> TaxInvoice:
    """Issue as a clerk would; `pin=False` in a thread (the caller pins the one clock)."""
    with app.app_context(), (clock.frozen(now) if pin else contextlib.nullcontext()):
        invoice = invoices.issue(invoice_id, actor=None, now=now, after_issue=documents.after_issue)
        db.session.refresh(invoice)
        db.session.expunge(invoice)
        return invoice


def test_tax05_issue_records_the_approval_number_stores_the_copy_and_mails_it(app):
    customer, invoice_id = prepared(app)
    invoice = issue(app, invoice_id)
    assert invoice.status == "issued" and len(invoice.approval_number) == 24 and invoice.issued_at == ISSUE_AT
    with app.app_context():
        invoice = db.session.get(TaxInvoice, invoice_id)
        stored = db.session.get(StoredFile, invoice.pdf_file_id)
        assert stored.content_type == "application/pdf" and stored.account_id == customer.account_id
        from app.services.shared import files
        text = pdf_text(files.path_of(stored).read_bytes())
        mail = db.session.scalar(select(MailOutbox).where(MailOutbox.attachment_file_id == stored.id))
        sandbox = db.session.scalar(select(SandboxTaxInvoice).where(SandboxTaxInvoice.key == invoice.serial))
    assert "전자세금계산서" in text and "메가존 주식회사" in text and "1,836" in text and "184" in text, text
    assert f"{invoice.approval_number[:8]}-{invoice.approval_number[8:16]}-{invoice.approval_number[16:]}" in text \
        or invoice.approval_number in text.replace("-", "")
    assert mail.recipient == "tax@megazone.example" and "2026년 11월 세금계산서 발행 안내" in mail.subject
    assert sandbox is not None
    with app.app_context():
        assert invariant_violations(limit=5) == []


def test_tax05_a_refusal_is_recorded_with_its_reason_and_can_be_retried(app):
    _customer, invoice_id = prepared(app, company_name="[일시장애] 메가존")
    failed = issue(app, invoice_id)
    assert failed.status == "failed" and failed.failure_reason and failed.approval_number is None
    with app.app_context():
        # the provider is back: the same invoice (same data, same management key) is issued
        invoice = db.session.get(TaxInvoice, invoice_id)
        invoice.buyer_name = "메가존"          # the sandbox's switch is the buyer name
        db.session.commit()
    again = issue(app, invoice_id, ISSUE_AT + dt.timedelta(minutes=5))
    assert again.status == "issued" and again.attempts == 2 and again.failure_reason is None


def test_rel08_issuing_twice_or_at_once_gives_one_approval_number(app, backend):
    _customer, invoice_id = prepared(app)
    answers, errors = [], []

    def clerk():
        try:
            answers.append(issue(app, invoice_id, pin=False).approval_number)
        except InvalidState as exc:          # the other clerk has it right now
            errors.append(exc.code)

    with clock.frozen(ISSUE_AT):            # pinned once, outside the threads
        threads = [threading.Thread(target=clerk) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(answers) + len(errors) == 2 and set(errors) <= {"not_issuable"}
    assert issue(app, invoice_id).approval_number in answers     # a third time: the same
    with app.app_context():
        assert db.session.query(SandboxTaxInvoice).count() == 1
        assert len({a for a in answers if a}) == 1


def test_tax05_a_stale_issuing_claim_is_taken_over_and_the_adapter_answers_the_same_number(app):
    _customer, invoice_id = prepared(app)
    first = issue(app, invoice_id)
    with app.app_context():      # a worker died after the provider issued, before we recorded it
        invoice = db.session.get(TaxInvoice, invoice_id)
        invoice.status, invoice.approval_number, invoice.issuing_since = "issuing", None, ISSUE_AT
        db.session.commit()
    with pytest.raises(InvalidState):
        issue(app, invoice_id, ISSUE_AT + dt.timedelta(minutes=1))
    later = issue(app, invoice_id, ISSUE_AT + dt.timedelta(minutes=11))
    assert later.status == "issued" and later.approval_number == first.approval_number


def test_tax05_issued_invoices_reach_the_nts_the_next_day(app):
    _customer, invoice_id = prepared(app)
    issue(app, invoice_id)
    with app.app_context(), clock.frozen(ISSUE_AT + dt.timedelta(hours=1)):
        assert invoices.refresh_filed(ISSUE_AT + dt.timedelta(hours=1)) == 0
    with app.app_context(), clock.frozen(kst(2026, 12, 8, 9, 0)):
        assert invoices.refresh_filed(kst(2026, 12, 8, 9, 0)) == 1
        assert db.session.get(TaxInvoice, invoice_id).status == "filed"


def corrections(app, invoice_id: int, reason, amount=None) -> list[TaxInvoice]:
    with app.app_context(), clock.frozen(kst(2026, 12, 15, 9, 0)):
        made = invoices.correct(invoice_id, reason=reason, actor=None, now=kst(2026, 12, 15, 9, 0), amount=amount)
        out = []
        for invoice in made:
            items = [(i.supply, i.tax, i.note) for i in invoice.items]
            doc = invoices.document(invoice)
            out.append((invoice.kind, invoice.correction_reason, invoice.written_on, invoice.supply_total,
                        invoice.tax_total, invoice.buyer_name, items, doc.original_approval, doc.correction_reason))
        return out


def test_tax06_each_correction_reason_makes_its_documents(app):
    customer, invoice_id = prepared(app)
    original = issue(app, invoice_id)
    approval, november = original.approval_number, dt.date(2026, 11, 30)
    with app.app_context():
        db.session.get(Account, customer.account_id).company_name = "메가존 클라우드"
        db.session.commit()
    assert corrections(app, invoice_id, "2", amount="-220") == [
        ("correction", 2, dt.date(2026, 12, 15), -200, -20, "메가존 주식회사", [(-200, -20, "공급가액 변동")], approval, 2)]
    assert corrections(app, invoice_id, 1) == [
        ("correction", 1, november, -1_836, -184, "메가존 주식회사", [(-1_836, -184, "기재사항 착오정정")], approval, 1),
        ("correction", 1, november, 1_836, 184, "메가존 클라우드", [(1_836, 184, "기재사항 착오정정")], approval, 1)]
    with pytest.raises(InvalidState) as twice:               # a corrected invoice is not corrected again
        corrections(app, invoice_id, 6)
    assert twice.value.code == "already_corrected"


@pytest.mark.parametrize("reason,written", [(4, dt.date(2026, 12, 15)), (6, dt.date(2026, 11, 30))])
def test_tax06_a_cancellation_or_a_double_issue_is_a_minus_copy(app, reason, written):
    _customer, invoice_id = prepared(app)
    approval = issue(app, invoice_id).approval_number
    [(kind, code, on, supply, tax, _name, _items, original, _)] = corrections(app, invoice_id, reason)
    assert (kind, code, on, supply, tax, original) == ("correction", reason, written, -1_836, -184, approval)


@pytest.mark.parametrize("reason,amount,message", [
    ("3", None, "수정사유를 1, 2, 4, 6 중에서 골라주세요."), ("x", None, "수정사유 값이 올바르지 않습니다."),
    ("2", None, "변동 금액 값이 올바르지 않습니다."), ("2", "0", "변동 금액을 입력해주세요. 늘면 양수, 줄면 음수입니다."),
    ("2", "-9999999", "변동 후 합계금액이 0원보다 작을 수 없습니다.")])
def test_tax06_bad_corrections_are_refused_by_name(app, reason, amount, message):
    _customer, invoice_id = prepared(app)
    issue(app, invoice_id)
    with pytest.raises(ValidationError) as refused:
        corrections(app, invoice_id, reason, amount)
    assert refused.value.message == message
    with app.app_context():
        assert db.session.query(TaxInvoice).filter(TaxInvoice.kind == "correction").count() == 0


def test_tax06_a_pending_invoice_is_not_corrected(app):
    _customer, invoice_id = prepared(app)
    with pytest.raises(InvalidState):
        corrections(app, invoice_id, 4)


def test_money_and_tax_agree_and_ledger_check_says_when_they_do_not(app):
    customer, invoice_id = prepared(app)
    issue(app, invoice_id)
    with app.app_context():
        assert invoices.violations(limit=5) == []
        invoice = db.session.get(TaxInvoice, invoice_id)
        invoice.supply_total, invoice.tax_total, invoice.total = 1_000, 100, 1_100   # tampered
        db.session.commit()
        assert invoices.violations(limit=5) == [
            f"account {customer.account_id}: invoices of 2026-11 total 1100 but its usage invoiced 2020"]


def test_tax05_a_copy_not_made_at_issue_is_made_by_the_tick(app):
    """The copy and its e-mail follow the recorded issue in their own transaction; an issue
    recorded without them (its step failed, or was not given) gets them from the tick."""
    _customer, invoice_id = prepared(app)
    with app.app_context(), clock.frozen(ISSUE_AT):
        invoices.issue(invoice_id, actor=None, now=ISSUE_AT)          # no copy step
        assert db.session.get(TaxInvoice, invoice_id).pdf_file_id is None
        assert documents.make_missing(ISSUE_AT) == 1
        invoice = db.session.get(TaxInvoice, invoice_id)
        assert invoice.pdf_file_id is not None and invoice.status == "issued"
        assert db.session.scalar(select(MailOutbox.id).where(MailOutbox.attachment_file_id == invoice.pdf_file_id))
        assert documents.make_missing(ISSUE_AT) == 0
        db.session.commit()


def test_tax06_a_double_issue_correction_is_not_a_money_problem(app):
    _customer, invoice_id = prepared(app)
    issue(app, invoice_id)
    [minus] = corrections(app, invoice_id, 6)
    assert minus[3] == -1_836
    with app.app_context():
        made = db.session.scalar(select(TaxInvoice.id).where(TaxInvoice.correction_reason == 6))
    issue(app, made)
    with app.app_context():
        assert invoices.violations(limit=5) == []
