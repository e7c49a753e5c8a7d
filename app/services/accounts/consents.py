"""Consents (ACC-01): recorded with their time and the version of the text when a login
is created, and the marketing consent changed later in 마이페이지 (정보통신망법 §50: the
person is told the date and the result of the change). Every agreement and withdrawal is
a row of its own; the latest row of a kind is the current choice."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select

from app.domain import consents as terms
from app.extensions import db
from app.models import UserConsent
from app.services.shared.uow import transaction


@dataclass(frozen=True)
class Choice:
    kind: str
    agreed: bool
    version: str
    recorded_at: dt.datetime


def record(*, user_id: int, choices: Mapping[str, bool], at: dt.datetime, source: str) -> list[UserConsent]:
    """One row per term (agreed or not) at `at`. Runs in the caller's transaction (the
    sign-up that creates the login)."""
    rows = [UserConsent(user_id=user_id, kind=t.kind, version=t.version, agreed=bool(choices.get(t.kind)),
                        source=source, recorded_at=at) for t in terms.TERMS]
    db.session.add_all(rows)
    return rows


def current(user_id: int) -> dict[str, Choice]:
    """The latest choice per kind (a kind never recorded is absent)."""
    rows = db.session.scalars(select(UserConsent).where(UserConsent.user_id == user_id)
                              .order_by(UserConsent.id))
    return {row.kind: Choice(row.kind, row.agreed, row.version, row.recorded_at) for row in rows}


def set_marketing(*, user_id: int, choice: str, now: dt.datetime) -> Choice:
    """마케팅 정보 수신 동의 changed by the person ("agree" or "refuse"); a choice equal to
    the current one is recorded too (the person confirmed it at that time)."""
    agreed = terms.read_choice(choice)
    with transaction():
        record_one = UserConsent(user_id=user_id, kind=terms.MARKETING.kind, version=terms.MARKETING.version,
                                 agreed=bool(agreed), source="mypage", recorded_at=now)
        db.session.add(record_one)
    return Choice(record_one.kind, record_one.agreed, record_one.version, record_one.recorded_at)
