"""ACC-12 기업정보 변경: a corporate account's 사업자 등록 정보 changes only by a request with a
new 사업자등록증, which an operator approves or rejects with a reason in the queue
기업정보 변경 심사 (the data in force beside the data asked for, the documents inline). The
old data stays in force until the approval, which replaces it in the decision's
transaction with an audit entry and the customer's notice; a rejection keeps it and the
customer sees the reason. One open request per account; individual accounts are pointed
to 기업전환; every bad input is refused naming the field, with nothing stored."""
import io
import json
import re
import threading
from urllib.parse import urlparse

import pytest
from sqlalchemy.exc import IntegrityError

from app import clock
from app.errors import Conflict
from app.extensions import db
from app.models import (Account, AccountNotice, AuditLog, CompanyChangeRequest, CorporateConversion, MailOutbox,
                        StoredFile)
from app.services.accounts import accounts, company_changes
from app.services.shared import audit
from tests.support.factories import make_customer
from tests.support.foundation import (CONVERSION_FORM, apply_conversion, count, customer_client, flashed, follow,
                                      pdf_bytes, png_bytes, rows, sidebar_links, staff_client, uploaded_files)
from tests.support.web import text_of

PAGE = "/mypage/company"
QUEUE = "/staff/queues/company-changes"
FIELDS = ("brn", "company_name", "representative", "business_address", "business_type", "business_item")
LABELS = {"brn": "사업자등록번호", "company_name": "상호", "representative": "대표자", "business_address": "사업장주소",
          "business_type": "업태", "business_item": "종목"}

#: 214-87-1234 with its check digit 8
NEW_BRN = "214-87-12348"
CHANGE_FORM = {
    "brn": NEW_BRN,
    "company_name": "주식회사 우정테크",
    "representative": "우정민",
    "business_address": "서울특별시 서초구 서초대로 77",
    "business_type": "서비스",
    "business_item": "소프트웨어 개발 및 공급",
}
#: what CONVERSION_FORM leaves in force (the BRN as its digits)
OLD_DATA = {**{k: CONVERSION_FORM[k] for k in FIELDS}, "brn": "1234567891"}
NEW_DATA = {**CHANGE_FORM, "brn": "2148712348"}


def corporate(app, **kwargs):
    """(customer, client) of an account made corporate the real way: 기업전환 applied for
    and approved, so that all six fields and a certificate are in force."""
    customer, client = customer_client(app, **kwargs)
    assert apply_conversion(client).status_code == 302
    [conversion] = rows(app, CorporateConversion, CorporateConversion.account_id == customer.account_id)
    with app.app_context():
        accounts.decide_conversion(conversion["id"], approve=True, actor=None, now=clock.now())
    return customer, client


def request_change(client, *, filename: str = "새-사업자등록증.png", data: bytes | None = None,
                   omit_file: bool = False, **changes):
    form = {**CHANGE_FORM, **changes}
    if not omit_file:
        form["certificate"] = (io.BytesIO(png_bytes(color=(9, 99, 199)) if data is None else data), filename)
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def data_of(app, account_id) -> dict:
    [account] = rows(app, Account, Account.id == account_id)
    return {k: account[k] for k in FIELDS}


def account_row(app, account_id) -> dict:
    [account] = rows(app, Account, Account.id == account_id)
    return account


def only_request(app, account_id) -> dict:
    [item] = rows(app, CompanyChangeRequest, CompanyChangeRequest.account_id == account_id)
    return item


def decide(client, request_id, decision, reason=None):
    data = {"decision": decision}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"{QUEUE}/decide/{request_id}", data=data)


def queue_count(client) -> str:
    """The 기업정보 변경 심사 row of the staff dashboard's queue table."""
    html = client.get("/staff/").get_data(as_text=True)
    table = html.split('id="queue-counts"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf'<a href="{QUEUE}/list/">기업정보 변경 심사</a></td>\s*<td>([\d,]+)건</td>', table)
    return found.group(1)


def menu_badge(client) -> str | None:
    """The count beside 기업정보 변경 심사 in the staff menu."""
    html = client.get("/staff/").get_data(as_text=True)
    nav = re.search(r'<nav class="mb-sidebar".*?</nav>', html, flags=re.S).group(0)
    found = re.search(rf'href="{QUEUE}/list/">기업정보 변경 심사 <span class="badge mb-badge">(\d+)</span>', nav)
    return found.group(1) if found else None


def error_of(response) -> str:
    """The refusal shown above the form."""
    found = re.search(r'id="form-error">(.*?)</div>', response.get_data(as_text=True), flags=re.S)
    return found.group(1).strip() if found else ""


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlparse(response.headers["Location"]).path == "/login/"


def test_acc12_the_page_shows_the_data_in_force_read_only_and_a_prefilled_form(app):
    _customer, client = corporate(app)
    response = client.get(PAGE)
    assert response.status_code == 200
    html, page = response.get_data(as_text=True), text_of(response)
    for label, value in (("사업자등록번호", "123-45-67891"), ("상호", "주식회사 우정"), ("대표자", "우정민"),
                         ("사업장주소", "서울특별시 강남구 테헤란로 123"), ("업태", "서비스"), ("종목", "소프트웨어 개발")):
        assert f"{label} {value}" in page, label
    assert '<td id="current-brn">123-45-67891</td>' in html
    # the form is prefilled with the data in force, the BRN with its hyphens
    form = html.split('id="company-change-form"', 1)[1]
    assert 'value="123-45-67891"' in form and 'value="서울특별시 강남구 테헤란로 123"' in form
    assert 'name="certificate"' in form and 'id="request-company-change"' in form
    # reached from the menu and from 내 정보 and 기업전환; individuals are offered 기업전환 instead
    assert PAGE in sidebar_links(client.get("/dashboard/"))
    assert f'href="{PAGE}"' in client.get("/mypage/").get_data(as_text=True)
    assert f'href="{PAGE}"' in client.get("/mypage/conversion").get_data(as_text=True)
    _individual, individual = customer_client(app)
    assert PAGE not in sidebar_links(individual.get("/dashboard/"))


def test_acc12_a_request_waits_the_old_data_stays_until_approval_which_replaces_it(app):
    customer, client = corporate(app, login="owner@ujung.example")
    files_before = count(app, StoredFile)
    document = png_bytes(color=(9, 99, 199))
    response = request_change(client, data=document)
    assert response.status_code == 302
    page = follow(client, response)
    assert "기업정보 변경을 신청했습니다." in flashed(page)
    html = page.get_data(as_text=True)
    assert "심사중" in text_of(page) and 'id="company-change-form"' not in html
    assert '<td id="requested-company_name">주식회사 우정테크</td>' in html
    assert '<td id="current-company_name">주식회사 우정</td>' in html
    item = only_request(app, customer.account_id)
    assert item["status"] == "requested" and {k: item[k] for k in FIELDS} == NEW_DATA
    [stored] = rows(app, StoredFile, StoredFile.id == item["certificate_file_id"])
    assert (stored["account_id"], stored["content_type"], stored["size"]) == (customer.account_id, "image/png",
                                                                               len(document))
    assert count(app, StoredFile) == files_before + 1
    assert client.get(f"/files/{stored['id']}").data == document
    # not yet: the account keeps its data
    assert data_of(app, customer.account_id) == OLD_DATA

    operator_login, operator = staff_client(app, "Operator")
    assert queue_count(operator) == "1" and menu_badge(operator) == "1"
    listing = text_of(operator.get(f"{QUEUE}/list/"))
    assert "주식회사 우정테크" in listing and "214-87-12348" in listing
    show = operator.get(f"{QUEUE}/show/{item['id']}")
    assert show.status_code == 200
    html = show.get_data(as_text=True)
    comparison = text_of(show).split("사업자 등록 정보", 1)[1]
    for label, old, new in (("사업자등록번호", "123-45-67891", "214-87-12348"), ("상호", "주식회사 우정", "주식회사 우정테크"),
                            ("사업장주소", "서울특별시 강남구 테헤란로 123", "서울특별시 서초구 서초대로 77")):
        assert f"{label} {old} {new} 변경" in comparison, label
    assert "대표자 우정민 우정민 " in comparison            # unchanged: no mark
    assert html.count('class="mb-changed warning"') == 4
    # the new certificate inline, and the one behind the data in force
    assert f'<img class="mb-doc-image" src="/files/{stored["id"]}"' in html
    [conversion] = rows(app, CorporateConversion, CorporateConversion.account_id == customer.account_id)
    assert f'<img class="mb-doc-image" src="/files/{conversion["certificate_file_id"]}"' in html
    assert operator.get(f"/files/{stored['id']}").data == document

    response = decide(operator, item["id"], "approve")
    assert response.status_code == 302 and "승인했습니다." in flashed(follow(operator, response))
    assert data_of(app, customer.account_id) == NEW_DATA
    account = account_row(app, customer.account_id)
    assert account["display_name"] == "주식회사 우정테크" and account["kind"] == "corporate"
    assert account["tax_contact_email"] == CONVERSION_FORM["tax_contact_email"]       # not part of the change
    assert only_request(app, customer.account_id)["status"] == "approved"
    [entry] = rows(app, AuditLog, AuditLog.object_type == "company_change_request")
    assert (entry["actor_login"], entry["action"], entry["object_id"], entry["account_id"]) == \
        (operator_login, "approve", str(item["id"]), customer.account_id)
    assert json.loads(entry["before"]) == {"status": "requested", **OLD_DATA, "display_name": "주식회사 우정"}
    assert json.loads(entry["after"]) == {"status": "approved", **NEW_DATA, "display_name": "주식회사 우정테크"}
    assert audit.object_label("company_change_request") == "기업정보 변경 신청"
    assert "상호: 주식회사 우정테크" in audit.describe(entry["after"])
    [notice] = rows(app, AccountNotice, AccountNotice.kind == "review:company_change_request")
    assert notice["account_id"] == customer.account_id and notice["link"] == "MyPageView.company"
    assert notice["title"] == "기업정보 변경 신청이 승인되었습니다"
    assert "상호: 주식회사 우정테크, 사업자등록번호: 214-87-12348" in notice["body"]
    [mail] = rows(app, MailOutbox, MailOutbox.notice_id == notice["id"])
    assert mail["recipient"] == "owner@ujung.example" and mail["subject"] == "[megabird] 기업정보 변경 신청이 승인되었습니다"
    # the queue is empty; the customer sees the new data and may ask again
    assert queue_count(operator) == "0" and menu_badge(operator) is None
    assert "주식회사 우정테크" not in text_of(operator.get(f"{QUEUE}/list/"))
    mine = client.get(PAGE)
    assert '<td id="current-company_name">주식회사 우정테크</td>' in mine.get_data(as_text=True)
    assert 'id="company-change-approved"' in mine.get_data(as_text=True)
    assert 'id="company-change-form"' in mine.get_data(as_text=True)


def test_acc12_a_rejection_keeps_the_data_and_the_customer_sees_the_reason(app):
    customer, client = corporate(app)
    request_change(client)
    item = only_request(app, customer.account_id)
    operator_login, operator = staff_client(app, "Operator")
    reason = "사업자등록증의 상호와 입력한 상호가 다릅니다."
    response = decide(operator, item["id"], "reject", reason)
    assert "반려했습니다." in flashed(follow(operator, response))
    assert data_of(app, customer.account_id) == OLD_DATA
    assert account_row(app, customer.account_id)["display_name"] == "주식회사 우정"
    assert only_request(app, customer.account_id)["reject_reason"] == reason
    page = client.get(PAGE)
    assert f"기업정보 변경 신청이 반려되었습니다. 반려 사유: {reason}" in text_of(page)
    assert '<td id="current-company_name">주식회사 우정</td>' in page.get_data(as_text=True)
    assert 'value="주식회사 우정"' in page.get_data(as_text=True).split('id="company-change-form"', 1)[1]
    [entry] = rows(app, AuditLog, AuditLog.object_type == "company_change_request")
    assert (entry["actor_login"], entry["action"], entry["reason"]) == (operator_login, "reject", reason)
    assert json.loads(entry["after"]) == {"status": "rejected", **OLD_DATA, "display_name": "주식회사 우정"}
    [notice] = rows(app, AccountNotice, AccountNotice.kind == "review:company_change_request")
    assert notice["title"] == "기업정보 변경 신청이 반려되었습니다" and f"반려 사유: {reason}" in notice["body"]
    assert count(app, MailOutbox, MailOutbox.notice_id == notice["id"]) == 1

    # asked again, fixed: a new request waits, the rejected one stays as it was decided
    assert request_change(client, company_name="주식회사 우정테크 (재신청)").status_code == 302
    waiting = rows(app, CompanyChangeRequest, CompanyChangeRequest.status == "requested")
    assert [w["company_name"] for w in waiting] == ["주식회사 우정테크 (재신청)"]
    assert rows(app, CompanyChangeRequest, CompanyChangeRequest.id == item["id"])[0]["reject_reason"] == reason
    assert "심사중" in text_of(client.get(PAGE))


def test_acc12_a_rejection_needs_a_reason_and_an_item_is_decided_once(app):
    customer, client = corporate(app)
    request_change(client)
    item = only_request(app, customer.account_id)
    _, operator = staff_client(app, "Operator")
    for reason in (None, "", "   "):
        response = decide(operator, item["id"], "reject", reason)
        assert "반려 사유를 입력해주세요." in flashed(follow(operator, response))
    assert only_request(app, customer.account_id) == item
    assert count(app, AuditLog, AuditLog.object_type == "company_change_request") == 0
    decide(operator, item["id"], "reject", "서류 불충분")
    response = decide(operator, item["id"], "approve")
    assert "이미 처리된 요청입니다" in flashed(follow(operator, response))
    assert data_of(app, customer.account_id) == OLD_DATA
    assert count(app, AuditLog, AuditLog.object_type == "company_change_request") == 1


def test_acc12_a_second_request_while_one_waits_is_refused_and_its_file_discarded(app):
    customer, client = corporate(app)
    assert request_change(client).status_code == 302
    files, on_disk = rows(app, StoredFile), uploaded_files(app)
    response = request_change(client, company_name="주식회사 또다른", data=png_bytes(color=(1, 2, 3)))
    assert response.status_code == 409
    assert "이미 기업정보 변경을 신청하셨습니다. 심사가 끝난 뒤에 다시 신청할 수 있습니다." in text_of(response)
    assert count(app, CompanyChangeRequest) == 1 and rows(app, StoredFile) == files and uploaded_files(app) == on_disk
    assert only_request(app, customer.account_id)["company_name"] == "주식회사 우정테크"


def test_acc12_the_database_holds_one_open_request_per_account(app):
    customer = make_customer(app, kind="corporate")
    with app.app_context():
        document = StoredFile(account_id=customer.account_id, kind="business_certificate", original_name="a.png",
                              stored_name="x" * 32, content_type="image/png", size=1, sha256="0" * 64)
        db.session.add(document)
        db.session.flush()
        file_id = document.id
        for status in ("rejected", "approved", "requested"):
            db.session.add(CompanyChangeRequest(account_id=customer.account_id, certificate_file_id=file_id,
                                                status=status, **NEW_DATA))
        db.session.commit()
        db.session.add(CompanyChangeRequest(account_id=customer.account_id, certificate_file_id=file_id,
                                            status="requested", **NEW_DATA))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert count(app, CompanyChangeRequest, CompanyChangeRequest.status == "requested") == 1


def test_acc12_requests_racing_for_one_account_leave_exactly_one_waiting(app):
    """Six requests of one account at once: one waits, the others are refused 409 (the
    account row is locked), and the refused ones' certificates are not kept."""
    customer, _client = corporate(app)
    files_before, disk_before = count(app, StoredFile), len(uploaded_files(app))
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes, lock = [], threading.Lock()

    def ask(i: int):
        with app.app_context():
            barrier.wait()
            try:
                company_changes.request_change(account_id=customer.account_id,
                                               form={**CHANGE_FORM, "company_name": f"주식회사 경주{i}"},
                                               certificate=(f"{i}.png", png_bytes(color=(i, i, i))), now=clock.now())
                result = "ok"
            except Conflict as exc:
                result = "refused" if exc.status == 409 else f"error: {exc!r}"
            except Exception as exc:  # anything else is a failure of the test
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (racers - 1)
    assert count(app, CompanyChangeRequest, CompanyChangeRequest.status == "requested") == 1
    assert count(app, StoredFile) == files_before + 1 and len(uploaded_files(app)) == disk_before + 1
    assert data_of(app, customer.account_id) == OLD_DATA


def test_acc12_an_individual_account_is_pointed_to_conversion_and_refused(app):
    customer, client = customer_client(app)
    page = client.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="company-individual"' in html and 'href="/mypage/conversion"' in html
    assert 'id="company-change-form"' not in html
    response = request_change(client)
    assert response.status_code == 403
    assert "기업정보 변경은 기업회원만 신청할 수 있습니다. 개인회원은 먼저 기업전환을 신청해주세요." in text_of(response)
    assert 'href="/mypage/conversion"' in response.get_data(as_text=True)
    assert count(app, CompanyChangeRequest) == 0 and count(app, StoredFile) == 0 and uploaded_files(app) == []
    assert account_row(app, customer.account_id)["kind"] == "individual"


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
TOO_BIG = png_bytes()[:-12] + b"\x00" * (10 * 1024 * 1024)  # a PNG start, just over 10 MB


@pytest.mark.parametrize("case,changes,field", [
    ("wrong check digit", {"brn": "214-87-12340"}, "사업자등록번호"),
    ("brn too short", {"brn": "214-87-123"}, "사업자등록번호"),
    ("brn with letters", {"brn": "214-87-1234A"}, "사업자등록번호"),
    ("no brn", {"brn": ""}, "사업자등록번호"),
    ("no company name", {"company_name": ""}, "상호"),
    ("company name too long", {"company_name": "가" * 101}, "상호"),
    ("no representative", {"representative": "  "}, "대표자"),
    ("no address", {"business_address": ""}, "사업장주소"),
    ("no business type", {"business_type": ""}, "업태"),
    ("no business item", {"business_item": ""}, "종목"),
    ("a control character", {"business_item": "소프트웨어\x07"}, "종목"),
    ("nothing changed", {**{k: CONVERSION_FORM[k] for k in FIELDS}}, "사업자 등록 정보"),
    ("no file", {"omit_file": True}, "사업자등록증"),
    # the document rules (shared/files, as 기업전환's) say what is wrong; the page marks the field
    ("renamed exe", {"filename": "사업자등록증.png", "data": EXE}, "형식이 아니거나"),
    ("exe", {"filename": "setup.exe", "data": EXE}, "jpg, jpeg, png, pdf 만 허용"),
    ("empty file", {"filename": "empty.png", "data": b""}, "빈 파일"),
    ("png named pdf", {"filename": "cert.pdf", "data": png_bytes()}, "확장자와 일치하지"),
    ("truncated png", {"filename": "cert.png", "data": png_bytes()[:40]}, "손상된"),
    ("over 10 MB", {"filename": "big.png", "data": TOO_BIG}, "10MB"),
])
def test_acc12_bad_input_is_refused_naming_the_field_and_changes_nothing(app, case, changes, field):
    customer, client = corporate(app)
    account, files, on_disk = account_row(app, customer.account_id), rows(app, StoredFile), uploaded_files(app)
    response = request_change(client, **changes)
    assert 400 <= response.status_code < 500, case
    assert field in error_of(response), (case, error_of(response))
    assert count(app, CompanyChangeRequest) == 0
    assert rows(app, StoredFile) == files and uploaded_files(app) == on_disk
    assert account_row(app, customer.account_id) == account
    html = response.get_data(as_text=True)
    form = html.split('id="company-change-form"', 1)[1]
    # the refused field is marked
    name = {label: name for name, label in LABELS.items()}.get(field)
    if name:
        assert re.search(rf'<div class="form-group has-error">\s*<label for="{name}"', form), case
    elif "filename" in changes or "omit_file" in changes:
        assert re.search(r'<div class="form-group has-error">\s*<label class="mb-required" for="certificate"', form), case
    assert form.count("has-error") == (0 if field == "사업자 등록 정보" else 1), case
    # what was typed is kept (not the file), so the customer only fixes the field
    if "company_name" not in changes:
        assert f'value="{CHANGE_FORM["company_name"]}"' in form, case


def test_acc12_a_pdf_certificate_is_embedded_in_a_frame(app):
    customer, client = corporate(app)
    assert request_change(client, filename="cert.pdf", data=pdf_bytes()).status_code == 302
    item = only_request(app, customer.account_id)
    _, operator = staff_client(app, "Operator")
    html = operator.get(f"{QUEUE}/show/{item['id']}").get_data(as_text=True)
    assert f'<iframe class="mb-doc-frame" src="/files/{item["certificate_file_id"]}"' in html


def test_acc12_the_queue_is_for_operators_only(app):
    customer, client = corporate(app)
    request_change(client)
    item = only_request(app, customer.account_id)
    before = data_of(app, customer.account_id)
    urls = [("GET", f"{QUEUE}/list/"), ("GET", f"{QUEUE}/show/{item['id']}"),
            ("POST", f"{QUEUE}/decide/{item['id']}"), ("POST", f"{QUEUE}/action_post")]
    form = {"decision": "approve", "action": "approve_selected", "rowid": str(item["id"])}
    _, finance = staff_client(app, "Finance")
    anonymous = app.test_client()
    for method, url in urls:
        response = client.open(url, method=method, data=form)
        assert response.status_code == 403 or is_login_redirect(response), (url, response.status_code)
        assert finance.open(url, method=method, data=form).status_code == 403, url
        assert is_login_redirect(anonymous.open(url, method=method, data=form)), url
    assert only_request(app, customer.account_id) == item and data_of(app, customer.account_id) == before
    assert count(app, AuditLog, AuditLog.object_type == "company_change_request") == 0
    assert "기업정보 변경 심사" not in text_of(finance.get("/staff/"))
    for role in ("Operator", "Admin"):
        _, staff = staff_client(app, role)
        assert staff.get(f"{QUEUE}/list/").status_code == 200, role
        assert staff.get(f"{QUEUE}/show/{item['id']}").status_code == 200, role
        assert f'href="{QUEUE}/list/"' in staff.get("/staff/").get_data(as_text=True), role


def test_acc12_bulk_approve_rechecks_every_row(app):
    decided, waiting = corporate(app), corporate(app)
    for _customer, client in (decided, waiting):
        assert request_change(client).status_code == 302
    decided_row = only_request(app, decided[0].account_id)
    waiting_row = only_request(app, waiting[0].account_id)
    _, operator = staff_client(app, "Operator")
    decide(operator, decided_row["id"], "reject", "서류 불충분")
    response = operator.post(f"{QUEUE}/action_post", data={
        "action": "approve_selected", "rowid": [str(decided_row["id"]), str(waiting_row["id"]), "999999"]})
    message = flashed(follow(operator, response))
    assert "1건을 승인했습니다." in message and "2건은 건너뛰었습니다" in message
    assert data_of(app, decided[0].account_id) == OLD_DATA
    assert data_of(app, waiting[0].account_id) == NEW_DATA
    assert [(e["action"], e["object_id"]) for e in rows(app, AuditLog, AuditLog.object_type == "company_change_request")] \
        == [("reject", str(decided_row["id"])), ("approve", str(waiting_row["id"]))]
