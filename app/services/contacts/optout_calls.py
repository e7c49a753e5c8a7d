"""Opt-out calls on 080 numbers (SND-09): what the 080 provider reports (number called,
code entered, caller's number — through the gateway's reports, app/services/sending/
reports.py) and what an operator types in from a call taken by hand.

A call names its account by the code on the shared 080 number, or by an approved own 080
number (app/services/accounts/optout_codes.owner_of); its caller goes on that account's
수신거부 목록 with source `080` (SMS-13). A reported call that names no account — an
unknown code or number, a malformed part — is kept with the reason (`optout_call`, shown
on the staff page) and logged: never dropped, never put on another account's list. A
report that comes again (same `ref`) is the same call."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Iterable, NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.domain import optout080
from app.domain.numbers import format_number
from app.extensions import db
from app.models import Account, OptoutCall
from app.services.accounts import optout_codes
from app.services.contacts import optouts
from app.services.shared import audit
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

log = logging.getLogger(__name__)
PER_PAGE = 20


class ReportedCall(NamedTuple):
    ref: str                  # the provider's id of the call: a second report of it is the same call
    called: str | None
    code: str | None
    caller: str | None


def _clip(value, size: int = 40) -> str:
    return str(value or "")[:size]


def record_reported(calls: Iterable[ReportedCall], *, now: dt.datetime) -> dict[str, int]:
    """Record the provider's calls and put each resolved caller on its account's list,
    in the caller's transaction (the report job's). Returns counts by outcome."""
    calls = list({c.ref: c for c in calls}.values())
    if not calls:
        return {}
    known = set(db.session.scalars(select(OptoutCall.ref).where(OptoutCall.ref.in_([c.ref for c in calls]))))
    rows, counts = [], {}
    for reported in calls:
        if reported.ref in known:
            continue                                   # the same report again: already recorded
        call = optout080.parse_reported(reported.called, reported.code, reported.caller)
        account_id, outcome = (None, "invalid") if call is None else optout_codes.owner_of(call)
        if account_id is not None:
            outcome = _add(account_id, call.caller, now)
        else:
            log.warning("080 opt-out call names no account (%s): called=%r code=%r caller=%r ref=%s", outcome,
                        reported.called, reported.code, reported.caller, reported.ref)
        counts[outcome] = counts.get(outcome, 0) + 1
        rows.append({"ref": reported.ref, "source": "gateway",
                     "called": call.called if call else _clip(reported.called),
                     "code": (call.code if call else _clip(reported.code)) or None,
                     "caller": call.caller if call else _clip(reported.caller),
                     "account_id": account_id, "outcome": outcome, "received_at": now})
    if rows:
        module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(module.insert(OptoutCall).on_conflict_do_nothing(index_elements=["ref"]), rows)
    return counts


def _add(account_id: int, caller: str, now: dt.datetime) -> str:
    already = bool(optouts.numbers_in(account_id, [caller]))
    optouts.add_many(account_id, [caller], source="080", now=now, memo="080 수신거부 전화")
    return "already" if already else "added"


def record_by_staff(*, called, code, caller, actor, now: dt.datetime) -> OptoutCall:
    """An operator types a call taken by hand (080 number, code, caller's number). A call
    that names no account is refused with the field named, and nothing is written."""
    call = optout080.read_call(called, code, caller)
    with transaction():
        account_id, outcome = optout_codes.owner_of(call)
        if account_id is None:
            log.warning("080 opt-out call typed by staff names no account (%s): called=%s code=%s", outcome,
                        call.called, call.code)
            raise optout080.refusal(outcome, call)
        outcome = _add(account_id, call.caller, now)
        row = OptoutCall(source="staff", called=call.called, code=call.code, caller=call.caller,
                         account_id=account_id, outcome=outcome, recorded_by_id=getattr(actor, "id", None),
                         received_at=now)
        db.session.add(row)
        db.session.flush()
        audit.record(actor=actor, action="record_optout_call", object_type="optout_call", object_id=row.id,
                     account_id=account_id, before=None,
                     after={"called": call.called, "code": call.code, "caller": call.caller, "outcome": outcome},
                     reason=None, now=now)
    return row


def describe(row: OptoutCall) -> str:
    """The operator's success message for a recorded call."""
    account = db.session.get(Account, row.account_id)
    done = "수신거부 목록에 추가했습니다" if row.outcome == "added" else "이미 수신거부 목록에 있는 번호입니다"
    return f"{done}: {format_number(row.caller)} → {account.display_name} (080 {format_number(row.called)})."


def recent(*, page: int = 1, per_page: int = PER_PAGE):
    """The calls, newest first (the staff page: unresolved ones stand out by their outcome)."""
    return paginate(select(OptoutCall), OptoutCall.received_at.desc(), OptoutCall.id.desc(), page=page,
                    per_page=per_page)
