"""Price plans (WAL-05): unit prices per message type; admins edit plans and assign
them to accounts, with an audit entry. A send freezes the prices it was accepted with."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from app.domain import message_types
from app.domain.numbers import is_digits
from app.errors import NotFound
from app.extensions import db
from app.models import PricePlan
from app.services.accounts.accounts import get_account
from app.services.shared import audit
from app.services.shared.uow import transaction

PRICE_FIELDS = message_types.PRICE_COLUMNS          # a PricePlan column per message type
PRICE_LABELS = message_types.PRICE_LABELS


def prices(plan: PricePlan) -> dict[str, int]:
    return {name: int(getattr(plan, name)) for name in PRICE_FIELDS}


def record_plan_change(plan: PricePlan, *, actor, now: dt.datetime, created: bool = False) -> None:
    """Called by the admin view before FAB commits an add or edit: the audit entry goes
    into the same transaction."""
    before = {}
    state = inspect(plan)
    for name in ("name", *PRICE_FIELDS):
        history = state.attrs[name].history
        before[name] = history.deleted[0] if history.deleted else getattr(plan, name)
    after = {name: getattr(plan, name) for name in ("name", *PRICE_FIELDS)}
    audit.record(actor=actor, action="create_price_plan" if created else "change_price_plan",
                 object_type="price_plan", object_id=plan.id, before=None if created else before, after=after,
                 now=now)


def record_plan_created(plan: PricePlan, *, actor, now: dt.datetime) -> None:
    """Called by the admin view once FAB has committed a new plan (it has its id only
    then): the creation's audit entry, in a transaction of its own."""
    with transaction():
        record_plan_change(plan, actor=actor, now=now, created=True)


def plans() -> list[PricePlan]:
    return list(db.session.scalars(select(PricePlan).order_by(PricePlan.id)))


def assign_plan(*, account_id, plan_id, actor, now: dt.datetime, reason: str | None = None):
    with transaction():
        account = get_account(int(account_id), for_update=True)
        plan_text = str(plan_id)
        plan = (db.session.get(PricePlan, int(plan_text))
                if is_digits(plan_text) and len(plan_text) <= 18 else None)
        if plan is None:
            raise NotFound("요금제를 찾을 수 없습니다.")
        before = account.price_plan.name
        account.price_plan = plan
        audit.record(actor=actor, action="assign_price_plan", object_type="account", object_id=account.id,
                     account_id=account.id, before={"price_plan": before}, after={"price_plan": plan.name},
                     reason=(reason or "").strip()[:500] or None, now=now)
    return account
