"""The finance workspace (08-tax-invoice.md TAX-03, TAX-05, TAX-06, TAX-07; issue 18): every page
for finance staff and admins and none for operators and customers; issuing one invoice (the
approval number, the PDF copy stored, the e-mail with the copy attached), many at once with
one refused, retries (a refusal of the data fails again until the invoice takes the fixed
data; an outage of the issuing service passes once it is over), issuing twice never issues
twice (REL-08), each correction reason's documents, the dashboard, the 임시공휴일 page and the
Excel export. Usage comes through the real pipeline; the monthly run is the tick's function
at a `now` on the run day; the clock is pinned around every request."""
from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

from openpyxl import load_workbook
from sqlalchemy import select, update

from app import clock
from app.gateways.tax_invoices import format_approval
from app.extensions import db
from app.gateways.tax_invoices import SandboxIssuer
from app.models import AuditLog, ExtraHoliday, StoredFile, TaxInvoice
from app.services.billing import invoices
from app.services.checks import invariant_violations
from app.services.shared import files
from tests.support.billing import (change_account, corporate, document_of, invoice_row,
                                   invoices_of, issued_by_sandbox, mails_to, prepare, usage_of)
from tests.support.foundation import count, customer_client, flashed, follow, rows, staff_client
from tests.support.pipeline import kst
from tests.support.web import text_of

#: the Monday of the run (2026-12-05 is a Saturday), mid-morning
ISSUE_AT = kst(2026, 12, 7, 10, 0)
APPROVAL_8_8_8 = re.compile(r"^\d{8}-\d{8}-\d{8}$")


def one_invoice(app, total: int = 2_020, **fields) -> TaxInvoice:
    """A corporate account with `total` won of November usage and its pending 월합계."""
    customer = corporate(app, **fields)
    usage_of(app, customer, total)
    prepare(app)
    [invoice] = invoices_of(app, customer.account_id)
    return invoice


def at(moment, call, *args, **kwargs):
    with clock.frozen(moment):
        return call(*args, **kwargs)


def post(client, url, data=None, moment=ISSUE_AT):
    return at(moment, client.post, url, data=data or {})


def get(client, url, moment=ISSUE_AT):
    return at(moment, client.get, url)


def issue_page(client, invoice_id: int, moment=ISSUE_AT):
    """[발행] / [다시 발행] on the invoice's page, then the page it leads back to."""
    response = post(client, f"/staff/finance/invoices/{invoice_id}/issue", moment=moment)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/finance/invoices/{invoice_id}")
    return at(moment, follow, client, response)


def clean(app) -> None:
    with app.app_context():
        assert invariant_violations(limit=5) == []


# --- who may open what ---------------------------------------------------------------------------------------

FINANCE_PAGES = ["/staff/finance/", "/staff/finance/invoices/", "/staff/finance/invoices/?status=pending",
                 "/staff/finance/invoices/export.xlsx", "/staff/finance/holidays/"]


def test_every_finance_page_for_finance_and_admin_only(app):
    pending = one_invoice(app)
    issued = one_invoice(app)
    _, finance = staff_client(app, "Finance")
    issue_page(finance, issued.id)
    pages = FINANCE_PAGES + [f"/staff/finance/invoices/{pending.id}", f"/staff/finance/invoices/{issued.id}",
                             f"/staff/finance/invoices/{issued.id}/correct", f"/staff/finance/invoices/{issued.id}/pdf"]
    posts = [("/staff/finance/invoices/issue", {"invoice_id": str(pending.id)}),
             (f"/staff/finance/invoices/{pending.id}/issue", {}), (f"/staff/finance/invoices/{pending.id}/refresh", {}),
             (f"/staff/finance/invoices/{issued.id}/correct", {"reason": "4"}),
             ("/staff/finance/holidays/add", {"day": "2027-03-02", "name": "임시공휴일"}),
             ("/staff/finance/holidays/delete", {"day": "2027-03-02"})]
    _, admin = staff_client(app, "Admin")
    for client in (finance, admin):
        for url in pages:
            response = get(client, url)
            assert response.status_code == 200, url
    _, operator = staff_client(app, "Operator")
    _customer, customer = customer_client(app)
    before = rows(app, TaxInvoice), rows(app, ExtraHoliday)
    for client in (operator, customer):
        for url in pages:
            assert get(client, url).status_code == 403, url
        for url, form in posts:
            assert post(client, url, form).status_code == 403, url
    assert (rows(app, TaxInvoice), rows(app, ExtraHoliday)) == before

    anonymous = app.test_client()
    response = get(anonymous, "/staff/finance/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_staff_menu_and_home_lead_finance_staff_to_the_workspace(app):
    _, finance = staff_client(app, "Finance")
    home = get(finance, "/staff/")
    html = home.get_data(as_text=True)
    assert 'href="/staff/finance/"' in html and 'href="/staff/finance/invoices/"' in html
    assert "재무" in text_of(home) and "임시공휴일" in text_of(home)
    _, operator = staff_client(app, "Operator")
    assert "/staff/finance/" not in get(operator, "/staff/").get_data(as_text=True)
    # the pages render in English too (their strings wait for the catalogue)
    finance.get("/lang/en")
    for url in FINANCE_PAGES:
        assert get(finance, url).status_code == 200, url


# --- issuing (TAX-05) ----------------------------------------------------------------------------------------

def test_tax05_issue_one_approval_number_pdf_copy_and_mail(app):
    invoice = one_invoice(app)
    login, client = staff_client(app, "Finance")
    page = get(client, f"/staff/finance/invoices/{invoice.id}")
    text = text_of(page)
    assert "발행대기" in text and "메가버드" in text and "메가존 주식회사" in text       # both parties
    assert "120-88-00767" in text and "메시지 발송 이용료 2026년 11월" in text
    assert "1,836원" in text and "184원" in text and "2,020원" in text
    assert 'id="issue"' in page.get_data(as_text=True)                                   # [발행] for pending
    assert "문자(SMS)" in text or "SMS" in text                                          # the per-type breakdown

    shown = issue_page(client, invoice.id)
    after = invoice_row(app, invoice.id)
    assert after.status == "issued" and len(after.approval_number) == 24
    assert after.approval_number.startswith("20261207")                          # the KST issue day
    approval = f"{after.approval_number[:8]}-{after.approval_number[8:16]}-{after.approval_number[16:]}"
    assert f"세금계산서를 발행했습니다. 승인번호 {approval}" in flashed(shown)
    text = text_of(shown)
    assert "발행완료" in text and approval in text and "2026-12-07 10:00:00" in text     # issued_at in KST
    assert 'id="pdf-download"' in shown.get_data(as_text=True) and 'id="issue"' not in shown.get_data(as_text=True)
    assert "세금계산서 발행" in text and login in text                                    # the history line

    # the PDF copy, stored with the invoice and downloadable by finance
    with app.app_context():
        stored = db.session.get(StoredFile, after.pdf_file_id)
        assert stored.kind == "tax_invoice" and stored.account_id == invoice.account_id
        assert files.path_of(stored).read_bytes()[:5] == b"%PDF-"
    download = get(client, f"/staff/finance/invoices/{invoice.id}/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data[:5] == b"%PDF-"
    disposition = unquote(download.headers["Content-Disposition"])
    assert disposition.startswith("attachment") and f"세금계산서_{after.serial}_메가존 주식회사.pdf" in disposition

    # the e-mail to the invoice's contact, with the copy attached
    [mail] = mails_to(app, "tax@megazone.example")
    assert mail.attachment_file_id == after.pdf_file_id and format_approval(after.approval_number) in mail.body
    assert "2026년 11월" in mail.subject
    # the issuing service got it once
    [issued] = issued_by_sandbox(app, after.serial)
    assert issued.approval_number == after.approval_number and issued.total == 2_020
    clean(app)


def test_tax05_issue_many_with_one_refused_shows_the_counts_and_the_reason(app):
    good = one_invoice(app, 200)
    other = one_invoice(app, 400)
    refused = one_invoice(app, 600, company_name="[발행실패] 상사")
    _, client = staff_client(app, "Finance")
    listed = get(client, "/staff/finance/invoices/?month=2026-11&status=pending")
    assert all(f'value="{i.id}"' in listed.get_data(as_text=True) for i in (good, other, refused))

    response = post(client, "/staff/finance/invoices/issue",
                    {"invoice_id": [str(good.id), str(other.id), str(refused.id)], "month": "2026-11"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/finance/invoices/?month=2026-11")
    page = at(ISSUE_AT, follow, client, response)
    messages = flashed(page)
    assert "2건 발행, 1건 실패." in messages
    assert f"{refused.serial} [발행실패] 상사: 공급받는자 사업자등록번호가 올바르지 않아 발행이 거절되었습니다." in messages
    assert [invoice_row(app, i.id).status for i in (good, other, refused)] == ["issued", "issued", "failed"]
    row = re.search(rf'<tr class="invoice-row" data-id="{refused.id}".*?</tr>', page.get_data(as_text=True),
                    re.S).group(0)
    assert "발행실패" in row and "고객의 사업자 정보를 확인해 고친 뒤 다시 발행해주세요." in row

    board = text_of(get(client, "/staff/finance/"))
    assert refused.serial in board and "공급받는자 사업자등록번호가 올바르지 않아" in board
    failed = invoice_row(app, refused.id)
    assert (failed.attempts, failed.approval_number, failed.pdf_file_id) == (1, None, None)
    assert len(mails_to(app, "tax@megazone.example")) == 2
    clean(app)


def test_tax05_a_refused_invoice_fails_again_until_it_takes_the_fixed_data(app):
    """The invoice keeps the 공급받는자 of the day it was prepared (ACC-12): retrying a refusal
    of the data sends the same data and is refused again, and the reason says what to fix.
    Once the account is fixed, [발행 정보 다시 불러오기] puts the current data on the invoice
    (the page shows what changes) and the retry issues it."""
    invoice = one_invoice(app, company_name="[발행실패] 상사")
    _, client = staff_client(app, "Finance")
    issue_page(client, invoice.id)
    again = issue_page(client, invoice.id)
    assert "발행하지 못했습니다. 공급받는자 사업자등록번호가 올바르지 않아 발행이 거절되었습니다. 고객의 사업자 정보를 확인해 " \
           "고친 뒤 다시 발행해주세요." in flashed(again)
    failed = invoice_row(app, invoice.id)
    assert (failed.status, failed.attempts, failed.buyer_name) == ("failed", 2, "[발행실패] 상사")
    text = text_of(again)
    assert "발행 정보 다시 불러오기" in text and "다시 발행" in text
    assert text.count("세금계산서 발행 실패") == 2                                        # both attempts in the history
    assert issued_by_sandbox(app, invoice.serial) == []

    change_account(app, invoice.account_id, company_name="정상 상사")
    page = get(client, f"/staff/finance/invoices/{invoice.id}")
    changes = re.search(r'id="party-changes".*?</table>', page.get_data(as_text=True), re.S).group(0)
    assert "[발행실패] 상사" in changes and "정상 상사" in changes
    assert invoice_row(app, invoice.id).buyer_name == "[발행실패] 상사"                    # nothing changed by looking

    refreshed = at(ISSUE_AT, follow, client, post(client, f"/staff/finance/invoices/{invoice.id}/refresh"))
    assert "발행 정보를 다시 불러왔습니다" in flashed(refreshed)
    after = invoice_row(app, invoice.id)
    assert (after.buyer_name, after.total, after.written_on, after.status) == (
        "정상 상사", invoice.total, invoice.written_on, "failed")
    with app.app_context():
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "tax_invoice_parties_refreshed")).all()
        assert "[발행실패] 상사" in entry.before and "정상 상사" in entry.after

    issued = issue_page(client, invoice.id)
    assert "세금계산서를 발행했습니다." in flashed(issued)
    final = invoice_row(app, invoice.id)
    assert final.status == "issued" and final.attempts == 3
    assert issued_by_sandbox(app, invoice.serial)[0].buyer_brn == final.buyer_brn
    clean(app)


def test_tax05_an_outage_of_the_issuing_service_passes_on_retry(app):
    """A retryable failure: the issuing service cannot be reached (SANDBOX_TAX_FAIL=unavailable).
    The retry once it is back issues the same invoice, under the same management key, once.
    The sandbox's "[일시장애]" mark in the 상호 is an outage for that buyer's data: like any
    data, the invoice keeps it, so its retries fail until the invoice takes changed data."""
    invoice = one_invoice(app)
    marked = one_invoice(app, company_name="[일시장애] 상사")
    _, client = staff_client(app, "Finance")
    app.config["SANDBOX_TAX_FAIL"] = "unavailable"
    try:
        page = issue_page(client, invoice.id)
    finally:
        app.config["SANDBOX_TAX_FAIL"] = ""
    assert "세금계산서 발행 서비스에 연결하지 못했습니다. 발행되지 않았으니 잠시 후 다시 발행해주세요." in flashed(page)
    assert invoice_row(app, invoice.id).status == "failed"
    retried = issue_page(client, invoice.id)
    assert "세금계산서를 발행했습니다." in flashed(retried)
    after = invoice_row(app, invoice.id)
    assert (after.status, after.attempts, after.failure_reason) == ("issued", 2, None)
    [row] = issued_by_sandbox(app, after.serial)
    assert row.repeat_count == 0

    issue_page(client, marked.id)
    assert "연결하지 못했습니다" in flashed(issue_page(client, marked.id))
    assert invoice_row(app, marked.id).status == "failed"
    change_account(app, marked.account_id, company_name="일시장애 해소 상사")
    post(client, f"/staff/finance/invoices/{marked.id}/refresh")
    assert "세금계산서를 발행했습니다." in flashed(issue_page(client, marked.id))
    assert invoice_row(app, marked.id).status == "issued"
    clean(app)


def test_rel08_issuing_twice_gives_one_approval_number(app):
    invoice = one_invoice(app)
    _, client = staff_client(app, "Finance")
    issue_page(client, invoice.id)
    first = invoice_row(app, invoice.id)
    second = issue_page(client, invoice.id, moment=ISSUE_AT + dt.timedelta(minutes=1))
    assert "이미 발행된 세금계산서입니다. 다시 발행하지 않았습니다." in flashed(second)
    bulk = at(ISSUE_AT, follow, client, post(client, "/staff/finance/invoices/issue", {"invoice_id": str(invoice.id)}))
    assert "0건 발행, 0건 실패, 이미 발행된 1건 제외." in flashed(bulk)
    after = invoice_row(app, invoice.id)
    assert (after.approval_number, after.issued_at, after.attempts, after.pdf_file_id) == (
        first.approval_number, first.issued_at, 1, first.pdf_file_id)
    [row] = issued_by_sandbox(app, invoice.serial)
    assert row.repeat_count == 0                      # the adapter was not even asked again
    assert len(mails_to(app, "tax@megazone.example")) == 1
    assert count(app, StoredFile, StoredFile.kind == "tax_invoice") == 1


def test_rel08_a_claim_left_by_a_dead_worker_is_issued_once(app):
    """The adapter issued the invoice, but the process died before recording it: the invoice
    stays 발행중. Within 10 minutes nobody may issue it again; after that, the retry asks the
    adapter with the same management key and records the approval number it gave first."""
    invoice = one_invoice(app)
    doc = document_of(app, invoice.id)
    with app.app_context(), clock.frozen(ISSUE_AT):
        given = SandboxIssuer().issue(doc).approval_number
        db.session.execute(update(TaxInvoice).where(TaxInvoice.id == invoice.id)
                           .values(status="issuing", attempts=1, issuing_since=ISSUE_AT))
        db.session.commit()
    _, client = staff_client(app, "Finance")
    soon = issue_page(client, invoice.id, moment=ISSUE_AT + dt.timedelta(minutes=5))
    assert "이미 발행 중이거나 발행된 세금계산서입니다." in flashed(soon)
    assert invoice_row(app, invoice.id).status == "issuing"
    later = issue_page(client, invoice.id, moment=ISSUE_AT + dt.timedelta(minutes=11))
    assert "세금계산서를 발행했습니다." in flashed(later)
    after = invoice_row(app, invoice.id)
    assert (after.status, after.approval_number, after.attempts) == ("issued", given, 2)
    [row] = issued_by_sandbox(app, invoice.serial)
    assert row.repeat_count == 1                      # asked again, answered the first issue: one invoice
    clean(app)


# --- corrections (TAX-06) -------------------------------------------------------------------------------------

def correct(client, invoice_id: int, **form):
    return post(client, f"/staff/finance/invoices/{invoice_id}/correct", form)


def issued_invoice(app, client, total: int = 2_200, **fields) -> TaxInvoice:
    invoice = one_invoice(app, total, **fields)
    issue_page(client, invoice.id)
    return invoice_row(app, invoice.id)


def corrections_of(app, original_id: int) -> list[TaxInvoice]:
    with app.app_context():
        found = list(db.session.scalars(select(TaxInvoice).where(TaxInvoice.original_id == original_id)
                                        .order_by(TaxInvoice.id)))
        for invoice in found:
            list(invoice.items)
        db.session.expunge_all()
        return found


def test_tax06_each_correction_reasons_documents(app):
    _, client = staff_client(app, "Finance")
    changed = issued_invoice(app, client)              # each 2,200 = 2,000 + 200, 작성일자 2026-11-30
    rewritten = issued_invoice(app, client)
    cancelled = issued_invoice(app, client)
    doubled = issued_invoice(app, client)
    form = get(client, f"/staff/finance/invoices/{changed.id}/correct")
    text = text_of(form)
    for label in ("1. 기재사항 착오정정", "2. 공급가액 변동", "4. 계약의 해제", "6. 착오에 의한 이중발급"):
        assert label in text
    assert "마이너스(-) 사본 1장과, 고객 계정의 현재 사업자 정보로 다시 쓴 세금계산서 1장" in text
    assert 'value="3"' not in form.get_data(as_text=True) and 'value="5"' not in form.get_data(as_text=True)

    # 2 공급가액 변동: one invoice of the difference, dated the day of the change
    response = correct(client, changed.id, reason="2", amount="-1,100")
    assert response.status_code == 302
    assert "수정세금계산서 1건을 발행대기로 만들었습니다." in flashed(at(ISSUE_AT, follow, client, response))
    [difference] = corrections_of(app, changed.id)
    assert (difference.correction_reason, difference.status, difference.written_on) == (2, "pending",
                                                                                         dt.date(2026, 12, 7))
    assert (difference.supply_total, difference.tax_total, difference.total) == (-1_000, -100, -1_100)
    assert [(i.supply, i.tax, i.note) for i in difference.items] == [(-1_000, -100, "공급가액 변동")]

    # 1 기재사항 착오정정: a minus copy and a corrected copy with the account's current data, both dated as the original
    change_account(app, rewritten.account_id, company_name="메가존클라우드 주식회사", representative="박대표")
    assert correct(client, rewritten.id, reason="1").status_code == 302
    minus, corrected = corrections_of(app, rewritten.id)
    assert (minus.total, minus.supply_total, minus.tax_total, minus.written_on, minus.buyer_name) == (
        -2_200, -2_000, -200, dt.date(2026, 11, 30), "메가존 주식회사")
    assert (corrected.total, corrected.written_on, corrected.buyer_name, corrected.buyer_representative) == (
        2_200, dt.date(2026, 11, 30), "메가존클라우드 주식회사", "박대표")

    # 4 계약의 해제: a minus copy dated today; 6 착오에 의한 이중발급: a minus copy dated as the original
    assert correct(client, cancelled.id, reason="4").status_code == 302
    assert correct(client, doubled.id, reason="6").status_code == 302
    [cancel] = corrections_of(app, cancelled.id)
    [double] = corrections_of(app, doubled.id)
    assert (cancel.total, cancel.supply_total, cancel.written_on, cancel.correction_reason) == (
        -2_200, -2_000, dt.date(2026, 12, 7), 4)
    assert (double.total, double.supply_total, double.written_on, double.correction_reason) == (
        -2_200, -2_000, dt.date(2026, 11, 30), 6)

    # each names its original's approval number, and they are issued like any other invoice
    originals = {i.id: i for i in (changed, rewritten, cancelled, doubled)}
    made = [difference, minus, corrected, cancel, double]
    for invoice in made:
        doc = document_of(app, invoice.id)
        assert (doc.original_approval, doc.correction_reason) == (
            originals[invoice.original_id].approval_number, invoice.correction_reason)
    page = at(ISSUE_AT, follow, client, post(client, "/staff/finance/invoices/issue",
                                              {"invoice_id": [str(i.id) for i in made]}))
    assert "5건 발행, 0건 실패." in flashed(page)
    for invoice in made:
        after = invoice_row(app, invoice.id)
        assert after.status == "issued" and after.approval_number not in (
            None, originals[invoice.original_id].approval_number)
    original_page = get(client, f"/staff/finance/invoices/{rewritten.id}")
    assert minus.serial in text_of(original_page) and corrected.serial in text_of(original_page)
    assert 'id="to-correction"' not in original_page.get_data(as_text=True)          # corrected by reason 1: no more
    assert 'id="to-correction"' in get(client, f"/staff/finance/invoices/{changed.id}").get_data(as_text=True)
    correction_page = get(client, f"/staff/finance/invoices/{minus.id}")
    assert rewritten.serial in text_of(correction_page)                                # the link to its original
    assert f'href="/staff/finance/invoices/{rewritten.id}"' in correction_page.get_data(as_text=True)

    # the money: after reason 1 the month's issued invoices still add up to its usage (2 and 4 change it on purpose)
    with app.app_context():
        assert not [p for p in invoices.violations(limit=10) if f"account {rewritten.account_id}:" in p]
    clean(app)


def test_tax06_refusals_re_render_the_form_with_the_korean_message(app):
    _, client = staff_client(app, "Finance")
    pending = one_invoice(app)
    issued = issued_invoice(app, client)
    corrected = issued_invoice(app, client)
    assert correct(client, corrected.id, reason="4").status_code == 302
    before = rows(app, TaxInvoice)
    for invoice, form, status, message in [
            (pending, {"reason": "4"}, 409, "발행된 세금계산서만 수정할 수 있습니다."),
            (corrected, {"reason": "6"}, 409, "이미 취소 또는 정정된 세금계산서입니다."),
            (issued, {"reason": "2", "amount": "abc"}, 422, "변동 금액 값이 올바르지 않습니다."),
            (issued, {"reason": "2", "amount": "0"}, 422, "변동 금액을 입력해주세요. 늘면 양수, 줄면 음수입니다."),
            (issued, {"reason": "2", "amount": "-99,000"}, 422, "변동 후 합계금액이 0원보다 작을 수 없습니다."),
            (issued, {"reason": "3"}, 422, "수정사유를 1, 2, 4, 6 중에서 골라주세요."),
            (issued, {}, 422, "수정사유를 골라주세요.")]:
        response = correct(client, invoice.id, **form)
        assert response.status_code == status, form
        page = response.get_data(as_text=True)
        assert 'id="correction-form"' in page and message in text_of(response), form
        if form.get("amount"):
            assert f'value="{form["amount"]}"' in page                                 # what was typed stays
    assert rows(app, TaxInvoice) == before
    # the form of an invoice that cannot be corrected says so before anything is typed
    response = get(client, f"/staff/finance/invoices/{corrected.id}/correct")
    assert response.status_code == 409 and "아직 취소·정정되지 않은 것만 수정할 수 있습니다." in text_of(response)


# --- the dashboard --------------------------------------------------------------------------------------------

def test_dashboard_totals_states_warnings_failures_and_next_run(app):
    issued = one_invoice(app, 2_200)
    late = one_invoice(app, 400)
    refused = one_invoice(app, 600, company_name="[발행실패] 상사")
    _, client = staff_client(app, "Finance")
    issue_page(client, issued.id)
    issue_page(client, refused.id)

    # the 7th: no warning yet; the run is today
    board = get(client, "/staff/finance/", moment=ISSUE_AT)
    text = text_of(board)
    assert re.search(r"합계금액 \(부가세 포함\) 2,200원 발행 건수 1건", text)
    november = re.search(r'<tr data-month="2026-11">.*?</tr>', board.get_data(as_text=True), re.S).group(0)
    assert "2,000원" in november and "200원" in november and "2건" in november           # supply, tax; 2 not issued
    assert "매월 8일부터" in text
    assert "다음 준비일: 2026-12-07 (월) (오늘, 매시간 실행) — 2026년 11월 이용분 (지금까지 준비된 월합계 3건)" in text
    states = {code: re.search(rf'id="count-{code}"[^>]*>([^<]+)<', board.get_data(as_text=True)).group(1)
              for code in ("pending", "issued", "failed")}
    assert states == {"pending": "1건", "issued": "1건", "failed": "1건"}
    assert 'href="/staff/finance/invoices/?status=pending"' in board.get_data(as_text=True)
    failures = re.search(r'id="failed-issues".*?</table>', board.get_data(as_text=True), re.S).group(0)
    assert refused.serial in failures and "공급받는자 사업자등록번호가 올바르지 않아" in failures

    # the 8th: last month's unissued invoices warn, with the legal deadline (Thursday the 10th)
    board = get(client, "/staff/finance/", moment=kst(2026, 12, 8, 9, 0))
    warnings = re.search(r'id="deadline-warnings".*?</table>', board.get_data(as_text=True), re.S).group(0)
    assert late.serial in warnings and refused.serial in warnings and issued.serial not in warnings
    assert "2026-12-10 (목)" in warnings and "D-2" in warnings
    assert "다음 준비일: 2027-01-05 (화)" in text_of(board)
    # after the deadline the warning says how late it is
    board = get(client, "/staff/finance/", moment=kst(2026, 12, 14, 9, 0))
    assert "기한 4일 지남" in text_of(board)


# --- 임시공휴일 ----------------------------------------------------------------------------------------------------

def test_holidays_add_refuse_delete_and_the_run_moves(app):
    login, client = staff_client(app, "Finance")
    page = get(client, "/staff/finance/holidays/")
    assert "등록된 임시공휴일이 없습니다." in text_of(page)
    assert re.search(r'<tr data-month="2026-12"><td>2026년 12월</td>\s*<td class="run-day">2027-01-05 \(화\)',
                     page.get_data(as_text=True))

    added = post(client, "/staff/finance/holidays/add", {"day": "2027-01-05", "name": "임시공휴일(신년)"})
    assert added.status_code == 302
    page = at(ISSUE_AT, follow, client, added)
    assert "2027-01-05 임시공휴일(신년)을 임시공휴일로 추가했습니다." in flashed(page)
    assert re.search(r'<td class="run-day">2027-01-06 \(수\)', page.get_data(as_text=True))        # the run moves
    assert "다음 준비일: 2027-01-06 (수)" in text_of(get(client, "/staff/finance/", moment=kst(2026, 12, 8, 9, 0)))
    with app.app_context():
        [holiday] = db.session.scalars(select(ExtraHoliday)).all()
        assert (holiday.day, holiday.name) == (dt.date(2027, 1, 5), "임시공휴일(신년)")
        assert invoices.extra_holidays() == [dt.date(2027, 1, 5)]

    for form, message in [({"day": "2027-01-05", "name": "또"}, "2027년 1월 5일은 이미 임시공휴일로 등록되어 있습니다."),
                          ({"day": "2027-13-01", "name": "x"}, "날짜를 2026-05-01처럼 연-월-일로 입력해주세요."),
                          ({"day": "내일", "name": "x"}, "날짜를 2026-05-01처럼 연-월-일로 입력해주세요."),
                          ({"day": "2026-05-05", "name": "x"}, "2026년 5월 5일은 이미 공휴일(어린이날)입니다."),
                          ({"day": "2027-02-01", "name": "  "}, "공휴일 이름을 입력해주세요.")]:
        response = post(client, "/staff/finance/holidays/add", form)
        assert response.status_code == 422, form
        assert message in text_of(response) and 'id="holiday-form"' in response.get_data(as_text=True)
    assert count(app, ExtraHoliday) == 1

    deleted = at(ISSUE_AT, follow, client, post(client, "/staff/finance/holidays/delete", {"day": "2027-01-05"}))
    assert "임시공휴일을 삭제했습니다." in flashed(deleted) and count(app, ExtraHoliday) == 0
    assert post(client, "/staff/finance/holidays/delete", {"day": "2027-01-05"}).status_code == 404
    with app.app_context():
        actions = [(e.action, e.object_type, e.object_id, e.actor_login) for e in
                   db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == [("add_extra_holiday", "extra_holiday", "2027-01-05", login),
                       ("delete_extra_holiday", "extra_holiday", "2027-01-05", login)]


# --- the queue's filters and the Excel export (TAX-07) ------------------------------------------------------------

def test_queue_filters_and_the_excel_export(app):
    issued = one_invoice(app, 2_200)
    pending = one_invoice(app, 400, company_name="두번째 상사", brn="2208112341")
    december = corporate(app, company_name="십이월 상사")
    usage_of(app, december, 200, month=dt.date(2026, 12, 1))
    prepare(app, kst(2027, 1, 5, 9, 0))
    [december_invoice] = invoices_of(app, december.account_id)
    _, client = staff_client(app, "Finance")
    issue_page(client, issued.id)

    def listed(query: str) -> set[int]:
        response = get(client, "/staff/finance/invoices/" + query)
        assert response.status_code == 200, query
        return {int(i) for i in re.findall(r'<tr class="invoice-row" data-id="(\d+)"', response.get_data(as_text=True))}

    assert listed("") == {issued.id, pending.id, december_invoice.id}
    assert listed("?month=2026-11") == {issued.id, pending.id}
    assert listed("?month=2026-12") == {december_invoice.id}
    assert listed("?status=issued") == {issued.id}
    assert listed("?q=두번째") == {pending.id}
    assert listed("?q=220-81-12341") == {pending.id}
    assert listed("?q=없는회사") == set()
    refused = get(client, "/staff/finance/invoices/?month=11월")
    assert refused.status_code == 422 and "이용월을 2026-11처럼 연도와 월로 입력해주세요." in text_of(refused)
    assert get(client, "/staff/finance/invoices/?status=lost").status_code == 422

    export = get(client, "/staff/finance/invoices/export.xlsx?month=2026-11")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    assert "2026-11" in unquote(export.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(export.data)).active
    header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == ["일련번호", "구분", "계정", "상호", "사업자번호", "이용월", "작성일자", "공급가액", "세액", "합계", "상태",
                      "실패 사유", "승인번호", "발행일시", "담당자 이메일", "수정사유", "당초 승인번호"]
    by_serial = {r[0]: dict(zip(header, r)) for r in data}
    assert set(by_serial) == {issued.serial, pending.serial}
    done = by_serial[issued.serial]
    approval = invoice_row(app, issued.id).approval_number
    assert (done["상호"], done["사업자번호"], done["이용월"], done["작성일자"]) == (
        "메가존 주식회사", "120-88-00767", "2026-11", "2026-11-30")
    assert (done["공급가액"], done["세액"], done["합계"], done["상태"]) == (2_000, 200, 2_200, "발행완료")
    assert done["승인번호"] == f"{approval[:8]}-{approval[8:16]}-{approval[16:]}"
    assert APPROVAL_8_8_8.match(done["승인번호"])
    assert done["발행일시"] == "2026-12-07 10:00:00" and done["담당자 이메일"] == "tax@megazone.example"
    assert by_serial[pending.serial]["상태"] == "발행대기" and by_serial[pending.serial]["승인번호"] in ("", None)
    export = get(client, "/staff/finance/invoices/export.xlsx?status=issued")
    only_issued = load_workbook(io.BytesIO(export.data)).active
    assert [r[0] for r in only_issued.iter_rows(min_row=2, values_only=True)] == [issued.serial]


def test_an_invoice_that_does_not_exist_is_404(app):
    _, client = staff_client(app, "Finance")
    for url in ("/staff/finance/invoices/999", "/staff/finance/invoices/999/correct",
                "/staff/finance/invoices/999/pdf"):
        assert get(client, url).status_code == 404, url
    pending = one_invoice(app)
    assert get(client, f"/staff/finance/invoices/{pending.id}/pdf").status_code == 404      # no copy before issue
    assert get(client, f"/staff/finance/invoices/{pending.id}/correct").status_code == 409
