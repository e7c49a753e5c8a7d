"""The sandbox e-tax-invoice ASP (TAX-08) through `get_issuer()`, on the sandbox's own store:
one invoice per management key however often it is issued (even by two callers at once),
a well-formed approval number, both kinds of failure it can be told to play, filing on the
next KST day, cancelling before filing; and the 공급자 from configuration."""
import datetime as dt
import re
import threading

import pytest
from app import clock
from app.domain.tax_invoice import InvoiceDocument, Item, Party, item_name, last_day, split_vat
from app.gateways import tax_invoices
from app.gateways.tax_invoices import popbill as popbill_adapter
from app.gateways.tax_invoices.sandbox import SandboxIssuer

# Friday 4 December 2026, 10:00 KST
ISSUE_TIME = dt.datetime(2026, 12, 4, 1, 0)
BUYER = Party(brn="2208112341", name="(주)고객상사", representative="김고객", address="서울특별시 강남구 테헤란로 1",
              business_type="도소매", business_item="전자상거래", contact_name="이담당", contact_email="tax@customer.example",
              contact_phone="02-123-4567")


def document(key: str = "INV-2026-11-0001", *, total: int = 1_234_567, buyer: Party = BUYER,
             **changes) -> InvoiceDocument:
    month = dt.date(2026, 11, 1)
    supply, tax = split_vat(total)
    values = dict(key=key, written_on=last_day(month), supplier=tax_invoices.DEMO_SUPPLIER, buyer=buyer,
                  supply_total=supply, tax_total=tax, items=(Item(last_day(month), item_name(month), supply, tax),),
                  remark="11월 이용분")
    values.update(changes)
    return InvoiceDocument(**values)


def rows(key: str | None = None) -> list:
    """What the sandbox recorded, oldest first."""
    return SandboxIssuer.issued(key=key, last=100)[::-1]


def test_the_configured_issuer_is_the_sandbox_by_default(appctx):
    issuer = tax_invoices.get_issuer()
    assert isinstance(issuer, SandboxIssuer) and issuer.name == "sandbox"
    appctx.config["TAX_INVOICE_PROVIDER"] = "popbill"
    chosen = tax_invoices.get_issuer()
    assert isinstance(chosen, popbill_adapter.PopbillIssuer) and chosen.corp_num == tax_invoices.DEMO_SUPPLIER.brn
    appctx.config["TAX_INVOICE_PROVIDER"] = "barobill"
    with pytest.raises(RuntimeError, match="unknown TAX_INVOICE_PROVIDER 'barobill'"):
        tax_invoices.get_issuer()


def test_issuing_a_key_twice_answers_the_same_approval_number_and_issues_once(appctx):
    issuer = tax_invoices.get_issuer()
    doc = document()
    with clock.frozen(ISSUE_TIME):
        first = issuer.issue(doc)
    assert re.fullmatch(r"20261204" r"00000000" r"\d{8}", first.approval_number)
    assert tax_invoices.format_approval(first.approval_number) == (
        f"20261204-00000000-{first.approval_number[16:]}")
    assert first.issued_at == ISSUE_TIME and not first.already_issued
    with clock.frozen(ISSUE_TIME + dt.timedelta(hours=3)):
        again = issuer.issue(doc)
    assert again.approval_number == first.approval_number and again.issued_at == ISSUE_TIME and again.already_issued
    [row] = rows(doc.key)
    assert (row.state, row.repeat_count, row.total, row.buyer_brn) == ("issued", 1, 1_234_567, "2208112341")
    assert '"name": "(주)고객상사"' in row.document and "메시지 발송 이용료 2026년 11월" in row.document
    # another key is another invoice, with another number
    with clock.frozen(ISSUE_TIME):
        other = issuer.issue(document("INV-2026-11-0002"))
    assert other.approval_number != first.approval_number and len(rows()) == 2


def test_two_callers_issuing_the_same_key_at_once_make_one_invoice(app):
    doc = document("INV-RACE")
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def issue():
        with app.app_context():
            try:
                barrier.wait()
                answers.append(tax_invoices.get_issuer().issue(doc))
            except Exception as error:       # reported below
                errors.append(error)

    # the clock is one for the process: pinned here, never in the threads (their exits would race
    # to restore it and could leave it pinned for the tests after this one)
    with clock.frozen(ISSUE_TIME):
        threads = [threading.Thread(target=issue) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len({a.approval_number for a in answers}) == 1 and len(answers) == 4
    assert sum(not a.already_issued for a in answers) == 1
    with app.app_context():
        assert len(rows("INV-RACE")) == 1


@pytest.mark.parametrize("buyer,code", [
    (Party(brn="2208112341", name="(주)고객상사 [발행실패]", representative="김고객"), "invalid_buyer_brn"),
    (Party(brn="2208112345", name="(주)고객상사", representative="김고객"), "invalid_buyer_brn"),   # checksum
    (Party(brn="2208112341", name="(주)고객상사", representative=""), "missing_party"),
])
def test_a_refusal_is_not_retryable_and_issues_nothing(appctx, buyer, code):
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(document(buyer=buyer))
    assert refused.value.code == code and refused.value.retryable is False and refused.value.status == 422
    assert re.search(r"[가-힣]", refused.value.message) and refused.value.message.endswith(".")
    assert rows() == []


def test_a_document_whose_totals_are_not_its_items_is_refused(appctx):
    doc = document()
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(document(supply_total=doc.supply_total + 1))
    assert refused.value.code == "totals_mismatch" and not refused.value.retryable
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(document(correction_reason=1))
    assert refused.value.code == "missing_original" and "당초 세금계산서의 승인번호" in refused.value.message


def test_an_unavailable_provider_is_retryable_and_the_retry_issues_once(appctx):
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(document(buyer=Party(brn="2208112341", name="[일시장애] 고객",
                                                             representative="김고객")))
    assert refused.value.code == "provider_unavailable" and refused.value.retryable and refused.value.status == 503
    assert "잠시 후 다시 발행해주세요" in refused.value.message
    doc = document()
    appctx.config["SANDBOX_TAX_FAIL"] = "unavailable"         # an outage
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(doc)
    assert refused.value.retryable and rows() == []
    appctx.config["SANDBOX_TAX_FAIL"] = ""                    # over: the retry issues
    with clock.frozen(ISSUE_TIME):
        issued = tax_invoices.get_issuer().issue(doc)
        assert tax_invoices.get_issuer().issue(doc).approval_number == issued.approval_number
    appctx.config["SANDBOX_TAX_FAIL"] = "refused"
    with pytest.raises(tax_invoices.IssueRefused) as refused:
        tax_invoices.get_issuer().issue(document("INV-OTHER"))
    assert not refused.value.retryable
    assert [r.key for r in rows()] == [doc.key]
    appctx.config["SANDBOX_TAX_FAIL"] = "sometimes"
    with pytest.raises(ValueError, match="SANDBOX_TAX_FAIL"):
        tax_invoices.get_issuer()


def test_an_invoice_is_filed_from_the_next_kst_day(appctx):
    issuer = tax_invoices.get_issuer()
    late_evening = dt.datetime(2026, 12, 4, 14, 59)            # 23:59 KST
    with clock.frozen(late_evening):
        number = issuer.issue(document()).approval_number
        assert issuer.status(document().key) == tax_invoices.IssueStatus(document().key, "issued", number, "",
                                                                         late_evening)
    with clock.frozen(dt.datetime(2026, 12, 4, 14, 59, 59)):
        assert issuer.status(document().key).state == "issued"
    midnight = dt.datetime(2026, 12, 4, 15, 0)                 # 00:00 KST the next day
    with clock.frozen(midnight):
        filed = issuer.status(document().key)
    assert (filed.state, filed.approval_number, filed.at) == ("filed", number, midnight)
    with clock.frozen(midnight + dt.timedelta(days=3)):
        assert issuer.status(document().key).at == midnight       # filed once
    assert issuer.status("INV-NEVER").state == "unknown"


def test_the_nts_can_be_told_to_refuse_an_issued_invoice(appctx):
    issuer = tax_invoices.get_issuer()
    buyer = Party(brn="2208112341", name="(주)고객 [전송실패]", representative="김고객")
    with clock.frozen(ISSUE_TIME):
        issuer.issue(document(buyer=buyer))
        assert issuer.status(document().key).state == "issued"
    with clock.frozen(ISSUE_TIME + dt.timedelta(days=1)):
        failed = issuer.status(document().key)
    assert failed.state == "failed" and "국세청 전송에 실패했습니다" in failed.message and failed.approval_number


def test_cancel_before_filing_and_never_after(appctx):
    issuer = tax_invoices.get_issuer()
    with clock.frozen(ISSUE_TIME):
        issuer.issue(document("INV-A"))
        issuer.issue(document("INV-B"))
    with clock.frozen(ISSUE_TIME + dt.timedelta(hours=2)):
        cancelled = issuer.cancel("INV-A", "공급가액 착오")
        assert (cancelled.state, cancelled.message, cancelled.at) == ("cancelled", "공급가액 착오",
                                                                       ISSUE_TIME + dt.timedelta(hours=2))
        assert issuer.cancel("INV-A") == cancelled                  # again: the same answer
        assert issuer.status("INV-A") == cancelled
        with pytest.raises(tax_invoices.IssueRefused) as refused:
            issuer.issue(document("INV-A"))                          # a cancelled key is not issued again
        assert refused.value.code == "cancelled_key" and not refused.value.retryable
        with pytest.raises(tax_invoices.IssueRefused) as refused:
            issuer.cancel("INV-NEVER")
        assert refused.value.code == "not_found"
    with clock.frozen(ISSUE_TIME + dt.timedelta(days=1)):
        with pytest.raises(tax_invoices.IssueRefused) as refused:
            issuer.cancel("INV-B")                                   # filed meanwhile
        assert refused.value.code == "already_filed" and "수정세금계산서" in refused.value.message
        assert issuer.status("INV-B").state == "filed"
    assert {r.key: r.state for r in rows()} == {"INV-A": "cancelled", "INV-B": "filed"}


# --- 공급자 from configuration (no database) ------------------------------------------------------------------

SUPPLIER = {"SUPPLIER_BRN": "220-81-12341", "SUPPLIER_NAME": "(주)메가버드", "SUPPLIER_REPRESENTATIVE": "박대표",
            "SUPPLIER_ADDRESS": "서울특별시 중구 을지로 1", "SUPPLIER_BUSINESS_TYPE": "정보통신업",
            "SUPPLIER_BUSINESS_ITEM": "부가통신", "SUPPLIER_CONTACT_NAME": "정재무",
            "SUPPLIER_CONTACT_EMAIL": "tax@megabird.example", "SUPPLIER_CONTACT_PHONE": "02-555-0100"}


def test_development_without_supplier_settings_names_the_demo_supplier():
    demo = tax_invoices.supplier({})
    assert demo == tax_invoices.DEMO_SUPPLIER and "(데모)" in demo.name and demo.brn == "1234567891"
    with pytest.raises(tax_invoices.SupplierNotConfigured) as stopped:
        tax_invoices.supplier({"MEGABIRD_ENV": "production"})       # production has no demo
    assert "SUPPLIER_BRN" in str(stopped.value) and "SUPPLIER_CONTACT_PHONE" in str(stopped.value)


def test_the_supplier_from_its_settings():
    party = tax_invoices.supplier(SUPPLIER)
    assert party == Party(brn="2208112341", name="(주)메가버드", representative="박대표", address="서울특별시 중구 을지로 1",
                          business_type="정보통신업", business_item="부가통신", contact_name="정재무",
                          contact_email="tax@megabird.example", contact_phone="02-555-0100")
    assert tax_invoices.supplier_problems(SUPPLIER) == []


def test_a_partial_or_wrong_supplier_configuration_names_the_settings():
    partial = {"SUPPLIER_BRN": "2208112341", "SUPPLIER_NAME": "(주)메가버드"}
    with pytest.raises(tax_invoices.SupplierNotConfigured) as stopped:
        tax_invoices.supplier(partial)                              # a partial configuration: in any mode
    [line] = stopped.value.problems
    assert line.startswith("SUPPLIER_REPRESENTATIVE, SUPPLIER_ADDRESS, ") and "성명(대표자)" in line
    assert "SUPPLIER_BRN" not in line.split(":")[0]
    [wrong] = tax_invoices.supplier_problems({**SUPPLIER, "SUPPLIER_BRN": "2208112345"})
    assert wrong == "SUPPLIER_BRN: 사업자등록번호가 올바르지 않습니다 (검증번호 불일치)."
