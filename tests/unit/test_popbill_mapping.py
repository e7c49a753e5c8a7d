"""The Popbill adapter (TAX-08) without Popbill: Popbill cannot be reached from a test
machine, so these tests prove the mapping of our InvoiceDocument to the SDK's Taxinvoice
field by field (and as the SDK would serialise it), and the handling of every answer and
error, with only the SDK's own service methods (registIssue, getInfo, cancelIssue)
replaced — the third-party boundary. Any attempt to open a connection fails the test."""
import datetime as dt
import http.client
import json

import pytest
from popbill import PopbillException, Taxinvoice, TaxinvoiceService
from popbill.base import Utils

from app.domain.tax_invoice import InvoiceDocument, Item, Party
from app.gateways.tax_invoices import IssueRefused
from app.gateways.tax_invoices import popbill as adapter

SUPPLIER = Party(brn="2208112341", name="(주)메가버드", representative="박대표", address="서울특별시 중구 을지로 1",
                 business_type="정보통신업", business_item="부가통신", contact_name="정재무",
                 contact_email="tax@megabird.example", contact_phone="02-555-0100")
BUYER = Party(brn="1208147521", name="(주)고객상사", representative="김고객", address="서울특별시 강남구 테헤란로 1",
              business_type="도소매", business_item="전자상거래", contact_name="이담당",
              contact_email="tax@customer.example", contact_phone="02-123-4567")
DOC = InvoiceDocument(
    key="INV-2026-11-0001", written_on=dt.date(2026, 11, 30), supplier=SUPPLIER, buyer=BUYER,
    supply_total=1_122_334, tax_total=112_233,
    items=(Item(dt.date(2026, 11, 30), "메시지 발송 이용료 2026년 11월", 1_000_000, 100_000, note="SMS·LMS"),
           Item(dt.date(2026, 11, 30), "알림톡 발송 이용료 2026년 11월", 122_334, 12_233)),
    remark="11월 이용분, 담당자 메일로 보내주세요")
CONFIG = {"POPBILL_LINK_ID": "MEGABIRD", "POPBILL_SECRET_KEY": "c2VjcmV0", "POPBILL_IS_TEST": True,
          "POPBILL_USER_ID": "megabird_finance", "POPBILL_TIMEOUT_SECONDS": 12}


def popbill_json(**fields):
    """An answer as the SDK parses Popbill's JSON (its own Utils.json2obj)."""
    return Utils.json2obj(json.dumps(fields, ensure_ascii=False))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach Popbill")
    monkeypatch.setattr(http.client.HTTPConnection, "connect", refuse)


@pytest.fixture
def sdk(monkeypatch):
    """The SDK's service methods, answered by the test: `sdk.answers[name]` is a value to
    return or an exception to raise; `sdk.calls` lists (name, args, kwargs)."""
    class Recorder:
        answers: dict = {}
        calls: list = []

    recorder = Recorder()
    recorder.answers, recorder.calls = {}, []

    def method(name):
        def call(self, *args, **kwargs):
            recorder.calls.append((name, args, kwargs))
            answer = recorder.answers[name]
            if callable(answer) and not isinstance(answer, type):
                answer = answer()
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return call

    for name in ("registIssue", "getInfo", "cancelIssue"):
        monkeypatch.setattr(TaxinvoiceService, name, method(name))
    return recorder


@pytest.fixture
def issuer():
    return adapter.from_config(CONFIG, SUPPLIER.brn)


def names(recorder) -> list[str]:
    return [name for name, _, _ in recorder.calls]


# --- the mapping ----------------------------------------------------------------------------------------------

def test_every_field_of_the_invoice_maps_to_popbills():
    invoice = adapter.to_taxinvoice(DOC)
    assert isinstance(invoice, Taxinvoice)
    fields = dict(vars(invoice))
    details = fields.pop("detailList")
    assert fields == {
        "writeDate": "20261130", "chargeDirection": "정과금", "issueType": "정발행", "purposeType": "영수",
        "taxType": "과세",
        "invoicerCorpNum": "2208112341", "invoicerMgtKey": "INV-2026-11-0001", "invoicerCorpName": "(주)메가버드",
        "invoicerCEOName": "박대표", "invoicerAddr": "서울특별시 중구 을지로 1", "invoicerBizType": "정보통신업",
        "invoicerBizClass": "부가통신", "invoicerContactName": "정재무", "invoicerEmail": "tax@megabird.example",
        "invoicerTEL": "02-555-0100", "invoicerSMSSendYN": False,
        "invoiceeType": "사업자", "invoiceeCorpNum": "1208147521", "invoiceeCorpName": "(주)고객상사",
        "invoiceeCEOName": "김고객", "invoiceeAddr": "서울특별시 강남구 테헤란로 1", "invoiceeBizType": "도소매",
        "invoiceeBizClass": "전자상거래", "invoiceeContactName1": "이담당", "invoiceeEmail1": "tax@customer.example",
        "invoiceeTEL1": "02-123-4567", "invoiceeSMSSendYN": False,
        "supplyCostTotal": "1122334", "taxTotal": "112233", "totalAmount": "1234567",
        "remark1": "11월 이용분, 담당자 메일로 보내주세요",
    }
    assert [vars(d) for d in details] == [
        {"serialNum": 1, "purchaseDT": "20261130", "itemName": "메시지 발송 이용료 2026년 11월", "supplyCost": "1000000",
         "tax": "100000", "remark": "SMS·LMS"},
        {"serialNum": 2, "purchaseDT": "20261130", "itemName": "알림톡 발송 이용료 2026년 11월", "supplyCost": "122334",
         "tax": "12233", "remark": None},
    ]


def test_a_correction_names_its_reason_and_the_original_approval_number():
    minus = InvoiceDocument(key="INV-2026-11-0001-M1", written_on=dt.date(2026, 12, 10), supplier=SUPPLIER, buyer=BUYER,
                            supply_total=-1_122_334, tax_total=-112_233, purpose="청구",
                            items=(Item(dt.date(2026, 12, 10), "메시지 발송 이용료 2026년 11월", -1_122_334, -112_233),),
                            correction_reason=4, original_approval="20261204-41000012-0000ab12")
    invoice = adapter.to_taxinvoice(minus)
    assert (invoice.modifyCode, invoice.orgNTSConfirmNum) == (4, "20261204410000120000ab12")
    assert (invoice.purposeType, invoice.supplyCostTotal, invoice.taxTotal, invoice.totalAmount) == (
        "청구", "-1122334", "-112233", "-1234567")
    assert vars(invoice.detailList[0])["supplyCost"] == "-1122334"
    assert not hasattr(adapter.to_taxinvoice(DOC), "modifyCode")          # an ordinary invoice has none


def test_empty_optional_fields_are_left_out_rather_than_sent_empty():
    bare = Party(brn="1208147521", name="(주)고객상사", representative="김고객")
    invoice = adapter.to_taxinvoice(InvoiceDocument(key="k", written_on=dt.date(2026, 11, 30), supplier=SUPPLIER,
                                                    buyer=bare, supply_total=10, tax_total=1,
                                                    items=(Item(dt.date(2026, 11, 30), "이용료", 10, 1),)))
    assert [invoice.invoiceeAddr, invoice.invoiceeBizType, invoice.invoiceeBizClass, invoice.invoiceeContactName1,
            invoice.invoiceeEmail1, invoice.invoiceeTEL1, invoice.remark1] == [None] * 7


def test_the_sdk_serialises_the_mapped_invoice_as_popbill_expects():
    body = json.loads(TaxinvoiceService("MEGABIRD", "c2VjcmV0")._stringtify(adapter.to_taxinvoice(DOC)))
    assert body["invoicerMgtKey"] == "INV-2026-11-0001" and body["totalAmount"] == "1234567"
    assert body["detailList"][1]["itemName"] == "알림톡 발송 이용료 2026년 11월"


# --- issuing ----------------------------------------------------------------------------------------------------

def test_issue_calls_registissue_as_the_supplier_and_answers_the_approval_number(sdk, issuer):
    sdk.answers["registIssue"] = popbill_json(code=1, message="발행 완료", ntsConfirmNum="202612044100001200000a1b")
    result = issuer.issue(DOC)
    assert (result.key, result.approval_number, result.already_issued) == (DOC.key, "202612044100001200000a1b", False)
    [(name, args, kwargs)] = sdk.calls
    assert name == "registIssue" and args[0] == "2208112341" and args[1].invoicerMgtKey == DOC.key
    assert kwargs == {"forceIssue": False, "memo": f"megabird {DOC.key}", "UserID": "megabird_finance"}


def test_a_late_issue_is_forced_only_when_the_document_says_so(sdk, issuer):
    sdk.answers["registIssue"] = popbill_json(code=1, message="발행 완료", ntsConfirmNum="202612114100001200000a1c")
    late = InvoiceDocument(**{**vars(DOC), "meta": {"force_issue": True}})
    issuer.issue(late)
    assert sdk.calls[0][2]["forceIssue"] is True


def test_a_key_in_use_on_a_retry_answers_the_invoice_already_issued(sdk, issuer):
    # Popbill refuses a management key already in use (whichever -110… code it gives):
    # GetInfo then finds the invoice the first, unanswered call issued.
    sdk.answers["registIssue"] = PopbillException(-11099999, "이미 사용중인 문서번호입니다.")
    sdk.answers["getInfo"] = popbill_json(itemKey="026120410000000001", stateCode=300, issueDT="20261204100512",
                                          ntsconfirmNum="202612044100001200000a1b", invoicerMgtKey=DOC.key)
    result = issuer.issue(DOC)
    assert result == adapter.IssueResult(DOC.key, "202612044100001200000a1b", dt.datetime(2026, 12, 4, 1, 5, 12),
                                         already_issued=True)
    assert names(sdk) == ["registIssue", "getInfo"] and sdk.calls[1][1] == ("2208112341", "SELL", DOC.key)


def test_a_key_in_use_when_getinfo_cannot_be_asked_is_retryable(sdk, issuer):
    sdk.answers["registIssue"] = PopbillException(-11099999, "이미 사용중인 문서번호입니다.")
    sdk.answers["getInfo"] = TimeoutError("timed out")
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(DOC)
    assert refused.value.code == "provider_unavailable" and refused.value.retryable


def test_a_key_in_use_by_a_cancelled_invoice_is_refused(sdk, issuer):
    sdk.answers["registIssue"] = PopbillException(-11099999, "이미 사용중인 문서번호입니다.")
    sdk.answers["getInfo"] = popbill_json(stateCode=600, ntsconfirmNum="202612044100001200000a1b")
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(DOC)
    assert refused.value.code == "cancelled_key" and not refused.value.retryable


def test_a_data_refusal_is_not_retryable_and_says_what_popbill_said(sdk, issuer):
    sdk.answers["registIssue"] = PopbillException(-11001014, "공급자 사업자번호가 유효하지 않습니다.")
    sdk.answers["getInfo"] = PopbillException(adapter.KEY_NOT_FOUND, "해당 문서번호의 세금계산서가 존재하지 않습니다.")
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(DOC)
    error = refused.value
    assert (error.code, error.retryable, error.provider_code, error.status) == ("popbill_-11001014", False,
                                                                                 "-11001014", 422)
    assert error.message == ("팝빌이 세금계산서 발행을 거절했습니다: 공급자 사업자번호가 유효하지 않습니다. (오류코드 -11001014). "
                             "세금계산서의 내용을 확인해 고친 뒤 다시 발행해주세요.")
    assert names(sdk) == ["registIssue", "getInfo"]


@pytest.mark.parametrize("code,message,advice", [
    (-99003008, "연동회원의 잔여포인트가 부족합니다.", "팝빌 포인트를 충전한 뒤"),
    (-10000032, "토큰 생성에 실패했습니다.", "POPBILL_LINK_ID, POPBILL_SECRET_KEY"),
    (-11002000, "등록된 공동인증서가 만료되었습니다.", "공동인증서를 팝빌에 등록"),
])
def test_refusals_say_what_to_fix(sdk, issuer, code, message, advice):
    sdk.answers["registIssue"] = PopbillException(code, message)
    sdk.answers["getInfo"] = PopbillException(adapter.KEY_NOT_FOUND, "해당 문서번호의 세금계산서가 존재하지 않습니다.")
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(DOC)
    assert not refused.value.retryable and advice in refused.value.message and message in refused.value.message
    # only a refusal of the invoice itself (-110…) may hide an invoice issued before under the key
    assert names(sdk) == (["registIssue", "getInfo"] if str(code).startswith("-110") else ["registIssue"])


@pytest.mark.parametrize("failure", [
    TimeoutError("timed out"),
    ConnectionRefusedError(111, "Connection refused"),
    http.client.RemoteDisconnected("Remote end closed connection without response"),
    json.JSONDecodeError("Expecting value", "<html>502 Bad Gateway</html>", 0),   # a proxy's error page
])
def test_network_failures_and_timeouts_are_retryable_and_reset_the_connection(sdk, issuer, failure):
    class Connection:
        closed = False

        def close(self):
            self.closed = True

    connection = Connection()
    issuer.service._PopbillBase__conn = connection
    sdk.answers["registIssue"] = failure
    try:
        with pytest.raises(IssueRefused) as refused:
            issuer.issue(DOC)
    finally:
        issuer.service._PopbillBase__conn = None
    error = refused.value
    assert (error.code, error.retryable, error.status) == ("provider_unavailable", True, 503)
    assert "잠시 후 다시 시도해주세요" in error.message and "두 번 발행되지는 않습니다" in error.message
    assert connection.closed and names(sdk) == ["registIssue"]


def test_an_answer_without_the_approval_number_asks_getinfo_or_says_to_retry(sdk, issuer):
    sdk.answers["registIssue"] = popbill_json(code=1, message="발행 완료")
    sdk.answers["getInfo"] = popbill_json(stateCode=300, issueDT="20261204100512",
                                          ntsconfirmNum="202612044100001200000a1b")
    result = issuer.issue(DOC)
    assert result.approval_number == "202612044100001200000a1b" and not result.already_issued
    sdk.answers["getInfo"] = popbill_json(stateCode=300, issueDT="20261204100512", ntsconfirmNum="")
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(DOC)
    assert refused.value.code == "no_approval_number" and refused.value.retryable


def test_a_document_of_another_supplier_is_refused_before_popbill_is_called(sdk, issuer):
    other = InvoiceDocument(**{**vars(DOC), "supplier": BUYER})
    with pytest.raises(IssueRefused) as refused:
        issuer.issue(other)
    assert refused.value.code == "supplier_mismatch" and "SUPPLIER_BRN" in refused.value.message and sdk.calls == []


# --- status and cancel ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,state", [
    (300, "issued"), (301, "issued"), (302, "issued"), (303, "issued"), (304, "filed"), (305, "failed"),
    (314, "filed"), (600, "cancelled"), (100, "unknown"),
])
def test_status_maps_popbills_state_codes(sdk, issuer, code, state):
    sdk.answers["getInfo"] = popbill_json(stateCode=code, issueDT="20261204100512", stateDT="20261205150301",
                                          ntssendDT="20261205150000", ntsresultDT="20261205150301",
                                          ntsconfirmNum="202612044100001200000a1b", ntssendErrCode="ERR002",
                                          stateMemo="임시저장")
    status = issuer.status(DOC.key)
    assert (status.key, status.state, status.approval_number) == (DOC.key, state, "202612044100001200000a1b")
    if state == "failed":
        assert "국세청 전송에 실패했습니다 (ERR002)" in status.message and "수정세금계산서" in status.message
    if state == "filed":
        assert status.at == dt.datetime(2026, 12, 5, 6, 3, 1)           # 15:03:01 KST
    if state == "issued":
        assert status.at == dt.datetime(2026, 12, 4, 1, 5, 12)
    if state == "unknown":
        assert "팝빌 상태코드 100" in status.message


def test_status_of_a_key_popbill_does_not_have_is_unknown_and_an_outage_is_raised(sdk, issuer):
    sdk.answers["getInfo"] = PopbillException(adapter.KEY_NOT_FOUND, "해당 문서번호의 세금계산서가 존재하지 않습니다.")
    assert issuer.status("INV-NEVER").state == "unknown"
    sdk.answers["getInfo"] = TimeoutError("timed out")
    with pytest.raises(IssueRefused) as refused:
        issuer.status("INV-NEVER")
    assert refused.value.retryable and "세금계산서 조회를 마치지 못했습니다" in refused.value.message


def test_cancel_before_filing_calls_cancelissue(sdk, issuer):
    sdk.answers["getInfo"] = popbill_json(stateCode=300, issueDT="20261204100512",
                                          ntsconfirmNum="202612044100001200000a1b")
    sdk.answers["cancelIssue"] = popbill_json(code=1, message="발행취소 완료")
    cancelled = issuer.cancel(DOC.key, "공급가액 착오")
    assert (cancelled.state, cancelled.approval_number, cancelled.message) == (
        "cancelled", "202612044100001200000a1b", "공급가액 착오")
    assert sdk.calls[-1] == ("cancelIssue", ("2208112341", "SELL", DOC.key),
                             {"Memo": "공급가액 착오", "UserID": "megabird_finance"})


def test_cancel_after_filing_is_refused_and_a_cancelled_invoice_is_answered_again(sdk, issuer):
    sdk.answers["getInfo"] = popbill_json(stateCode=304, ntsconfirmNum="202612044100001200000a1b")
    with pytest.raises(IssueRefused) as refused:
        issuer.cancel(DOC.key)
    assert refused.value.code == "already_filed" and "수정세금계산서" in refused.value.message
    sdk.answers["getInfo"] = popbill_json(stateCode=600, stateDT="20261204120000",
                                          ntsconfirmNum="202612044100001200000a1b")
    assert issuer.cancel(DOC.key).state == "cancelled"
    assert "cancelIssue" not in names(sdk)


def test_a_refused_cancel_says_so_in_korean(sdk, issuer):
    sdk.answers["getInfo"] = popbill_json(stateCode=300, ntsconfirmNum="202612044100001200000a1b")
    sdk.answers["cancelIssue"] = PopbillException(-11000001, "세금계산서 발행취소를 처리할 수 없습니다.")
    with pytest.raises(IssueRefused) as refused:
        issuer.cancel(DOC.key)
    assert refused.value.message.startswith("팝빌이 세금계산서 발행취소를 거절했습니다: 세금계산서 발행취소를 처리할 수 "
                                            "없습니다. (오류코드 -11000001).")
    assert not refused.value.retryable


# --- configuration ---------------------------------------------------------------------------------------------

def test_the_service_takes_the_test_bed_setting_and_bounds_its_connections():
    service = adapter.service_from({**CONFIG, "POPBILL_IS_TEST": "false"})
    assert service.IsTest is False
    service = adapter.service_from(CONFIG)
    assert service.IsTest is True
    connection = service._getConn()                  # made, not connected (no network)
    try:
        assert connection.timeout == 12 and connection.host == "popbill-test.linkhub.co.kr"
    finally:
        service._PopbillBase__conn = None
