"""Revocable login sessions (issue 13, SEC-06). Flask's session is a signed cookie: before
this, a copy of it kept working after logout and after the password was changed elsewhere.
Now a login starts a `user_session` row whose token the cookie carries; every request of a
logged-in user checks it (`is_current`), a logout revokes it, and a password change revokes
every session of the login but the one that changed it."""
from __future__ import annotations

import secrets

from flask import session
from flask_login import login_user
from sqlalchemy import select, update

from app import clock
from app.extensions import db
from app.models import UserSession

KEY = "mb_sid"


def log_in(user) -> None:
    """Flask-Login's login with its session row, committed: every way in (the login form,
    a verified sign-up, an accepted invitation) goes through here."""
    login_user(user, remember=False)
    start(user.id)
    db.session.commit()


def start(user_id: int) -> str:
    """After login_user: a new session row; the caller's transaction commits it."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token=token, user_id=user_id, created_at=clock.now()))
    session[KEY] = token
    return token


def is_current(user_id: int) -> bool:
    token = session.get(KEY)
    if not token:
        return False
    row = db.session.execute(select(UserSession.user_id, UserSession.revoked_at)
                             .where(UserSession.token == token)).first()
    return row is not None and row.user_id == user_id and row.revoked_at is None


def end_current() -> None:
    token = session.pop(KEY, None)
    if token:
        db.session.execute(update(UserSession).where(UserSession.token == token, UserSession.revoked_at.is_(None))
                           .values(revoked_at=clock.now()))


def end_all(user_id: int, *, keep: str | None = None) -> int:
    """Every open session of the login (a password change, staff); `keep`: the one asking."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep:
        query = query.where(UserSession.token != keep)
    return db.session.execute(query.values(revoked_at=clock.now())).rowcount or 0
