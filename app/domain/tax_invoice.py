"""세금계산서 (08-tax-invoice.md): the rules that need no database — VAT out of a VAT-inclusive
total, the monthly invoice's dates and item line, the business days of the run and of the
legal deadline, the correction reasons — and `InvoiceDocument`, the invoice as an issuing
adapter receives it (app/gateways/tax_invoices maps it to a provider's fields)."""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays

from app.domain.korean import N_

# --- VAT (TAX-02) -------------------------------------------------------------------------------------------------


def split_vat(total: int) -> tuple[int, int]:
    """(공급가액, 부가세액) of a VAT-inclusive amount: 공급가액 = round(total / 1.1) half up,
    부가세액 = total − 공급가액; a negative amount (a correction) is split as its opposite."""
    if total < 0:
        supply, tax = split_vat(-total)
        return -supply, -tax
    supply = (20 * total + 11) // 22          # floor(10·total/11 + ½), in integers
    return supply, total - supply


# --- the monthly invoice (TAX-03) -------------------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    """The first day of the day's month: how a usage month is named."""
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    return month_of(month_of(day) - dt.timedelta(days=1))


def last_day(month: dt.date) -> dt.date:
    """작성일자 of a monthly combined invoice (월합계): the month's last day."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def item_name(month: dt.date) -> str:
    return f"메시지 발송 이용료 {month.year}년 {month.month}월"


def is_business_day(day: dt.date, extra_holidays: Iterable[dt.date] = ()) -> bool:
    """Not a Saturday, a Sunday, a Korean public holiday (the `holidays` package, with its
    substitute holidays) or a 임시공휴일 that staff added."""
    return day.weekday() < 5 and day not in holidays.KR(years=day.year) and day not in set(extra_holidays)


def next_business_day(day: dt.date, extra_holidays: Iterable[dt.date] = ()) -> dt.date:
    """The day itself when it is a business day, else the next one."""
    extra = set(extra_holidays)
    while not is_business_day(day, extra):
        day += dt.timedelta(days=1)
    return day


RUN_DAY = 5          # the monthly run: the 5th, or the next business day
DEADLINE_DAY = 10    # the legal deadline to issue the previous month's invoice
WARNING_DAY = 8      # pending invoices still unissued from the 8th raise a warning


def run_day(month: dt.date, extra_holidays: Iterable[dt.date] = ()) -> dt.date:
    """The day in `month` on which the previous month's invoices are prepared."""
    return next_business_day(month.replace(day=RUN_DAY), extra_holidays)


def deadline(usage_month: dt.date, extra_holidays: Iterable[dt.date] = ()) -> dt.date:
    """The last day to issue the invoice of `usage_month`: the 10th of the next month, or the
    next business day after it when it is not one."""
    following = month_of(last_day(usage_month) + dt.timedelta(days=1))
    return next_business_day(following.replace(day=DEADLINE_DAY), extra_holidays)


# --- corrections (TAX-06) ---------------------------------------------------------------------------------------

#: the legal reasons of 수정세금계산서 that megabird offers (3 환입 and 5 내국신용장 사후개설 do
#: not arise for a messaging service)
CORRECTION_REASONS = {
    1: N_("기재사항 착오정정"),
    2: N_("공급가액 변동"),
    4: N_("계약의 해제"),
    6: N_("착오에 의한 이중발급"),
}


# --- what an issuing adapter receives (TAX-08) ------------------------------------------------------------------

@dataclass(frozen=True)
class Party:
    """공급자 or 공급받는자 as the invoice names them."""
    brn: str                        # 사업자등록번호, ten digits without dashes
    name: str                       # 상호(법인명)
    representative: str             # 성명(대표자)
    address: str = ""               # 사업장주소
    business_type: str = ""         # 업태
    business_item: str = ""         # 종목
    contact_name: str = ""          # 담당자
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Item:
    written_on: dt.date             # the item's day (the invoice's 작성일자 for a monthly one)
    name: str                       # 품목
    supply: int                     # 공급가액 (negative on a correction's minus copy)
    tax: int                        # 세액
    note: str = ""


@dataclass(frozen=True)
class InvoiceDocument:
    """One invoice to issue. `key` is its management key at the provider (문서번호): our own
    invoice's, so that issuing again never issues twice."""
    key: str
    written_on: dt.date             # 작성일자
    supplier: Party
    buyer: Party
    supply_total: int
    tax_total: int
    items: tuple[Item, ...]
    purpose: str = "영수"           # 영수 (paid: prepaid usage) or 청구
    remark: str = ""                # 비고 (the customer's 요청사항)
    correction_reason: int | None = None     # 수정사유 (1, 2, 4, 6) of a 수정세금계산서
    original_approval: str | None = None     # the original's 국세청 승인번호
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def total(self) -> int:
        return self.supply_total + self.tax_total
