"""발신번호 (03-senders.md SND-01..06): sender numbers proven by phone verification or by
documents, their operator review, the 발신정보 list and deletion, staff suspending or
revoking an approved number found abused (발신번호 사전등록제) — and the one answer to
"may this account send from this number" that accepting and dispatching a send ask.

A number's states:

    requested ──review──► approved ◄──reinstate── suspended
            └───────────► rejected      │  └──suspend──►  │
                                        └──revoke──► revoked ◄──revoke──┘

Only `approved` may send. Cancelling the scheduled sends of a stopped number is the
pipeline's (app/services/ops/sender_enforcement.py composes the two)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.korean import josa
from app.domain import text as rules
from app.domain.files import check_document
from app.domain.numbers import MOBILE, digits_only, format_number, normalize_mobile, validate_sender_number
from app.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationError
from app.extensions import db
from app.models import KakaoChannel, Send, SenderDocument, SenderNumber
from app.security.tenancy import get_owned
from app.services.accounts.accounts import get_account
from app.services.shared import audit, files, reviews, verification
from app.services.shared.uow import transaction

NOTE_MAX = 100
OWNER_TYPES = {"company": "당사/대표자 번호", "employee": "직원 개인 번호", "personal": "본인 번호"}
STATUS_LABELS = {"requested": "등록요청", "approved": "등록완료", "rejected": "반려됨",
                 "suspended": "이용정지", "revoked": "등록취소"}
#: what staff may do to a number: (from, to)
STOP_TRANSITIONS = {("approved", "suspended"), ("approved", "revoked"), ("suspended", "revoked"),
                    ("suspended", "approved")}
STOPPED = ("suspended", "revoked")
STOP_REASON_MAX = 500


# --- the 발신정보 list (SND-06) ---------------------------------------------------------------------

@dataclass(frozen=True)
class SenderItem:
    kind: str            # number | channel
    id: int
    label: str           # 010-2113-3451(우정민) or @channel
    status: str
    requested_at: dt.datetime
    deletable: bool
    reject_reason: str | None
    stop_reason: str | None = None

    @property
    def kind_label(self) -> str:
        return "문자메시지" if self.kind == "number" else "카카오 비즈니스"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def number_label(sender: SenderNumber) -> str:
    shown = format_number(sender.number)
    return f"{shown}({sender.owner_name})" if sender.is_signup and sender.owner_name else shown


def list_items(account_id: int) -> list[SenderItem]:
    numbers = db.session.scalars(select(SenderNumber).where(SenderNumber.account_id == account_id))
    channels = db.session.scalars(select(KakaoChannel).where(KakaoChannel.account_id == account_id))
    items = [SenderItem("number", s.id, number_label(s), s.status, s.requested_at,
                        not s.is_signup and s.status not in STOPPED, s.reject_reason, s.stop_reason)
             for s in numbers]
    items += [SenderItem("channel", c.id, c.search_id, c.status, c.requested_at, True, c.reject_reason)
              for c in channels]
    # the sign-up number first, then newest first (manual's list)
    return sorted(items, key=lambda i: (i.deletable, -i.requested_at.timestamp(), -i.id))


def approved_numbers(account_id: int) -> list[SenderNumber]:
    return list(db.session.scalars(select(SenderNumber).where(
        SenderNumber.account_id == account_id, SenderNumber.status == "approved")
        .order_by(SenderNumber.is_signup.desc(), SenderNumber.id)))


def is_approved(account_id: int, number: str) -> bool:
    """Whether the account may send from this number now (asked before every batch too)."""
    return db.session.scalar(select(SenderNumber.id).where(SenderNumber.account_id == account_id,
                                                           SenderNumber.number == number,
                                                           SenderNumber.status == "approved")) is not None


def approved_number(account_id: int, sender: str) -> str:
    """The digits of a sender number the account may send from, or a refusal naming the field.
    The row is read with a shared lock (PostgreSQL: FOR SHARE), so that staff stopping the
    number waits for a send being accepted from it and then finds that send to cancel."""
    digits = digits_only(sender or "")
    if not digits:
        raise ValidationError("발신번호를 선택해주세요.", field="발신번호", code="required")
    status, reason = db.session.execute(
        select(SenderNumber.status, SenderNumber.stop_reason).where(
            SenderNumber.account_id == account_id, SenderNumber.number == digits)
        .with_for_update(read=True)).one_or_none() or (None, None)
    if status in STOPPED:
        raise ValidationError(f"{STATUS_LABELS[status]}된 발신번호 {josa(format_number(digits), '으로/로')}는 보낼 수"
                              f" 없습니다 (사유: {reason}). 다른 발신번호를 선택해주세요.",
                              field="발신번호", code=f"sender_{status}")
    if status != "approved":
        raise ValidationError("등록완료된 발신번호만 사용할 수 있습니다. 발신정보관리에서 발신번호를 등록해주세요.",
                              field="발신번호", code="sender_not_approved")
    return digits


def _existing(account_id: int, number: str) -> SenderNumber | None:
    return db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account_id,
                                                        SenderNumber.number == number).with_for_update())


def _refuse_duplicate(existing: SenderNumber | None) -> None:
    if existing is not None and existing.status in STOPPED:
        raise Conflict(f"{STATUS_LABELS[existing.status]}된 발신번호라 다시 등록할 수 없습니다 (사유: "
                       f"{existing.stop_reason}). 고객센터에 문의해주세요.", field="발신번호",
                       code=f"sender_{existing.status}")
    if existing is not None and existing.status in ("requested", "approved"):
        state = "등록된" if existing.status == "approved" else "등록 요청 중인"
        raise Conflict(f"이미 {state} 발신번호입니다.", field="발신번호", code="duplicate_sender")


# --- phone self-verification (SND-02, individual accounts) --------------------------------------------

def start_phone_verification(*, account_id: int, number: str, now: dt.datetime):
    digits, kind = validate_sender_number(number)
    if kind is not MOBILE:
        raise ValidationError("휴대폰 본인 확인은 휴대폰 번호만 가능합니다. 유선·대표번호는 서류심사로 등록해주세요.",
                              field="발신번호", code="not_mobile")
    digits = normalize_mobile(digits)
    with transaction():
        account = get_account(account_id)
        if account.is_corporate:
            raise Forbidden("기업회원은 통신서비스 이용증명원으로 발신번호를 등록합니다.", field="인증 방법")
        _refuse_duplicate(_existing(account_id, digits))
        return verification.issue(purpose="sender", phone=digits, account_id=account_id, now=now)


def confirm_phone_verification(*, account_id: int, verification_id, code: str, now: dt.datetime,
                               owner_name: str | None = None) -> SenderNumber:
    with transaction():
        pending = verification.get(verification_id, "sender", account_id=account_id)
        verification.check(pending, code, now)
        pending.consumed_at = now
        existing = _existing(account_id, pending.phone)
        _refuse_duplicate(existing)
        sender = existing or SenderNumber(account_id=account_id, number=pending.phone)
        # a rejected document request proven by phone instead: its documents go (SND-04)
        old_files = [document.file for document in sender.documents]
        sender.documents.clear()
        files.delete(old_files)
        sender.owner_name = owner_name
        sender.owner_type = "personal"
        sender.method = "phone"
        sender.status = "approved"
        sender.reject_reason = None
        sender.requested_at = now
        sender.reviewed_at = now
        sender.reviewed_by_id = None
        db.session.add(sender)
    return sender


# --- document review (SND-02, SND-03, SND-04) ----------------------------------------------------------

def request_by_documents(*, account_id: int, number: str, owner_type: str | None,
                         telecom: tuple[str, bytes], employment: tuple[str, bytes] | None,
                         note: str | None, now: dt.datetime) -> SenderNumber:
    """A new request, or the re-submission of a rejected one (same number)."""
    digits, _kind = validate_sender_number(number)
    note = rules.optional(note, "요청사항", max_length=NOTE_MAX)
    account = get_account(account_id)
    if account.is_corporate:
        if owner_type not in ("company", "employee"):
            raise ValidationError("소유자를 선택해주세요 (당사/대표자 번호 또는 직원 개인 번호).", field="소유자",
                                  code="required")
    else:
        owner_type = "personal"
    documents = [("telecom_certificate", "통신서비스 이용증명원", telecom)]
    if owner_type == "employee":
        documents.append(("employment_certificate", "재직증명서", employment or ("", b"")))
    checked = []
    for kind, label, (filename, data) in documents:
        if not filename and not data:
            raise ValidationError(f"{josa(label, '을/를')} 첨부해주세요.", field=label, code="required")
        checked.append((kind, filename, data, check_document(filename, data, field=label)))
    with transaction():
        existing = _existing(account_id, digits)
        _refuse_duplicate(existing)
        if existing is not None:  # a rejected request sent again: its new documents replace the old
            stale = [old.file for old in existing.documents]
            existing.documents.clear()
            files.delete(stale)
        sender = existing or SenderNumber(account_id=account_id, number=digits)
        sender.owner_type = owner_type
        sender.owner_name = None
        sender.method = "document"
        sender.note = note
        reviews.request_again(sender, now)
        db.session.add(sender)
        db.session.flush()
        for kind, filename, data, check in checked:
            row = files.store(account_id=account_id, kind=kind, filename=filename, data=data, checked=check,
                              now=now)
            db.session.flush()
            sender.documents.append(SenderDocument(file_id=row.id, kind=kind, created_at=now))
    return sender


def get_number(account_id: int, sender_id) -> SenderNumber:
    return get_owned(SenderNumber, sender_id, account_id)


def delete_number(*, account_id: int, sender_id, now: dt.datetime) -> None:
    with transaction():
        sender = get_owned(SenderNumber, sender_id, account_id, for_update=True)
        if sender.is_signup:
            raise InvalidState("회원가입 시 인증한 발신번호는 삭제할 수 없습니다.")
        if sender.status in STOPPED:    # else it could be registered again at once, by phone
            raise InvalidState(f"{STATUS_LABELS[sender.status]}된 발신번호는 삭제할 수 없습니다.",
                               code=f"sender_{sender.status}")
        if scheduled_sends(sender):
            raise InvalidState("예약 발송에 사용 중인 발신번호는 삭제할 수 없습니다. 예약 발송을 먼저 취소해주세요.")
        stale = [doc.file for doc in sender.documents]
        db.session.delete(sender)
        files.delete(stale)


def scheduled_sends(sender: SenderNumber, *, lock: bool = False) -> list[int]:
    """The scheduled sends from this number, oldest first. SND-06: a number they use stays
    until they are cancelled; a number staff stop has them cancelled (`lock`: their rows
    are locked, so that the tick cannot start one meanwhile)."""
    stmt = select(Send.id).where(Send.account_id == sender.account_id, Send.sender_number == sender.number,
                                 Send.status == "scheduled").order_by(Send.id)
    return list(db.session.scalars(stmt.with_for_update() if lock else stmt))


def decide_number(sender_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    with transaction():
        return reviews.decide(SenderNumber, sender_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="sender_number")


# --- staff stop a number found abused (발신번호 사전등록제) -------------------------------------------------

def _locked(sender_id) -> SenderNumber:
    try:
        pk = int(sender_id)
    except (TypeError, ValueError):
        raise NotFound("발신번호를 찾을 수 없습니다.") from None
    sender = db.session.scalar(select(SenderNumber).where(SenderNumber.id == pk).with_for_update())
    if sender is None:
        raise NotFound("발신번호를 찾을 수 없습니다.")
    return sender


def _move(sender: SenderNumber, target: str, *, actor, reason: str | None, now: dt.datetime, action: str,
          refusal: str) -> SenderNumber:
    if (sender.status, target) not in STOP_TRANSITIONS:
        raise InvalidState(refusal, code="invalid_sender_state")
    before = {"status": sender.status}
    sender.status = target
    if target == "approved":
        sender.stopped_at = sender.stop_reason = sender.stopped_by_id = None
    else:
        sender.stopped_at = now
        sender.stop_reason = reason
        sender.stopped_by_id = getattr(actor, "id", None)
    audit.record(actor=actor, action=action, object_type="sender_number", object_id=sender.id,
                 account_id=sender.account_id, before=before,
                 after={"status": sender.status, "number": sender.number}, reason=reason, now=now)
    return sender


def stop_number(sender_id, *, revoke: bool, actor, reason: str | None, now: dt.datetime) -> SenderNumber:
    """Suspend (reinstatable) or revoke (final) an approved number, with a required reason
    the customer sees; audited. Runs in the caller's transaction (the row stays locked
    until it ends); the caller cancels `scheduled_sends(sender, lock=True)`."""
    reason = rules.required(reason, "사유", max_length=STOP_REASON_MAX)
    sender = _locked(sender_id)
    if revoke:
        refusal = ("이미 등록취소된 발신번호입니다." if sender.status == "revoked"
                   else "등록완료 또는 이용정지 상태의 발신번호만 등록취소할 수 있습니다.")
        return _move(sender, "revoked", actor=actor, reason=reason, now=now, action="revoke_sender_number",
                     refusal=refusal)
    refusal = {"suspended": "이미 이용정지된 발신번호입니다.",
               "revoked": "등록취소된 발신번호는 이용정지할 수 없습니다."}.get(
        sender.status, "등록완료된 발신번호만 이용정지할 수 있습니다.")
    return _move(sender, "suspended", actor=actor, reason=reason, now=now, action="suspend_sender_number",
                 refusal=refusal)


def reinstate_number(sender_id, *, actor, reason: str | None, now: dt.datetime) -> SenderNumber:
    """A suspended number may send again; a revoked one never does. Audited (the reason
    is optional)."""
    reason = rules.optional(reason, "사유", max_length=STOP_REASON_MAX)
    with transaction():
        sender = _locked(sender_id)
        refusal = ("등록취소된 발신번호는 되돌릴 수 없습니다."
                   if sender.status == "revoked" else "이용정지된 발신번호만 정지를 해제할 수 있습니다.")
        return _move(sender, "approved", actor=actor, reason=reason, now=now, action="reinstate_sender_number",
                     refusal=refusal)
