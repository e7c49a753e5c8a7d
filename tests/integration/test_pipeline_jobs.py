"""The send pipeline as jobs any worker can take (issue [2/11]; design/send-pipeline.md,
11-quality.md REL-02..04): the tick only finds what is due and asks; report jobs get
different batches from the gateway and apply each once; settlement happens once however
many jobs try; Redis losing a job loses nothing; a deduplicating gateway costs one write
per message at dispatch, a recording one two; higher capabilities plug steps into the
transactions of outcomes and settlement; a send records the cash part of its charge."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import event, func, select

from app.extensions import db, redis_connection
from app.gateways import get_gateway
from app.models import AuditLog, DispatchBatch, Message
from app.services.sending import dispatch, lifecycle, outcomes, reports
from app.services.shared import audit, background, uow
from tests.support.factories import make_customer
from tests.support.pipeline import (NOW, accept, balance, duplicate_submissions, invariant, messages, phones,
                                    send_row, tick, tick_only, work)

SECOND, MINUTE = dt.timedelta(seconds=1), dt.timedelta(minutes=1)


def keys(app) -> set[str]:
    with app.app_context():
        return {k.decode() for k in redis_connection().keys("megabird:job:*")}


def test_the_tick_asks_for_report_and_settlement_jobs_and_a_worker_does_the_work(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2, 91)
    accepted = accept(app, customer, numbers)
    work(app)                                                  # dispatch
    asked = tick_only(app, NOW + 10 * SECOND)
    assert asked["reports"] == 2                               # REPORT_JOBS slots for the one adapter
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}   # the tick applied nothing
    assert keys(app) == {"megabird:job:reports:sms:0", "megabird:job:reports:sms:1"}
    assert tick_only(app, NOW + 11 * SECOND)["reports"] == 0   # its slots are taken: not asked twice
    work(app, NOW + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"]) == ("completed", 2, 1)
    assert keys(app) == set()                                  # every job released its key
    assert balance(app, customer.account_id) == (960, 0) and invariant(app) == []


def test_two_report_jobs_at_once_never_apply_the_same_report(app):
    """The gateway leases each batch to its poller: two jobs apply disjoint reports, none
    of them late (a report applied twice would fill late_code)."""
    customer = make_customer(app, cash=100_000)
    numbers = [f"010{6000 + i // 80:04d}{i % 80:04d}" for i in range(600)]
    accepted = accept(app, customer, numbers)
    work(app)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def job():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reports.run("sms", NOW + 10 * SECOND, batch=50))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(results) == 2
    assert sum(r.get("applied", 0) for r in results) == 600 and sum(r.get("late", 0) for r in results) == 0
    assert all(r.get("applied", 0) > 0 for r in results), f"the jobs did not share the work: {results}"
    assert {m["late_code"] for m in messages(app, accepted.send_id)} == {None}
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"]) == ("completed", 600)
    assert invariant(app) == [] and duplicate_submissions(app) == 0


def test_settlement_asked_of_several_jobs_at_once_refunds_once(app):
    customer = make_customer(app, cash=1000)
    accepted = accept(app, customer, phones(1, 90))
    work(app)
    with app.app_context():                      # the reports applied, the send not yet settled
        for kind, gateway in [("sms", get_gateway("sms"))]:
            polled = gateway.poll_reports(NOW + 10 * SECOND, 100)
            reports.apply_reports(polled, NOW + 10 * SECOND)
            db.session.commit()
            gateway.ack_reports(polled, NOW + 10 * SECOND)
    barrier = threading.Barrier(3)
    settled, errors = [], []

    def job():
        with app.app_context():
            try:
                barrier.wait()
                settled.append(lifecycle.settle(NOW + 11 * SECOND))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and sorted(settled) == [0, 0, 1]
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["charged_amount"], row["refunded_amount"]) == ("completed", 20, 20)
    assert balance(app, customer.account_id) == (980, 0) and invariant(app) == []


def test_redis_losing_the_report_jobs_loses_nothing(app):
    """The jobs and their keys vanish with Redis (restarted empty): the next tick asks again."""
    customer = make_customer(app, cash=1000)
    accepted = accept(app, customer, phones(1, 2))
    work(app)
    assert tick_only(app, NOW + 10 * SECOND)["reports"] == 2
    with app.app_context():
        redis_connection().flushdb()
    work(app, NOW + 10 * SECOND)                                # nothing left to run
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    tick(app, NOW + 20 * SECOND)
    assert send_row(app, accepted.send_id)["status"] == "completed" and invariant(app) == []


def test_a_jobs_key_keeps_others_out_until_released_or_expired(app):
    with app.app_context():
        assert background.enqueue_once("demo", "default", "app.jobs.sending.settle", NOW.isoformat(), ttl=60)
        assert not background.enqueue_once("demo", "default", "app.jobs.sending.settle", NOW.isoformat(), ttl=60)
        assert 0 < redis_connection().ttl("megabird:job:demo") <= 60
        background.renew("demo", 300)
        assert 60 < redis_connection().ttl("megabird:job:demo") <= 300
        background.release("demo")
        assert background.enqueue_once("demo", "default", "app.jobs.sending.settle", NOW.isoformat(), ttl=60)
        redis_connection().expire("megabird:job:demo", 0)       # the job's worker died: the key runs out
        assert background.enqueue_once("demo", "default", "app.jobs.sending.settle", NOW.isoformat(), ttl=60)


@pytest.mark.parametrize("deduplicates", [True, False])
def test_dispatch_writes_a_message_once_through_a_deduplicating_gateway(app, deduplicates):
    """A deduplicating gateway: the claim is the submission (one row per batch says the
    call returned). Any other: `submitting` at the claim, `submitted` after the call. Both
    write the batch's row (who claimed it, REL-03)."""
    app.config["SANDBOX_DEDUPLICATES"] = deduplicates
    customer = make_customer(app, cash=10_000)
    accepted = accept(app, customer, phones(1, 2, 3, 4, 5), enqueue=False)
    with app.app_context():
        updates = []
        def count(conn, cursor, statement, *args):     # a second write of the same messages: the mark
            if re.match(r"\s*UPDATE message SET state=\S+, submitted_at=.+ WHERE", statement):
                updates.append(statement)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = dispatch.dispatch_send(accepted.send_id, now_fn=lambda: NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        batches = db.session.execute(select(DispatchBatch.size, DispatchBatch.handed_at)).all()
        db.session.commit()
    assert result == {"submitted": 5, "failed": 0, "more": False}
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    assert len(updates) == (0 if deduplicates else 1)           # one batch: marked submitted, or not at all
    assert [tuple(b) for b in batches] == [(5, NOW)]
    tick(app, NOW + 10 * SECOND)
    assert send_row(app, accepted.send_id)["status"] == "completed"
    assert duplicate_submissions(app) == 0 and invariant(app) == []


def test_a_step_of_a_higher_capability_runs_in_the_transaction_of_the_outcome(app):
    """outcomes.AFTER_FINALIZE (and lifecycle.AFTER_COMPLETE): what a Kakao fallback or a
    webhook outbox will plug in — its rows commit, or roll back, with the outcome."""
    customer = make_customer(app, cash=1000)
    accepted = accept(app, customer, phones(1, 2))
    work(app)
    seen = []

    def record(moved, facts, layers):
        seen.append(sorted(o.message_id for o in moved))
        audit.record(actor=None, action="outcome_step", object_type="send", object_id=accepted.send_id,
                     now=NOW)

    def completed(send, now):
        audit.record(actor=None, action="complete_step", object_type="send", object_id=send.id, now=now)

    outcomes.AFTER_FINALIZE.add("test", record)
    lifecycle.AFTER_COMPLETE.add("test", completed)
    try:
        with app.app_context():
            polled = get_gateway("sms").poll_reports(NOW + 10 * SECOND, 100)
            with pytest.raises(RuntimeError):
                with uow.transaction():
                    reports.apply_reports(polled, NOW + 10 * SECOND)
                    raise RuntimeError("the use case fails after the outcome")
            assert db.session.scalar(select(func.count(AuditLog.id))) == 0
            assert db.session.scalar(select(func.count(Message.id)).where(Message.state == "delivered")) == 0
        tick(app, NOW + 10 * MINUTE)                            # the lease ran out: applied for good
    finally:
        outcomes.AFTER_FINALIZE.remove("test")
        lifecycle.AFTER_COMPLETE.remove("test")
    assert len(seen) == 2 and seen[0] == seen[1]
    with app.app_context():
        actions = sorted(db.session.scalars(select(AuditLog.action)))
        db.session.commit()
    assert actions == ["complete_step", "outcome_step"]


def test_a_send_records_the_cash_part_of_its_charge(app):
    """Points go first into the hold and come back last: of 3 × 20 won charged with 30 points
    and 1,000 won, 30 are points and 30 cash (TAX-02 splits the cash by its top-ups)."""
    customer = make_customer(app, cash=1000, points=30)
    accepted = accept(app, customer, phones(1, 2, 3, 90))
    work(app)
    tick(app, NOW + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["charged_amount"], row["charged_cash"]) == ("completed", 60, 30)
    assert balance(app, customer.account_id) == (970, 0) and invariant(app) == []


def test_every_message_is_of_the_primary_layer_unless_it_is_a_fallback(app):
    customer = make_customer(app, cash=1000)
    accepted = accept(app, customer, phones(1, 2), enqueue=False)
    assert {m["layer"] for m in messages(app, accepted.send_id)} == {"primary"}
    with app.app_context():
        first = db.session.scalars(select(Message).where(Message.send_id == accepted.send_id)).first()
        first.layer = "kakao"
        with pytest.raises(Exception, match="ck_message_layer|CHECK constraint"):
            db.session.commit()
        db.session.rollback()
