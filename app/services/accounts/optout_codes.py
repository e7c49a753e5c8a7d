"""The account's side of the 무료거부 080 number (SND-09): the service's shared number
(`OPTOUT_080_NUMBER`), each account's six-digit 인증코드 (given once, when the account
is made; existing accounts got theirs in migration 0011), which 080 numbers an account
may name in an ad (the shared one with its code, its approved own ones: the senders
capability reviews those), and which account an opt-out call names.

Everything here reads; nothing writes but `new_code()`'s caller."""
from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select

from app.domain import optout080
from app.domain.numbers import digits_only
from app.domain.optout080 import Call, OptoutChoices
from app.errors import NotFound
from app.extensions import db
from app.models import Account, OptoutNumber

_random = secrets.SystemRandom()


def shared_number() -> str:
    """The service's shared 080 number, as digits."""
    return digits_only(str(current_app.config["OPTOUT_080_NUMBER"]))


def new_code() -> str:
    """A code no account has yet, for an account being made (in the caller's
    transaction; the unique constraint refuses the one-in-a-million race)."""
    return optout080.new_code(lambda: _random.randint(optout080.CODE_LOW, optout080.CODE_HIGH),
                              lambda code: db.session.scalar(select(Account.id).where(Account.optout_code == code))
                              is not None)


def approved_own(account_id: int) -> list[str]:
    """The account's own 080 numbers an operator approved."""
    return list(db.session.scalars(select(OptoutNumber.number).where(
        OptoutNumber.account_id == account_id, OptoutNumber.status == "approved").order_by(OptoutNumber.number)))


def choices(account_id: int) -> OptoutChoices:
    """The 080 numbers the account may name in an ad, and its default (마이페이지)."""
    row = db.session.execute(select(Account.optout_code, Account.optout_number)
                             .where(Account.id == account_id)).first()
    if row is None:
        raise NotFound("계정을 찾을 수 없습니다.")
    return OptoutChoices(shared_number(), row.optout_code, frozenset(approved_own(account_id)), row.optout_number)


def footer_code(account_id: int, number: str | None) -> str | None:
    """The code an ad's footer carries: the account's, when the ad names the shared number."""
    if not number or digits_only(number) != shared_number():
        return None
    return db.session.scalar(select(Account.optout_code).where(Account.id == account_id))


def owner_of(call: Call) -> tuple[int | None, str | None]:
    """(account id, None) for the account an opt-out call names, or (None, why not)."""
    shared = shared_number()
    code_owner = number_owner = None
    if call.called == shared:
        if call.code:
            code_owner = db.session.scalar(select(Account.id).where(Account.optout_code == call.code))
    else:
        number_owner = db.session.scalar(select(OptoutNumber.account_id).where(
            OptoutNumber.number == call.called, OptoutNumber.status == "approved"))
    return optout080.resolve(call, shared=shared, code_owner=code_owner, number_owner=number_owner)
