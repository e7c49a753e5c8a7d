"""The issuing adapter's interface (08-tax-invoice.md TAX-08): an e-tax-invoice ASP issues
our `InvoiceDocument`, answers the NTS approval number (국세청 승인번호), tells where the
invoice stands with the NTS, and cancels an issue not yet filed.

Issuing is idempotent per `doc.key` (the management key, 문서번호): issuing a key again
answers the approval number it got the first time and never issues a second invoice, so
a retry after a timeout or a crashed worker is always safe.

An approval number is kept as its 24 characters without dashes (`normalise_approval`)
and shown 8-8-8 (`format_approval`): the issue day YYYYMMDD, the issuing system's 8-digit
NTS registration number, an 8-character serial."""
from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass

from app.domain.tax_invoice import InvoiceDocument
from app.errors import MegabirdError

# Where an issued invoice stands (IssueStatus.state).
ISSUED = "issued"          # 발행완료: signed and issued, not yet filed with the NTS
FILED = "filed"            # 국세청 전송완료: the NTS accepted it
FAILED = "failed"          # 국세청 전송실패: the NTS refused it (the message says why)
CANCELLED = "cancelled"    # 발행취소: cancelled before filing; the NTS never receives it
UNKNOWN = "unknown"        # the provider has no invoice under this key, or cannot say
STATES = (ISSUED, FILED, FAILED, CANCELLED, UNKNOWN)

APPROVAL_LENGTH = 24


@dataclass(frozen=True)
class IssueResult:
    key: str
    approval_number: str              # 국세청 승인번호, 24 characters without dashes
    issued_at: dt.datetime            # naive UTC
    #: True when the key had been issued before: nothing was issued by this call
    already_issued: bool = False


@dataclass(frozen=True)
class IssueStatus:
    key: str
    state: str                        # one of STATES
    approval_number: str | None = None
    message: str = ""                 # Korean, for the finance page (why it failed, ...)
    at: dt.datetime | None = None     # naive UTC: when it reached this state, when known


class IssueRefused(MegabirdError):
    """The provider did not do what was asked. `message` is a Korean sentence a finance
    clerk can act on; `retryable` says whether the same request may succeed later as it
    is (the network, a timeout, the provider down) or only after something is fixed (the
    document, the configuration, the provider's account)."""

    def __init__(self, code: str, message: str, *, retryable: bool = False, provider_code: str | None = None):
        super().__init__(message, code=code)
        self.retryable = retryable
        self.provider_code = provider_code        # the provider's own code, for the logs
        self.status = 503 if retryable else 422

    def __repr__(self) -> str:
        return f"IssueRefused({self.code!r}, {self.message!r}, retryable={self.retryable})"


class TaxInvoiceIssuer(abc.ABC):
    name = "abstract"

    @abc.abstractmethod
    def issue(self, doc: InvoiceDocument) -> IssueResult:
        """Issue the invoice (RegistIssue) and answer its approval number. The same key
        again answers the first issue's result (`already_issued`). Raises IssueRefused."""

    @abc.abstractmethod
    def status(self, key: str) -> IssueStatus:
        """Where the invoice issued under `key` stands. UNKNOWN when the provider has none;
        raises IssueRefused (retryable) when the provider cannot be asked now."""

    @abc.abstractmethod
    def cancel(self, key: str, reason: str = "") -> IssueStatus:
        """Cancel an issued invoice before it is filed (발행취소); cancelling one already
        cancelled answers its status again. A filed invoice is corrected by a
        수정세금계산서, never cancelled: that raises IssueRefused."""


def normalise_approval(text: str | None) -> str | None:
    """An approval number as kept: without dashes or spaces, None when empty."""
    if not text:
        return None
    value = "".join(ch for ch in str(text) if ch not in "- ")
    return value or None


def format_approval(number: str | None) -> str:
    """20261130-00000000-12345678"""
    value = normalise_approval(number) or ""
    if len(value) != APPROVAL_LENGTH:
        return value
    return f"{value[:8]}-{value[8:16]}-{value[16:]}"
