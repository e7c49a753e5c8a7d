"""충전 > 세금계산서 (08-tax-invoice.md TAX-01, TAX-02, TAX-04; the manual's 06 세금계산서) and
GET /api/v1/tax-invoices (09-api.md API-08): the 담당자 정보 form and each refusal naming its
field, the read-only 사업자 등록 정보, an individual account pointed to 기업전환, this month's
running totals from real usage (card and points left off), the history of five years with its
paging, one invoice's detail with both parties and the month's usage per type, the PDF copy
once issued, and the API's list with its filters."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

from sqlalchemy import select

from app import clock
from app.gateways.tax_invoices import format_approval
from app.extensions import db
from app.gateways import tax_invoices as issuers
from app.models import Account, AuditLog, TaxInvoice
from app.services.billing import invoices
from app.services.wallet import ledger
from tests.support.api import error_of
from tests.support.factories import make_customer
from tests.support.foundation import count, flashed, rows
from tests.support.pdftext import pdf_text
from tests.support.pipeline import (accept, api_customer, approve_api_use, bearer, kst, new_key, phones,
                                    run_to_completion)
from tests.support.tax import (ISSUE_AT, LATER_PAGE, NOVEMBER, RUN_AT, card, company_data, corporate, issue,
                               monthly_invoice, send, settings, transfer)
from tests.support.web import logged_in, text_of

FORM = {"issue": "auto", "contact_name": "박담당", "contact_email": "Park@Megazone.Example",
        "contact_phone": "010-9876-5432", "request_note": "11월분은 본사 주소로 부탁드립니다."}


def client_of(app, customer):
    return logged_in(app, customer.login, customer.password)


def tax_columns(app, account_id: int) -> tuple:
    with app.app_context():
        a = db.session.get(Account, account_id)
        return a.tax_invoice_auto, a.tax_contact_name, a.tax_contact_email, a.tax_contact_phone, a.tax_request_note


def field_marked(html: str, label: str) -> bool:
    """The form group of the field whose label is `label` carries has-error."""
    return bool(re.search(r'<div class="form-group has-error">\s*<label[^>]*>\s*' + re.escape(label), html))


# --- TAX-01 ----------------------------------------------------------------------------------------------------

def test_tax01_the_settings_are_saved_with_an_audit_entry_and_the_business_data_is_read_only(app):
    customer = make_customer(app, kind="corporate")
    company_data(app, customer.account_id)
    client = client_of(app, customer)
    page = client.get("/tax-invoices/")
    html, shown = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200
    for words in ("담당자 정보", "발행 여부", "매월 자동 발행", "발행하지 않음", "담당자 이름", "담당자 이메일", "담당자 연락처",
                  "요청 사항", "사업자 등록 정보", "사업자번호 120-88-00767", "상호(법인명) 메가존 주식회사",
                  "성명(대표자) 김대표", "사업장주소 서울특별시 강남구 논현로85길 46", "업태 서비스", "종목 소프트웨어"):
        assert words in shown, words
    # read-only: no input for the business data, and the way to change it
    for name in ("brn", "company_name", "representative", "business_address", "business_type", "business_item"):
        assert f'name="{name}"' not in html
    assert "변경은 마이페이지 > 기업정보 에서 신청해주세요" in shown and 'href="/mypage/' in html
    assert 'value="none" checked' in html          # not asked for yet

    response = client.post("/tax-invoices/settings", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/tax-invoices/")
    after = client.get(response.headers["Location"])
    assert "세금계산서 신청이 완료되었습니다" in flashed(after)
    assert tax_columns(app, customer.account_id) == (True, "박담당", "Park@megazone.example", "01098765432",
                                                     "11월분은 본사 주소로 부탁드립니다.")
    html = after.get_data(as_text=True)
    assert 'value="auto" checked' in html and 'value="010-9876-5432"' in html and "본사 주소로" in html
    [entry] = rows(app, AuditLog, AuditLog.action == "tax_invoice_settings")
    assert (entry["actor_login"], entry["object_type"], entry["account_id"]) == (
        customer.login, "account", customer.account_id)
    assert '"tax_invoice_auto": false' in entry["before"] and '"tax_contact_phone": "01098765432"' in entry["after"]

    # 발행하지 않음: the contact may be left blank
    response = client.post("/tax-invoices/settings", data={"issue": "none", "contact_name": "", "contact_email": "",
                                                           "contact_phone": "", "request_note": ""})
    assert response.status_code == 302
    assert "발행하지 않습니다" in flashed(client.get("/tax-invoices/"))
    assert tax_columns(app, customer.account_id) == (False, None, None, None, None)
    assert count(app, AuditLog, AuditLog.action == "tax_invoice_settings") == 2


REFUSALS = [
    ({"issue": ""}, "발행 여부", "발행 여부를 선택해주세요."),
    ({"issue": "monthly"}, "발행 여부", "발행 여부를 선택해주세요."),
    ({"contact_name": " "}, "담당자 이름", "담당자 이름을 입력해주세요."),
    ({"contact_name": "가" * 51}, "담당자 이름", "담당자 이름은 50자 이하로 입력해주세요."),
    ({"contact_name": "박\x07담당"}, "담당자 이름", "담당자 이름에 입력할 수 없는 제어 문자가 있습니다."),
    ({"contact_email": ""}, "담당자 이메일", "담당자 이메일을 입력해주세요."),
    ({"contact_email": "park@megazone"}, "담당자 이메일", "담당자 이메일을 올바른 이메일 주소로 입력해주세요 (예: tax@example.com)."),
    ({"contact_phone": ""}, "담당자 연락처", "담당자 연락처를 입력해주세요."),
    ({"contact_phone": "02-12"}, "담당자 연락처", "담당자 연락처는 8~11자리 전화번호로 입력해주세요."),
    ({"contact_phone": "010-1234-5678-9"}, "담당자 연락처", "담당자 연락처는 8~11자리 전화번호로 입력해주세요."),
    ({"request_note": "가" * 101}, "요청 사항", "요청 사항은 100자 이하로 입력해주세요."),
    ({"issue": "none", "contact_email": "typed-but-wrong"}, "담당자 이메일", "담당자 이메일을 올바른 이메일 주소로 입력해주세요 (예: tax@example.com)."),
]


def test_tax01_every_refusal_names_its_field_keeps_what_was_typed_and_saves_nothing(app):
    customer = corporate(app)
    client = client_of(app, customer)
    before = tax_columns(app, customer.account_id)
    audits = count(app, AuditLog)
    for changes, field, message in REFUSALS:
        response = client.post("/tax-invoices/settings", data={**FORM, **changes})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, changes
        assert message in text_of(response), changes
        assert field_marked(html, field), (changes, field)
        kept = {**FORM, **changes}
        assert f'value="{kept["contact_name"]}"' in html, changes          # the form keeps what was typed
        assert tax_columns(app, customer.account_id) == before, changes
    assert count(app, AuditLog) == audits
    # exactly 100 characters is fine
    assert client.post("/tax-invoices/settings", data={**FORM, "request_note": "가" * 100}).status_code == 302


def test_tax01_an_individual_account_is_pointed_to_the_corporate_conversion(app):
    customer = make_customer(app)
    client = client_of(app, customer)
    page = client.get("/tax-invoices/")
    shown = text_of(page)
    assert page.status_code == 200
    assert "세금계산서 신청은 기업회원만 가능합니다." in shown and "기업전환 신청하기" in shown
    assert 'href="/mypage/conversion"' in page.get_data(as_text=True)
    assert "담당자 이름" not in shown and "세금계산서 발행 내역" not in shown
    # the menu lists it for both kinds of account
    assert 'href="/tax-invoices/"' in client.get("/dashboard/").get_data(as_text=True)
    refused = client.post("/tax-invoices/settings", data=FORM)
    assert refused.status_code == 403 and "기업회원만 가능합니다" in text_of(refused)
    assert tax_columns(app, customer.account_id) == (False, None, None, None, None)
    assert count(app, AuditLog, AuditLog.action == "tax_invoice_settings") == 0


# --- TAX-02 ----------------------------------------------------------------------------------------------------

def test_tax02_this_months_running_totals_leave_card_and_points_off(app):
    """October's usage is not November's. In November: card 5,000 then transfer 5,000; 400 SMS
    at 20 won hold 8,000 (card 5,000 + transfer 3,000), 100 fail and 2,000 go back to the
    transfer; then 100 points and 10 SMS (100 points + 100 cash). Invoiced: 1,100 won → 총
    공급가액 1,000원, 총 부가세액 100원; card 5,000원; points 100원; used 6,200원."""
    customer = corporate(app)
    october = kst(2026, 10, 20, 10, 0)
    transfer(app, customer.account_id, 1_000, october)
    send(app, customer, (50, 0), at=october)                     # 1,000 won in October
    start = kst(2026, 11, 10, 10, 0)
    card(app, customer.account_id, 5_000, start)
    transfer(app, customer.account_id, 5_000, start)
    send(app, customer, (300, 0), (100, 90), at=start)
    with app.app_context():
        ledger.grant_points(customer.account_id, 100, reason="가입 축하", key="test:tax02:points", now=start)
    send(app, customer, (10, 0), at=start + dt.timedelta(days=1))
    client = client_of(app, customer)
    with clock.frozen(kst(2026, 11, 20, 12, 0)):
        page = client.get("/tax-invoices/")
    shown = text_of(page)
    assert "발행 내역 2026년 11월 (진행 중)" in shown
    assert "총 공급가액 1,000원" in shown and "총 부가세액 100원" in shown
    assert "이번 달 사용 금액 6,200원" in shown
    assert "세금계산서 발행분 (무통장입금 등으로 충전한 충전금) 1,100원" in shown
    assert "카드 결제분 (카드 매출전표로 갈음) 5,000원" in shown and "포인트 사용 100원" in shown
    assert "카드 매출전표가 세금계산서를 대신하므로" in shown and "포인트는 무상으로 지급된 금액이라" in shown
    assert "발송 성공으로 인한 충전금 사용건이 반영됩니다." in shown
    # in October's page, October's usage only
    with clock.frozen(kst(2026, 10, 31, 23, 0)):
        october_page = text_of(client.get("/tax-invoices/"))
    assert "2026년 10월" in october_page and "총 공급가액 909원" in october_page and "총 부가세액 91원" in october_page


# --- TAX-04 ----------------------------------------------------------------------------------------------------

def test_tax04_history_detail_and_the_pdf_copy_once_issued(app):
    customer = corporate(app, note="11월분 요청사항입니다")
    # November: 1,000 won paid by card (not invoiced), then 2,020 won by bank transfer
    card(app, customer.account_id, 1_000, kst(2026, 11, 11, 10, 0))
    send(app, customer, (50, 0), at=kst(2026, 11, 11, 10, 0))
    invoice_id = monthly_invoice(app, customer, 2_020)
    client = client_of(app, customer)
    with app.app_context():
        serial = db.session.get(TaxInvoice, invoice_id).serial
    with clock.frozen(LATER_PAGE):
        listing = client.get("/tax-invoices/")
    shown = text_of(listing)
    for words in ("세금계산서 발행 내역", "일련번호 상호(법인명) 요청사항 총 공급가액 총 부가세액 요청일 발행일 상태",
                  f"{serial} 메가존 주식회사 11월분 요청사항입니다 1,836원 184원 2026-12-07 - 발행대기", "총 1건"):
        assert words in shown, words
    assert f'href="/tax-invoices/{invoice_id}"' in listing.get_data(as_text=True)

    detail = client.get(f"/tax-invoices/{invoice_id}")
    shown = text_of(detail)
    supplier = issuers.DEMO_SUPPLIER
    assert detail.status_code == 200
    for words in (f"세금계산서 {serial}", "상태 발행대기", "이용월 2026년 11월", "작성일자 2026-11-30", "국세청 승인번호 -",
                  "공급자", f"상호(법인명) {supplier.name}", f"등록번호 {supplier.brn[:3]}-{supplier.brn[3:5]}-{supplier.brn[5:]}",
                  "공급받는자", "등록번호 120-88-00767", "상호(법인명) 메가존 주식회사", "성명(대표자) 김대표",
                  "담당자 이담당 · tax@megazone.example · 02-123-4567",
                  "11-30 메시지 발송 이용료 2026년 11월 1,836원 184원", "합계금액 2,020원 1,836원 184원",
                  "2026년 11월 유형별 이용 내역", "SMS 151 3,020원 1,000원 2,020원 0원", "합계 151 3,020원 1,000원 2,020원 0원"):
        assert words in shown, words
    assert "PDF 사본 다운로드" not in shown
    assert client.get(f"/tax-invoices/{invoice_id}/pdf").status_code == 404

    approval = issue(app, invoice_id)
    with clock.frozen(LATER_PAGE):
        listing = text_of(client.get("/tax-invoices/"))
    assert f"{serial} 메가존 주식회사 11월분 요청사항입니다 1,836원 184원 2026-12-07 2026-12-07 발행완료" in listing
    shown = text_of(client.get(f"/tax-invoices/{invoice_id}"))
    formatted = f"{approval[:8]}-{approval[8:16]}-{approval[16:]}"
    assert re.fullmatch(r"\d{8}-\d{8}-\d{8}", formatted)
    assert f"국세청 승인번호 {formatted}" in shown and "상태 발행완료" in shown and "발행일 2026-12-07" in shown
    assert "PDF 사본 다운로드" in shown

    pdf = client.get(f"/tax-invoices/{invoice_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    disposition = pdf.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'filename=tax-invoice-{serial}.pdf' in disposition
    korean = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(korean) == f"세금계산서_{serial}_메가존 주식회사.pdf"
    text = pdf_text(pdf.data)
    for words in ("전자세금계산서", "공급받는자", serial, format_approval(approval), "메가존 주식회사", supplier.name,
                  "메시지 발송 이용료 2026년 11월", "1,836", "184", "2,020", "요청사항: 11월분 요청사항입니다"):
        assert words in text, words


def test_tax04_history_pages_by_20_and_keeps_five_years(app):
    """21 invoices (the monthly one and 20 공급가액 변동 corrections of +110 won), newest first,
    20 a page; seen five years and a month later, November 2026 has left the list."""
    customer = corporate(app)
    invoice_id = monthly_invoice(app, customer, 200)
    issue(app, invoice_id)
    with app.app_context():
        for n in range(20):
            invoices.correct(invoice_id, reason=2, actor=None, amount=110, now=ISSUE_AT + dt.timedelta(minutes=n + 1))
    client = client_of(app, customer)
    with clock.frozen(LATER_PAGE):
        first, second = client.get("/tax-invoices/"), client.get("/tax-invoices/?page=2")
    first_html, second_html = first.get_data(as_text=True), second.get_data(as_text=True)
    assert "총 21건" in text_of(first)
    assert first_html.count('class="invoice-row"') == 20 and second_html.count('class="invoice-row"') == 1
    assert f'data-id="{invoice_id}"' in second_html and f'data-id="{invoice_id}"' not in first_html   # oldest last
    assert "100원 10원" in text_of(first) and "수정" in text_of(first)                 # a +110 won correction
    assert 'href="/tax-invoices/?page=2"' in first_html
    with clock.frozen(kst(2031, 11, 30, 12, 0)):
        assert text_of(client.get("/tax-invoices/")).count("메가존 주식회사") > 20     # still within five years
    with clock.frozen(kst(2031, 12, 1, 12, 0)):
        gone = client.get("/tax-invoices/")
    assert "세금계산서 발행 내역이 없습니다." in text_of(gone) and "총 0건" in text_of(gone)
    # a correction's detail names its reason and its original
    with app.app_context():
        correction = db.session.scalar(select(TaxInvoice.id).where(TaxInvoice.original_id == invoice_id).limit(1))
    shown = text_of(client.get(f"/tax-invoices/{correction}"))
    assert "수정세금계산서" in shown and "수정사유 2. 공급가액 변동" in shown and "당초 세금계산서" in shown


def test_tax04_another_accounts_invoice_and_its_copy_are_404(app):
    owner = corporate(app, note="오너의 비밀 요청")
    invoice_id = monthly_invoice(app, owner, 400)
    issue(app, invoice_id)
    stranger = corporate(app)
    client = client_of(app, stranger)
    for url in (f"/tax-invoices/{invoice_id}", f"/tax-invoices/{invoice_id}/pdf"):
        response = client.get(url)
        assert response.status_code == 404 and "오너의 비밀 요청" not in response.get_data(as_text=True)
        assert b"%PDF" not in response.data
    with clock.frozen(LATER_PAGE):
        assert "오너의 비밀 요청" not in text_of(client.get("/tax-invoices/"))
    assert client.get("/tax-invoices/999999").status_code == 404


# --- API-08 ----------------------------------------------------------------------------------------------------

def test_api08_the_accounts_tax_invoices_with_their_items_and_filters(app):
    customer, key = api_customer(app, cash=0)
    company_data(app, customer.account_id)
    settings(app, customer.account_id, request_note="API 요청")
    # November: 1,000 won of SMS by bank transfer; an LMS send too (50 won each)
    invoice_id = monthly_invoice(app, customer, 1_000)
    with app.app_context():
        invoice = db.session.get(TaxInvoice, invoice_id)
        serial, created = invoice.serial, invoice.created_at
    client = app.test_client()
    with clock.frozen(LATER_PAGE):
        listing = client.get("/api/v1/tax-invoices", headers=bearer(key))
    assert listing.status_code == 200, listing.get_data(as_text=True)
    body = listing.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 20)
    [item] = body["tax_invoices"]
    assert item == {
        "id": invoice_id, "serial": serial, "kind": "monthly", "month": "2026-11", "written_on": "2026-11-30",
        "supply_amount": 909, "vat": 91, "total": 1_000, "state": "pending", "approval_number": None,
        "issued_on": None, "issued_at": None, "requested_at": clock.to_kst(created).isoformat(), "remark": "API 요청",
        "original_id": None, "correction_reason": None,
        "items": [{"type": "SMS", "count": 50, "supply": 909, "vat": 91}]}
    approval = issue(app, invoice_id)
    with app.app_context():
        [correction] = invoices.correct(invoice_id, reason=2, actor=None, amount=-110, now=ISSUE_AT)
        correction_id = correction.id
    with clock.frozen(LATER_PAGE):
        issued = client.get("/api/v1/tax-invoices?state=issued&month=2026-11", headers=bearer(key)).get_json()
        pending = client.get("/api/v1/tax-invoices?state=pending", headers=bearer(key)).get_json()
        other_month = client.get("/api/v1/tax-invoices?month=2026-10", headers=bearer(key)).get_json()
        both = client.get("/api/v1/tax-invoices?per_page=1&page=2", headers=bearer(key)).get_json()
        bad_month = client.get("/api/v1/tax-invoices?month=2026-13", headers=bearer(key))
        bad_state = client.get("/api/v1/tax-invoices?state=issuing", headers=bearer(key))
    [done] = issued["tax_invoices"]
    assert (done["id"], done["state"], done["approval_number"], done["issued_on"]) == (
        invoice_id, "issued", approval, "2026-12-07")
    [minus] = pending["tax_invoices"]
    assert (minus["id"], minus["kind"], minus["original_id"], minus["correction_reason"], minus["supply_amount"],
            minus["vat"], minus["total"], minus["items"]) == (correction_id, "correction", invoice_id, 2, -100, -10,
                                                              -110, [])
    assert other_month["total"] == 0 and other_month["tax_invoices"] == []
    assert both["total"] == 2 and [i["id"] for i in both["tax_invoices"]] == [invoice_id]
    error_of(bad_month, 422, "invalid_month", "month")
    error_of(bad_state, 422, "invalid_filter", "state")
    assert client.get("/api/v1/tax-invoices").status_code == 401


def test_api08_items_add_up_to_the_invoice_across_types(app):
    """SMS and LMS in one month: each type's share of the 공급가액 follows its invoiced cash, and
    the items add up to the invoice's 공급가액 and 부가세액 exactly."""
    customer = corporate(app)
    approve_api_use(app, customer.account_id)
    key = new_key(app, customer.account_id)
    at = kst(2026, 11, 12, 10, 0)
    transfer(app, customer.account_id, 2_000, at)
    send(app, customer, (3, 0), at=at)                                               # SMS 60 won
    accept(app, customer, phones(0, 0, 0, 0, 0, 0, 0), body="가" * 60, now=at)       # LMS 7 × 50 = 350 won
    run_to_completion(app, at)
    with app.app_context():
        invoices.prepare_month(RUN_AT, month=NOVEMBER)
    with clock.frozen(LATER_PAGE):
        [invoice] = app.test_client().get("/api/v1/tax-invoices", headers=bearer(key)).get_json()["tax_invoices"]
    assert (invoice["total"], invoice["supply_amount"], invoice["vat"]) == (410, 373, 37)
    by_type = {i["type"]: i for i in invoice["items"]}
    assert set(by_type) == {"SMS", "LMS"} and (by_type["SMS"]["count"], by_type["LMS"]["count"]) == (3, 7)
    assert sum(i["supply"] for i in invoice["items"]) == 373 and sum(i["vat"] for i in invoice["items"]) == 37
    assert by_type["LMS"]["supply"] + by_type["LMS"]["vat"] == 350 and by_type["SMS"]["supply"] + by_type["SMS"]["vat"] == 60
