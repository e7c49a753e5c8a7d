"""자체 080 수신거부 번호 (SND-09): a customer's own 080 opt-out number, proven by a
document (통신서비스 이용증명원, checked and stored as a sender number's are, SND-04) and
approved or rejected with a reason by an operator, through the one review state machine
(app/services/shared/reviews.py). An approved own number may be named in the account's
ads (app/services/accounts/optout_codes.choices) and names the account when someone
calls it to opt out. The service's shared number needs no registration."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.domain import optout080
from app.domain import text as rules
from app.domain.files import check_document
from app.domain.korean import josa
from app.domain.numbers import format_number
from app.errors import Conflict, InvalidState, ValidationError
from app.extensions import db
from app.models import Account, OptoutNumber, Send
from app.security.tenancy import get_owned
from app.services.accounts import optout_codes
from app.services.senders.sender_numbers import STATUS_LABELS
from app.services.shared import files, reviews
from app.services.shared.uow import transaction

__all__ = ["STATUS_LABELS", "DOCUMENT_LABEL", "NOTE_MAX", "list_numbers", "get_number", "request_number",
           "delete_number", "decide_number"]

DOCUMENT_KIND = "optout_certificate"
DOCUMENT_LABEL = "통신서비스 이용증명원"
NOTE_MAX = 100


def list_numbers(account_id: int) -> list[OptoutNumber]:
    return list(db.session.scalars(select(OptoutNumber).where(OptoutNumber.account_id == account_id)
                                   .order_by(OptoutNumber.requested_at.desc(), OptoutNumber.id.desc())))


def get_number(account_id: int, number_id) -> OptoutNumber:
    return get_owned(OptoutNumber, number_id, account_id)


def _approved_elsewhere(account_id: int, number: str) -> bool:
    return db.session.scalar(select(OptoutNumber.id).where(
        OptoutNumber.number == number, OptoutNumber.status == "approved",
        OptoutNumber.account_id != account_id)) is not None


def request_number(*, account_id: int, number, document: tuple[str, bytes], note, now: dt.datetime) -> OptoutNumber:
    """A new request, or a rejected one sent again with a new document (same number)."""
    digits = optout080.check_080(number)
    if digits == optout_codes.shared_number():
        raise ValidationError(f"{josa(format_number(digits), '은/는')} 서비스 공용 번호입니다. 등록하지 않아도 "
                              "인증코드와 함께 쓸 수 있습니다.", field=optout080.NUMBER_FIELD, code="shared_number")
    note = rules.optional(note, "요청사항", max_length=NOTE_MAX)
    filename, data = document
    if not filename and not data:
        raise ValidationError(f"{josa(DOCUMENT_LABEL, '을/를')} 첨부해주세요.", field=DOCUMENT_LABEL, code="required")
    checked = check_document(filename, data, field=DOCUMENT_LABEL)
    with transaction():
        existing = db.session.scalar(select(OptoutNumber).where(OptoutNumber.account_id == account_id,
                                                                OptoutNumber.number == digits).with_for_update())
        if existing is not None and existing.status in ("requested", "approved"):
            state = "등록된" if existing.status == "approved" else "등록 요청 중인"
            raise Conflict(f"이미 {state} 080 번호입니다.", field=optout080.NUMBER_FIELD, code="duplicate_optout_number")
        if _approved_elsewhere(account_id, digits):
            raise Conflict("다른 계정에 등록된 080 번호입니다. 번호를 확인해주세요.", field=optout080.NUMBER_FIELD,
                           code="optout_number_taken")
        item = existing or OptoutNumber(account_id=account_id, number=digits)
        stale = item.document
        item.note = note
        reviews.request_again(item, now)
        item.document = files.store(account_id=account_id, kind=DOCUMENT_KIND, filename=filename, data=data,
                                    checked=checked, now=now)
        db.session.add(item)
        if stale is not None:                  # a rejected request sent again: the new document replaces it
            files.delete([stale])
    return item


def delete_number(*, account_id: int, number_id, now: dt.datetime) -> None:
    """The customer deletes its own 080 number (and its document) — not while a scheduled
    ad names it, nor while it is the account's default (마이페이지)."""
    with transaction():
        item = get_owned(OptoutNumber, number_id, account_id, for_update=True)
        if item.status == "approved":
            scheduled = db.session.scalar(select(Send.id).where(
                Send.account_id == account_id, Send.status == "scheduled", Send.is_ad.is_(True),
                Send.ad_optout == item.number).limit(1))
            if scheduled is not None:
                raise InvalidState("예약된 광고 문자에 쓰인 080 번호는 삭제할 수 없습니다. 예약 발송을 먼저 취소해주세요.")
            default = db.session.scalar(select(Account.optout_number).where(Account.id == account_id))
            if default == item.number:
                raise InvalidState("마이페이지의 기본 무료거부 번호로 정한 080 번호는 삭제할 수 없습니다. 기본 번호를 먼저 바꿔주세요.")
        stale = [item.document] if item.document is not None else []
        db.session.delete(item)
        files.delete(stale)


def decide_number(number_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None) -> OptoutNumber:
    """An operator approves (the number may then be named in the account's ads and names
    the account when called) or rejects with a reason the customer sees."""
    def refuse_taken(item: OptoutNumber) -> None:
        with db.session.no_autoflush:          # asked before this approval is written (the unique index is the backstop)
            taken = _approved_elsewhere(item.account_id, item.number)
        if taken:
            raise Conflict(f"{josa(format_number(item.number), '은/는')} 이미 다른 계정에 승인된 080 번호입니다. "
                           "반려해주세요.", field=optout080.NUMBER_FIELD, code="optout_number_taken")

    with transaction():
        return reviews.decide(OptoutNumber, number_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="optout_number", on_approve=refuse_taken)
