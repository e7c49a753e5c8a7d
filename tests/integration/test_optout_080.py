"""무료거부 080 numbers (03-senders.md SND-09; 04-sms.md SMS-06, SMS-13; 10-gateway.md GW-02).

The shared 080 number with a six-digit code per account (given once, unique, shown on the
compose page and in the footer), opt-out calls from the 080 provider (the sandbox: an ad
to a number ending in 94) and from the staff page, own 080 numbers by document review,
and the refusal of any other 080 number on the compose page and in the API."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from app import clock
from app.extensions import db
from app.gateways import Report
from app.models import Account, AuditLog, LedgerEntry, Message, OptOut, OptoutCall, OptoutNumber, Send, StoredFile
from app.services.sending import reports
from tests.support.api import error_of as api_error_of
from tests.support.api import post_sms, sms_body
from tests.support.compose import NOW, count, error_of, one, phones, quote, rows, send, sent, tick, work
from tests.support.compose import pinned  # noqa: F401  (fixture: the clock at NOW)
from tests.support.factories import approve_optout_number, make_customer, make_staff, optout_code
from tests.support.foundation import flashed, follow
from tests.support.pipeline import accept, api_customer, sandbox_rows
from tests.support.tenancy import assert_foreign_404
from tests.support.uploads import PDF, png, upload
from tests.support.web import logged_in, text_of

SHARED = "0801231234"          # config.Config.OPTOUT_080_NUMBER, the manual's 080-123-1234
AD = dict(is_ad=True, ad_company="메가마트", body="겨울 세일")
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def customer(app):
    return make_customer(app, cash=10_000)


@pytest.fixture
def client(app, customer):
    return logged_in(app, customer.login, customer.password)


@pytest.fixture
def operator(app):
    return logged_in(app, *make_staff(app, "Operator"))


def optouts_of(app, account_id: int) -> list[tuple[str, str]]:
    return sorted((o["number"], o["source"]) for o in rows(app, OptOut, OptOut.account_id == account_id))


def calls(app) -> list[dict]:
    return rows(app, OptoutCall)


def apply(app, batch: list[Report], now: dt.datetime = NOW) -> dict:
    with app.app_context():
        outcome = reports.apply_reports(batch, now)
        db.session.commit()
        return outcome


# --- the code: once per account, unique, shown ---------------------------------------------------------------

def test_every_account_gets_its_own_six_digit_code_once(app):
    customers = [make_customer(app) for _ in range(6)]
    codes = [optout_code(app, c.account_id) for c in customers]
    assert all(re.fullmatch(r"[1-9]\d{5}", code) for code in codes) and len(set(codes)) == len(codes)
    # "generated once": nothing the customer does changes it
    client = logged_in(app, customers[0].login, customers[0].password)
    client.post("/mypage/settings", data={"duplicate_protection": "1", "optout_number": ""})
    client.get("/sms/")
    assert optout_code(app, customers[0].account_id) == codes[0]


def test_existing_accounts_get_distinct_codes_from_the_migration(app):
    """0011 backfills a code for every account made before it (the lead re-chains it)."""
    from flask_migrate import downgrade, upgrade
    from tests.support.appdb import MIGRATIONS
    customers = [make_customer(app) for _ in range(5)]
    with app.app_context():
        db.session.remove()
        downgrade(directory=str(MIGRATIONS), revision="0009_pipeline")
        upgrade(directory=str(MIGRATIONS))
        db.session.remove()
    codes = [optout_code(app, c.account_id) for c in customers]
    assert all(re.fullmatch(r"[1-9]\d{5}", code) for code in codes) and len(set(codes)) == 5
    assert make_customer(app).account_id            # and new accounts still get theirs


def test_the_compose_page_shows_the_shared_number_with_the_code_as_the_manual_does(app, client, customer):
    code = optout_code(app, customer.account_id)
    html = client.get("/sms/").get_data(as_text=True)
    assert 'id="ad-optout" value="0801231234"' in html
    assert f'data-shared="{SHARED}" data-code="{code}"' in html and f"인증코드 {code}" in html
    page = text_of(client.get("/senders/optout/"))
    assert f"무료거부 080-123-1234 인증코드 {code}" in page
    assert "080-123-1234" in text_of(client.get("/mypage/")) and code in text_of(client.get("/mypage/"))


# --- the footer and the refusal (compose page) ------------------------------------------------------------------

def test_an_ad_on_the_shared_number_carries_the_code_in_its_text_and_preview(app, client, customer):
    code = optout_code(app, customer.account_id)
    numbers = phones(1)
    q = quote(client, customer, numbers, **AD, ad_optout="").get_json()
    wrapped = f"(광고)메가마트\n겨울 세일\n무료거부 080-123-1234 인증코드 {code}"
    assert (q["type"], q["bytes"]) == ("SMS", len(wrapped.encode("cp949")))
    send_id = sent(client, customer, numbers, **AD, ad_optout="")
    row = one(app, Send, Send.id == send_id)
    assert (row["ad_optout"], row["is_ad"]) == (SHARED, True)
    work(app)
    [delivered] = sandbox_rows(app, numbers)
    assert delivered["text"] == wrapped
    assert wrapped.replace("\n", " ") in text_of(client.get(f"/history/{send_id}"))


def test_an_approved_own_080_number_is_accepted_without_a_code(app, client, customer):
    approve_optout_number(app, customer.account_id, "080-555-0001")
    numbers = phones(2)
    sent(client, customer, numbers, **AD, ad_optout="080-555-0001")
    work(app)
    assert sandbox_rows(app, numbers)[0]["text"] == "(광고)메가마트\n겨울 세일\n무료거부 080-555-0001"


@pytest.mark.parametrize("number", ["080-999-8888", "0805550001"])
def test_any_other_080_number_is_refused_on_the_compose_page_and_nothing_is_written(app, client, customer, number):
    other = make_customer(app)
    approve_optout_number(app, other.account_id, "080-555-0001")   # another account's own number is not ours
    before = (count(app, Send), count(app, Message), count(app, LedgerEntry))
    for call in (quote, send):
        response = call(client, customer, phones(3), **AD, ad_optout=number)
        assert response.status_code == 422, response.get_json()
        error = error_of(response)
        assert (error["field"], error["code"]) == ("무료거부 번호", "optout_not_allowed")
        assert "사용할 수 없습니다" in error["message"] and "을(를)" not in error["message"]
    assert (count(app, Send), count(app, Message), count(app, LedgerEntry)) == before


def test_a_default_no_longer_approved_is_refused_with_the_reason(app, client, customer):
    """A 마이페이지 default that is not (or no longer) usable: the ad is refused, naming it."""
    with app.app_context():
        db.session.get(Account, customer.account_id).optout_number = "0809997777"   # from before SND-09
        db.session.commit()
    response = send(client, customer, phones(4), **AD, ad_optout="")
    assert response.status_code == 422
    assert "마이페이지의 기본 무료거부 번호 080-999-7777은" in error_of(response)["message"]
    assert count(app, Send) == 0


# --- the API (POST /api/v1/sends/sms) ----------------------------------------------------------------------------

def test_the_api_takes_the_shared_number_or_an_approved_own_one_and_refuses_any_other(app):
    customer, key = api_customer(app)
    client = app.test_client()
    code = optout_code(app, customer.account_id)
    approve_optout_number(app, customer.account_id, "080-555-0002")
    with clock.frozen(NOW):
        ok = post_sms(client, key, sms_body(customer, phones(1), ad={"name": "메가버드"}))       # blank: the shared one
        assert ok.status_code == 201, ok.get_json()
        own = post_sms(client, key, sms_body(customer, phones(2), ad={"name": "메가버드", "optout": "0805550002"}))
        assert own.status_code == 201, own.get_json()
        before = (count(app, Send), count(app, LedgerEntry))
        error = api_error_of(post_sms(client, key, sms_body(customer, phones(3), ad={"name": "메가버드",
                                                                                     "optout": "080-777-1234"})),
                             422, "optout_not_allowed", "ad.optout")
        assert "080-777-1234는 사용할 수 없습니다" in error["message"] and f"인증코드 {code}" in error["message"]
        assert (count(app, Send), count(app, LedgerEntry)) == before
    assert sorted(s["ad_optout"] for s in rows(app, Send)) == ["0801231234", "0805550002"]


# --- opt-out calls from the 080 provider (the sandbox: an ad to ...94) --------------------------------------------

def test_an_ad_to_a_number_ending_94_puts_the_caller_on_the_sending_accounts_list(app, customer):
    bystander = make_customer(app)
    numbers = phones(1, 94)
    accept(app, customer, numbers, **AD)                      # the shared number with the account's code
    work(app)
    tick(app, NOW + 10 * SECOND)                              # the report job applies the sandbox's reports
    assert optouts_of(app, customer.account_id) == [(numbers[1], "080")]
    assert optouts_of(app, bystander.account_id) == []
    [call] = calls(app)
    assert (call["source"], call["called"], call["code"], call["caller"], call["account_id"], call["outcome"]) == \
        ("gateway", SHARED, optout_code(app, customer.account_id), numbers[1], customer.account_id, "added")
    # the next ad skips the number at acceptance (SMS-13)
    again = accept(app, customer, numbers, **AD, now=NOW + dt.timedelta(hours=2))
    assert again.answer["optouts"] == 1


def test_an_ad_on_an_own_080_number_names_its_account_by_the_number(app, customer):
    approve_optout_number(app, customer.account_id, "080-555-0003")
    numbers = phones(94)
    accept(app, customer, numbers, **AD, ad_optout="0805550003")
    work(app)
    tick(app, NOW + 10 * SECOND)
    assert optouts_of(app, customer.account_id) == [(numbers[0], "080")]
    [call] = calls(app)
    assert (call["called"], call["code"], call["account_id"], call["outcome"]) == \
        ("0805550003", None, customer.account_id, "added")


def test_a_report_that_comes_again_is_the_same_call(app, customer):
    code = optout_code(app, customer.account_id)
    caller = phones(94)[0]
    report = Report("999000111", "3005", NOW, "1", caller, SHARED, code)      # a message of deleted history
    apply(app, [report])
    apply(app, [report, report])
    assert optouts_of(app, customer.account_id) == [(caller, "080")]
    assert [(c["outcome"], c["ref"]) for c in calls(app)] == [("added", "report:999000111")]


def test_a_call_that_names_no_account_is_kept_and_logged_and_added_to_no_list(app, customer, caplog):
    other = make_customer(app)
    approve_optout_number(app, other.account_id, "080-555-0004")
    taken = {optout_code(app, customer.account_id), optout_code(app, other.account_id)}
    unknown = next(c for c in ("111111", "222222", "333333") if c not in taken)
    caller = phones(94)[0]
    batch = [Report("1", "3005", NOW, "1", caller, SHARED, unknown),            # an unknown code
             Report("2", "3005", NOW, "2", caller, SHARED, None),               # the shared number without a code
             Report("3", "3005", NOW, "3", caller, "0809990000", None),         # nobody's 080 number
             Report("4", "3005", NOW, "4", "not-a-phone", SHARED, unknown)]     # malformed
    logger = logging.getLogger("app.services.contacts.optout_calls")
    was, logger.disabled = logger.disabled, False            # migrations' fileConfig may have switched it off
    try:
        with caplog.at_level(logging.WARNING, logger="app.services.contacts.optout_calls"):
            apply(app, batch)
    finally:
        logger.disabled = was
    assert count(app, OptOut) == 0
    assert sorted((c["ref"], c["outcome"], c["account_id"]) for c in calls(app)) == [
        ("report:1", "unknown_code", None), ("report:2", "missing_code", None),
        ("report:3", "unknown_number", None), ("report:4", "invalid", None)]
    assert sum("names no account" in r.getMessage() for r in caplog.records) == 4


def test_the_staff_page_lists_reported_calls_unresolved_ones_too(app, customer, operator):
    apply(app, [Report("5", "3005", NOW, "5", phones(94)[0], SHARED, "000000")])
    page = text_of(operator.get("/staff/optout-calls/"))
    assert "080 사업자 보고" in page and "알 수 없는 인증코드" in page


# --- the staff page: a call recorded by hand ---------------------------------------------------------------------

def test_an_operator_records_a_call_by_hand_with_a_success_message(app, customer, operator):
    code = optout_code(app, customer.account_id)
    response = operator.post("/staff/optout-calls/record",
                             data={"called": "080-123-1234", "code": code, "caller": "010-2345-6789"})
    assert response.status_code == 302
    message = flashed(follow(operator, response))
    assert "수신거부 목록에 추가했습니다: 010-2345-6789" in message and "고객" in message
    assert optouts_of(app, customer.account_id) == [("01023456789", "080")]
    [call] = calls(app)
    assert (call["source"], call["outcome"], call["account_id"]) == ("staff", "added", customer.account_id)
    assert call["recorded_by_id"] is not None
    [entry] = rows(app, AuditLog, AuditLog.object_type == "optout_call")
    assert (entry["action"], entry["account_id"]) == ("record_optout_call", customer.account_id)
    # the same caller again: said so, still one number on the list
    again = operator.post("/staff/optout-calls/record",
                          data={"called": "0801231234", "code": code, "caller": "01023456789"})
    assert "이미 수신거부 목록에 있는 번호입니다" in flashed(follow(operator, again))
    assert optouts_of(app, customer.account_id) == [("01023456789", "080")]
    # the customer sees it on the 수신거부 목록
    client = logged_in(app, customer.login, customer.password)
    assert "010-2345-6789" in text_of(client.get("/optouts/"))


@pytest.mark.parametrize("form,field,words", [
    ({"called": "080-123-1234", "code": "", "caller": "010-2345-6789"}, "인증코드", "인증코드가 필요합니다"),
    ({"called": "080-123-1234", "code": "12345", "caller": "010-2345-6789"}, "인증코드", "숫자 6자리"),
    ({"called": "02-123-4567", "code": "123456", "caller": "010-2345-6789"}, "080 번호", "080으로 시작하는"),
    ({"called": "080-999-1111", "code": "", "caller": "010-2345-6789"}, "080 번호", "승인된 고객의 080 번호도 아닙니다"),
    ({"called": "080-123-1234", "code": "123456", "caller": "02-123-4567"}, "전화한 번호", "010"),
])
def test_a_call_typed_wrong_is_refused_naming_the_field_and_nothing_is_written(app, customer, operator, form, field,
                                                                               words):
    response = operator.post("/staff/optout-calls/record", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words in text_of(response) and "has-error" in page
    assert re.search(r'has-error">\s*<label for="[a-z]+" class="[^"]*">' + field, page)
    assert count(app, OptoutCall) == 0 and count(app, OptOut) == 0


def test_an_unknown_code_typed_by_an_operator_is_refused(app, customer, operator):
    code = optout_code(app, customer.account_id)
    wrong = next(c for c in ("111111", "222222") if c != code)
    response = operator.post("/staff/optout-calls/record", data={"called": SHARED, "code": wrong,
                                                                 "caller": "010-2345-6789"})
    assert response.status_code == 422 and f"인증코드 {wrong}" in text_of(response)
    assert count(app, OptoutCall) == 0 and count(app, OptOut) == 0


def test_only_operators_open_the_call_page(app, customer):
    finance = logged_in(app, *make_staff(app, "Finance"))
    client = logged_in(app, customer.login, customer.password)
    for who in (finance, client):
        assert who.get("/staff/optout-calls/").status_code == 403
        assert who.post("/staff/optout-calls/record", data={"called": SHARED}).status_code == 403
    assert count(app, OptoutCall) == 0


# --- own 080 numbers by document review --------------------------------------------------------------------------

def apply_own(client, number="080-555-0005", **changes):
    data = {"number": number, "note": "본사 수신거부 번호", "document": upload(PDF, "080-이용증명원.pdf"), **changes}
    return client.post("/senders/optout/new", data=data, content_type="multipart/form-data")


def test_own_number_is_applied_for_reviewed_rejected_with_a_reason_resent_and_approved(app, client, customer,
                                                                                       operator):
    response = apply_own(client)
    assert response.status_code == 302
    [item] = rows(app, OptoutNumber)
    assert (item["status"], item["number"], item["account_id"]) == ("requested", "0805550005", customer.account_id)
    assert "등록요청" in text_of(client.get("/senders/optout/"))
    # not usable while it waits
    assert send(client, customer, phones(1), **AD, ad_optout="0805550005").status_code == 422
    # the operator's queue: the item with its document inline, the count on the dashboard
    listing = text_of(operator.get("/staff/queues/optout-numbers/list/"))
    assert "080-555-0005" in listing
    show = operator.get(f"/staff/queues/optout-numbers/show/{item['id']}").get_data(as_text=True)
    assert "통신서비스 이용증명원" in show and "080-이용증명원.pdf" in show and "본사 수신거부 번호" in show
    assert "080 번호 심사" in text_of(operator.get("/staff/"))
    # a rejection needs a reason; the customer sees it
    no_reason = operator.post(f"/staff/queues/optout-numbers/decide/{item['id']}", data={"decision": "reject"})
    assert "반려 사유" in flashed(follow(operator, no_reason))
    operator.post(f"/staff/queues/optout-numbers/decide/{item['id']}",
                  data={"decision": "reject", "reason": "증명원의 번호가 보이지 않습니다."})
    detail = text_of(client.get(f"/senders/optout/{item['id']}"))
    assert "반려됨" in detail and "증명원의 번호가 보이지 않습니다." in detail
    # sent again with a new document: the old one goes
    [old_file] = rows(app, StoredFile)
    again = client.post(f"/senders/optout/{item['id']}/resubmit", content_type="multipart/form-data",
                        data={"document": upload(png(), "다시.png")})
    assert again.status_code == 302
    [new_file] = rows(app, StoredFile)
    assert new_file["id"] != old_file["id"] and new_file["original_name"] == "다시.png"
    assert one(app, OptoutNumber)["status"] == "requested"
    operator.post(f"/staff/queues/optout-numbers/decide/{item['id']}", data={"decision": "approve"})
    assert one(app, OptoutNumber)["status"] == "approved"
    assert [e["action"] for e in rows(app, AuditLog, AuditLog.object_type == "optout_number")] == \
        ["reject", "approve"]
    # now usable in an ad, and as the 마이페이지 default
    assert sent(client, customer, phones(2), **AD, ad_optout="080-555-0005")
    assert client.post("/mypage/settings", data={"optout_number": "080-555-0005"}).status_code == 302
    assert one(app, Send)["ad_optout"] == "0805550005"


@pytest.mark.parametrize("changes,status,field,words", [
    ({"number": ""}, 422, "080 번호", "080 번호를 입력해주세요"),
    ({"number": "02-123-4567"}, 422, "080 번호", "080으로 시작하는"),
    ({"number": "080-123-1234"}, 422, "080 번호", "서비스 공용 번호입니다"),
    ({"document": (b"", "")}, 422, "통신서비스 이용증명원", "통신서비스 이용증명원을 첨부해주세요"),
    ({"document": (b"MZ\x90\x00" + b"\x00" * 100, "x.pdf")}, 422, "통신서비스 이용증명원", "형식이 아니거나"),
    ({"note": "가" * 101}, 422, "요청사항", "100자 이하"),
])
def test_an_own_number_request_is_checked_and_a_refusal_writes_nothing(app, client, changes, status, field, words):
    if "document" in changes:                  # a fresh stream for each run (the table is shared by both backends)
        changes = {**changes, "document": upload(*changes["document"])}
    response = apply_own(client, **changes)
    assert response.status_code == status and words in text_of(response)
    marked = re.search(r'class="form-group has-error">\s*<label[^>]*>([^<]+)</label>', response.get_data(as_text=True))
    assert marked and marked.group(1).strip().replace(" ", "") == field.replace(" ", "")     # the field is named
    assert count(app, OptoutNumber) == 0 and count(app, StoredFile) == 0


def test_an_own_number_is_one_accounts_and_a_duplicate_request_is_refused(app, client, customer, operator):
    apply_own(client, number="080-555-0006")
    assert apply_own(client, number="080-555-0006").status_code == 409            # already waiting
    other = make_customer(app)
    other_client = logged_in(app, other.login, other.password)
    assert apply_own(other_client, number="080-555-0006").status_code == 302      # both wait ...
    mine, theirs = rows(app, OptoutNumber, order_by=OptoutNumber.id)
    operator.post(f"/staff/queues/optout-numbers/decide/{theirs['id']}", data={"decision": "approve"})
    refused = operator.post(f"/staff/queues/optout-numbers/decide/{mine['id']}", data={"decision": "approve"})
    assert "이미 다른 계정에 승인된 080 번호입니다" in flashed(follow(operator, refused))     # ... one is approved
    assert one(app, OptoutNumber, OptoutNumber.id == mine["id"])["status"] == "requested"
    third = make_customer(app)
    late = apply_own(logged_in(app, third.login, third.password), number="080-555-0006")
    assert late.status_code == 409 and "다른 계정에 등록된 080 번호입니다" in text_of(late)


def test_an_own_number_in_use_cannot_be_deleted_and_a_free_one_goes_with_its_document(app, client, customer):
    number_id = approve_optout_number(app, customer.account_id, "080-555-0007")
    client.post("/mypage/settings", data={"optout_number": "080-555-0007"})
    response = client.post(f"/senders/optout/{number_id}/delete")
    assert response.status_code == 409 and "기본 무료거부 번호" in text_of(response)
    client.post("/mypage/settings", data={"optout_number": ""})
    scheduled = sent(client, customer, phones(1), **AD, ad_optout="080-555-0007", use_schedule=True,
                     scheduled_at="2026-11-28T10:00")
    response = client.post(f"/senders/optout/{number_id}/delete")
    assert response.status_code == 409 and "예약된 광고 문자" in text_of(response)
    assert client.post(f"/history/{scheduled}/cancel").status_code == 302
    assert one(app, Send)["status"] == "cancelled"
    assert client.post(f"/senders/optout/{number_id}/delete").status_code == 302
    assert count(app, OptoutNumber) == 0 and count(app, StoredFile, StoredFile.kind == "optout_certificate") == 0


def test_another_accounts_080_numbers_and_documents_answer_404(app, customer, client):
    apply_own(client, number="080-555-0008")
    [item] = rows(app, OptoutNumber)
    [document] = rows(app, StoredFile)
    stranger = make_customer(app)
    bob = logged_in(app, stranger.login, stranger.password)
    assert_foreign_404(bob, "GET", f"/senders/optout/{item['id']}", secret="080-555-0008")
    assert_foreign_404(bob, "POST", f"/senders/optout/{item['id']}/resubmit")
    assert_foreign_404(bob, "POST", f"/senders/optout/{item['id']}/delete")
    assert_foreign_404(bob, "GET", f"/files/{document['id']}")
    assert "080-555-0008" not in text_of(bob.get("/senders/optout/"))
    assert count(app, OptoutNumber) == 1 and one(app, OptoutNumber)["status"] == "requested"
    # the owner gets them
    assert client.get(f"/senders/optout/{item['id']}").status_code == 200
    assert client.get(f"/files/{document['id']}").status_code == 200
