"""Sign-up with phone verification and the consents it records (ACC-01), and invited
logins (ACC-04)."""
from __future__ import annotations

import datetime as dt
from typing import Mapping

from flask import current_app
from sqlalchemy import select

from app.domain import consents as terms
from app.domain import text as rules
from app.domain.numbers import normalize_mobile
from app.domain.passwords import check_password
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, AccountMember, PhoneVerification, PricePlan, SenderNumber
from app.security.roles import CUSTOMER
from app.services.accounts import consents, optout_codes, users
from app.services.shared import verification
from app.services.shared.uow import transaction


def default_price_plan() -> PricePlan:
    plan = db.session.scalar(select(PricePlan).where(PricePlan.is_default.is_(True)))
    if plan is None:
        plan = PricePlan(name="기본 요금제", is_default=True)
        db.session.add(plan)
        db.session.flush()
    return plan


def _check_new_password(password: str, confirm: str, *, context: tuple[str, ...]) -> None:
    check_password(password, context=context)
    if password != confirm:
        raise ValidationError("비밀번호 확인이 일치하지 않습니다.", field="비밀번호 확인",
                              code="password_mismatch")


def start(*, name: str, email: str, password: str, password_confirm: str, phone: str,
          agreed: Mapping[str, bool], now: dt.datetime, client_ip: str | None = None) -> PhoneVerification:
    """Validate the form (the required consents among it) and send a code to the mobile
    number. The consents and their time wait with the code and are recorded with the login."""
    name = rules.required(name, "이름", max_length=50)
    email = rules.email(email)
    _check_new_password(password, password_confirm, context=(email, name))
    phone = normalize_mobile(phone)
    choices = terms.check(agreed)
    with transaction():
        return verification.issue(purpose="signup", phone=phone, now=now, client_ip=client_ip, payload={
            "name": name, "email": email, "password_hash": users.hash_password(password),
            "consents": choices, "consented_at": now.isoformat()})


def resend(verification_id, now: dt.datetime, client_ip: str | None = None) -> PhoneVerification:
    """A new code for the same pending sign-up."""
    previous = verification.get(verification_id, "signup")
    with transaction():
        return verification.issue(purpose="signup", phone=previous.phone, now=now, client_ip=client_ip,
                                  payload=verification.payload_of(previous))


def create_account(*, name: str, kind: str = "individual", now: dt.datetime) -> Account:
    account = Account(kind=kind, display_name=name, price_plan=default_price_plan(),
                      daily_cap=current_app.config["DEFAULT_DAILY_CAP"], created_at=now,
                      optout_code=optout_codes.new_code())           # 무료거부 080 인증코드 (SND-09)
    db.session.add(account)
    db.session.flush()
    return account


def complete(*, verification_id, code: str, now: dt.datetime):
    """Check the code; create the login, the account and its first sender number."""
    with transaction():
        pending = verification.get(verification_id, "signup")
        verification.check(pending, code, now)
        data = verification.payload_of(pending)
        if users.email_taken(data["email"]):
            raise ValidationError("이미 가입된 이메일입니다. 로그인하거나 관리자에게 문의해주세요.",
                                  field="이메일", code="email_taken")
        user = users.create_user(username=data["email"], email=data["email"], name=data["name"],
                                 password_hash=data["password_hash"], role_name=CUSTOMER)
        account = create_account(name=data["name"], now=now)
        db.session.add(AccountMember(account_id=account.id, user_id=user.id, is_owner=True,
                                     created_at=now))
        db.session.add(SenderNumber(account_id=account.id, number=pending.phone,
                                    owner_name=data["name"], owner_type="personal", method="signup",
                                    is_signup=True, status="approved", requested_at=now,
                                    reviewed_at=now))
        consents.record(user_id=user.id, choices=terms.check(data.get("consents") or {}),
                        at=dt.datetime.fromisoformat(data["consented_at"]), source="signup")
        pending.consumed_at = now
    return user
