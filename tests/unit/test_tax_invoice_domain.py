"""세금계산서 rules that need no database (app/domain/tax_invoice.py, TAX-02/03/06/08): VAT
out of a VAT-inclusive total, the monthly invoice's dates and item line, the run day and
the legal deadline over weekends, public holidays, substitute holidays and 임시공휴일."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from app.domain import tax_invoice as ti

D = dt.date


@pytest.mark.parametrize("total,supply,tax", [
    (0, 0, 0),
    (1, 1, 0),                 # 0.909… rounds up to 1
    (5, 5, 0),                 # 4.545… → 5
    (11, 10, 1),
    (110, 100, 10),
    (99_999, 90_908, 9_091),   # 90,908.18…
    (100_000, 90_909, 9_091),  # 90,909.09…
    (1_100_000, 1_000_000, 100_000),
    (-1, -1, 0),               # a correction's minus copy splits as its opposite
    (-11, -10, -1),
    (-99_999, -90_908, -9_091),
])
def test_split_vat(total, supply, tax):
    assert ti.split_vat(total) == (supply, tax)


def test_split_vat_is_round_half_up_of_total_over_1_1_and_adds_up():
    for total in range(0, 30_000):
        supply, tax = ti.split_vat(total)
        assert supply == int((Decimal(total) / Decimal("1.1")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert supply + tax == total and tax >= 0
        assert ti.split_vat(-total) == (-supply, -tax)


def test_months_and_the_item_line():
    assert ti.month_of(D(2026, 11, 17)) == D(2026, 11, 1)
    assert ti.previous_month(D(2026, 1, 5)) == D(2025, 12, 1)
    assert ti.previous_month(D(2026, 3, 31)) == D(2026, 2, 1)
    assert ti.item_name(D(2026, 3, 1)) == "메시지 발송 이용료 2026년 3월"


@pytest.mark.parametrize("month,last", [
    (D(2026, 2, 1), D(2026, 2, 28)),
    (D(2028, 2, 1), D(2028, 2, 29)),       # leap year
    (D(2100, 2, 1), D(2100, 2, 28)),       # a century not divisible by 400: not a leap year
    (D(2000, 2, 1), D(2000, 2, 29)),
    (D(2026, 4, 1), D(2026, 4, 30)),
    (D(2026, 12, 1), D(2026, 12, 31)),
])
def test_last_day_is_the_written_date_of_a_monthly_invoice(month, last):
    assert ti.last_day(month) == last


@pytest.mark.parametrize("month,run", [
    (D(2026, 3, 1), D(2026, 3, 5)),        # a Thursday
    (D(2026, 4, 1), D(2026, 4, 6)),        # the 5th is a Sunday
    (D(2026, 9, 1), D(2026, 9, 7)),        # the 5th is a Saturday
    (D(2026, 5, 1), D(2026, 5, 6)),        # 어린이날 (a Tuesday)
    (D(2026, 10, 1), D(2026, 10, 6)),      # 개천절 fell on Saturday the 3rd: Monday the 5th is its 대체공휴일
    (D(2029, 5, 1), D(2029, 5, 8)),        # Saturday 어린이날, then Monday's 대체공휴일
    (D(2027, 6, 1), D(2027, 6, 7)),        # Saturday the 5th, Sunday 현충일 (no substitute)
])
def test_run_day_is_the_5th_or_the_next_business_day(month, run):
    assert ti.run_day(month) == run


def test_run_day_skips_the_temporary_holidays_staff_add():
    assert ti.run_day(D(2026, 8, 1)) == D(2026, 8, 5)                     # a Wednesday
    assert ti.run_day(D(2026, 8, 1), [D(2026, 8, 5)]) == D(2026, 8, 6)   # 임시공휴일 on the 5th
    assert ti.run_day(D(2026, 8, 1), [D(2026, 8, 5), D(2026, 8, 6)]) == D(2026, 8, 7)
    # a 임시공휴일 on the Friday after a Saturday 5th: the run waits until Monday the 7th anyway
    assert ti.run_day(D(2026, 9, 1), [D(2026, 9, 4)]) == D(2026, 9, 7)
    assert ti.run_day(D(2026, 9, 1), [D(2026, 9, 7)]) == D(2026, 9, 8)


@pytest.mark.parametrize("day,business", [
    (D(2026, 3, 5), True),
    (D(2026, 3, 7), False),                # Saturday
    (D(2026, 3, 8), False),                # Sunday
    (D(2026, 3, 1), False),                # 삼일절
    (D(2026, 3, 2), False),                # its 대체공휴일 (3·1 fell on a Sunday)
    (D(2026, 12, 25), False),
])
def test_business_days(day, business):
    assert ti.is_business_day(day) is business


@pytest.mark.parametrize("usage,deadline", [
    (D(2026, 1, 1), D(2026, 2, 10)),       # a Tuesday
    (D(2026, 4, 1), D(2026, 5, 11)),       # 10 May 2026 is a Sunday
    (D(2026, 9, 1), D(2026, 10, 12)),      # 10 October is a Saturday (한글날 the Friday before)
    (D(2026, 12, 1), D(2027, 1, 11)),      # into the next year, a Sunday
])
def test_deadline_is_the_10th_of_the_next_month_or_the_next_business_day(usage, deadline):
    assert ti.deadline(usage) == deadline


def test_deadline_skips_a_temporary_holiday():
    assert ti.deadline(D(2026, 1, 1), [D(2026, 2, 10)]) == D(2026, 2, 11)


def test_the_days_of_the_run():
    assert (ti.RUN_DAY, ti.WARNING_DAY, ti.DEADLINE_DAY) == (5, 8, 10)


def test_correction_reasons_are_the_four_offered():
    assert sorted(ti.CORRECTION_REASONS) == [1, 2, 4, 6]
    assert str(ti.CORRECTION_REASONS[1]) == "기재사항 착오정정"


def test_an_invoice_document_totals_and_compares_without_meta():
    party = ti.Party(brn="2208112341", name="(주)고객", representative="김고객")
    item = ti.Item(D(2026, 11, 30), ti.item_name(D(2026, 11, 1)), 90_909, 9_091)
    doc = ti.InvoiceDocument(key="inv-1", written_on=D(2026, 11, 30), supplier=party, buyer=party,
                             supply_total=90_909, tax_total=9_091, items=(item,))
    assert doc.total == 100_000 and doc.purpose == "영수" and doc.correction_reason is None
    assert doc == ti.InvoiceDocument(key="inv-1", written_on=D(2026, 11, 30), supplier=party, buyer=party,
                                     supply_total=90_909, tax_total=9_091, items=(item,), meta={"x": 1})
