"""Tenancy in one place (ACC-07).

Customer requests act for exactly one account: the account of the logged-in user.
Views get it from `current_account_id()`; services take `account_id` and load rows
with `get_owned()` / `owned()`. An id of another account's row is simply not found
(404). Customer pages are plain views over services; FAB's model views serve staff
only (their roles see every account), so no FAB row filter is needed.
"""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Account, AccountMember
from app.security.roles import STAFF_ROLES


def _user():
    return getattr(g, "user", None)


def is_staff(user=None) -> bool:
    user = user or _user()
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(role.name in STAFF_ROLES for role in user.roles)


def account_id_for_user(user_id: int) -> int | None:
    return db.session.scalar(select(AccountMember.account_id).where(AccountMember.user_id == user_id))


def current_account_id(required: bool = True) -> int | None:
    """The account the current request acts for. Cached on `g`."""
    if "megabird_account_id" not in g:
        user = _user()
        g.megabird_account_id = (account_id_for_user(user.id)
                                 if user is not None and getattr(user, "is_authenticated", False)
                                 else None)
    if g.megabird_account_id is None and required:
        raise Forbidden("고객 계정으로 로그인해야 이용할 수 있습니다.")
    return g.megabird_account_id


def current_account():
    account_id = current_account_id()
    if "megabird_account" not in g:
        g.megabird_account = db.session.get(Account, account_id)
    return g.megabird_account


MAX_ID = 2**63 - 1


def owned(model, account_id: int):
    """SELECT of `model` rows of one account."""
    return select(model).where(model.account_id == account_id)


def get_owned(model, pk, account_id: int, *, for_update: bool = False):
    """The row `pk` of `model` if it belongs to `account_id`, else NotFound."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk <= MAX_ID:           # SQLite raises OverflowError beyond 64 bits
        raise NotFound()
    stmt = owned(model, account_id).where(model.id == pk)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.session.scalar(stmt)
    if row is None:
        raise NotFound()
    return row
