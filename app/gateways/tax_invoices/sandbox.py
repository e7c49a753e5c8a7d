"""The sandbox e-tax-invoice ASP (TAX-08): deterministic, no network. It keeps what it
would have sent in the sandbox's own database (`sandbox_tax_invoice`, beside the sandbox
carrier's table: app/models/sandbox.py), one row per management key, and answers a
made-up but well-formed approval number.

Approval number: 24 digits, shown 8-8-8 — the issue day in KST (YYYYMMDD), then
`00000000` where a real one has the issuing system's NTS registration number (no real
system has it, so a sandbox number is never taken for a real one), then 8 digits from a
SHA-256 of the key. Issuing a key again answers the same number.

Filing: an invoice issued on an earlier KST day than `clock.now()` is 국세청 전송완료
(`filed`) when asked (`status`) — a real ASP files the next business day.

Told to fail (for tests and demos):
- the buyer's 상호 contains `[발행실패]`: refused, not retryable (공급받는자 사업자등록번호 오류);
- the buyer's 상호 contains `[일시장애]`: the provider is unavailable, retryable;
- the buyer's 상호 contains `[전송실패]`: issued, and the NTS refuses it when it is filed
  (`status` answers `failed`);
- SANDBOX_TAX_FAIL=refused or =unavailable: every issue fails so (an outage to demo);
- and as a real ASP: a buyer or supplier BRN failing its checksum, totals that are not the
  items' sums, a correction without its original's approval number — refused, not
  retryable."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.domain.brn import validate_brn
from app.domain.tax_invoice import CORRECTION_REASONS, InvoiceDocument
from app.errors import ValidationError
from app.extensions import db
from app.gateways.tax_invoices.base import (CANCELLED, FAILED, FILED, ISSUED, UNKNOWN, IssueRefused, IssueResult,
                                            IssueStatus, TaxInvoiceIssuer)
from app.models.sandbox import BIND, SandboxTaxInvoice

SANDBOX_REGISTRATION = "00000000"
REFUSE_MARK = "[발행실패]"
UNAVAILABLE_MARK = "[일시장애]"
NTS_FAILURE_MARK = "[전송실패]"
FAIL_MODES = ("", "refused", "unavailable")

NTS_FAILURE_MESSAGE = ("국세청 전송에 실패했습니다 (ERR002: 공급받는자 사업자등록번호가 국세청에 등록되지 않았습니다). "
                       "공급받는자 정보를 확인해 수정세금계산서를 발행해주세요.")


def approval_number(key: str, issued_at: dt.datetime) -> str:
    """The sandbox's approval number of `key` issued at `issued_at` (naive UTC)."""
    day = clock.to_kst(issued_at).strftime("%Y%m%d")
    serial = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10 ** 8
    return f"{day}{SANDBOX_REGISTRATION}{serial:08d}"


def refused_buyer() -> IssueRefused:
    return IssueRefused("invalid_buyer_brn", "공급받는자 사업자등록번호가 올바르지 않아 발행이 거절되었습니다. 고객의 사업자 "
                        "정보를 확인해 고친 뒤 다시 발행해주세요.", retryable=False)


def unavailable() -> IssueRefused:
    return IssueRefused("provider_unavailable", "세금계산서 발행 서비스에 연결하지 못했습니다. 발행되지 않았으니 잠시 후 "
                        "다시 발행해주세요.", retryable=True)


def _document_json(doc: InvoiceDocument) -> str:
    return json.dumps(dataclasses.asdict(doc), ensure_ascii=False, default=str, sort_keys=True)


def check_document(doc: InvoiceDocument) -> None:
    """What a real ASP refuses before it issues anything (not retryable)."""
    def refuse(code: str, message: str):
        raise IssueRefused(code, message, retryable=False)
    for who, party in (("공급자", doc.supplier), ("공급받는자", doc.buyer)):
        try:
            validate_brn(party.brn)
        except ValidationError as error:
            if who == "공급받는자":
                raise refused_buyer() from error
            refuse("invalid_supplier_brn", f"공급자 사업자등록번호가 올바르지 않습니다 ({error.message}). SUPPLIER_BRN "
                                           "설정을 확인해주세요.")
        if not party.name or not party.representative:
            refuse("missing_party", f"{who}의 상호와 대표자 성명은 세금계산서에 꼭 있어야 합니다. 정보를 채운 뒤 다시 발행해주세요.")
    if not doc.items:
        refuse("no_items", "품목이 없는 세금계산서는 발행할 수 없습니다.")
    if sum(i.supply for i in doc.items) != doc.supply_total or sum(i.tax for i in doc.items) != doc.tax_total:
        refuse("totals_mismatch", "품목의 공급가액·세액 합계가 세금계산서의 합계와 다릅니다. 금액을 확인해주세요.")
    if doc.purpose not in ("영수", "청구"):
        refuse("invalid_purpose", "영수/청구 구분은 '영수' 또는 '청구'여야 합니다.")
    if doc.correction_reason is not None:
        if doc.correction_reason not in CORRECTION_REASONS:
            refuse("invalid_correction", f"수정사유 코드 {doc.correction_reason}은(는) 발행할 수 없는 사유입니다.")
        if not doc.original_approval:
            refuse("missing_original", "수정세금계산서에는 당초 세금계산서의 승인번호가 필요합니다.")


def _status(row) -> IssueStatus:
    at = {ISSUED: row.created_at, FILED: row.filed_at, FAILED: row.filed_at, CANCELLED: row.cancelled_at}[row.state]
    return IssueStatus(row.key, row.state, row.approval_number, row.message or "", at)


class SandboxIssuer(TaxInvoiceIssuer):
    name = "sandbox"

    def __init__(self, fail: str = ""):
        fail = (fail or "").strip().lower()
        if fail not in FAIL_MODES:
            raise ValueError(f"SANDBOX_TAX_FAIL={fail!r}: one of {', '.join(repr(m) for m in FAIL_MODES)}")
        self.fail = fail

    @staticmethod
    def _store():
        return db.engines[BIND]

    @staticmethod
    def _row(conn, key: str):
        return conn.execute(select(SandboxTaxInvoice.__table__).where(SandboxTaxInvoice.key == key)).first()

    def _answer(self, conn, row) -> IssueResult:
        """The first issue's result for a key issued again (counted: never a second invoice)."""
        if row.state == CANCELLED:
            raise IssueRefused("cancelled_key", "이 문서번호의 세금계산서는 발행취소되었습니다. 같은 문서번호로 다시 발행할 수 "
                               "없으니 새 세금계산서로 발행해주세요.", retryable=False)
        conn.execute(update(SandboxTaxInvoice.__table__).where(SandboxTaxInvoice.id == row.id)
                     .values(repeat_count=SandboxTaxInvoice.repeat_count + 1))
        return IssueResult(row.key, row.approval_number, row.created_at, already_issued=True)

    def issue(self, doc: InvoiceDocument) -> IssueResult:
        if self.fail == "unavailable" or UNAVAILABLE_MARK in doc.buyer.name:
            raise unavailable()              # unreachable: not even a repeated key is answered
        with self._store().begin() as conn:
            row = self._row(conn, doc.key)
            if row is not None:
                return self._answer(conn, row)
        if self.fail == "refused" or REFUSE_MARK in doc.buyer.name:
            raise refused_buyer()
        check_document(doc)
        now = clock.now()
        values = dict(key=doc.key, approval_number=approval_number(doc.key, now), buyer_brn=doc.buyer.brn,
                      total=doc.total, document=_document_json(doc), state=ISSUED, created_at=now, repeat_count=0)
        try:
            with self._store().begin() as conn:
                conn.execute(insert(SandboxTaxInvoice.__table__).values(**values))
        except IntegrityError:
            # issued by a racing call meanwhile: that one is the invoice
            with self._store().begin() as conn:
                return self._answer(conn, self._row(conn, doc.key))
        return IssueResult(doc.key, values["approval_number"], now)

    def status(self, key: str) -> IssueStatus:
        now = clock.now()
        with self._store().begin() as conn:
            row = self._row(conn, key)
            if row is None:
                return IssueStatus(key, UNKNOWN, None, "이 문서번호로 발행된 세금계산서가 없습니다.")
            if row.state == ISSUED and clock.to_kst(row.created_at).date() < clock.to_kst(now).date():
                nts_refuses = NTS_FAILURE_MARK in json.loads(row.document)["buyer"]["name"]
                conn.execute(update(SandboxTaxInvoice.__table__).where(SandboxTaxInvoice.id == row.id,
                                                                       SandboxTaxInvoice.state == ISSUED)
                             .values(state=FAILED if nts_refuses else FILED, filed_at=now,
                                     message=NTS_FAILURE_MESSAGE if nts_refuses else None))
                row = self._row(conn, key)
            return _status(row)

    def cancel(self, key: str, reason: str = "") -> IssueStatus:
        self.status(key)                       # files what is due first: a filed invoice is not cancelled
        now = clock.now()
        with self._store().begin() as conn:
            row = self._row(conn, key)
            if row is None:
                raise IssueRefused("not_found", "이 문서번호로 발행된 세금계산서가 없어 발행취소할 수 없습니다.", retryable=False)
            if row.state in (FILED, FAILED):
                raise IssueRefused("already_filed", "국세청에 전송된 세금계산서는 발행취소할 수 없습니다. 수정세금계산서를 "
                                   "발행해주세요.", retryable=False)
            if row.state == ISSUED:
                conn.execute(update(SandboxTaxInvoice.__table__).where(SandboxTaxInvoice.id == row.id)
                             .values(state=CANCELLED, cancelled_at=now, message=reason[:300] or None))
                row = self._row(conn, key)
            return _status(row)

    # What the sandbox "issued", for people and tests: rows of sandbox_tax_invoice, newest
    # first, read without a write lock (a read through db.session would hold one on SQLite
    # until its transaction ends, and the next issue would wait for it).
    @classmethod
    def issued(cls, *, key: str | None = None, last: int = 20) -> list:
        table = SandboxTaxInvoice.__table__
        stmt = select(table).order_by(table.c.id.desc()).limit(last)
        if key is not None:
            stmt = stmt.where(table.c.key == key)
        with cls._store().connect().execution_options(megabird_read_only=True) as conn:
            return list(conn.execute(stmt))
