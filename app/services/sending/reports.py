"""Delivery reports (05-results.md, REL-04) and the 49-hour timeout (RES-01), as jobs any
worker can take.

The tick only asks: a gateway with reports due gets report jobs (REPORT_JOBS at once, one
per key); a job polls a batch (the gateway leases it to this job), applies it in one
transaction, commits, then acknowledges, and settles the sends that batch finished. A
crash between the commit and the ack only means the same reports come again, and applying
a report twice changes nothing (only open messages move; a report for a final message is
kept as a late result). Redis losing a job loses nothing: its key expires and the next
tick asks again."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app
from sqlalchemy import exists, select

from app import bulk, faults
from app.domain.results import DELIVERED, FAILED, TIMEOUT_CODE, classify
from app.extensions import db
from app.gateways import Report, adapters, get_gateway
from app.models import Message, Send
from app.models.sending import OPEN_STATES
from app.services.contacts import optout_calls, optouts
from app.services.sending import dispatch, lifecycle
from app.services.sending.outcomes import MESSAGE, Outcome, finalize, send_facts
from app.services.shared import background

TIMEOUT = dt.timedelta(hours=49)
#: handed over and waiting for a result: `unknown` ones too (written to an SMSC that never
#: answered, GW-03), which the timeout ends, free, like any other
WAITING = ("submitted", "unknown")
LATE_COLUMNS = {"late_code": "varchar(16)", "late_at": "timestamp"}
REPORT_JOB = "app.jobs.sending.apply_reports"
TIMEOUT_JOB = "app.jobs.sending.time_out"
JOB_TIMEOUT = 600
# Seconds a job's key outlives its enqueue or its last batch: a job killed with its worker
# holds its slot that long at the most (a job that waits longer in the queue may get a
# twin, which finds its reports leased to the first and ends).
KEY_TTL = 20


def apply_reports(reports: list[Report], now: dt.datetime) -> dict[str, int]:
    """Apply a batch of reports in the caller's transaction. Reports for unknown
    references (the service's own messages, deleted history) are ignored; an 080 report
    puts the number on the account's opt-out list (SMS-13): the message's account for the
    carrier's own 080 refusal, and for an opt-out call (SND-09) the account its code or
    080 number names (app/services/contacts/optout_calls.py), kept even when it names none."""
    return _apply(reports, now)[0]


def _apply(reports: list[Report], now: dt.datetime) -> tuple[dict[str, int], set[int]]:
    """apply_reports, and the sends whose messages it moved."""
    by_id: dict[int, Report] = {}
    calls = []
    for report in reports:
        if report.ref.isdigit():
            by_id[int(report.ref)] = report     # the last report of a batch wins
        if report.optout_called:                # a call names its account itself, message or not
            calls.append(optout_calls.ReportedCall(f"report:{report.ref}", report.optout_called,
                                                   report.optout_code, report.optout_number))
    conn = db.session.connection()
    lock = " ORDER BY id FOR UPDATE" if bulk.is_postgres(conn) else ""    # in id order: no deadlock
    rows: dict[int, tuple] = {mid: (send_id, state, account_id) for mid, send_id, state, account_id in bulk.rows_in(
        conn, "SELECT id, send_id, state, account_id FROM message WHERE id IN ({keys})" + lock, sorted(by_id))}
    facts = send_facts(send_id for send_id, _, _ in rows.values())
    outcomes, late, opted_out, still_open = [], [], defaultdict(set), {}
    bind = bulk.time_binder(conn)
    classified: dict[str, tuple[str, str | None]] = {}
    for message_id, report in by_id.items():
        row = rows.get(message_id)
        if row is None:
            continue
        send_id, current, account_id = row
        if report.optout_number and not report.optout_called:
            opted_out[account_id].add(report.optout_number)
        if current in OPEN_STATES:
            if report.code not in classified:
                classified[report.code] = classify(report.code)
            state, category = classified[report.code]
            charge = facts[send_id].unit_price if state == DELIVERED else 0
            outcomes.append(Outcome(message_id, send_id, state, report.code, category, report.at, charge))
            still_open[message_id] = send_id
        else:
            late.append((message_id, report.code, bind(report.at)))
    moved = finalize(outcomes, facts, still_open=still_open)
    if late:  # duplicates and reports after the timeout: kept, but nothing else changes
        bulk.update(conn, "message", "id", LATE_COLUMNS, late)
    for account_id, numbers in opted_out.items():
        optouts.add_many(account_id, numbers, source="080", now=now)
    optout_calls.record_reported(calls, now=now)
    counts = {"applied": len(moved), "late": len(late), "ignored": len(reports) - len(moved) - len(late)}
    return counts, {still_open[i] for i in moved}


def poll_reports(now: dt.datetime, *, batch: int = 5000, max_batches: int = 100) -> dict[str, int]:
    """Every gateway's due reports at once, in this process (the demo data; a report job
    does the same for one gateway). Commits per batch."""
    totals: dict[str, int] = defaultdict(int)
    for kind in adapters():
        for key, value in run(kind, now, batch=batch, max_batches=max_batches).items():
            totals[key] += value
    return dict(totals)


def run(kind: str, now: dt.datetime, *, key: str | None = None, batch: int = 5000,
        max_batches: int = 40) -> dict[str, int]:
    """The report job for one gateway: poll, apply, commit, acknowledge, settle what the
    batch finished; until no report is due or `max_batches` (the job then asks for
    another, so that other work gets its turn). Commits per batch."""
    gateway = get_gateway(kind)
    totals: dict[str, int] = defaultdict(int)
    for _ in range(max_batches):
        reports = gateway.poll_reports(now, batch)
        db.session.commit()
        if not reports:
            break
        counts, touched = _apply(reports, now)
        db.session.commit()
        faults.point("reports.after_apply")
        gateway.ack_reports(reports, now)
        for name, value in counts.items():
            totals[name] += value
        totals["settled"] += lifecycle.settle_sends(touched, now)
        dispatch.enqueue(dispatch.with_new_fallbacks(touched))     # a Kakao failure's 대체문자
        background.renew(key, KEY_TTL)
        if len(reports) < batch:
            break
    else:
        totals["more"] = 1
    return dict(totals)


def enqueue_due(now: dt.datetime) -> int:
    """The tick: report jobs for the gateways with reports due, one per free slot
    (REPORT_JOBS at once per gateway; a slot is taken while its job waits or runs)."""
    slots = max(int(current_app.config.get("REPORT_JOBS", 1)), 1)
    enqueued = 0
    for kind, gateway in adapters().items():
        if not gateway.has_reports(now):
            continue
        for slot in range(slots):
            enqueued += background.enqueue_once(f"reports:{kind}:{slot}", "dispatch", REPORT_JOB, kind,
                                                now.isoformat(), ttl=KEY_TTL, job_timeout=JOB_TIMEOUT)
    return enqueued


# --- timeout (RES-01) -----------------------------------------------------------------------------------

def enqueue_timeouts(now: dt.datetime) -> int:
    """The tick: a timeout job when some message of an in-progress send is due to time out."""
    in_progress = select(Send.id).where(Send.status == "in_progress").scalar_subquery()
    due = db.session.scalar(select(exists().where(Message.send_id.in_(in_progress), Message.state.in_(WAITING),
                                                  Message.submitted_at < now - TIMEOUT)))
    db.session.commit()
    return int(bool(due) and background.enqueue_once("timeouts", "dispatch", TIMEOUT_JOB, now.isoformat(),
                                                     ttl=KEY_TTL, job_timeout=JOB_TIMEOUT))


def time_out(now: dt.datetime, *, batch: int = 5000) -> int:
    """No result 49 hours after submission (or after an SMSC's link died unanswered): failed, 기타, TIMEOUT, not charged; the sends
    this finished are settled. Commits per batch (the timeout job)."""
    cutoff = now - TIMEOUT
    total = 0
    in_progress = select(Send.id).where(Send.status == "in_progress").scalar_subquery()
    while True:
        rows = db.session.execute(select(MESSAGE.c.id, MESSAGE.c.send_id).where(
            MESSAGE.c.send_id.in_(in_progress), MESSAGE.c.state.in_(WAITING),
            MESSAGE.c.submitted_at < cutoff).limit(batch)).all()
        if not rows:
            db.session.commit()
            return total
        facts = send_facts(r.send_id for r in rows)
        outcomes = [Outcome(r.id, r.send_id, FAILED, TIMEOUT_CODE, "other", now, 0) for r in rows]
        total += len(finalize(outcomes, facts, from_states=WAITING))
        db.session.commit()
        lifecycle.settle_sends(set(facts), now)
