"""Where cash came from and what a month is invoiced for (08-tax-invoice.md TAX-02, TAX-03):
cash spent first in first out by top-up, refunds back to the lots they came from, card cash
and points left off the invoice, the month of settlement, and the monthly run — its day
(the 5th or the next business day, 임시공휴일 included), one 월합계 per account and month
however many runs, its dates, item line and rounding; ledger-check clean after each."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from app import clock
from app.domain import tax_invoice as rules
from app.extensions import db
from app.models import Account, BillingUsage, CashLot, ExtraHoliday
from app.services.billing import invoices, usage
from app.services.checks import invariant_violations
from app.services.wallet import ledger
from tests.support.billing import corporate, invoices_of, usage_of
from tests.support.tax import card, numbers, transfer
from tests.support.pipeline import accept, kst, phones, run_to_completion, tick, work

NOVEMBER = dt.date(2026, 11, 1)
DECEMBER = dt.date(2026, 12, 1)










def rows(app, account_id: int) -> list[BillingUsage]:
    with app.app_context():
        found = list(db.session.scalars(select(BillingUsage).where(BillingUsage.account_id == account_id)
                                        .order_by(BillingUsage.id)))
        db.session.expunge_all()
        return found


def clean(app) -> None:
    with app.app_context():
        assert invariant_violations(limit=5) == []


def test_tax02_a_month_paid_half_by_card_half_by_transfer(app):
    """Card 5,000 then transfer 5,000; 400 SMS at 20 won hold 8,000 (card 5,000 + transfer
    3,000); 100 fail, so 2,000 go back — to the transfer lot, the latest taken — and the
    month invoices the transfer cash spent: 1,000 won (909 + 91), not the card's 5,000."""
    customer = corporate(app)
    start = kst(2026, 11, 10, 10, 0)
    card(app, customer.account_id, 5_000, start)
    transfer(app, customer.account_id, 5_000, start)
    send = accept(app, customer, numbers((300, 0), (100, 90)), now=start)
    run_to_completion(app, start)
    [row] = rows(app, customer.account_id)
    assert (row.send_id, row.layer, row.msg_type, row.month) == (send.send_id, "primary", "SMS", NOVEMBER)
    assert (row.delivered, row.charged, row.cash, row.card_cash, row.invoiced_cash, row.points, row.refunded) == (
        300, 6_000, 6_000, 5_000, 1_000, 0, 2_000)
    with app.app_context():
        lots = [(lot.funding, lot.amount, lot.remaining) for lot in
                db.session.scalars(select(CashLot).where(CashLot.account_id == customer.account_id).order_by(CashLot.id))]
        totals = usage.month_totals(customer.account_id, NOVEMBER)
    assert lots == [("card", 5_000, 0), ("bank_transfer", 5_000, 4_000)]
    assert (totals.invoiced_cash, totals.card_cash, totals.supply, totals.tax) == (1_000, 5_000, 909, 91)
    clean(app)


def test_tax02_points_are_never_invoiced(app):
    customer = corporate(app)
    start = kst(2026, 11, 10, 10, 0)
    transfer(app, customer.account_id, 10_000, start)
    with app.app_context():
        ledger.grant_points(customer.account_id, 100, reason="가입 축하", key="test:points", now=start)
    accept(app, customer, phones(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), now=start)      # 200 won: 100 points + 100 cash
    run_to_completion(app, start)
    [row] = rows(app, customer.account_id)
    assert (row.charged, row.points, row.cash, row.invoiced_cash) == (200, 100, 100, 100)
    clean(app)


def test_tax02_a_send_accepted_on_the_31st_and_settled_on_the_1st_counts_in_the_next_month(app):
    customer = corporate(app)
    late = kst(2026, 10, 31, 23, 59, 50)
    transfer(app, customer.account_id, 1_000, late)
    accept(app, customer, phones(0), now=late)
    work(app, late)
    tick(app, kst(2026, 11, 1, 0, 0, 30))
    [row] = rows(app, customer.account_id)
    assert row.month == NOVEMBER and row.invoiced_cash == 20
    clean(app)


def test_tax02_a_cash_refund_pays_out_transfers_first_and_a_cancelled_card_takes_its_own(app):
    customer = corporate(app)
    now = kst(2026, 11, 10, 10, 0)
    transfer(app, customer.account_id, 3_000, now)
    card(app, customer.account_id, 4_000, now)
    with app.app_context():
        ledger.cash_refund(customer.account_id, 1_000, key="test:cash-refund", now=now)
        card_topup = db.session.scalar(select(ledger.LedgerEntry).where(
            ledger.LedgerEntry.account_id == customer.account_id, ledger.LedgerEntry.kind == "topup")
            .order_by(ledger.LedgerEntry.id.desc()))
        ledger.cancel_topup(customer.account_id, 4_000, key="test:cancel", now=now, topup_id=card_topup.topup_id)
        lots = [(lot.funding, lot.remaining) for lot in
                db.session.scalars(select(CashLot).where(CashLot.account_id == customer.account_id).order_by(CashLot.id))]
    assert lots == [("bank_transfer", 2_000), ("card", 0)]
    clean(app)


# --- the monthly run -----------------------------------------------------------------------------------------





@pytest.mark.parametrize("today,run_day", [
    (dt.date(2026, 12, 4), dt.date(2026, 12, 7)), (dt.date(2026, 12, 5), dt.date(2026, 12, 7)),   # a Saturday's 5th
    (dt.date(2026, 4, 5), dt.date(2026, 4, 6)), (dt.date(2026, 4, 6), dt.date(2026, 4, 6)),       # a Sunday's 5th
    (dt.date(2026, 5, 5), dt.date(2026, 5, 6)), (dt.date(2026, 5, 6), dt.date(2026, 5, 6)),       # 어린이날
])
def test_tax03_the_run_day_is_the_5th_or_the_next_business_day(app, today, run_day):
    assert rules.run_day(today.replace(day=1)) == run_day
    with app.app_context():
        assert invoices.run_due(kst(today.year, today.month, today.day, 9, 0)) is (today >= run_day)


def test_tax03_a_staff_holiday_moves_the_run(app):
    with app.app_context():
        db.session.add(ExtraHoliday(day=dt.date(2026, 5, 6), name="임시공휴일", created_at=clock.now()))
        db.session.commit()
        assert not invoices.run_due(kst(2026, 5, 6, 9, 0))
        assert invoices.run_due(kst(2026, 5, 7, 9, 0))


def test_tax03_one_monthly_invoice_per_account_its_dates_item_and_rounding(app):
    megazone = corporate(app)
    other = corporate(app, company_name="두번째 상사")
    off = corporate(app, auto=False)
    usage_of(app, megazone, 2_020)
    usage_of(app, other, 20)
    usage_of(app, off, 1_000)
    run_at = kst(2026, 12, 7, 9, 0)          # 12-05 is a Saturday
    with app.app_context():
        assert invoices.prepare_month(kst(2026, 12, 4, 9, 0)) == 0           # not yet
        assert invoices.prepare_month(run_at) == 2
        assert invoices.prepare_month(run_at + dt.timedelta(hours=1)) == 0   # again: nothing twice
        assert invoices.prepare_month(kst(2026, 12, 20, 9, 0)) == 0          # late: still once
    [invoice] = invoices_of(app, megazone.account_id)
    assert (invoice.kind, invoice.status, invoice.usage_month, invoice.written_on) == (
        "monthly", "pending", NOVEMBER, dt.date(2026, 11, 30))
    assert (invoice.supply_total, invoice.tax_total, invoice.total) == (1_836, 184, 2_020)     # 1,836.36…
    assert [(i.seq, i.name, i.written_on, i.supply, i.tax) for i in invoice.items] == [
        (1, "메시지 발송 이용료 2026년 11월", dt.date(2026, 11, 30), 1_836, 184)]
    assert (invoice.buyer_brn, invoice.buyer_name, invoice.contact_email) == (
        "1208800767", "메가존 주식회사", "tax@megazone.example")
    assert invoice.serial == f"MB202611-{invoice.id:06d}"
    [small] = invoices_of(app, other.account_id)
    assert (small.supply_total, small.tax_total) == (18, 2)
    assert invoices_of(app, off.account_id) == []
    clean(app)


@pytest.mark.parametrize("total,supply,tax", [(1, 1, 0), (11, 10, 1), (99_999, 90_908, 9_091), (20, 18, 2),
                                              (110, 100, 10), (0, 0, 0), (-11, -10, -1)])
def test_tax02_rounding_of_awkward_totals(total, supply, tax):
    assert rules.split_vat(total) == (supply, tax)


def test_rel08_two_runs_at_once_make_one_invoice_per_account(app, backend):
    accounts = [corporate(app) for _ in range(4)]
    for customer in accounts:
        usage_of(app, customer, 40)
    run_at = kst(2026, 12, 7, 9, 0)
    made, errors = [], []

    def run():
        try:
            with app.app_context():
                made.append(invoices.prepare_month(run_at))
        except Exception as exc:     # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sum(made) == 4
    for customer in accounts:
        assert len(invoices_of(app, customer.account_id)) == 1
    clean(app)


def test_tax03_the_company_data_is_the_one_of_the_day_it_was_prepared(app):
    customer = corporate(app)
    usage_of(app, customer, 200)
    with app.app_context():
        invoices.prepare_month(kst(2026, 12, 7, 9, 0))
        db.session.get(Account, customer.account_id).company_name = "새이름 주식회사"
        db.session.commit()
    [invoice] = invoices_of(app, customer.account_id)
    assert invoice.buyer_name == "메가존 주식회사"
