"""Popbill (팝빌), through its own SDK from PyPI (`popbill`, pinned in requirements.txt):
`to_taxinvoice` maps our InvoiceDocument to the SDK's Taxinvoice field by field, and
`PopbillIssuer` calls RegistIssue (즉시 발행), GetInfo and CancelIssue with the supplier's
BRN as the Popbill member (CorpNum) and the document's key as invoicerMgtKey (문서번호).

Idempotency: Popbill refuses a management key already in use. A refusal of a tax-invoice
request (codes -110…) is therefore followed by GetInfo on the key: an invoice issued
under it (a retry after a lost answer, a worker killed after the call) answers with its
approval number, and nothing is issued twice. The exact code of "key in use" could not
be confirmed from Popbill's published table here, so the check does not depend on it.

Errors: PopbillException (Popbill's refusal, Korean message from the server, code
-110… tax invoice, -100… member/authentication, -990… points) is not retryable — the
clerk fixes the document, the configuration or the points and issues again; a network
failure, a timeout or a response that is not Popbill's JSON (a proxy's 5xx page) is
retryable. The SDK opens its HTTPS connections without a timeout: POPBILL_TIMEOUT_SECONDS
bounds each connection it opens to Popbill (its token request to Linkhub stays unbounded:
the job's own timeout bounds that).

Late issue (지연발행, after the 10th of the next month: a 가산세 applies): Popbill refuses it
unless told; `doc.meta["force_issue"] = True` tells it, for a clerk who chose so.

The SDK's services are process-wide singletons (its `Singleton` metaclass): the first
LinkID and SecretKey given in a process are the ones it keeps."""
from __future__ import annotations

import datetime as dt
import http.client
from collections.abc import Callable, Mapping

from popbill import PopbillException, Taxinvoice, TaxinvoiceDetail, TaxinvoiceService

from app import clock
from app.domain.korean import josa
from app.domain.tax_invoice import InvoiceDocument
from app.gateways.tax_invoices.base import (CANCELLED, FAILED, FILED, ISSUED, UNKNOWN, IssueRefused, IssueResult,
                                            IssueStatus, TaxInvoiceIssuer, normalise_approval)

SELL = "SELL"                       # MgtKeyType: 매출 (we are the supplier)
KEY_NOT_FOUND = -11000005           # "해당 문서번호의 세금계산서가 없습니다" (also the SDK's checkMgtKeyInUse)

#: GetInfo's stateCode → our state (Popbill's table: 300 발행완료, 301 전송대기, 302 전송중,
#: 303 전송결과 대기, 304 전송완료, 305 전송실패, 600 발행취소; 31x the same for 위수탁, which
#: we do not use but read the same way)
STATE_CODES = {300: ISSUED, 301: ISSUED, 302: ISSUED, 303: ISSUED, 304: FILED, 305: FAILED,
               310: ISSUED, 311: ISSUED, 312: ISSUED, 313: ISSUED, 314: FILED, 315: FAILED,
               600: CANCELLED}

NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError)   # ValueError: a body that is not JSON


def _yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _text(value: str) -> str | None:
    return value or None


def to_taxinvoice(doc: InvoiceDocument) -> Taxinvoice:
    """Our invoice as Popbill's Taxinvoice (정발행, 과세, 정과금). Amounts are strings of
    integer won, as the SDK sends them."""
    supplier, buyer = doc.supplier, doc.buyer
    invoice = Taxinvoice(
        writeDate=_yyyymmdd(doc.written_on),           # 작성일자
        chargeDirection="정과금",                        # the supplier pays Popbill's fee
        issueType="정발행",
        purposeType=doc.purpose,                        # 영수 / 청구
        taxType="과세",
        # 공급자
        invoicerCorpNum=supplier.brn,
        invoicerMgtKey=doc.key,                         # 문서번호: the idempotency key
        invoicerCorpName=supplier.name,
        invoicerCEOName=supplier.representative,
        invoicerAddr=_text(supplier.address),
        invoicerBizType=_text(supplier.business_type),
        invoicerBizClass=_text(supplier.business_item),
        invoicerContactName=_text(supplier.contact_name),
        invoicerEmail=_text(supplier.contact_email),
        invoicerTEL=_text(supplier.contact_phone),
        invoicerSMSSendYN=False,                        # no 발행 안내 SMS (it costs points)
        # 공급받는자
        invoiceeType="사업자",
        invoiceeCorpNum=buyer.brn,
        invoiceeCorpName=buyer.name,
        invoiceeCEOName=buyer.representative,
        invoiceeAddr=_text(buyer.address),
        invoiceeBizType=_text(buyer.business_type),
        invoiceeBizClass=_text(buyer.business_item),
        invoiceeContactName1=_text(buyer.contact_name),
        invoiceeEmail1=_text(buyer.contact_email),      # Popbill mails the invoice there
        invoiceeTEL1=_text(buyer.contact_phone),
        invoiceeSMSSendYN=False,
        # 금액
        supplyCostTotal=str(doc.supply_total),
        taxTotal=str(doc.tax_total),
        totalAmount=str(doc.total),
        remark1=_text(doc.remark),                      # 비고: the customer's 요청사항
    )
    invoice.detailList = [
        TaxinvoiceDetail(serialNum=number, purchaseDT=_yyyymmdd(item.written_on), itemName=item.name,
                         supplyCost=str(item.supply), tax=str(item.tax), remark=_text(item.note))
        for number, item in enumerate(doc.items, start=1)
    ]
    if doc.correction_reason is not None:           # 수정세금계산서
        invoice.modifyCode = doc.correction_reason
        invoice.orgNTSConfirmNum = normalise_approval(doc.original_approval)
    return invoice


def _advice(code: int, message: str) -> str:
    """What the clerk does about a Popbill refusal."""
    text = str(code)
    if "인증서" in message:
        return "공급자의 공동인증서를 팝빌에 등록(또는 갱신)한 뒤 다시 발행해주세요."
    if text.startswith("-990"):
        return "팝빌 포인트를 충전한 뒤 다시 발행해주세요."
    if text.startswith("-100") or code == -99999999:
        return "팝빌 연동 설정(POPBILL_LINK_ID, POPBILL_SECRET_KEY, SUPPLIER_BRN)과 팝빌 회원 정보를 관리자에게 확인해 달라고 해주세요."
    return "세금계산서의 내용을 확인해 고친 뒤 다시 발행해주세요."


def refusal(error: PopbillException, doing: str = "발행") -> IssueRefused:
    code = int(getattr(error, "code", 0) or 0)
    message = str(getattr(error, "message", "") or "").strip() or "사유를 알려주지 않았습니다"
    return IssueRefused(f"popbill_{code}", f"팝빌이 세금계산서 {josa(doing, '을/를')} 거절했습니다: {message} (오류코드 {code}). "
                        f"{_advice(code, message)}", retryable=False, provider_code=str(code))


def unreachable(doing: str = "발행") -> IssueRefused:
    return IssueRefused("provider_unavailable", f"팝빌에 연결하지 못했거나 응답이 없어 세금계산서 {josa(doing, '을/를')} 마치지 못했습니다. "
                        f"잠시 후 다시 시도해주세요 (같은 문서번호로 두 번 발행되지는 않습니다).", retryable=True)


def _kst_stamp(text: str | None) -> dt.datetime | None:
    """yyyyMMddHHmmss (KST, as Popbill answers) → naive UTC."""
    try:
        return clock.kst_to_utc(dt.datetime.strptime(str(text), "%Y%m%d%H%M%S"))
    except (TypeError, ValueError):
        return None


def _bounded(service: TaxinvoiceService, seconds: float) -> None:
    """Each HTTPS connection the SDK opens to Popbill gets `seconds` as its timeout."""
    if getattr(service, "_megabird_timeout", None) == seconds:
        return
    opener = type(service)._getConn

    def get_conn():
        connection = opener(service)
        connection.timeout = seconds           # http.client applies it when it connects
        return connection

    service._getConn = get_conn
    service._megabird_timeout = seconds


class PopbillIssuer(TaxInvoiceIssuer):
    name = "popbill"

    def __init__(self, service: TaxinvoiceService, corp_num: str, user_id: str | None = None):
        self.service = service
        self.corp_num = corp_num                # the Popbill member: our supplier's BRN
        self.user_id = user_id or None          # 팝빌회원 아이디, when the member has several

    def _drop_connection(self) -> None:
        # after a timeout the SDK's cached connection is mid-request and refuses the next one
        # until it is replaced (180 s): close it so that a retry connects afresh
        connection = getattr(self.service, "_PopbillBase__conn", None)
        if connection is not None:
            connection.close()

    def _call(self, doing: str, method: Callable, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except PopbillException as error:
            raise refusal(error, doing) from error
        except NETWORK_ERRORS as error:
            self._drop_connection()
            raise unreachable(doing) from error

    def _info(self, key: str):
        """GetInfo of `key`, or None when Popbill has no invoice under it."""
        try:
            return self.service.getInfo(self.corp_num, SELL, key)
        except PopbillException as error:
            if int(getattr(error, "code", 0) or 0) == KEY_NOT_FOUND:
                return None
            raise refusal(error, "조회") from error
        except NETWORK_ERRORS as error:
            self._drop_connection()
            raise unreachable("조회") from error

    def _already_issued(self, key: str) -> IssueResult | None:
        """The invoice issued before under `key`, if any (after a refusal of RegistIssue).
        Popbill unreachable meanwhile: retryable, since the retry may find it."""
        try:
            info = self._info(key)
        except IssueRefused as refused:
            if refused.retryable:
                raise
            return None
        if info is None:
            return None
        state = STATE_CODES.get(int(info.stateCode or 0))
        if state == CANCELLED:
            raise IssueRefused("cancelled_key", "이 문서번호의 세금계산서는 팝빌에서 발행취소되었습니다. 같은 문서번호로 다시 "
                               "발행할 수 없으니 새 세금계산서로 발행해주세요.", retryable=False)
        number = normalise_approval(info.ntsconfirmNum)
        if state is None or not number:
            return None
        return IssueResult(key, number, _kst_stamp(info.issueDT) or clock.now(), already_issued=True)

    def issue(self, doc: InvoiceDocument) -> IssueResult:
        if doc.supplier.brn != self.corp_num:
            raise IssueRefused("supplier_mismatch", "세금계산서의 공급자 사업자등록번호가 팝빌 연동 회원(SUPPLIER_BRN)과 다릅니다. "
                               "공급자 설정을 확인해주세요.", retryable=False)
        taxinvoice = to_taxinvoice(doc)
        try:
            response = self._call("발행", self.service.registIssue, self.corp_num, taxinvoice,
                                  forceIssue=bool(doc.meta.get("force_issue")), memo=f"megabird {doc.key}",
                                  UserID=self.user_id)
        except IssueRefused as refused:
            if not refused.retryable and (refused.provider_code or "").startswith("-110"):
                existing = self._already_issued(doc.key)
                if existing is not None:
                    return existing
            raise
        number = normalise_approval(getattr(response, "ntsConfirmNum", None))
        if number:
            return IssueResult(doc.key, number, clock.now())
        existing = self._already_issued(doc.key)       # issued, but the answer lacks the number
        if existing is not None:
            return IssueResult(doc.key, existing.approval_number, existing.issued_at)
        raise IssueRefused("no_approval_number", "팝빌이 발행을 접수했지만 승인번호를 알려주지 않았습니다. 잠시 후 다시 발행하면 "
                           "같은 문서번호의 승인번호를 받아옵니다.", retryable=True)

    def status(self, key: str) -> IssueStatus:
        info = self._info(key)
        if info is None:
            return IssueStatus(key, UNKNOWN, None, "팝빌에 이 문서번호의 세금계산서가 없습니다.")
        code = int(info.stateCode or 0)
        state = STATE_CODES.get(code, UNKNOWN)
        number = normalise_approval(info.ntsconfirmNum)
        if state == FAILED:
            reason = info.ntssendErrCode or info.ntsresult or ""
            message = (f"국세청 전송에 실패했습니다{f' ({reason})' if reason else ''}. 내용을 확인해 수정세금계산서를 "
                       f"발행해주세요.")
            return IssueStatus(key, state, number, message, _kst_stamp(info.ntsresultDT or info.stateDT))
        if state == FILED:
            return IssueStatus(key, state, number, "", _kst_stamp(info.ntsresultDT or info.ntssendDT or info.stateDT))
        if state == UNKNOWN:
            return IssueStatus(key, state, number, f"팝빌 상태코드 {code}: {info.stateMemo or '발행되지 않은 문서입니다'}",
                               _kst_stamp(info.stateDT))
        return IssueStatus(key, state, number, "", _kst_stamp(info.stateDT if state == CANCELLED else info.issueDT))

    def cancel(self, key: str, reason: str = "") -> IssueStatus:
        current = self.status(key)
        if current.state == CANCELLED:
            return current
        if current.state == UNKNOWN:
            raise IssueRefused("not_found", "팝빌에 이 문서번호로 발행된 세금계산서가 없어 발행취소할 수 없습니다.", retryable=False)
        if current.state in (FILED, FAILED):
            raise IssueRefused("already_filed", "국세청에 전송된 세금계산서는 발행취소할 수 없습니다. 수정세금계산서를 "
                               "발행해주세요.", retryable=False)
        self._call("발행취소", self.service.cancelIssue, self.corp_num, SELL, key, Memo=reason[:200] or None,
                   UserID=self.user_id)
        return IssueStatus(key, CANCELLED, current.approval_number, reason, clock.now())


def is_test(config: Mapping) -> bool:
    """POPBILL_IS_TEST (Popbill's test bed, the default), as a bool or as text."""
    value = config.get("POPBILL_IS_TEST", True)
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", "off", ""}
    return bool(value)


def service_from(config: Mapping) -> TaxinvoiceService:
    """The SDK's service with our settings (POPBILL_IS_TEST: Popbill's test bed)."""
    service = TaxinvoiceService(str(config.get("POPBILL_LINK_ID") or ""), str(config.get("POPBILL_SECRET_KEY") or ""))
    service.IsTest = is_test(config)
    service.IPRestrictOnOff = True
    service.UseStaticIP = False
    service.UseLocalTimeYN = True
    _bounded(service, float(config.get("POPBILL_TIMEOUT_SECONDS") or 30))
    return service


def from_config(config: Mapping, corp_num: str) -> PopbillIssuer:
    return PopbillIssuer(service_from(config), corp_num, str(config.get("POPBILL_USER_ID") or "") or None)
