"""발신정보 (03-senders.md): sender numbers proven by phone verification or documents,
Kakao channels proven by their admin's phone, operator review, list and delete."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from app.domain import text as rules
from app.domain.files import check_document
from app.domain.numbers import MOBILE, format_number, is_digits, normalize_mobile, validate_sender_number
from app.errors import Conflict, Forbidden, InvalidState, ValidationError
from app.extensions import db
from app.gateways import get_gateway
from app.models import KakaoChannel, SenderDocument, SenderNumber
from app.security.tenancy import get_owned
from app.services.shared import files, reviews, verification
from app.services.accounts.accounts import get_account
from app.services.shared.uow import transaction

NOTE_MAX = 100
OWNER_TYPES = {"company": "당사/대표자 번호", "employee": "직원 개인 번호", "personal": "본인 번호"}
STATUS_LABELS = {"requested": "등록요청", "approved": "등록완료", "rejected": "반려됨"}
_CHANNEL_ID = re.compile(r"^@[0-9A-Za-z가-힣_.\-]{1,50}$")

def _used_by_scheduled_send(sender: SenderNumber) -> str | None:
    from app.services.sending.acceptance import scheduled_send_using
    return scheduled_send_using(sender)


#: Checks run before a sender number is deleted; each returns a Korean reason to refuse,
#: or None (SND-06: a number a scheduled send uses stays until the send is cancelled).
DELETE_GUARDS: list[Callable[[SenderNumber], str | None]] = [_used_by_scheduled_send]


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
    items = [SenderItem("number", s.id, number_label(s), s.status, s.requested_at, not s.is_signup,
                        s.reject_reason) for s in numbers]
    items += [SenderItem("channel", c.id, c.search_id, c.status, c.requested_at, True, c.reject_reason)
              for c in channels]
    # the sign-up number first, then newest first (manual's list)
    return sorted(items, key=lambda i: (i.deletable, -i.requested_at.timestamp(), -i.id))


def approved_numbers(account_id: int) -> list[SenderNumber]:
    return list(db.session.scalars(select(SenderNumber).where(
        SenderNumber.account_id == account_id, SenderNumber.status == "approved")
        .order_by(SenderNumber.is_signup.desc(), SenderNumber.id)))


def approved_channels(account_id: int) -> list[KakaoChannel]:
    return list(db.session.scalars(select(KakaoChannel).where(
        KakaoChannel.account_id == account_id, KakaoChannel.status == "approved").order_by(KakaoChannel.id)))


def _existing(account_id: int, number: str) -> SenderNumber | None:
    return db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account_id,
                                                        SenderNumber.number == number).with_for_update())


def _refuse_duplicate(existing: SenderNumber | None) -> None:
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
    old_files = []
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
        for stored in old_files:
            db.session.delete(stored)
        sender.owner_name = owner_name
        sender.owner_type = "personal"
        sender.method = "phone"
        sender.status = "approved"
        sender.reject_reason = None
        sender.requested_at = now
        sender.reviewed_at = now
        sender.reviewed_by_id = None
        db.session.add(sender)
    files.discard(old_files)
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
            raise ValidationError(f"{label}을(를) 첨부해주세요.", field=label, code="required")
        checked.append((kind, filename, data, check_document(filename, data, field=label)))
    stored, stale = [], []
    try:
        with transaction():
            existing = _existing(account_id, digits)
            _refuse_duplicate(existing)
            if existing is not None:  # a rejected request sent again: its new documents replace the old
                for old in list(existing.documents):
                    stale.append(old.file)
                    existing.documents.remove(old)
                    db.session.delete(old.file)
            sender = existing or SenderNumber(account_id=account_id, number=digits)
            sender.owner_type = owner_type
            sender.owner_name = None
            sender.method = "document"
            sender.note = note
            sender.status = "requested"
            sender.reject_reason = None
            sender.requested_at = now
            sender.reviewed_at = None
            sender.reviewed_by_id = None
            db.session.add(sender)
            db.session.flush()
            for kind, filename, data, check in checked:
                row = files.store(account_id=account_id, kind=kind, filename=filename, data=data, checked=check,
                                  now=now)
                stored.append(row)
                db.session.flush()
                sender.documents.append(SenderDocument(file_id=row.id, kind=kind, created_at=now))
    except Exception:
        files.discard(stored)
        raise
    files.discard(stale)
    return sender


def get_number(account_id: int, sender_id) -> SenderNumber:
    return get_owned(SenderNumber, sender_id, account_id)


def delete_number(*, account_id: int, sender_id, now: dt.datetime) -> None:
    with transaction():
        sender = get_owned(SenderNumber, sender_id, account_id, for_update=True)
        if sender.is_signup:
            raise InvalidState("회원가입 시 인증한 발신번호는 삭제할 수 없습니다.")
        for guard in DELETE_GUARDS:
            reason = guard(sender)
            if reason:
                raise InvalidState(reason)
        stale = [doc.file for doc in sender.documents]
        db.session.delete(sender)
        for row in stale:
            db.session.delete(row)
    files.discard(stale)


def decide_number(sender_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    with transaction():
        return reviews.decide(SenderNumber, sender_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="sender_number")


# --- Kakao channels (SND-07, SND-08) -----------------------------------------------------------------------

def channel_search_id(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError("채널 아이디를 입력해주세요.", field="채널 아이디", code="required")
    if not text.startswith("@"):
        text = "@" + text
    if not _CHANNEL_ID.match(text):
        raise ValidationError("채널 아이디는 @로 시작하는 카카오톡 채널 검색용 아이디입니다 (공백·특수문자 불가, 50자 이내).",
                              field="채널 아이디", code="invalid_channel")
    return text


def _require_corporate(account_id: int):
    account = get_account(account_id)
    if not account.is_corporate:
        raise Forbidden("카카오 비즈메시지는 기업회원만 이용 가능합니다. 마이페이지에서 기업전환을 먼저 신청해주세요.",
                        field="채널 아이디", code="corporate_only")
    return account


def start_channel_verification(*, account_id: int, search_id: str, admin_phone: str, now: dt.datetime):
    _require_corporate(account_id)
    search_id = channel_search_id(search_id)
    phone_text = (admin_phone or "").strip()
    if phone_text and not is_digits(phone_text):
        raise ValidationError("관리자 휴대전화번호는 -없이 숫자만 입력해주세요.", field="관리자 휴대전화번호",
                              code="invalid_number")
    try:
        phone = normalize_mobile(phone_text)
    except ValidationError as error:
        raise ValidationError(error.message, field="관리자 휴대전화번호", code="invalid_number") from None
    with transaction():
        existing = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account_id,
                                                                KakaoChannel.search_id == search_id))
        if existing is not None and existing.status in ("requested", "approved"):
            raise Conflict("이미 등록했거나 등록 요청 중인 채널입니다.", field="채널 아이디", code="duplicate_channel")
        if not get_gateway("kakao").verify_channel_admin(search_id, phone):
            raise ValidationError("카카오톡 채널 관리자에 등록된 휴대전화번호와 일치해야 인증번호가 발송됩니다.",
                                  field="관리자 휴대전화번호", code="not_channel_admin")
        return verification.issue(purpose="channel", phone=phone, account_id=account_id, now=now,
                                  payload={"search_id": search_id})


def confirm_channel(*, account_id: int, verification_id, code: str, now: dt.datetime) -> KakaoChannel:
    with transaction():
        pending = verification.get(verification_id, "channel", account_id=account_id)
        verification.check(pending, code, now)
        pending.consumed_at = now
        search_id = verification.payload_of(pending)["search_id"]
        channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account_id,
                                                               KakaoChannel.search_id == search_id)
                                    .with_for_update())
        if channel is not None and channel.status in ("requested", "approved"):
            raise Conflict("이미 등록했거나 등록 요청 중인 채널입니다.", field="채널 아이디", code="duplicate_channel")
        channel = channel or KakaoChannel(account_id=account_id, search_id=search_id)
        channel.admin_phone = pending.phone
        channel.verified_at = now
        channel.status = "requested"
        channel.reject_reason = None
        channel.requested_at = now
        channel.reviewed_at = None
        db.session.add(channel)
    return channel


def get_channel(account_id: int, channel_id) -> KakaoChannel:
    return get_owned(KakaoChannel, channel_id, account_id)


def delete_channel(*, account_id: int, channel_id, now: dt.datetime) -> None:
    with transaction():
        channel = get_owned(KakaoChannel, channel_id, account_id, for_update=True)
        for guard in CHANNEL_DELETE_GUARDS:
            reason = guard(channel)
            if reason:
                raise InvalidState(reason)
        db.session.delete(channel)


#: as DELETE_GUARDS, for channels (templates and scheduled Kakao sends use them).
CHANNEL_DELETE_GUARDS: list[Callable[[KakaoChannel], str | None]] = []


def decide_channel(channel_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    def record_key(item: KakaoChannel):
        item.sender_key = get_gateway("kakao").channel_sender_key(item.search_id)

    with transaction():
        return reviews.decide(KakaoChannel, channel_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="kakao_channel", on_approve=record_key)
