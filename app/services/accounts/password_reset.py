"""비밀번호 찾기 (issue 13): a one-time link to the login's e-mail address.

The answer to a request is the same whether or not the login exists (ACC-11); requests are
limited per login (3 an hour) and per asking address (10 an hour). A link is valid 30
minutes and once; using it sets the new password (the same rules as sign-up) and ends every
session of the login. Only the token's hash is stored; the e-mail goes out after the commit
(shared/notices' outbox)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.domain import text as rules
from app.errors import TooManyRequests, ValidationError
from app.extensions import db
from app.models import PasswordReset, User
from app.services.accounts import login_sessions, users
from app.services.accounts.signup import _check_new_password
from app.services.shared import notices
from app.services.shared.uow import transaction

VALID_FOR = dt.timedelta(minutes=30)
PER_LOGIN_HOUR = 3
PER_ADDRESS_HOUR = 10
SENT = "입력하신 아이디(이메일)로 가입된 계정이 있으면 비밀번호 재설정 링크를 보냈습니다. 메일함을 확인해주세요 (30분 동안 유효)."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request(login: str, *, now: dt.datetime, client_ip: str | None = None) -> str:
    """Send a reset link if the login exists; the same answer (`SENT`) either way."""
    typed = rules.required(login, "아이디(이메일)", max_length=320).strip()
    hour_ago = now - dt.timedelta(hours=1)
    with transaction():
        if client_ip and db.session.scalar(select(func.count(PasswordReset.id)).where(
                PasswordReset.client_ip == client_ip, PasswordReset.created_at > hour_ago)) >= PER_ADDRESS_HOUR:
            raise TooManyRequests("비밀번호 찾기 요청이 너무 많습니다. 1시간 후에 다시 시도해주세요.",
                                  field="아이디(이메일)", retry_after=3600)
        user = db.session.scalar(select(User).where(or_(User.username == typed, func.lower(User.email) == typed.lower())))
        if user is None or not user.active or not user.email:
            return SENT
        if db.session.scalar(select(func.count(PasswordReset.id)).where(
                PasswordReset.user_id == user.id, PasswordReset.created_at > hour_ago)) >= PER_LOGIN_HOUR:
            return SENT                     # quietly: the same answer as ever
        token = secrets.token_urlsafe(32)
        db.session.add(PasswordReset(token_hash=_hash(token), user_id=user.id, client_ip=(client_ip or "")[:64] or None,
                                     created_at=now, expires_at=now + VALID_FOR))
        link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/password/reset/{token}"
        notices.queue_mail(recipient=user.email, subject="[megabird] 비밀번호 재설정 안내", now=now, body=(
            f"{user.first_name or user.username}님, 비밀번호 재설정을 요청하셨습니다.\n\n"
            f"아래 링크에서 새 비밀번호를 정해주세요 (30분 동안 한 번만 쓸 수 있습니다).\n{link}\n\n"
            "요청하지 않으셨다면 이 메일을 무시하셔도 됩니다. 비밀번호는 바뀌지 않습니다."))
    return SENT


def _valid(token: str, now: dt.datetime) -> PasswordReset:
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValidationError("비밀번호 재설정 링크가 만료되었거나 이미 사용되었습니다. 비밀번호 찾기를 다시 요청해주세요.",
                              field="링크", code="reset_link_invalid")
    return row


def check_link(token: str, now: dt.datetime) -> None:
    _valid(token, now)
    db.session.rollback()


def reset(token: str, *, new: str, confirm: str, now: dt.datetime) -> None:
    """Set the new password and end every session of the login."""
    with transaction():
        row = _valid(token, now)
        user = db.session.get(User, row.user_id)
        _check_new_password(new, confirm, context=(user.email, user.first_name))
        used = db.session.execute(update(PasswordReset).where(PasswordReset.id == row.id,
                                                             PasswordReset.used_at.is_(None)).values(used_at=now))
        if not used.rowcount:                 # the same link used at the same moment elsewhere
            raise ValidationError("비밀번호 재설정 링크가 이미 사용되었습니다.", field="링크", code="reset_link_invalid")
        user.password = users.hash_password(new)
        login_sessions.end_all(user.id)
