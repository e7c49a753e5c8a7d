"""The PDF copy of a tax invoice and its e-mail (08-tax-invoice.md TAX-04, TAX-05): the copy is
for the customer's records — the invoice itself is the one the issuing adapter filed with the
NTS, whose approval number the copy shows. Rendered through shared/pdf.render_pdf in Korean,
stored with the invoice, and sent to the invoice's contact with the copy attached, all in the
transaction that records the issue (the e-mail leaves after it commits)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app import clock
from app.domain.files import CheckedFile
from app.domain.tax_invoice import CORRECTION_REASONS
from app.gateways.tax_invoices import format_approval
from app.extensions import db
from app.services.shared.uow import transaction
from app.models import TaxInvoice
from app.services.billing import invoices
from app.services.shared import files, notices
from app.services.shared.pdf import render_pdf

PDF = CheckedFile("application/pdf", "pdf")


def filename(invoice: TaxInvoice) -> str:
    return f"세금계산서_{invoice.serial}_{invoice.buyer_name}.pdf".replace("/", "_")


def copy_pdf(invoice: TaxInvoice) -> bytes:
    return render_pdf(render_template("pdf/tax_invoice.html", invoice=invoice, supplier=invoices.supplier_of(invoice),
                                      approval=format_approval(invoice.approval_number),
                                      original_approval=format_approval(invoice.original.approval_number
                                                                        if invoice.original else None),
                                      buyer=invoices.buyer(invoice), reasons=CORRECTION_REASONS,
                                      printed_at=clock.to_kst(clock.now())))


def _mail_body(invoice: TaxInvoice) -> str:
    kind = "수정세금계산서" if invoice.kind == "correction" else "세금계산서"
    return (f"안녕하세요, {invoice.buyer_name} {invoice.contact_name or ''} 담당자님. megabird입니다.\n\n"
            f"{invoice.usage_month.year}년 {invoice.usage_month.month}월 이용분 {kind}를 발행했습니다.\n\n"
            f"- 일련번호: {invoice.serial}\n- 국세청 승인번호: {format_approval(invoice.approval_number)}\n"
            f"- 작성일자: {invoice.written_on:%Y-%m-%d}\n- 공급가액: {invoice.supply_total:,}원\n"
            f"- 세액: {invoice.tax_total:,}원\n- 합계금액: {invoice.total:,}원\n\n"
            "첨부한 PDF는 보관용 사본이며, 세금계산서 원본은 국세청 홈택스에서 조회하실 수 있습니다.\n\n"
            "본 메일은 발신 전용입니다. 궁금한 점은 고객센터로 문의해주세요.\n")


def make_missing(now, limit: int = 50) -> int:
    """The tick: issued invoices whose copy was not made (its step failed after the issue was
    recorded) get it, and their e-mail, now."""
    ids = list(db.session.scalars(select(TaxInvoice.id).where(TaxInvoice.status.in_(invoices.DONE),
                                                              TaxInvoice.pdf_file_id.is_(None))
                                  .order_by(TaxInvoice.id).limit(limit)))
    db.session.commit()
    made = 0
    for invoice_id in ids:
        with transaction():
            invoice = db.session.scalar(select(TaxInvoice).where(TaxInvoice.id == invoice_id).with_for_update())
            if invoice is not None and invoice.pdf_file_id is None:
                after_issue(invoice)
                made += 1
    return made


def after_issue(invoice: TaxInvoice) -> None:
    """The issue's step: the PDF copy stored with the invoice and the e-mail to its contact."""
    now = clock.now()
    stored = files.store(account_id=invoice.account_id, kind="tax_invoice", filename=filename(invoice),
                         data=copy_pdf(invoice), checked=PDF, now=now)
    db.session.flush()
    invoice.pdf_file_id = stored.id
    if invoice.contact_email:
        kind = "수정세금계산서" if invoice.kind == "correction" else "세금계산서"
        notices.queue_mail(recipient=invoice.contact_email, account_id=invoice.account_id, now=now,
                           subject=f"[megabird] {invoice.usage_month.year}년 {invoice.usage_month.month}월 {kind} 발행 안내",
                           body=_mail_body(invoice), attachment_file_id=stored.id)
