"""카카오톡 채널 (03-senders.md SND-07, SND-08): a channel is proven by a code sent to the
phone of its admin (asked of the Kakao gateway), reviewed by an operator, and on approval
gets its sender key from the gateway. Its Brand Message targeting (M/N, KFT-02) is
applied for and reviewed in kakao_targeting."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.domain.numbers import is_digits, normalize_mobile
from app.errors import Conflict, InvalidState, ValidationError
from app.extensions import db
from app.gateways import get_gateway
from app.models import KakaoChannel
from app.security.tenancy import get_owned
from app.services.accounts import access
from app.services.senders import kakao_targeting
from app.services.shared import reviews, verification
from app.services.shared.uow import transaction

#: what an operator reads approving a channel with no Kakao gateway (GATEWAY_KAKAO=none)
STAFF_KAKAO_UNAVAILABLE = ("카카오 게이트웨이가 설정되지 않아(GATEWAY_KAKAO) 채널을 승인할 수 없습니다. 발신 프로필 키를 받아올 곳이 "
                           "없으니 반려하거나, 게이트웨이를 설정한 뒤 승인해주세요.")

_CHANNEL_ID = re.compile(r"^@[0-9A-Za-z가-힣_.\-]{1,50}$")


def approved_channels(account_id: int) -> list[KakaoChannel]:
    return list(db.session.scalars(select(KakaoChannel).where(
        KakaoChannel.account_id == account_id, KakaoChannel.status == "approved").order_by(KakaoChannel.id)))


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


def start_channel_verification(*, account_id: int, search_id: str, admin_phone: str, now: dt.datetime):
    access.check_kakao_allowed(account_id, field="채널 아이디")
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
        gateway = get_gateway("kakao")
        verification.check_limit(phone, now)        # before a dealer sends Kakao's token
        if not gateway.verify_channel_admin(search_id, phone):
            raise ValidationError("카카오톡 채널 관리자에 등록된 휴대전화번호와 일치해야 인증번호가 발송됩니다.",
                                  field="관리자 휴대전화번호", code="not_channel_admin")
        # a dealer's registration makes Kakao send its own token to the admin's KakaoTalk
        by_kakao = gateway.channel_token_by_kakao
        return verification.issue(purpose="channel", phone=phone, account_id=account_id, now=now,
                                  payload={"search_id": search_id, "kakao_token": by_kakao}, send=not by_kakao)


def token_by_kakao() -> bool:
    """Whether the code a channel's admin types is Kakao's token (sent to KakaoTalk), not an SMS."""
    return get_gateway("kakao").channel_token_by_kakao


def confirm_channel(*, account_id: int, verification_id, code: str, now: dt.datetime) -> KakaoChannel:
    access.check_kakao_available()
    with transaction():
        pending = verification.get(verification_id, "channel", account_id=account_id)
        payload = verification.payload_of(pending)
        search_id = payload["search_id"]
        sender_key = None
        if payload.get("kakao_token"):
            # Kakao's token goes back to the dealer, which answers with the channel's sender key
            gateway = get_gateway("kakao")

            def token_matches(token: str) -> bool:
                nonlocal sender_key
                sender_key = gateway.confirm_channel_token(search_id, token)
                return bool(sender_key)

            verification.check(pending, code, now, matches=token_matches)
        else:
            verification.check(pending, code, now)
        pending.consumed_at = now
        channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account_id,
                                                               KakaoChannel.search_id == search_id)
                                    .with_for_update())
        if channel is not None and channel.status in ("requested", "approved"):
            raise Conflict("이미 등록했거나 등록 요청 중인 채널입니다.", field="채널 아이디", code="duplicate_channel")
        channel = channel or KakaoChannel(account_id=account_id, search_id=search_id)
        channel.admin_phone = pending.phone
        channel.verified_at = now
        if sender_key:
            channel.sender_key = sender_key
        reviews.request_again(channel, now)
        db.session.add(channel)
    return channel


def get_channel(account_id: int, channel_id) -> KakaoChannel:
    return get_owned(KakaoChannel, channel_id, account_id)


def delete_channel(*, account_id: int, channel_id, now: dt.datetime) -> None:
    with transaction():
        channel = get_owned(KakaoChannel, channel_id, account_id, for_update=True)
        kakao_targeting.discard(channel)          # its targeting application and that one's files
        db.session.delete(channel)


def decide_channel(channel_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    if approve and not access.kakao_available():      # no gateway to give the sender key (issue 20)
        raise Conflict(STAFF_KAKAO_UNAVAILABLE, code="kakao_unavailable")

    def record_key(item: KakaoChannel):
        # a dealer's key is the one Kakao's token bound to this account; the sandbox makes one now
        # (or the one configured for it: a profile the reseller registered in the dealer's console)
        gateway = get_gateway("kakao")
        if gateway.channel_token_by_kakao:
            bound = item.sender_key if item.sender_key and not item.sender_key.startswith("SANDBOX-") else None
            item.sender_key = bound or gateway.configured_sender_key(item.search_id)
            if not item.sender_key:
                raise InvalidState("카카오톡으로 받은 인증번호로 관리자 인증을 마친 채널만 승인할 수 있습니다. 고객에게 채널을 "
                                   "다시 등록(관리자 인증)하도록 안내해주세요.", field="발신 프로필 키")
            return
        item.sender_key = gateway.channel_sender_key(item.search_id)

    with transaction():
        return reviews.decide(KakaoChannel, channel_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="kakao_channel", on_approve=record_key)


def approved_channel(account_id: int, ref) -> KakaoChannel:
    """A channel of the account a Kakao send may use, by id or by '@search id'; anything
    else (unknown, another account's, not approved) is one refusal naming the field."""
    channel = None
    text = str(ref or "").strip()
    if text.isdigit():
        channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account_id,
                                                               KakaoChannel.id == int(text)))
    elif text:
        channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account_id,
                                                               KakaoChannel.search_id == channel_search_id(text)))
    if not text:
        raise ValidationError("발신 채널 ID를 선택해주세요.", field="발신 채널 ID", code="required")
    if channel is None or channel.status != "approved":
        raise ValidationError("등록완료된 카카오톡 채널만 사용할 수 있습니다. 발신정보관리에서 채널을 등록해주세요.",
                              field="발신 채널 ID", code="channel_not_approved")
    return channel
