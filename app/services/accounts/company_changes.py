"""기업정보 변경 (ACC-12): a corporate account's 사업자 등록 정보 (사업자등록번호, 상호,
대표자, 사업장주소, 업태, 종목) changes only by a request with a new 사업자등록증, which an
operator approves or rejects with a reason through the one review state machine
(`shared/reviews.decide`: the audit entry and the customer's notice come with it).

The account's own data stays in force until the approval, which copies the request's
values into the account in the decision's transaction. At most one request of an account
waits at a time (checked with the account row locked; a partial unique index is the
backstop). A rejected request stays as it was decided; the customer asks again with a
new one. Invoices keep the data they were prepared with (08-tax-invoice.md): whatever
copies the account's data into an invoice copies it, it does not point here."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select

from app.domain import business
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.models import Account, CompanyChangeRequest, CorporateConversion, StoredFile
from app.services.accounts.accounts import get_account
from app.services.shared import files, reviews
from app.services.shared.uow import transaction

OBJECT_TYPE = "company_change_request"
DOCUMENT_KIND = "business_certificate"     # the same kind as the 기업전환's certificate


def registration_of(account: Account) -> dict[str, str | None]:
    """The account's 사업자 등록 정보 in force, by column name."""
    return {name: getattr(account, name) for name in business.REGISTRATION_NAMES}


def open_request(account_id: int) -> CompanyChangeRequest | None:
    """The account's request that waits for an operator, if any."""
    return db.session.scalar(select(CompanyChangeRequest).where(
        CompanyChangeRequest.account_id == account_id, CompanyChangeRequest.status == "requested"))


def latest_request(account_id: int) -> CompanyChangeRequest | None:
    """The account's newest request, whatever its state (the page shows its state and, after a
    rejection, its reason)."""
    return db.session.scalar(select(CompanyChangeRequest).where(CompanyChangeRequest.account_id == account_id)
                             .order_by(CompanyChangeRequest.id.desc()).limit(1))


def current_certificate(account_id: int) -> StoredFile | None:
    """The certificate behind the data in force: the latest approved change's, else the
    approved 기업전환's (what the reviewer compares the new one with)."""
    approved = db.session.scalar(select(CompanyChangeRequest.certificate_file_id).where(
        CompanyChangeRequest.account_id == account_id, CompanyChangeRequest.status == "approved")
        .order_by(CompanyChangeRequest.reviewed_at.desc(), CompanyChangeRequest.id.desc()).limit(1))
    if approved is None:
        approved = db.session.scalar(select(CorporateConversion.certificate_file_id).where(
            CorporateConversion.account_id == account_id, CorporateConversion.status == "approved")
            .order_by(CorporateConversion.id.desc()).limit(1))
    return db.session.get(StoredFile, approved) if approved is not None else None


def _refuse_unless_open_to_requests(account: Account) -> None:
    if not account.is_corporate:
        raise Forbidden("기업정보 변경은 기업회원만 신청할 수 있습니다. 개인회원은 먼저 기업전환을 신청해주세요.",
                        code="not_corporate")
    if open_request(account.id) is not None:
        raise Conflict("이미 기업정보 변경을 신청하셨습니다. 심사가 끝난 뒤에 다시 신청할 수 있습니다.",
                       code="change_requested")


def request_change(*, account_id: int, form: Mapping, certificate: tuple[str, bytes],
                   now: dt.datetime) -> CompanyChangeRequest:
    """A corporate account asks for new 사업자 등록 정보: `form` holds the six fields,
    `certificate` is (filename, bytes) of the new 사업자등록증. Refused, with nothing
    stored: an individual account (403, pointed to 기업전환), a request while another
    waits (409), a field that is wrong or the same data as now (422, naming the field),
    a missing or unacceptable document (422)."""
    with transaction():                        # the clear refusal first, before any typing is judged
        _refuse_unless_open_to_requests(get_account(account_id))
    fields = business.check_registration(form)
    filename, data = certificate
    checked = business.check_certificate(filename, data)
    with transaction():
        account = get_account(account_id, for_update=True)
        _refuse_unless_open_to_requests(account)                 # again, with the account locked
        business.check_change(registration_of(account), fields)
        document = files.store(account_id=account_id, kind=DOCUMENT_KIND, filename=filename, data=data,
                               checked=checked, now=now)
        item = CompanyChangeRequest(account_id=account_id, certificate_file=document, **fields)
        reviews.request_again(item, now)
        db.session.add(item)
        db.session.flush()
    return item


def _snapshot(item: CompanyChangeRequest) -> dict:
    """The audit's before/after: the request's state and the account's data in force."""
    account = item.account
    return {"status": item.status, **registration_of(account), "display_name": account.display_name}


def decide_change(request_id, *, approve: bool, actor, now: dt.datetime,
                  reason: str | None = None) -> CompanyChangeRequest:
    """An operator approves (the account's data becomes the request's, in this transaction;
    an account named after its old 상호 takes the new one) or rejects with a reason (the
    account keeps its data). Audited, and the customer is told, by `reviews.decide`."""
    def replace_data(item: CompanyChangeRequest) -> None:
        account = get_account(item.account_id, for_update=True)
        if account.display_name == account.company_name:
            account.display_name = item.company_name
        for name in business.REGISTRATION_NAMES:
            setattr(account, name, getattr(item, name))

    with transaction():
        return reviews.decide(CompanyChangeRequest, request_id, approve=approve, actor=actor, now=now,
                              reason=reason, object_type=OBJECT_TYPE, on_approve=replace_data,
                              snapshot=_snapshot)
