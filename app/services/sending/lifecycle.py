"""The one owner of `Send.status` (05-results.md, SMS-07, WAL-08).

    scheduled ──start──► in_progress ──complete──► completed
        └─────cancel──► cancelled

Every change is a conditional UPDATE (`… WHERE id = :id AND status = :from`), so a cancel
racing the start of the same send, or two ticks settling one send, move it once and the
loser finds nothing to do. A send is created in its first state (`initial_status`); no
other module writes the column (scripts/check_architecture.py looks).

Completion settles the money: the refund of hold − Σ charged goes in the same
transaction (its unique key makes a second run a no-op), and `completed_send_violations`
is that invariant's part of the ledger-check (app/services/checks.py)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update

from app import faults
from app.domain.results import FAILED
from app.errors import InvalidState
from app.extensions import db
from app.models import Account, LedgerEntry, Message, Send, SendCategoryCount
from app.models.sending import OPEN_STATES
from app.security.tenancy import get_owned
from app.services.sending import daily_usage, duplicates, outcomes
from app.services.sending.rollups import Deltas
from app.services.shared import background
from app.services.shared.steps import Steps
from app.services.shared.uow import transaction
from app.services.wallet import ledger

log = logging.getLogger(__name__)

TRANSITIONS = {("scheduled", "in_progress"), ("scheduled", "cancelled"), ("in_progress", "completed")}


def initial_status(scheduled_at: dt.datetime | None) -> str:
    return "scheduled" if scheduled_at else "in_progress"


def _move(send_id: int, source: str, target: str, **values) -> bool:
    """scheduled → in_progress, … : True when this call moved the send."""
    if (source, target) not in TRANSITIONS:
        raise ValueError(f"a send does not go from {source} to {target}")
    result = db.session.execute(update(Send).where(Send.id == send_id, Send.status == source)
                                .values(status=target, **values))
    return bool(result.rowcount)


# --- start (the tick) ---------------------------------------------------------------------------------------

def start_due_scheduled(now: dt.datetime) -> list[int]:
    """Scheduled sends whose time has come start (conditionally: a cancel may race).
    Those of a suspended account (ACC-10: no sending) are cancelled instead, their
    whole hold refunded. Commits per send (a loop of the tick)."""
    due = db.session.execute(select(Send.id, Send.account_id, Account.suspended_at, Account.duplicate_protection)
                             .join(Account, Account.id == Send.account_id)
                             .where(Send.status == "scheduled", Send.scheduled_at <= now)).all()
    db.session.commit()
    started = []
    for send_id, account_id, suspended_at, protected in due:
        if suspended_at is not None:
            try:
                cancel(account_id=account_id, send_id=send_id, now=now)
            except InvalidState:      # cancelled or started meanwhile
                pass
            continue
        with transaction():
            if _move(send_id, "scheduled", "in_progress", started_at=now, last_progress_at=now):
                started.append(send_id)
                if protected:
                    _skip_repeats(send_id, now)
    return started


def _skip_repeats(send_id: int, now: dt.datetime) -> int:
    """SMS-15 for a scheduled send, at the moment it goes out: its messages that repeat
    an earlier one within the hour end failed as 중복 발송, free (their hold comes back at
    settlement), in the transaction that starts it."""
    send = db.session.get(Send, send_id)
    repeats = duplicates.repeats_at_start(send, now)
    if not repeats:
        return 0
    moved = outcomes.finalize([outcomes.Outcome(message_id, send_id, FAILED, "DUPLICATE", "duplicate", now, 0)
                               for message_id, _ in repeats], outcomes.send_facts([send_id]), from_states=("pending",))
    return len(moved)


# --- cancel (SMS-07) -------------------------------------------------------------------------------------

def cancel(*, account_id: int, send_id, now: dt.datetime) -> Send:
    """A scheduled send is cancelled until it starts; its whole hold comes back at once,
    and it leaves the statistics and the day's usage."""
    with transaction():
        send = get_owned(Send, send_id, account_id, for_update=True)
        ledger.lock_account(account_id)
        if not _move(send.id, "scheduled", "cancelled", cancelled_at=now):
            raise InvalidState("예약 발송만 취소할 수 있습니다. 이미 발송이 시작되었거나 취소된 발송입니다.",
                               code="not_cancellable")
        daily_usage.count(account_id, daily_usage.kst_day(send.created_at), -send.recipient_count)
        refund = ledger.refund(account_id, send.id, 0, now=now)
        send.refunded_amount = refund.cash_delta + refund.points_delta
        deltas = Deltas()
        deltas.add(account_id=account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   requested=-send.recipient_count, failed=-send.failed_count)
        for layer, category, count in db.session.execute(
                select(SendCategoryCount.layer, SendCategoryCount.category, SendCategoryCount.count)
                .where(SendCategoryCount.send_id == send.id)):
            deltas.add_category(account_id=account_id, day=send.day, msg_type=layer_type(send, layer),
                                category=category, count=-count)
        deltas.flush()
        AFTER_CANCEL(send, now)
    return send


# --- completion and refund (WAL-08) -------------------------------------------------------------------------

#: steps of higher capabilities run in the transaction that settles a send: (send, now)
AFTER_COMPLETE = Steps("a send was settled")
#: steps of higher capabilities run in the transaction that cancels a scheduled send: (send, now)
AFTER_CANCEL = Steps("a scheduled send was cancelled")
SETTLE_JOB = "app.jobs.sending.settle"
SETTLE_KEY_TTL = 20       # as reports.KEY_TTL


def layer_type(send: Send, layer: str) -> str:
    """The message type of a send's layer: its own, or its fallback's (SMS or LMS)."""
    return send.fallback_msg_type if layer == "fallback" and send.fallback_msg_type else send.msg_type


def _done(candidates=None, limit: int = 500):
    """In-progress sends whose counters say every message is final, in both layers (a
    Kakao send's fallback messages are created in the transaction that fails their Kakao
    message, so the counters never say done while one is still to come)."""
    stmt = select(Send.id).where(Send.status == "in_progress",
                                 Send.delivered_count + Send.failed_count >= Send.recipient_count,
                                 Send.fallback_delivered_count + Send.fallback_failed_count >= Send.fallback_count)
    if candidates is not None:
        stmt = stmt.where(Send.id.in_(sorted(candidates)))
    return list(db.session.scalars(stmt.order_by(Send.id).limit(limit)))


def enqueue_settlement(now: dt.datetime) -> int:
    """The tick: a settlement job when a send waits to be settled (one whose last
    messages a report job, a timeout or dispatch finished)."""
    waiting = _done(limit=1)
    db.session.commit()
    return int(bool(waiting) and background.enqueue_once("settle", "dispatch", SETTLE_JOB, now.isoformat(),
                                                         ttl=SETTLE_KEY_TTL, job_timeout=600))


def settle(now: dt.datetime, *, limit: int = 500) -> int:
    """Complete every in-progress send with no open message and refund hold − charged,
    once (the refund's key is the send's). One transaction per send (the settlement
    job): a send that fails to settle is logged and tried again later."""
    return _settle(_done(limit=limit), now)


def settle_sends(send_ids, now: dt.datetime) -> int:
    """settle() for these sends (the ones a report batch or a timeout just moved)."""
    return _settle(_done(send_ids), now) if send_ids else 0


def _settle(candidates: list[int], now: dt.datetime) -> int:
    db.session.commit()
    completed = 0
    for send_id in candidates:
        try:
            with transaction():
                if _complete(send_id, now):
                    completed += 1
                faults.point("settle.before_commit")
            faults.point("settle.after_commit")
        except Exception:
            log.exception("settling send %s failed; the next tick tries again", send_id)
    return completed


def _complete(send_id: int, now: dt.datetime) -> bool:
    send = db.session.scalar(select(Send).where(Send.id == send_id).with_for_update()
                             .execution_options(populate_existing=True))
    if send is None or send.status != "in_progress":
        return False
    still_open = db.session.scalar(select(Message.id).where(Message.send_id == send_id,
                                                            Message.state.in_(OPEN_STATES)).limit(1))
    if still_open is not None:
        log.warning("send %s counts say done but message %s is open", send_id, still_open)
        return False
    charged = int(db.session.scalar(select(func.coalesce(func.sum(Message.charge), 0))
                                    .where(Message.send_id == send_id)))
    refund = ledger.refund(send.account_id, send.id, charged, now=now)
    held = ledger.find_entry(ledger.hold_key(send.id))
    charged_cash = -held.cash_delta - refund.cash_delta if held else 0
    if not _move(send.id, "in_progress", "completed", completed_at=now, charged_amount=charged,
                 charged_cash=charged_cash, refunded_amount=refund.cash_delta + refund.points_delta):
        raise RuntimeError(f"send {send_id} left in_progress while locked")   # rolls the refund back
    points_used = -held.points_delta - refund.points_delta if held else 0
    if points_used:
        deltas = Deltas()
        deltas.add(account_id=send.account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   points_used=points_used)
        deltas.flush()
    AFTER_COMPLETE(send, now)
    return True


# --- the invariant for settled sends (REL-05) -------------------------------------------------------------------

def completed_send_violations(limit: int) -> list[str]:
    """For every completed or cancelled send: hold − refund = Σ charged of its messages."""
    held = select(LedgerEntry.send_id, (-(LedgerEntry.cash_delta + LedgerEntry.points_delta)).label("amount")) \
        .where(LedgerEntry.kind == "hold").subquery()
    refunded = select(LedgerEntry.send_id, (LedgerEntry.cash_delta + LedgerEntry.points_delta).label("amount")) \
        .where(LedgerEntry.kind == "refund").subquery()
    charged = select(Message.send_id, func.sum(Message.charge).label("amount")).group_by(Message.send_id).subquery()
    rows = db.session.execute(
        select(Send.id, Send.account_id, Send.status, Send.charged_amount, held.c.amount, refunded.c.amount,
               charged.c.amount)
        .outerjoin(held, held.c.send_id == Send.id).outerjoin(refunded, refunded.c.send_id == Send.id)
        .outerjoin(charged, charged.c.send_id == Send.id)
        .where(Send.status.in_(("completed", "cancelled"))).order_by(Send.id))
    problems = []
    for send_id, account_id, status, stored, hold, refund, messages in rows:
        hold, refund, messages = int(hold or 0), refund, int(messages or 0)
        expected = 0 if status == "cancelled" else messages
        if refund is None:
            problems.append(f"account {account_id}: {status} send {send_id} has no refund entry")
        elif hold - int(refund) != expected or (status == "completed" and stored != messages):
            problems.append(f"account {account_id}: send {send_id} hold {hold} − refund {refund} ≠ charged {expected}"
                            f" (stored {stored})")
        if len(problems) >= limit:
            break
    return problems
