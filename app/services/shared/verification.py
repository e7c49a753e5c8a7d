"""Phone verification by a 6-digit code sent by SMS (ACC-01, SND-02).

A code is valid 3 minutes and allows 5 tries; a number receives at most 5 codes an
hour. The code is stored only as an HMAC."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets

from flask import current_app
from sqlalchemy import func, select, update

from app.domain.numbers import is_digits
from app.errors import MegabirdError, TooManyRequests, ValidationError
from app.extensions import db
from app.models import PhoneVerification
from app.services.shared import system_messages, uow

CODE_TTL = dt.timedelta(minutes=3)
MAX_TRIES = 5
MAX_CODES_PER_HOUR = 5
# Against SMS pumping (issue 13): sign-up codes asked from one address an hour, whatever the
# numbers, and service-wide (SIGNUP_CODES_PER_HOUR in configuration). A person signing up
# asks one to three.
MAX_SIGNUP_CODES_PER_IP_HOUR = 10


def _hash(verification_phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{verification_phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_pumping(client_ip: str | None, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    if client_ip:
        from_here = db.session.scalar(select(func.count(PhoneVerification.id)).where(
            PhoneVerification.client_ip == client_ip, PhoneVerification.purpose == "signup",
            PhoneVerification.created_at > hour_ago))
        if from_here >= MAX_SIGNUP_CODES_PER_IP_HOUR:
            raise TooManyRequests("이 네트워크에서 인증번호를 너무 많이 요청했습니다. 1시간 후에 다시 시도해주세요.",
                                  field="휴대폰번호", code="too_many_codes_from_address", retry_after=3600)
    limit = int(current_app.config.get("SIGNUP_CODES_PER_HOUR", 500))
    everywhere = db.session.scalar(select(func.count(PhoneVerification.id)).where(
        PhoneVerification.purpose == "signup", PhoneVerification.created_at > hour_ago))
    if everywhere >= limit:
        raise TooManyRequests("지금은 가입 인증 요청이 많아 인증번호를 보낼 수 없습니다. 잠시 후 다시 시도해주세요.",
                              field="휴대폰번호", code="signup_codes_busy", retry_after=600)


def issue(*, purpose: str, phone: str, now: dt.datetime, account_id: int | None = None,
          payload: dict | None = None, client_ip: str | None = None, send: bool = True) -> PhoneVerification:
    """Create a code and queue its SMS in the caller's transaction. A sign-up's code is
    also limited per asking address and service-wide (SMS pumping). `send=False`: the code
    comes from elsewhere (Kakao's token to a channel's admin) and is checked by `check`'s
    `matches`; the row still counts the tries and the 3 minutes."""
    if purpose == "signup":
        _check_pumping(client_ip, now)
    check_limit(phone, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    verification = PhoneVerification(
        purpose=purpose, phone=phone, code_hash=_hash(phone, code), account_id=account_id,
        payload=json.dumps(payload, ensure_ascii=False) if payload is not None else None,
        attempts=0, created_at=now, expires_at=now + CODE_TTL, client_ip=(client_ip or None) and client_ip[:64])
    db.session.add(verification)
    if not send:
        return verification
    system_messages.queue_message(
        purpose=f"verify_{purpose}", recipient=phone, now=now,
        text=f"[megabird] 인증번호 [{code}]를 입력해주세요. (3분 이내)")
    return verification


def check_limit(phone: str, now: dt.datetime) -> None:
    """At most MAX_CODES_PER_HOUR codes an hour to one number (asked before anything sends
    one: megabird's SMS, or a dealer's token to a channel's admin)."""
    sent_last_hour = db.session.scalar(
        select(func.count(PhoneVerification.id)).where(
            PhoneVerification.phone == phone,
            PhoneVerification.created_at > now - dt.timedelta(hours=1)))
    if sent_last_hour >= MAX_CODES_PER_HOUR:
        raise TooManyRequests("인증번호는 한 번호로 1시간에 5회까지 받을 수 있습니다. 잠시 후 다시 시도해주세요.",
                              field="휴대폰번호", retry_after=600)


def check(verification: PhoneVerification, code: str, now: dt.datetime, *, matches=None) -> None:
    """Mark the verification as verified, or raise; runs in the caller's transaction. A
    wrong code counts as a try, recorded after the refused use case has rolled back.
    `matches(code) -> bool` checks a code megabird did not make (Kakao's token)."""
    code = (code or "").strip()
    if verification.consumed_at is not None or verification.verified_at is not None:
        raise ValidationError("이미 사용된 인증번호입니다. 인증번호를 다시 받아주세요.", field="인증번호",
                              code="code_used")
    if now > verification.expires_at:
        raise ValidationError("인증번호 유효시간(3분)이 지났습니다. 인증번호를 다시 받아주세요.",
                              field="인증번호", code="code_expired")
    if verification.attempts >= MAX_TRIES:
        raise ValidationError("인증번호 입력 횟수(5회)를 초과했습니다. 인증번호를 다시 받아주세요.",
                              field="인증번호", code="too_many_tries")
    if not (len(code) == 6 and is_digits(code)):
        raise ValidationError("인증번호 6자리 숫자를 입력해주세요.", field="인증번호", code="invalid_code")
    right = matches(code) if matches else hmac.compare_digest(verification.code_hash, _hash(verification.phone, code))
    if not right:
        left = MAX_TRIES - verification.attempts - 1
        uow.after_rollback(functools.partial(_count_wrong_try, verification.id))
        message = (f"인증번호가 일치하지 않습니다. (남은 입력 횟수 {left}회)" if left > 0 else
                   "인증번호 입력 횟수(5회)를 초과했습니다. 인증번호를 다시 받아주세요.")
        raise ValidationError(message, field="인증번호", code="wrong_code")
    verification.verified_at = now


def _count_wrong_try(verification_id: int) -> None:
    with uow.transaction():
        db.session.execute(update(PhoneVerification).where(PhoneVerification.id == verification_id)
                           .values(attempts=PhoneVerification.attempts + 1))


def payload_of(verification: PhoneVerification) -> dict:
    return json.loads(verification.payload) if verification.payload else {}


def get(verification_id, purpose: str, account_id: int | None = None) -> PhoneVerification:
    try:
        verification_id = int(verification_id)
    except (TypeError, ValueError):
        raise MegabirdError("인증 요청을 찾을 수 없습니다. 처음부터 다시 진행해주세요.", field="인증번호") from None
    row = db.session.get(PhoneVerification, verification_id)
    if row is None or row.purpose != purpose or row.account_id != account_id:
        raise MegabirdError("인증 요청을 찾을 수 없습니다. 처음부터 다시 진행해주세요.", field="인증번호")
    return row
