"""Outcomes of messages (05-results.md): reports applied idempotently (REL-04), the
49-hour timeout (RES-01), completion and the refund of each send exactly once
(WAL-07, WAL-08), and the ledger-check of completed sends (REL-05).

Every change of a message's state is a conditional, set-based UPDATE: it only moves
messages that are still open, and the counters, rollups and money change by the rows
it actually moved. Running a step twice finds nothing left to do."""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select, update

from app import faults
from app.domain.results import DELIVERED, FAILED, TIMEOUT_CODE, classify
from app.extensions import db
from app.gateways import Report, get_gateway
from app.models import LedgerEntry, Message, Send
from app.models.sending import OPEN_STATES
from app import bulk
from app.services.contacts import optouts
from app.services.wallet import ledger
from app.services.sending.rollups import Deltas

log = logging.getLogger(__name__)

TIMEOUT = dt.timedelta(hours=49)
CHUNK = 1000


class Outcome(NamedTuple):
    message_id: int
    send_id: int
    state: str            # delivered | failed
    code: str
    category: str | None
    at: dt.datetime
    charge: int


@dataclass(frozen=True)
class SendFacts:
    id: int
    account_id: int
    day: dt.date
    msg_type: str
    source: str
    unit_price: int


def send_facts(send_ids) -> dict[int, SendFacts]:
    facts = {}
    ids = list(set(send_ids))
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(select(Send.id, Send.account_id, Send.day, Send.msg_type, Send.source,
                                             Send.unit_price).where(Send.id.in_(ids[start:start + CHUNK]))):
            facts[row.id] = SendFacts(*row)
    return facts


MESSAGE = Message.__table__   # hot paths use Core statements on the table (no ORM bookkeeping)


def open_rows(ids: list[int], from_states=OPEN_STATES) -> dict[int, int]:
    """{message id: send id} of the given messages that are still in `from_states`,
    locked for this transaction on PostgreSQL (SQLite's write transactions are already
    exclusive)."""
    found: dict[int, int] = {}
    lock = db.engine.dialect.name == "postgresql"
    for start in range(0, len(ids), CHUNK):
        stmt = select(MESSAGE.c.id, MESSAGE.c.send_id).where(MESSAGE.c.id.in_(ids[start:start + CHUNK]),
                                                             MESSAGE.c.state.in_(from_states))
        if lock:
            stmt = stmt.with_for_update()
        found.update((mid, sid) for mid, sid in db.session.execute(stmt))
    return found


OUTCOME_COLUMNS = {"state": "varchar(12)", "result_code": "varchar(16)", "category": "varchar(32)",
                   "reported_at": "timestamp", "charge": "integer"}
LATE_COLUMNS = {"late_code": "varchar(16)", "late_at": "timestamp"}


def time_binder():
    """See app.bulk.time_binder (for the session's connection)."""
    return bulk.time_binder(db.session.connection())


def raw_executemany(sql: str, rows: list[tuple]) -> None:
    """executemany on the DB-API cursor ({p} is the placeholder), for benchmarks and
    one-off bulk writes; the hot paths use app.bulk."""
    placeholder = "%s" if db.engine.dialect.name == "postgresql" else "?"
    db.session.connection().exec_driver_sql(sql.format(p=placeholder), rows)


def finalize(outcomes: list[Outcome], facts: dict[int, SendFacts], *, from_states=OPEN_STATES,
             still_open: dict[int, int] | None = None) -> set[int]:
    """Move open messages to their final state; counters, charges and rollups change by
    the rows actually moved. Returns the ids moved (the others were already final).
    `still_open` ({id: send id}, read in this transaction with `open_rows`) saves a read."""
    if not outcomes:
        return set()
    if still_open is None:
        still_open = open_rows([o.message_id for o in outcomes], from_states)
    moving = [o for o in outcomes if o.message_id in still_open]
    if not moving:
        return set()
    conn = db.session.connection()
    bind = bulk.time_binder(conn)
    bulk.update(conn, "message", "id", OUTCOME_COLUMNS,
                [(o.message_id, o.state, o.code, o.category, bind(o.at), o.charge) for o in moving])
    per_send: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])   # delivered, failed, charged
    deltas = Deltas()
    for (send_id, state, category, charge), n in Counter(
            (o.send_id, o.state, o.category, o.charge) for o in moving).items():
        counters = per_send[send_id]
        counters[0 if state == DELIVERED else 1] += n
        counters[2] += n * charge
        f = facts[send_id]
        deltas.add(account_id=f.account_id, day=f.day, msg_type=f.msg_type, source=f.source,
                   delivered=n if state == DELIVERED else 0, failed=n if state == FAILED else 0, charged=n * charge)
        if category:
            deltas.add_category(account_id=f.account_id, day=f.day, msg_type=f.msg_type, category=category, count=n)
            deltas.add_send_category(send_id=send_id, category=category, count=n)
    for send_id, (delivered, failed, charged) in per_send.items():
        db.session.execute(update(Send.__table__).where(Send.__table__.c.id == send_id).values(
            delivered_count=Send.__table__.c.delivered_count + delivered,
            failed_count=Send.__table__.c.failed_count + failed,
            charged_amount=Send.__table__.c.charged_amount + charged))
    deltas.flush()
    return {o.message_id for o in moving}


# --- reports (REL-04) ----------------------------------------------------------------------------------

def apply_reports(reports: list[Report], now: dt.datetime) -> dict[str, int]:
    """Apply a batch of reports in the caller's transaction. Reports for unknown
    references (the service's own messages, deleted history) are ignored."""
    by_id: dict[int, Report] = {}
    for report in reports:
        if report.ref.isdigit():
            by_id[int(report.ref)] = report     # the last report of a batch wins
    rows: dict[int, tuple] = {}          # id -> (send id, state, account id)
    ids = list(by_id)
    lock = db.engine.dialect.name == "postgresql"
    for start in range(0, len(ids), CHUNK):
        stmt = select(MESSAGE.c.id, MESSAGE.c.send_id, MESSAGE.c.state, MESSAGE.c.account_id) \
            .where(MESSAGE.c.id.in_(ids[start:start + CHUNK]))
        if lock:
            stmt = stmt.with_for_update()
        for mid, send_id, state, account_id in db.session.execute(stmt):
            rows[mid] = (send_id, state, account_id)
    facts = send_facts(send_id for send_id, _, _ in rows.values())
    outcomes, late, opted_out, still_open = [], [], defaultdict(set), {}
    bind = time_binder()
    for message_id, report in by_id.items():
        row = rows.get(message_id)
        if row is None:
            continue
        send_id, current, account_id = row
        if report.optout_number:
            opted_out[account_id].add(report.optout_number)
        if current in OPEN_STATES:
            state, category = classify(report.code)
            charge = facts[send_id].unit_price if state == DELIVERED else 0
            outcomes.append(Outcome(message_id, send_id, state, report.code, category, report.at, charge))
            still_open[message_id] = send_id
        else:
            late.append((message_id, report.code, bind(report.at)))
    moved = finalize(outcomes, facts, still_open=still_open)
    if late:  # duplicates and reports after the timeout: kept, but nothing else changes
        bulk.update(db.session.connection(), "message", "id", LATE_COLUMNS, late)
    for account_id, numbers in opted_out.items():
        optouts.add_many(account_id, numbers, source="080", now=now)
    return {"applied": len(moved), "late": len(late), "ignored": len(reports) - len(moved) - len(late)}


def poll_reports(now: dt.datetime, *, batch: int = 5000, max_batches: int = 100) -> dict[str, int]:
    """The tick: poll the gateway, apply, commit, then acknowledge (a crash between
    commit and ack only means the same reports come again: applying them is a no-op)."""
    gateway = get_gateway("sms")
    totals = defaultdict(int)
    for _ in range(max_batches):
        reports = gateway.poll_reports(now, batch)
        db.session.commit()
        if not reports:
            break
        for key, value in apply_reports(reports, now).items():
            totals[key] += value
        db.session.commit()
        faults.point("reports.after_apply")
        gateway.ack_reports(reports, now)
        if len(reports) < batch:
            break
    return dict(totals)


# --- timeout (RES-01) -----------------------------------------------------------------------------------

def time_out(now: dt.datetime, *, batch: int = 5000) -> int:
    """No result 49 hours after submission: failed, 기타, TIMEOUT, not charged."""
    cutoff = now - TIMEOUT
    total = 0
    in_progress = select(Send.id).where(Send.status == "in_progress").scalar_subquery()
    while True:
        rows = db.session.execute(select(MESSAGE.c.id, MESSAGE.c.send_id).where(
            MESSAGE.c.send_id.in_(in_progress), MESSAGE.c.state == "submitted",
            MESSAGE.c.submitted_at < cutoff).limit(batch)).all()
        if not rows:
            db.session.commit()
            return total
        facts = send_facts(r.send_id for r in rows)
        outcomes = [Outcome(r.id, r.send_id, FAILED, TIMEOUT_CODE, "other", now, 0) for r in rows]
        total += len(finalize(outcomes, facts, from_states=("submitted",)))
        db.session.commit()


# --- completion and refund (WAL-08) -------------------------------------------------------------------------

def settle(now: dt.datetime, *, limit: int = 500) -> int:
    """Complete every in-progress send with no open message and refund hold − charged,
    once (the refund's key is the send's)."""
    candidates = db.session.scalars(select(Send.id).where(
        Send.status == "in_progress",
        Send.delivered_count + Send.failed_count >= Send.recipient_count).limit(limit)).all()
    db.session.commit()
    completed = 0
    for send_id in candidates:
        try:
            if _settle_one(send_id, now):
                completed += 1
            faults.point("settle.before_commit")
            db.session.commit()
            faults.point("settle.after_commit")
        except Exception:
            db.session.rollback()
            log.exception("settling send %s failed; the next tick tries again", send_id)
    return completed


def _settle_one(send_id: int, now: dt.datetime) -> bool:
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
    send.status = "completed"
    send.completed_at = now
    send.charged_amount = charged
    send.refunded_amount = refund.cash_delta + refund.points_delta
    points_used = -held.points_delta - refund.points_delta if held else 0
    if points_used:
        deltas = Deltas()
        deltas.add(account_id=send.account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   points_used=points_used)
        deltas.flush()
    return True


# --- the invariant for completed sends (REL-05) ----------------------------------------------------------------

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


ledger.CHECKS.append(completed_send_violations)
