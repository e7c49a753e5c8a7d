"""세금계산서 test data through the services (08-tax-invoice.md): a corporate account with its
business data and its tax settings (TAX-01), top-ups by card and by bank transfer, usage made by
real sends through the pipeline (TAX-02), the month's invoice prepared by the monthly run
(TAX-03) and issued through the sandbox adapter with its PDF copy (TAX-05)."""
from __future__ import annotations

import datetime as dt

from app import clock
from app.extensions import db
from app.models import Account
from app.services.billing import customer as tax_customer
from app.services.billing import documents, invoices
from app.services.shared.uow import transaction
from app.services.wallet import topups
from tests.support.factories import Customer, make_customer
from tests.support.pipeline import accept, actor, kst, phones, run_to_completion, staff_user

NOVEMBER = dt.date(2026, 11, 1)
#: November's monthly run: the 5th of December 2026 is a Saturday, so Monday the 7th
RUN_AT = kst(2026, 12, 7, 9, 0)
ISSUE_AT = kst(2026, 12, 7, 14, 0)
#: a page seen after November's invoice was made and issued
LATER_PAGE = kst(2026, 12, 20, 10, 0)
COMPANY = {"brn": "1208800767", "company_name": "메가존 주식회사", "representative": "김대표",
           "business_address": "서울특별시 강남구 논현로85길 46", "business_type": "서비스",
           "business_item": "소프트웨어"}
SETTINGS = {"issue": "auto", "contact_name": "이담당", "contact_email": "tax@megazone.example",
            "contact_phone": "02-123-4567", "request_note": ""}


def company_data(app, account_id: int, **fields) -> None:
    """The business registration data an approved 기업전환 leaves on the account."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        for name, value in {**COMPANY, **fields}.items():
            setattr(account, name, value)
        db.session.commit()


def settings(app, account_id: int, **changes) -> None:
    """The 담당자 정보 saved through the page's service (TAX-01)."""
    with app.app_context():
        tax_customer.save_settings(account_id=account_id, form={**SETTINGS, **changes}, actor=None, now=clock.now())


def corporate(app, *, note: str = "", **fields) -> Customer:
    """A corporate account with its business data and 매월 자동 발행 to its contact."""
    customer = make_customer(app, kind="corporate")
    company_data(app, customer.account_id, **fields)
    settings(app, customer.account_id, request_note=note)
    return customer


def card(app, account_id: int, amount: int, now: dt.datetime) -> None:
    with app.app_context():
        topups.pay_by_card(account_id=account_id, amount=amount, customer="고객", now=now)


def transfer(app, account_id: int, amount: int, now: dt.datetime) -> None:
    """A bank transfer asked for and confirmed by an operator (입금확인)."""
    operator = staff_user(app)
    with app.app_context():
        request = topups.request_bank_transfer(account_id=account_id, amount=amount, depositor_name="메가존", now=now)
        with transaction():
            topups.decide_bank_transfer(request.id, approve=True, actor=actor(operator), now=now)


def numbers(*groups: tuple[int, int]) -> list[str]:
    """(count, ending) groups of distinct numbers (phones() makes at most 100 at a time)."""
    out = []
    for count, ending in groups:
        while count:
            part = min(count, 90)
            out += phones(*([ending] * part))
            count -= part
    return out


def send(app, customer: Customer, *groups: tuple[int, int], at: dt.datetime) -> int:
    """A send of SMS to (count, ending) groups, run to its settlement (ending 90 fails)."""
    accepted = accept(app, customer, numbers(*groups), now=at)
    run_to_completion(app, at)
    return accepted.send_id


def monthly_invoice(app, customer: Customer, total: int, *, month: dt.date = NOVEMBER,
                    run_at: dt.datetime = RUN_AT) -> int:
    """Invoiced usage of `total` won in `month` (a bank transfer, then total / 20 SMS
    delivered) and the month's invoice made by the monthly run: its id."""
    at = kst(month.year, month.month, 12, 10, 0)
    transfer(app, customer.account_id, max(1_000, -(-total // 1_000) * 1_000), at)
    send(app, customer, (total // 20, 0), at=at)
    with app.app_context():
        invoices.prepare_month(run_at, month=month)
        [invoice] = [i for i in tax_customer.history(customer.account_id, run_at, page=1)[0] if i.usage_month == month]
        return invoice.id


def issue(app, invoice_id: int, at: dt.datetime = ISSUE_AT) -> str:
    """Issue through the sandbox adapter, with the PDF copy stored and mailed: the approval number."""
    with app.app_context(), clock.frozen(at):         # the sandbox dates the issue by the clock
        issued = invoices.issue(invoice_id, actor=None, now=at, after_issue=documents.after_issue)
        assert issued.status == "issued", issued.failure_reason
        return issued.approval_number
