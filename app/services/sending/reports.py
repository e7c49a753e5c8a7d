"""Delivery reports (05-results.md, REL-04) and the 49-hour timeout (RES-01).

The tick polls every configured gateway, applies a batch of reports in one transaction,
commits, then acknowledges: a crash between the commit and the ack only means the same
reports come again, and applying a report twice changes nothing (only open messages
move; a report for a final message is kept as a late result)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from app import bulk, faults
from app.domain.results import DELIVERED, FAILED, TIMEOUT_CODE, classify
from app.extensions import db
from app.gateways import Report, adapters
from app.models import Send
from app.models.sending import OPEN_STATES
from app.services.contacts import optouts
from app.services.sending.outcomes import CHUNK, MESSAGE, Outcome, finalize, send_facts

TIMEOUT = dt.timedelta(hours=49)
LATE_COLUMNS = {"late_code": "varchar(16)", "late_at": "timestamp"}


def apply_reports(reports: list[Report], now: dt.datetime) -> dict[str, int]:
    """Apply a batch of reports in the caller's transaction. Reports for unknown
    references (the service's own messages, deleted history) are ignored; an 080 report
    puts the number on the account's opt-out list (SMS-13)."""
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
    bind = bulk.time_binder(db.session.connection())
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
    """The tick: poll each gateway, apply, commit, then acknowledge. Commits per batch."""
    totals = defaultdict(int)
    for gateway in adapters():
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
    """No result 49 hours after submission: failed, 기타, TIMEOUT, not charged. Commits
    per batch (a loop of the tick)."""
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
