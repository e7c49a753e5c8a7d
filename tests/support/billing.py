"""Helpers for the tax-invoice tests: a corporate account with its company and 담당자 data,
invoiced usage made through the real pipeline (a bank transfer confirmed by an operator,
a send, the worker and the ticks until it settles), the monthly run, and reading invoices
and what the sandbox issuing service received (each read in its own app context)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.gateways.tax_invoices import SandboxIssuer
from app.models import Account, MailOutbox, TaxInvoice
from app.services.billing import invoices
from tests.support.factories import make_customer
from tests.support import tax
from tests.support.pipeline import accept, kst, run_to_completion
from tests.support.tax import transfer  # noqa: F401  (the tests import it from here too)

NOVEMBER = dt.date(2026, 11, 1)
DECEMBER = dt.date(2026, 12, 1)
#: 2026-12-05 is a Saturday: November's run is on Monday the 7th
RUN_AT = kst(2026, 12, 7, 9, 0)
VALID_BRN = "1208800767"


def corporate(app, *, auto: bool = True, **fields):
    """A corporate customer with 매월 자동 발행 and complete company data (`fields` override)."""
    customer = make_customer(app, kind="corporate")
    with app.app_context():
        account = db.session.get(Account, customer.account_id)
        account.brn, account.company_name, account.representative = VALID_BRN, "메가존 주식회사", "김대표"
        account.business_address, account.business_type, account.business_item = "서울 강남구", "서비스", "소프트웨어"
        account.tax_invoice_auto, account.tax_contact_name = auto, "이담당"
        account.tax_contact_email, account.tax_contact_phone = "tax@megazone.example", "0212345678"
        for name, value in fields.items():
            setattr(account, name, value)
        db.session.commit()
    return customer


def change_account(app, account_id: int, **fields) -> None:
    """The account's company data changed (as an approved 기업정보 change would)."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        for name, value in fields.items():
            setattr(account, name, value)
        db.session.commit()




def numbers(count: int, ending: int = 0) -> list[str]:
    """`count` distinct numbers ending in `ending`."""
    return tax.numbers((count, ending))


def usage_of(app, customer, total: int, *, month: dt.date = NOVEMBER) -> None:
    """Invoiced usage of `total` won (a multiple of 20) settled in `month`: total / 20 SMS
    paid by a bank transfer, delivered and settled through the pipeline."""
    at = kst(month.year, month.month, 12, 10, 0)
    transfer(app, customer.account_id, max(1_000, -(-total // 1_000) * 1_000), at)
    accept(app, customer, numbers(total // 20), now=at)
    run_to_completion(app, at)


def prepare(app, now: dt.datetime = RUN_AT) -> int:
    """The monthly run (the tick's task) at `now`."""
    with app.app_context():
        return invoices.prepare_month(now)


def invoices_of(app, account_id: int) -> list[TaxInvoice]:
    """The account's invoices, oldest first, detached with their items loaded."""
    with app.app_context():
        found = list(db.session.scalars(select(TaxInvoice).where(TaxInvoice.account_id == account_id)
                                        .order_by(TaxInvoice.id)))
        for invoice in found:
            list(invoice.items)
        db.session.expunge_all()
        return found


def invoice_row(app, invoice_id: int) -> TaxInvoice:
    with app.app_context():
        invoice = db.session.get(TaxInvoice, invoice_id)
        list(invoice.items)
        db.session.expunge_all()
        return invoice


def document_of(app, invoice_id: int):
    """What the issuing adapter receives for the invoice (invoices.document)."""
    with app.app_context():
        doc = invoices.document(db.session.get(TaxInvoice, invoice_id))
        db.session.commit()
        return doc


def issued_by_sandbox(app, key: str) -> list:
    """The sandbox issuing service's rows for a management key (one per key, ever)."""
    with app.app_context():
        return SandboxIssuer.issued(key=key)


def mails_to(app, recipient: str) -> list[MailOutbox]:
    with app.app_context():
        found = list(db.session.scalars(select(MailOutbox).where(MailOutbox.recipient == recipient)
                                        .order_by(MailOutbox.id)))
        db.session.expunge_all()
        return found
