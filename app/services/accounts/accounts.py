"""Accounts: members and invitations (ACC-04), corporate conversion (ACC-05), API-use
application (ACC-06), sending limits and suspension (ACC-10), passwords (ACC-11).
Company data changes of a corporate account (ACC-12) are `company_changes`."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Mapping

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.domain import business
from app.domain import consents as terms
from app.domain import text as rules
from app.domain.numbers import digits_only, is_digits
from app.errors import Forbidden, InvalidState, NotFound, ValidationError
from app.extensions import db
from app.models import Account, AccountMember, ApiUseApplication, CorporateConversion, Invitation
from app.security.roles import CUSTOMER
from app.security.tenancy import get_owned
from app.services.accounts import login_sessions as sessions
from app.services.accounts import consents, optout_codes, users
from app.services.accounts.signup import _check_new_password
from app.services.shared import audit, files, mail, reviews
from app.services.shared.uow import transaction

INVITATION_TTL = dt.timedelta(days=7)
KIND_LABELS = {"individual": "개인회원", "corporate": "기업회원"}
API_STATUS_LABELS = {"none": "미신청", "requested": "신청 검토중", "approved": "사용 승인", "rejected": "반려됨"}


def get_account(account_id: int, *, for_update: bool = False) -> Account:
    stmt = select(Account).where(Account.id == account_id)
    if for_update:
        stmt = stmt.with_for_update()
    account = db.session.scalar(stmt)
    if account is None:
        raise NotFound("계정을 찾을 수 없습니다.")
    return account


def membership(user_id: int) -> AccountMember | None:
    return db.session.scalar(select(AccountMember).where(AccountMember.user_id == user_id))


def members(account_id: int) -> list[AccountMember]:
    return list(db.session.scalars(select(AccountMember).where(AccountMember.account_id == account_id)
                                   .order_by(AccountMember.id)))


# --- invitations (ACC-04) -------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(*, account_id: int, inviter, email: str, now: dt.datetime) -> Invitation:
    email = rules.email(email)
    with transaction():
        account = get_account(account_id)
        owner = membership(inviter.id)
        if not account.is_corporate:
            raise Forbidden("사용자 초대는 기업회원만 이용할 수 있습니다. 먼저 기업전환을 신청해주세요.")
        if owner is None or owner.account_id != account_id or not owner.is_owner:
            raise Forbidden("계정 소유자만 사용자를 초대할 수 있습니다.")
        if users.email_taken(email):
            raise ValidationError("이미 가입된 이메일입니다.", field="이메일", code="email_taken")
        token = secrets.token_urlsafe(32)
        invitation = Invitation(account_id=account_id, email=email, token_hash=_token_hash(token),
                                invited_by_id=inviter.id, created_at=now,
                                expires_at=now + INVITATION_TTL)
        db.session.add(invitation)
        db.session.flush()
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/invite/{token}"
    mail.send(to=email, subject=f"[megabird] {account.display_name} 계정에 초대되었습니다",
              body=(f"{account.display_name} 계정의 사용자로 초대되었습니다.\n"
                    f"아래 링크에서 7일 이내에 가입을 완료해주세요.\n\n{link}\n"))
    return invitation


def find_invitation(token: str, now: dt.datetime) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == _token_hash(token or "")))
    if (invitation is None or invitation.accepted_at or invitation.cancelled_at
            or invitation.expires_at < now):
        raise NotFound("유효하지 않거나 만료된 초대입니다. 초대한 분께 다시 요청해주세요.")
    return invitation


def accept_invitation(*, token: str, name: str, password: str, password_confirm: str,
                      agreed: Mapping[str, bool], now: dt.datetime):
    """The invitee's login, with the consents every new login gives (ACC-01)."""
    name = rules.required(name, "이름", max_length=50)
    with transaction():
        invitation = find_invitation(token, now)
        _check_new_password(password, password_confirm, context=(invitation.email, name))
        choices = terms.check(agreed)
        if users.email_taken(invitation.email):
            raise ValidationError("이미 가입된 이메일입니다.", field="이메일", code="email_taken")
        user = users.create_user(username=invitation.email, email=invitation.email, name=name,
                                 password_hash=users.hash_password(password), role_name=CUSTOMER)
        consents.record(user_id=user.id, choices=choices, at=now, source="invitation")
        db.session.add(AccountMember(account_id=invitation.account_id, user_id=user.id,
                                     is_owner=False, created_at=now))
        invitation.accepted_at = now
    return user


def cancel_invitation(*, account_id: int, invitation_id, now: dt.datetime) -> None:
    with transaction():
        invitation = get_owned(Invitation, invitation_id, account_id)
        if invitation.accepted_at is None:
            invitation.cancelled_at = now


def pending_invitations(account_id: int, now: dt.datetime) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.account_id == account_id, Invitation.accepted_at.is_(None),
        Invitation.cancelled_at.is_(None), Invitation.expires_at > now).order_by(Invitation.id)))


# --- password (ACC-11) ------------------------------------------------------------------

def change_password(*, user, current: str, new: str, confirm: str, keep_session: str | None = None) -> None:
    """The person's own password (마이페이지); every other session of the login ends
    (issue 13), `keep_session` (the one that asked) stays."""
    if not check_password_hash(user.password or "", current or ""):
        raise ValidationError("현재 비밀번호가 올바르지 않습니다.", field="현재 비밀번호",
                              code="wrong_password")
    _check_new_password(new, confirm, context=(user.email, user.first_name))
    with transaction():
        user.password = users.hash_password(new)
        sessions.end_all(user.id, keep=keep_session)


# --- corporate conversion (ACC-05) ---------------------------------------------------------

def pending_conversion(account_id: int) -> CorporateConversion | None:
    return db.session.scalar(select(CorporateConversion).where(
        CorporateConversion.account_id == account_id).order_by(CorporateConversion.id.desc()))


def apply_conversion(*, account_id: int, form: dict, certificate: tuple[str, bytes],
                     now: dt.datetime) -> CorporateConversion:
    """`form` holds the business data and the tax-invoice contact; `certificate` is
    (filename, bytes) of the business registration certificate."""
    fields = {
        **business.check_registration(form),
        "tax_contact_name": rules.required(form.get("tax_contact_name"), "담당자 이름", max_length=50),
        "tax_contact_email": rules.email(form.get("tax_contact_email"), "담당자 이메일"),
        "tax_contact_phone": _contact_phone(form.get("tax_contact_phone")),
    }
    filename, data = certificate
    checked = business.check_certificate(filename, data)
    with transaction():
        account = get_account(account_id, for_update=True)
        if account.is_corporate:
            raise InvalidState("이미 기업회원으로 전환된 계정입니다. 기업전환은 개인회원만 신청할 수 있습니다.")
        waiting = pending_conversion(account_id)
        if waiting is not None and waiting.status == "requested":
            raise InvalidState("이미 기업전환을 신청하셨습니다. 검토가 끝날 때까지 기다려주세요.")
        row = files.store(account_id=account_id, kind="business_certificate", filename=filename,
                          data=data, checked=checked, now=now)
        db.session.flush()
        conversion = CorporateConversion(account_id=account_id, certificate_file_id=row.id,
                                         status="requested", requested_at=now, **fields)
        db.session.add(conversion)
    return conversion


def _contact_phone(value) -> str:
    digits = digits_only(value or "")
    if not digits:
        raise ValidationError("담당자 연락처를 입력해주세요.", field="담당자 연락처", code="required")
    if not is_digits(digits) or not 8 <= len(digits) <= 11:
        raise ValidationError("담당자 연락처는 8~11자리 전화번호로 입력해주세요.", field="담당자 연락처",
                              code="invalid_number")
    return digits


def _conversion_snapshot(item: CorporateConversion) -> dict:
    return {"status": item.status, "kind": item.account.kind}


def decide_conversion(conversion_id, *, approve: bool, actor, now: dt.datetime,
                      reason: str | None = None) -> CorporateConversion:
    def on_approve(item: CorporateConversion):
        account = get_account(item.account_id, for_update=True)
        account.kind = "corporate"
        for name in (*business.REGISTRATION_NAMES, "tax_contact_name", "tax_contact_email", "tax_contact_phone"):
            setattr(account, name, getattr(item, name))
        account.display_name = item.company_name

    with transaction():
        return reviews.decide(CorporateConversion, conversion_id, approve=approve, actor=actor,
                              now=now, reason=reason, object_type="corporate_conversion",
                              on_approve=on_approve, snapshot=_conversion_snapshot)


# --- API use (ACC-06) -----------------------------------------------------------------------

def latest_api_application(account_id: int) -> ApiUseApplication | None:
    return db.session.scalar(select(ApiUseApplication).where(
        ApiUseApplication.account_id == account_id).order_by(ApiUseApplication.id.desc()))


def apply_api_use(*, account_id: int, purpose: str, server_ips: str | None,
                  now: dt.datetime) -> ApiUseApplication:
    purpose = rules.required(purpose, "사용 목적", max_length=1000)
    server_ips = rules.optional(server_ips, "서버 IP", max_length=500)
    with transaction():
        account = get_account(account_id, for_update=True)
        if not account.is_corporate:
            raise Forbidden("API 사용 신청은 기업회원만 가능합니다. 먼저 기업전환을 신청해주세요.")
        if account.api_status in ("requested", "approved"):
            raise InvalidState("이미 API 사용을 신청했거나 승인되었습니다.")
        application = ApiUseApplication(account_id=account_id, purpose=purpose, server_ips=server_ips,
                                        status="requested", requested_at=now)
        db.session.add(application)
        account.api_status = "requested"
    return application


def decide_api_use(application_id, *, approve: bool, actor, now: dt.datetime,
                   reason: str | None = None) -> ApiUseApplication:
    def apply(item: ApiUseApplication):
        get_account(item.account_id, for_update=True).api_status = item.status

    with transaction():
        return reviews.decide(ApiUseApplication, application_id, approve=approve, actor=actor,
                              now=now, reason=reason, object_type="api_use_application",
                              on_approve=apply, on_reject=apply)


# --- limits and suspension (ACC-10) ----------------------------------------------------------

def set_daily_cap(*, account_id, cap, actor, reason: str | None, now: dt.datetime) -> Account:
    cap = rules.positive_int(cap, "일일 발송 한도", minimum=0, maximum=10_000_000)
    reason = rules.optional(reason, "사유", max_length=500)
    with transaction():
        account = get_account(int(account_id), for_update=True)
        before = account.daily_cap
        account.daily_cap = cap
        audit.record(actor=actor, action="set_daily_cap", object_type="account", object_id=account.id,
                     account_id=account.id, before={"daily_cap": before}, after={"daily_cap": cap},
                     reason=reason, now=now)
    return account


def suspend(*, account_id, actor, reason: str, now: dt.datetime) -> Account:
    reason = rules.required(reason, "정지 사유", max_length=500)
    with transaction():
        account = get_account(int(account_id), for_update=True)
        if account.is_suspended:
            raise InvalidState("이미 이용 정지된 계정입니다.")
        account.suspended_at = now
        account.suspended_reason = reason
        audit.record(actor=actor, action="suspend", object_type="account", object_id=account.id,
                     account_id=account.id, before={"suspended": False}, after={"suspended": True},
                     reason=reason, now=now)
    return account


def unsuspend(*, account_id, actor, reason: str | None, now: dt.datetime) -> Account:
    reason = rules.optional(reason, "사유", max_length=500)
    with transaction():
        account = get_account(int(account_id), for_update=True)
        if not account.is_suspended:
            raise InvalidState("이용 정지 상태가 아닙니다.")
        account.suspended_at = None
        account.suspended_reason = None
        audit.record(actor=actor, action="unsuspend", object_type="account", object_id=account.id,
                     account_id=account.id, before={"suspended": True}, after={"suspended": False},
                     reason=reason, now=now)
    return account


# --- sending preferences (SMS-06 default 080 number, SMS-15) ------------------------------------------

def update_sending_settings(*, account_id: int, duplicate_protection: bool, optout_number: str | None) -> Account:
    """The default 080 number is blank (the shared one, with the account's code) or an
    approved own 080 number (SND-09)."""
    number = optout_codes.choices(account_id).check_default(optout_number)
    with transaction():
        account = get_account(account_id, for_update=True)
        account.duplicate_protection = bool(duplicate_protection)
        account.optout_number = number or None
    return account
