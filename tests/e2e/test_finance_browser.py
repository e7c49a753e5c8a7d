"""The finance workspace in a real browser (08-tax-invoice.md TAX-05; issue 18): a finance clerk
logs in, opens 재무 대시보드, goes to November's 발행 대기열, ticks two invoices, confirms 선택 발행 in
the page's own dialog (which names how many and how much; never the browser's confirm()),
sees "2건 발행, 0건 실패." and both rows 발행완료, opens one and downloads its PDF copy.
November's usage comes through the real pipeline; the server's clock (the live server runs in
this process) is pinned on the run day."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import clock
from tests.e2e.conftest import login
from tests.support.billing import corporate, invoices_of, prepare, usage_of
from tests.support.factories import make_staff
from tests.support.pipeline import kst

pytestmark = pytest.mark.e2e

ISSUE_AT = kst(2026, 12, 7, 10, 0)


def test_a_finance_clerk_issues_two_invoices_and_downloads_a_copy(app, browser_page):
    first, second = corporate(app), corporate(app, company_name="두번째 상사")
    usage_of(app, first, 2_200)
    usage_of(app, second, 1_100)
    prepare(app)
    [one], [two] = invoices_of(app, first.account_id), invoices_of(app, second.account_id)
    clerk, password = make_staff(app, "Finance")
    page = browser_page
    browser_dialogs: list[str] = []
    page.on("dialog", lambda d: (browser_dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    with clock.frozen(ISSUE_AT):
        login(page, clerk, password)
        page.goto("/staff/finance/")
        expect(page.locator("h1")).to_have_text("재무 대시보드")
        expect(page.locator("#count-pending")).to_have_text("2건")
        expect(page.locator("#next-run-day")).to_contain_text("2026-12-07")
        page.click("#invoiced-months tr[data-month='2026-11'] td:first-child a")       # November's invoices
        expect(page.locator("h1")).to_have_text("세금계산서 발행 대기열")
        expect(page.locator("#filter-month")).to_have_value("2026-11")
        rows = page.locator("tr.invoice-row")
        expect(rows).to_have_count(2)

        # nothing ticked: the page's own alert says so
        page.click("#issue-selected")
        dialog = page.locator("#mb-dialog")
        expect(dialog.locator("#mb-dialog-message")).to_have_text("발행할 세금계산서를 선택해주세요.")
        dialog.locator("#mb-dialog-ok").click()
        expect(dialog).to_be_hidden()

        page.check(f"tr.invoice-row[data-id='{one.id}'] input.invoice-check")
        page.check(f"tr.invoice-row[data-id='{two.id}'] input.invoice-check")
        page.click("#issue-selected")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#mb-dialog-message")).to_have_text(
            "선택한 세금계산서 2건(합계 3,300원)을 발행할까요? 발행하면 국세청에 신고되고 고객에게 메일이 발송되며, "
            "되돌릴 수 없습니다.")
        expect(dialog.locator("#mb-dialog-ok")).to_have_text("발행")
        dialog.locator("#mb-dialog-cancel").click()               # 취소 issues nothing
        expect(dialog).to_be_hidden()
        expect(rows.locator(".invoice-status[data-status='pending']")).to_have_count(2)

        page.click("#issue-selected")
        dialog.locator("#mb-dialog-ok").click()
        expect(page.locator(".alert-success")).to_contain_text("2건 발행, 0건 실패.")
        for invoice in (one, two):
            expect(page.locator(f"tr.invoice-row[data-id='{invoice.id}'] .invoice-status")).to_have_text("발행완료")
            expect(page.locator(f"tr.invoice-row[data-id='{invoice.id}'] input.invoice-check")).to_have_count(0)

        page.click(f"tr.invoice-row[data-id='{one.id}'] a")
        expect(page.locator("h1")).to_contain_text(one.serial)
        expect(page.locator("#approval-number")).to_have_text(re.compile(r"^20261207-00000000-\d{8}$"))
        expect(page.locator("#buyer .party-name")).to_have_text("메가존 주식회사")
        with page.expect_download() as waiting:
            page.click("#pdf-download")
        download = waiting.value
        assert download.suggested_filename == f"세금계산서_{one.serial}_메가존 주식회사.pdf"
        with open(download.path(), "rb") as copy:
            assert copy.read(5) == b"%PDF-"
    assert browser_dialogs == [] and errors == []
