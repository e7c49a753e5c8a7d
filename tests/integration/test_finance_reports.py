"""월별 이용·매출 보고서 (08-tax-invoice.md TAX-07): per account and type what a KST month's settled
sends delivered and charged, the points used, the refunds, the cash split into card and invoiced
parts, each account's top-ups of the month (card vs bank transfer), the totals; the Excel
workbook inline and, over the inline limit, built by the real RQ worker as a staff file no
customer can reach; the PDF summary in Korean with the month's tax invoices by state; finance
staff and admins only. The usage comes through the real pipeline (top-ups, sends with
failures, settlement)."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import ExportJob, TaxInvoice
from app.security.roles import ADMIN, FINANCE, OPERATOR
from app.services.billing import invoices, reports
from app.services.wallet import ledger
from tests.support import billing
from tests.support.tax import card, numbers, transfer
from tests.support.foundation import customer_client, staff_client
from tests.support.jobs import run_worker
from tests.support.pdftext import pdf_text
from tests.support.pipeline import accept, actor, kst, run_to_completion, staff_user
from tests.support.web import text_of

NOVEMBER = dt.date(2026, 11, 1)
OCTOBER = dt.date(2026, 10, 1)
START = kst(2026, 11, 10, 10, 0)
LONG_BODY = "[메가버드] " + "장문 안내입니다. " * 12          # over 90 bytes: an LMS
BASE = "/staff/finance/reports"


def corporate(app, company: str, brn: str = "1208800767"):
    return billing.corporate(app, company_name=company, brn=brn, tax_contact_email="tax@example.com")








@pytest.fixture
def month(app):
    """November 2026 through the pipeline:
    - 메가존 (A): card 5,000 then transfer 5,000; 400 SMS of which 100 fail (hold 8,000 = card
      5,000 + transfer 3,000; 2,000 refunded to the transfer lot); 100 points granted, then 10
      SMS (200 = 100 points + 100 cash); 5 LMS (250 cash); invoice issued.
    - 두번째 상사 (B): transfer 3,000; 50 SMS; its invoice fails at the issuer ([발행실패]).
    - 카드만 (C): a card top-up at 00:00:30 KST on 1 November and nothing sent.
    - 시월 (D): a transfer at 23:59 KST on 31 October (October's, not November's).
    - 작은 상사 (E): transfer 1,000; 5 SMS; its invoice stays pending."""
    a = corporate(app, "메가존 주식회사")
    b = corporate(app, "두번째 상사 [발행실패]")
    c = corporate(app, "카드만 상사")
    d = corporate(app, "시월 상사")
    e = corporate(app, "작은 상사")
    card(app, a.account_id, 5_000, START)
    transfer(app, a.account_id, 5_000, START)
    transfer(app, b.account_id, 3_000, START)
    card(app, c.account_id, 10_000, kst(2026, 11, 1, 0, 0, 30))
    transfer(app, d.account_id, 2_000, kst(2026, 10, 31, 23, 59, 0))
    transfer(app, e.account_id, 1_000, START)
    accept(app, a, numbers((300, 0), (100, 90)), now=START)
    with app.app_context():
        ledger.grant_points(a.account_id, 100, reason="가입 축하", key="test:report-points", now=START)
    accept(app, a, numbers((10, 0)), now=START)
    lms = accept(app, a, numbers((5, 0)), now=START, body=LONG_BODY)
    accept(app, b, numbers((50, 0)), now=START)
    accept(app, e, numbers((5, 0)), now=START)
    run_to_completion(app, START)
    assert lms.answer["type"] == "LMS"
    finance = staff_user(app, FINANCE)
    run_at = kst(2026, 12, 7, 9, 0)
    with app.app_context():
        assert invoices.prepare_month(run_at) == 3
        ids = {account_id: invoice_id for invoice_id, account_id in db.session.execute(
            select(TaxInvoice.id, TaxInvoice.account_id).where(TaxInvoice.usage_month == NOVEMBER))}
        db.session.commit()
        assert invoices.issue(ids[a.account_id], actor=actor(finance), now=run_at).status == "issued"
        assert invoices.issue(ids[b.account_id], actor=actor(finance), now=run_at).status == "failed"
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


SMS = (365, 7_300, 100, 7_200, 5_000, 2_200, 2_000)
LMS = (5, 250, 0, 250, 0, 250, 0)
TOTAL = (370, 7_550, 100, 7_450, 5_000, 2_450, 2_000)


def test_tax07_figures_per_account_and_type_and_the_totals(app, month):
    a, b, c, e = (month[k].account_id for k in "abce")
    with app.app_context():
        pairs = [(account_id, name, line.code, tuple(line.figures.cells))
                 for account_id, name, _brn, line in reports.account_type_rows(NOVEMBER)]
        accounts = [(line.account_id, tuple(line.figures.cells), line.topup_card, line.topup_transfer)
                    for line in reports.account_lines(NOVEMBER)]
        s = reports.summary(NOVEMBER)
        october = reports.summary(OCTOBER)
    # delivered, charged, points, cash, card part, invoiced part, refunded
    assert pairs == [
        (a, "메가존 주식회사", "SMS", (310, 6_200, 100, 6_100, 5_000, 1_100, 2_000)),
        (a, "메가존 주식회사", "LMS", LMS),
        (b, "두번째 상사 [발행실패]", "SMS", (50, 1_000, 0, 1_000, 0, 1_000, 0)),
        (e, "작은 상사", "SMS", (5, 100, 0, 100, 0, 100, 0))]
    assert accounts == [
        (a, (315, 6_450, 100, 6_350, 5_000, 1_350, 2_000), 5_000, 5_000),
        (b, (50, 1_000, 0, 1_000, 0, 1_000, 0), 0, 3_000),
        (c, (0, 0, 0, 0, 0, 0, 0), 10_000, 0),               # a top-up and nothing sent
        (e, (5, 100, 0, 100, 0, 100, 0), 0, 1_000)]          # 시월 상사's top-up is October's
    assert [line.code for line in s.types] == ["SMS", "LMS", "MMS", "ALIMTALK", "FRIENDTALK_TEXT", "FRIENDTALK_IMAGE"]
    by_type = {line.code: tuple(line.figures.cells) for line in s.types}
    assert by_type["SMS"] == SMS and by_type["LMS"] == LMS and by_type["ALIMTALK"] == (0,) * 7
    assert tuple(s.total.cells) == TOTAL
    assert (s.total.supply, s.total.tax) == (2_227, 223)                 # 2,450 / 1.1
    assert (s.topup_card, s.topup_transfer, s.accounts, s.pairs) == (15_000, 9_000, 3, 4)
    assert [(t.account_id, t.figures.cash) for t in s.top] == [(a, 6_350), (b, 1_000), (e, 100)]
    assert [(i.status, i.count, i.total) for i in s.invoices] == [
        ("pending", 1, 100), ("issuing", 0, 0), ("issued", 1, 1_350), ("filed", 0, 0), ("failed", 1, 1_000)]
    # October: only 시월 상사's transfer at 23:59 KST on the 31st, no usage
    assert (october.topup_card, october.topup_transfer, october.pairs, tuple(october.total.cells)) == (
        0, 2_000, 0, (0,) * 7)


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def _check_workbook(sheets: dict, month: dict) -> None:
    a, b, c, e = (month[k].account_id for k in "abce")
    assert list(sheets) == ["유형별 합계", "계정별 유형별", "계정별 합계"]
    types = sheets["유형별 합계"]
    assert types[0] == tuple(reports.TYPE_HEADERS)
    assert types[1] == ("SMS", *SMS) and types[2] == ("LMS", *LMS)
    assert types[4] == ("알림톡", 0, 0, 0, 0, 0, 0, 0)
    assert types[-1] == ("합계", *TOTAL) and len(types) == 1 + 6 + 1
    pairs = sheets["계정별 유형별"]
    assert pairs[0] == tuple(reports.PAIR_HEADERS)
    assert pairs[1:] == [
        (a, "메가존 주식회사", "1208800767", "SMS", 310, 6_200, 100, 6_100, 5_000, 1_100, 2_000),
        (a, "메가존 주식회사", "1208800767", "LMS", *LMS),
        (b, "두번째 상사 [발행실패]", "1208800767", "SMS", 50, 1_000, 0, 1_000, 0, 1_000, 0),
        (e, "작은 상사", "1208800767", "SMS", 5, 100, 0, 100, 0, 100, 0),
        (None, "합계", None, None, *TOTAL)]
    accounts = sheets["계정별 합계"]
    assert accounts[0] == tuple(reports.ACCOUNT_HEADERS)
    assert [row[0] for row in accounts[1:-1]] == [a, b, c, e]
    assert accounts[1][3:] == (315, 6_450, 100, 6_350, 5_000, 1_350, 2_000, 5_000, 5_000, 10_000)
    assert accounts[3][3:] == (0, 0, 0, 0, 0, 0, 0, 10_000, 0, 10_000)
    assert accounts[-1] == (None, "합계", None, *TOTAL, 15_000, 9_000, 24_000)


def test_tax07_the_excel_workbook_inline(app, month):
    _login, finance = staff_client(app, FINANCE)
    response = finance.get(f"{BASE}/usage.xlsx?month=2026-11")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "202611" in response.headers["Content-Disposition"]
    _check_workbook(_sheets(response.data), month)
    assert not db_rows(app, ExportJob)


def db_rows(app, model) -> list:
    with app.app_context():
        found = list(db.session.scalars(select(model)))
        db.session.expunge_all()
        return found


def test_tax07_over_the_inline_limit_a_job_builds_it_for_staff_only(app, month, monkeypatch):
    monkeypatch.setattr(reports, "INLINE_LIMIT", 3)
    _login, finance = staff_client(app, FINANCE)
    page = finance.get(f"{BASE}/?month=2026-11")
    assert "작업으로 만들고" in text_of(page)
    response = finance.get(f"{BASE}/usage.xlsx?month=2026-11")
    assert response.status_code == 302
    job_id = int(re.search(r"/jobs/(\d+)$", response.headers["Location"])[1])
    [job] = db_rows(app, ExportJob)
    assert (job.id, job.account_id, job.kind, job.status, job.total) == (job_id, None, reports.KIND, "queued",
                                                                        7 + 5 + 5)
    waiting = finance.get(f"{BASE}/jobs/{job_id}")
    assert waiting.status_code == 200 and "파일을 만드는 중입니다" in text_of(waiting)
    early = finance.get(f"{BASE}/jobs/{job_id}/download")
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/jobs/{job_id}")

    run_worker(app)
    state = finance.get(f"{BASE}/jobs/{job_id}?format=json").get_json()
    assert (state["status"], state["done"], state["total"]) == ("done", 17, 17)
    download = finance.get(f"{BASE}/jobs/{job_id}/download")
    assert download.status_code == 200
    _check_workbook(_sheets(download.data), month)
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        assert job.file_id and job.file.account_id is None and job.file.kind == "export"
        file_id = job.file_id
    assert f"/jobs/{job_id}" in finance.get(f"{BASE}/").get_data(as_text=True)       # 최근 만든 파일

    # no customer reaches it: not through the customers' export page nor the file route
    customer, client = customer_client(app)
    assert client.get(f"/exports/{job_id}").status_code == 404
    assert client.get(f"/exports/{job_id}/download").status_code == 404
    assert client.get(f"/files/{file_id}").status_code == 404
    # and a customer's own export is never one of staff's
    assert finance.get(f"{BASE}/jobs/999999").status_code == 404


def test_tax07_the_pdf_summary_in_korean(app, month):
    _login, finance = staff_client(app, FINANCE)
    response = finance.get(f"{BASE}/summary.pdf?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for expected in ("월별 매출 요약", "2026년 11월", "유형별 합계", "세금계산서 발행분", "카드 결제분", "포인트 사용",
                     "매출 상위 계정", "메가존 주식회사", "발행완료", "발행대기", "발행실패",
                     "7,550", "7,450", "2,450", "5,000", "15,000", "9,000", "2,227", "223", "6,350"):
        assert expected in text, expected


def test_tax07_the_page_shows_the_month(app, month):
    _login, finance = staff_client(app, FINANCE)
    page = finance.get(f"{BASE}/?month=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(page)
    assert "월별 이용·매출 보고서" in text and "7,550" in text and "15,000" in text
    assert f'href="{BASE}/usage.xlsx?month=2026-11"' in html and f'href="{BASE}/summary.pdf?month=2026-11"' in html
    assert re.search(r'data-status="failed"><td>발행실패</td><td>1</td><td>1,000</td>', html)
    # no month: last month's (the one invoiced) as the clock says; a wrong one refused beside the form
    refused = finance.get(f"{BASE}/?month=2026-13")
    assert refused.status_code == 422 and "월 값이 올바르지 않습니다." in text_of(refused)
    assert finance.get(f"{BASE}/usage.xlsx?month=abc").status_code == 422


@pytest.mark.parametrize("role", [OPERATOR, "customer", None])
def test_tax07_only_finance_and_admins_open_the_report(app, role):
    if role == "customer":
        _customer, client = customer_client(app)
    elif role is None:
        client = app.test_client()
    else:
        _login, client = staff_client(app, role)
    with app.app_context():
        job = reports.start_job(NOVEMBER, actor_id=None, now=START)
    for url in (f"{BASE}/", f"{BASE}/usage.xlsx?month=2026-11", f"{BASE}/summary.pdf?month=2026-11",
                f"{BASE}/jobs/{job.id}", f"{BASE}/jobs/{job.id}/download"):
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/login/" in response.headers["Location"], url
        else:
            assert response.status_code == 403, url
    assert len(db_rows(app, ExportJob)) == 1         # nothing started by the refused requests


def test_tax07_admins_open_it_and_finance_sees_it_in_the_menu(app):
    _login, admin = staff_client(app, ADMIN)
    assert admin.get(f"{BASE}/").status_code == 200
    _login, finance = staff_client(app, FINANCE)
    assert f'href="{BASE}/"' in finance.get("/staff/").get_data(as_text=True)
