"""ACC-05 기업전환: an individual applies with business data and a certificate (checked by
content, SEC-07); an operator sees it in the queue with the document inline and
approves (the account becomes corporate, audited) or rejects with a reason the
customer sees. Bad input is refused naming the field and stores nothing. Bulk approve
(an FAB action) re-checks every row."""
import json

import pytest

from app.models import Account, AuditLog, CorporateConversion, StoredFile
from tests.support.foundation import (CONVERSION_FORM, WRONG_CHECK_DIGIT_BRN, apply_conversion, count,
                                      customer_client, flashed, follow, pdf_bytes, png_bytes, rows,
                                      staff_client, uploaded_files)
from tests.support.web import text_of

QUEUE = "/staff/queues/conversions"


def only_conversion(app, account_id):
    [conversion] = rows(app, CorporateConversion, CorporateConversion.account_id == account_id)
    return conversion


def account_of(app, account_id):
    [account] = rows(app, Account, Account.id == account_id)
    return account


def decide(client, conversion_id, decision, reason=None):
    data = {"decision": decision}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"{QUEUE}/decide/{conversion_id}", data=data)


def test_acc05_apply_review_with_the_document_inline_and_approve(app):
    customer, client = customer_client(app, name="우정민")
    document = png_bytes()
    response = apply_conversion(client, data=document)
    assert response.status_code == 302
    assert "심사중" in text_of(follow(client, response))
    conversion = only_conversion(app, customer.account_id)
    assert conversion["status"] == "requested" and conversion["brn"] == "1234567891"
    assert conversion["tax_contact_phone"] == "025551234"
    # the file is stored under a random name, outside the web root, with its checked type
    [stored] = rows(app, StoredFile)
    assert (stored["account_id"], stored["content_type"], stored["size"]) == \
        (customer.account_id, "image/png", len(document))
    [path] = uploaded_files(app)
    assert path.name == stored["stored_name"] and "사업자등록증" not in path.name
    assert path.read_bytes() == document

    operator_login, operator = staff_client(app, "Operator")
    queue = operator.get(f"{QUEUE}/list/")
    assert queue.status_code == 200
    assert CONVERSION_FORM["company_name"] in text_of(queue) and "123-45-67891" in text_of(queue)  # the BRN with hyphens
    show = operator.get(f"{QUEUE}/show/{conversion['id']}")
    assert show.status_code == 200
    html = show.get_data(as_text=True)
    assert f'<img class="mb-doc-image" src="/files/{stored["id"]}"' in html
    for value in ("서울특별시 강남구 테헤란로 123", "소프트웨어 개발", "tax@ujung.example.com"):
        assert value in text_of(show)
    # the embedded document is served to staff, as the image it is
    inline = operator.get(f"/files/{stored['id']}")
    assert inline.status_code == 200 and inline.data == document and inline.mimetype == "image/png"

    response = decide(operator, conversion["id"], "approve")
    assert response.status_code == 302 and "승인했습니다." in flashed(follow(operator, response))
    account = account_of(app, customer.account_id)
    assert account["kind"] == "corporate"
    assert {k: account[k] for k in ("brn", "company_name", "representative", "business_address",
                                    "business_type", "business_item", "tax_contact_name",
                                    "tax_contact_email", "tax_contact_phone")} == \
        {**{k: v for k, v in CONVERSION_FORM.items() if k not in ("brn", "tax_contact_phone")},
         "brn": "1234567891", "tax_contact_phone": "025551234"}
    assert account["display_name"] == CONVERSION_FORM["company_name"]
    assert only_conversion(app, customer.account_id)["status"] == "approved"
    [entry] = rows(app, AuditLog)
    assert (entry["actor_login"], entry["action"], entry["object_type"], entry["object_id"],
            entry["account_id"]) == (operator_login, "approve", "corporate_conversion", str(conversion["id"]),
                                     customer.account_id)
    assert json.loads(entry["before"]) == {"kind": "individual", "status": "requested"}
    assert json.loads(entry["after"]) == {"kind": "corporate", "status": "approved"}
    # the queue is empty again; the customer sees the business data
    assert CONVERSION_FORM["company_name"] not in text_of(operator.get(f"{QUEUE}/list/"))
    mine = text_of(client.get("/mypage/conversion"))
    assert "이미 기업회원으로 전환된 계정입니다" in mine and CONVERSION_FORM["company_name"] in mine
    assert "기업회원" in text_of(client.get("/dashboard/"))


def test_acc05_a_pdf_certificate_is_embedded_in_a_frame(app):
    customer, client = customer_client(app)
    assert apply_conversion(client, filename="cert.pdf", data=pdf_bytes()).status_code == 302
    _, operator = staff_client(app, "Operator")
    conversion = only_conversion(app, customer.account_id)
    html = operator.get(f"{QUEUE}/show/{conversion['id']}").get_data(as_text=True)
    file_id = conversion["certificate_file_id"]
    assert f'<iframe class="mb-doc-frame" src="/files/{file_id}"' in html
    assert operator.get(f"/files/{file_id}").mimetype == "application/pdf"


def test_acc05_reject_needs_a_reason_and_changes_nothing_without_one(app):
    customer, client = customer_client(app)
    apply_conversion(client)
    conversion = only_conversion(app, customer.account_id)
    _, operator = staff_client(app, "Operator")
    for reason in (None, "", "   "):
        response = decide(operator, conversion["id"], "reject", reason)
        assert response.status_code == 302
        assert "반려 사유를 입력해주세요." in flashed(follow(operator, response))
    assert only_conversion(app, customer.account_id) == conversion
    assert account_of(app, customer.account_id)["kind"] == "individual"
    assert rows(app, AuditLog) == []


def test_acc05_rejected_with_a_reason_the_customer_sees_it_and_applies_again(app):
    customer, client = customer_client(app)
    apply_conversion(client)
    first = only_conversion(app, customer.account_id)
    operator_login, operator = staff_client(app, "Operator")
    response = decide(operator, first["id"], "reject", "사업자등록증 사본이 흐립니다.")
    assert "반려했습니다." in flashed(follow(operator, response))
    page = text_of(client.get("/mypage/conversion"))
    assert "기업전환 신청이 반려되었습니다. 반려 사유: 사업자등록증 사본이 흐립니다." in page
    assert account_of(app, customer.account_id)["kind"] == "individual"
    [entry] = rows(app, AuditLog)
    assert (entry["actor_login"], entry["action"], entry["reason"]) == \
        (operator_login, "reject", "사업자등록증 사본이 흐립니다.")
    assert json.loads(entry["after"]) == {"kind": "individual", "status": "rejected"}

    assert apply_conversion(client, company_name="주식회사 우정 (재신청)").status_code == 302
    again = rows(app, CorporateConversion, CorporateConversion.status == "requested")
    assert [c["company_name"] for c in again] == ["주식회사 우정 (재신청)"]
    assert "심사중" in text_of(client.get("/mypage/conversion"))


def test_acc05_a_second_application_while_one_waits_is_refused_and_its_file_discarded(app):
    customer, client = customer_client(app)
    apply_conversion(client)
    response = apply_conversion(client, data=png_bytes(color=(1, 2, 3)))
    assert response.status_code == 409 and "이미 기업전환을 신청하셨습니다" in text_of(response)
    assert count(app, CorporateConversion) == 1 and count(app, StoredFile) == 1
    assert len(uploaded_files(app)) == 1


def test_acc05_an_operator_cannot_approve_twice(app):
    customer, client = customer_client(app)
    apply_conversion(client)
    conversion = only_conversion(app, customer.account_id)
    _, operator = staff_client(app, "Operator")
    decide(operator, conversion["id"], "reject", "서류 불충분")
    response = decide(operator, conversion["id"], "approve")
    assert "이미 처리된 요청입니다" in flashed(follow(operator, response))
    assert only_conversion(app, customer.account_id)["status"] == "rejected"
    assert account_of(app, customer.account_id)["kind"] == "individual"
    assert count(app, AuditLog) == 1


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
TOO_BIG = png_bytes()[:-12] + b"\x00" * (10 * 1024 * 1024)  # a PNG start, just over 10 MB


@pytest.mark.parametrize("case,changes,field", [
    ("wrong check digit", {"brn": WRONG_CHECK_DIGIT_BRN}, "사업자등록번호"),
    ("brn too short", {"brn": "123-45-678"}, "사업자등록번호"),
    ("no brn", {"brn": ""}, "사업자등록번호"),
    ("no company name", {"company_name": ""}, "상호"),
    ("no representative", {"representative": "  "}, "대표자"),
    ("no address", {"business_address": ""}, "사업장주소"),
    ("no business type", {"business_type": ""}, "업태"),
    ("no business item", {"business_item": ""}, "종목"),
    ("no contact name", {"tax_contact_name": ""}, "담당자 이름"),
    ("bad contact email", {"tax_contact_email": "tax-at-example"}, "이메일"),
    ("bad contact phone", {"tax_contact_phone": "12"}, "담당자 연락처"),
    ("no file", {"omit_file": True}, "사업자등록증"),
    ("renamed exe", {"filename": "사업자등록증.png", "data": EXE}, "사업자등록증"),
    ("exe", {"filename": "setup.exe", "data": EXE}, "사업자등록증"),
    ("empty file", {"filename": "empty.png", "data": b""}, "사업자등록증"),
    ("png named pdf", {"filename": "cert.pdf", "data": png_bytes()}, "사업자등록증"),
    ("truncated png", {"filename": "cert.png", "data": png_bytes()[:40]}, "사업자등록증"),
    ("over 10 MB", {"filename": "big.png", "data": TOO_BIG}, "10MB"),
])
def test_acc05_bad_input_is_refused_naming_the_field_and_stores_nothing(app, case, changes, field):
    customer, client = customer_client(app)
    response = apply_conversion(client, **changes)
    assert 400 <= response.status_code < 500, case
    error = text_of(response)
    assert field in error, (case, error[:300])
    assert 'id="form-error"' in response.get_data(as_text=True)
    assert count(app, CorporateConversion) == 0
    assert count(app, StoredFile) == 0
    assert uploaded_files(app) == []
    assert account_of(app, customer.account_id)["kind"] == "individual"
    # what was typed is kept (except the file), so the customer only fixes the field
    if "company_name" not in changes:
        assert f'value="{CONVERSION_FORM["company_name"]}"' in response.get_data(as_text=True)


def test_acc05_a_corporate_account_cannot_apply(app):
    _customer, client = customer_client(app, kind="corporate")
    response = apply_conversion(client)
    assert response.status_code == 409
    assert "이미 기업회원으로 전환된 계정입니다. 기업전환은 개인회원만 신청할 수 있습니다." in text_of(response)
    assert count(app, CorporateConversion) == 0 and uploaded_files(app) == []


def test_acc05_conversion_is_not_offered_to_a_corporate_account(app):
    """No menu item, link or button leads a corporate account to 기업전환; the page, opened
    by its address, says the account is corporate already and shows no form."""
    _individual, individual = customer_client(app)
    _corporate, corporate = customer_client(app, kind="corporate", name="주식회사 우정")
    offered = ('href="/mypage/conversion"', 'id="convert-link"', 'id="apply-conversion"')
    for path in ("/dashboard/", "/mypage/", "/senders/new", "/senders/channels/new", "/mypage/api"):
        html = corporate.get(path).get_data(as_text=True)
        assert not any(mark in html for mark in offered), path
    dashboard = individual.get("/dashboard/").get_data(as_text=True)
    assert 'href="/mypage/conversion"' in dashboard and 'id="convert-link"' in dashboard   # the menu and the button
    page = corporate.get("/mypage/conversion")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="already-corporate"' in html and "<form" not in html.split("mb-main", 1)[1]
    assert "이미 기업회원으로 전환된 계정입니다." in text_of(page) and "주식회사 우정" in text_of(page)
    assert 'id="apply-conversion"' in individual.get("/mypage/conversion").get_data(as_text=True)


def test_acc05_bulk_approve_rechecks_every_row(app):
    decided, waiting = customer_client(app), customer_client(app)
    for _customer, client in (decided, waiting):
        assert apply_conversion(client).status_code == 302
    decided_row = only_conversion(app, decided[0].account_id)
    waiting_row = only_conversion(app, waiting[0].account_id)
    operator_login, operator = staff_client(app, "Operator")
    decide(operator, decided_row["id"], "reject", "서류 불충분")
    before = only_conversion(app, decided[0].account_id)

    # the already-decided row, the waiting one and an id that does not exist
    response = operator.post(f"{QUEUE}/action_post", data={
        "action": "approve_selected", "rowid": [str(decided_row["id"]), str(waiting_row["id"]), "999999"]})
    assert response.status_code == 302
    message = flashed(follow(operator, response))
    assert "1건을 승인했습니다." in message and "2건은 건너뛰었습니다" in message
    assert only_conversion(app, decided[0].account_id) == before  # not re-approved, untouched
    assert account_of(app, decided[0].account_id)["kind"] == "individual"
    assert only_conversion(app, waiting[0].account_id)["status"] == "approved"
    assert account_of(app, waiting[0].account_id)["kind"] == "corporate"
    assert [(e["action"], e["object_id"]) for e in rows(app, AuditLog)] == \
        [("reject", str(decided_row["id"])), ("approve", str(waiting_row["id"]))]

    # running the action again approves nothing more
    response = operator.post(f"{QUEUE}/action_post", data={
        "action": "approve_selected", "rowid": [str(waiting_row["id"])]})
    assert "0건을 승인했습니다." in flashed(follow(operator, response))
    assert count(app, AuditLog) == 2


def test_acc05_unknown_bulk_action_is_404_not_500(app):
    _, operator = staff_client(app, "Operator")
    assert operator.post(f"{QUEUE}/action_post", data={"action": "delete_everything", "rowid": "1"}).status_code == 404
    assert operator.post(f"{QUEUE}/action/delete_everything/1").status_code == 404


def test_acc05_a_finance_user_cannot_decide(app):
    customer, client = customer_client(app)
    apply_conversion(client)
    conversion = only_conversion(app, customer.account_id)
    _, finance = staff_client(app, "Finance")
    assert decide(finance, conversion["id"], "approve").status_code == 403
    assert finance.post(f"{QUEUE}/action_post", data={"action": "approve_selected",
                                                      "rowid": str(conversion["id"])}).status_code == 403
    assert only_conversion(app, customer.account_id)["status"] == "requested"
