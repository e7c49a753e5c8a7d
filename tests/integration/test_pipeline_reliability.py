"""Reliability of the send pipeline (11-quality.md REL-03, REL-04; design/send-pipeline.md):
duplicate, late and out-of-order reports, a report for a message the worker never marked,
two dispatch runs of one send at once, stale claims recovered by the tick (at once when
their worker is known dead), and Redis stopped and restarted around a send. The worker
killed with SIGKILL at every step is REL-02 (test_pipeline_faults.py)."""
import contextlib
import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import uuid

import pytest
import redis as redis_lib
from sqlalchemy import select, update

from app import clock, processes
from app.extensions import db
from app.gateways import OutboundMessage, Report, get_gateway
from app.models import DispatchBatch, UsageCategoryRollup, UsageRollup
from app.gateways.sandbox import LEASE
from app.services.sending import dispatch
from app.services.sending.reports import apply_reports
from tests.conftest import make_app
from tests.support.factories import make_customer
from tests.support.faults import enqueue_dispatch, run_worker_process
from tests.support.pipeline import (NOW, accept, api_customer, balance, bearer, by_recipient, duplicate_submissions,
                                    invariant, ledger, messages, phones, sandbox_rows, send_row, tick, tick_only,
                                    work)
from tests.support.servers import RedisServer

SECOND, MINUTE, HOUR = dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1)


@contextlib.contextmanager
def logger_enabled(name: str):
    """migrations/env.py calls logging.config.fileConfig() without
    disable_existing_loggers=False, so the suite's own migrations disable the app's
    loggers that exist by then; switch this one back on for the test."""
    logger = logging.getLogger(name)
    was = logger.disabled
    logger.disabled = False
    try:
        yield logger
    finally:
        logger.disabled = was


def apply(app, reports: list[Report], now: dt.datetime) -> dict:
    """Apply reports as the tick does: one transaction, committed."""
    with app.app_context():
        outcome = apply_reports(reports, now)
        db.session.commit()
        return outcome


def state(app, send_id: int) -> dict:
    """Everything a duplicate or late report must leave as it was (late_* aside)."""
    row = send_row(app, send_id)
    customer_id = row["account_id"]
    with app.app_context():
        usage = db.session.execute(select(UsageRollup.requested, UsageRollup.delivered, UsageRollup.failed,
                                          UsageRollup.charged, UsageRollup.points_used)
                                   .where(UsageRollup.account_id == customer_id)).all()
        categories = db.session.execute(select(UsageCategoryRollup.category, UsageCategoryRollup.count)
                                        .where(UsageCategoryRollup.account_id == customer_id)
                                        .order_by(UsageCategoryRollup.category)).all()
        db.session.commit()
    keep = ("status", "delivered_count", "failed_count", "charged_amount", "refunded_amount", "completed_at",
            "categories")
    return {"send": {k: row[k] for k in keep},
            "messages": [{k: v for k, v in m.items() if k not in ("late_code", "late_at")}
                         for m in messages(app, send_id)],
            "balance": balance(app, customer_id), "ledger": len(ledger(app, customer_id)),
            "usage": [tuple(u) for u in usage], "usage_categories": [tuple(c) for c in categories]}


# --- REL-04 duplicate, late and out-of-order reports -------------------------------------------------------

def test_rel04_the_same_reports_applied_twice_change_nothing_the_second_time(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 90, 94)
    accepted = accept(app, customer, numbers)
    work(app)
    with app.app_context():                        # polled without ack: once the poller's lease has run
        first = get_gateway("sms").poll_reports(NOW + 10 * SECOND, 100)        # out, the sandbox gives them again
        assert get_gateway("sms").poll_reports(NOW + 10 * SECOND, 100) == []   # not to a second poller meanwhile
        again = get_gateway("sms").poll_reports(NOW + 10 * SECOND + LEASE, 100)
        db.session.commit()
    assert len(first) == 3 and first == again
    assert apply(app, first, NOW + 10 * SECOND) == {"applied": 3, "late": 0, "ignored": 0}
    before = state(app, accepted.send_id)
    assert before["send"]["delivered_count"] == 1 and before["send"]["failed_count"] == 2
    assert apply(app, again, NOW + 11 * SECOND) == {"applied": 0, "late": 3, "ignored": 0}
    assert state(app, accepted.send_id) == before
    for message in messages(app, accepted.send_id):
        assert message["late_code"] == message["result_code"] and message["late_at"] == NOW + 5 * SECOND
    # the tick polls them a third time (never acked), applies nothing new, acks, settles once
    tick(app, NOW + 3 * LEASE)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"], row["charged_amount"],
            row["refunded_amount"]) == ("completed", 1, 2, 20, 40)
    assert row["categories"] == {"power_off": 1, "optout_080": 1}
    with app.app_context():
        assert get_gateway("sms").poll_reports(NOW + HOUR, 100) == []
    assert balance(app, customer.account_id) == (980, 0) and invariant(app) == []


def test_rel04_a_report_after_the_49_hour_timeout_keeps_the_message_failed_and_the_money(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(98, 1)
    accepted = accept(app, customer, numbers)
    work(app)
    tick(app, NOW + 10 * SECOND)
    tick(app, NOW + 50 * HOUR)
    before = state(app, accepted.send_id)
    assert before["send"]["status"] == "completed" and before["send"]["refunded_amount"] == 20
    silent = by_recipient(app, accepted.send_id)[numbers[0]]
    assert (silent["state"], silent["result_code"], silent["category"]) == ("failed", "TIMEOUT", "other")
    late_at = NOW + 51 * HOUR
    assert apply(app, [Report(str(silent["id"]), "0000", late_at)], late_at + SECOND)["late"] == 1
    after = by_recipient(app, accepted.send_id)[numbers[0]]
    assert (after["state"], after["result_code"], after["category"], after["charge"]) == \
        ("failed", "TIMEOUT", "other", 0)
    assert (after["late_code"], after["late_at"]) == ("0000", late_at)
    assert state(app, accepted.send_id) == before
    tick(app, NOW + 52 * HOUR)
    assert state(app, accepted.send_id) == before and invariant(app) == []


def test_rel04_out_of_order_reports_never_regress_a_final_state(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2)
    accepted = accept(app, customer, numbers)
    work(app)
    ids = {m["recipient"]: str(m["id"]) for m in messages(app, accepted.send_id)}
    first, second = ids[numbers[0]], ids[numbers[1]]
    at = NOW + 5 * SECOND
    # one message is delivered first and then "fails"; the other fails first and is then "delivered"
    apply(app, [Report(first, "0000", at), Report(second, "3001", at)], at)
    before = state(app, accepted.send_id)
    assert apply(app, [Report(first, "3002", at + SECOND), Report(second, "0000", at + SECOND)],
                 at + SECOND) == {"applied": 0, "late": 2, "ignored": 0}
    assert state(app, accepted.send_id) == before
    rows = by_recipient(app, accepted.send_id)
    assert (rows[numbers[0]]["state"], rows[numbers[0]]["charge"], rows[numbers[0]]["late_code"]) == \
        ("delivered", 20, "3002")
    assert (rows[numbers[1]]["state"], rows[numbers[1]]["category"], rows[numbers[1]]["late_code"]) == \
        ("failed", "power_off", "0000")
    # nothing ever moves a final message back: not the timeout, not claim recovery, not a resubmission
    tick(app, NOW + 50 * HOUR)
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"delivered", "failed"}
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["charged_amount"], row["refunded_amount"]) == ("completed", 20, 20)
    # reports for references that are not ours (or garbage) are ignored
    assert apply(app, [Report("123456789", "0000", at), Report("SBX-x", "0000", at)], at)["ignored"] == 2
    assert invariant(app) == []


def claim(send_id: int, size: int = 100):
    """A dispatch job's claim of an SMS batch (the sandbox deduplicates: straight to submitted)."""
    return dispatch._claim(send_id, dispatch.GATEWAY_TYPES["sms"], uuid.uuid4().hex, NOW, size, gateway="sms",
                           deduplicates=True)


def test_rel04_a_report_for_a_message_whose_batch_was_never_marked_handed_over_is_applied(app):
    """The worker died after the gateway accepted the batch, before marking it handed over."""
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 91)
    accepted = accept(app, customer, numbers, enqueue=False)
    with app.app_context():
        rows = claim(accepted.send_id)
        get_gateway("sms").submit([OutboundMessage(str(r.id), "sms", customer.phone, r.recipient, "본문",
                                                   account_id=customer.account_id) for r in rows], NOW)
        db.session.commit()
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    tick(app, NOW + 10 * SECOND)                 # claims are not stale yet; the reports are due
    states = by_recipient(app, accepted.send_id)
    assert (states[numbers[0]]["state"], states[numbers[1]]["state"]) == ("delivered", "failed")
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["charged_amount"], row["refunded_amount"]) == ("completed", 20, 20)
    tick(app, NOW + 10 * MINUTE)                 # claim recovery leaves final messages alone
    work(app, NOW + 10 * MINUTE)
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"delivered", "failed"}
    assert duplicate_submissions(app) == 0 and len(sandbox_rows(app, numbers)) == 2 and invariant(app) == []


# --- two dispatch runs of one send at once -----------------------------------------------------------------

def test_two_dispatch_runs_at_once_submit_every_message_exactly_once(app):
    customer = make_customer(app, cash=100_000)
    numbers = [f"010{5000 + i // 80:04d}{i % 80:04d}" for i in range(400)]      # all delivered (00..79)
    accepted = accept(app, customer, numbers, enqueue=False)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(dispatch.dispatch_send(accepted.send_id, now_fn=lambda: NOW, batch_size=4))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(outcomes) == 2
    assert sum(o["submitted"] for o in outcomes) == 400
    assert all(o["submitted"] > 0 for o in outcomes), f"the runs did not overlap: {outcomes}"
    assert duplicate_submissions(app) == 0
    sent = sandbox_rows(app)
    assert len(sent) == 400 and sorted(r["client_ref"] for r in sent) == \
        sorted(str(m["id"]) for m in messages(app, accepted.send_id))
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    tick(app, NOW + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["charged_amount"]) == ("completed", 400, 8000)
    assert invariant(app) == []


# --- stale claims (design/send-pipeline.md step 2, recovery) ---------------------------------------------------

def test_a_batch_claimed_and_never_submitted_goes_back_to_pending_and_is_sent_once(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2, 3)
    accepted = accept(app, customer, numbers, enqueue=False)
    with app.app_context():
        claimed = claim(accepted.send_id)                 # ... and the job died
    assert len(claimed) == 3
    tick(app, NOW + dispatch.CLAIM_STALE_AFTER - SECOND)
    work(app, NOW + dispatch.CLAIM_STALE_AFTER - SECOND)
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}    # as far as we know
    assert sandbox_rows(app, numbers) == []
    later = NOW + dispatch.CLAIM_STALE_AFTER + SECOND
    done = tick_only(app, later)
    assert done["recover_claims"] == {"submitted": 0, "pending": 3} and done["relay"] == 1
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"pending"}
    work(app, later)                                  # the relay's job
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    tick(app, later + 10 * SECOND)
    assert send_row(app, accepted.send_id)["status"] == "completed"
    assert duplicate_submissions(app) == 0 and len(sandbox_rows(app, numbers)) == 3 and invariant(app) == []


def test_a_batch_the_sandbox_received_but_never_marked_becomes_submitted_and_is_not_resent(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2, 3, 4, 5, 6)
    accepted = accept(app, customer, numbers, enqueue=False)
    with app.app_context():
        claimed = claim(accepted.send_id)
        # the gateway got the first half of the batch; then the job died
        get_gateway("sms").submit([OutboundMessage(str(r.id), "sms", customer.phone, r.recipient, "본문",
                                                   account_id=customer.account_id) for r in claimed[:3]], NOW)
        db.session.commit()
    received = {str(r.id) for r in claimed[:3]}
    later = NOW + dispatch.CLAIM_STALE_AFTER + SECOND
    done = tick_only(app, later)
    assert done["recover_claims"] == {"submitted": 3, "pending": 3} and done["relay"] == 1
    for message in messages(app, accepted.send_id):
        if str(message["id"]) in received:       # submitted at its claim time; its report is due
            assert message["submitted_at"] == NOW and message["state"] == "submitted"
        else:
            assert message["state"] == "pending"
    work(app, later)                             # the relayed dispatch and the report job
    assert {m["state"] for m in messages(app, accepted.send_id) if str(m["id"]) in received} == {"delivered"}
    tick(app, later + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["charged_amount"]) == ("completed", 6, 120)
    assert duplicate_submissions(app) == 0 and len(sandbox_rows(app, numbers)) == 6 and invariant(app) == []


# --- REL-03 claims of a worker known dead: recovered at once -------------------------------------------------

def batch_rows(app, send_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(DispatchBatch).where(DispatchBatch.send_id == send_id)).scalars().all()
        out = [{c.key: getattr(b, c.key) for c in DispatchBatch.__table__.columns} for b in rows]
        db.session.commit()
        return out


def exited_process() -> processes.Owner:
    """A process of this host that ran and exited (reaped): what a SIGKILLed worker leaves."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    owner = processes.of(proc.pid)
    proc.stdin.close()
    proc.wait()
    return owner


def recover(app, now: dt.datetime, **kwargs) -> dict:
    with app.app_context():
        return dispatch.recover_stale_claims(now, **kwargs)


def test_rel03_a_batch_of_a_worker_killed_after_its_claim_is_recovered_at_once_and_sent_once(app):
    """A real worker process SIGKILLed right after it committed a claim: at the very moment
    of the claim (far below CLAIM_STALE_AFTER) recovery takes its batch back, while a batch
    that this live process claimed at the same time is left alone."""
    customer = make_customer(app, cash=10_000)
    dead_numbers, live_numbers = phones(1, 2, 3), phones(4, 5)
    killed = accept(app, customer, dead_numbers, enqueue=False)
    alive = accept(app, customer, live_numbers, enqueue=False)
    enqueue_dispatch(app, killed.send_id)
    assert run_worker_process(app, crash="dispatch.after_claim:1") == -9
    [batch] = batch_rows(app, killed.send_id)
    claimed_at = batch["claimed_at"]
    assert (batch["owner_host"], batch["handed_at"]) == (processes.host(), None)
    assert batch["owner_pid"] != os.getpid() and batch["owner_started"] is not None
    assert {m["state"] for m in messages(app, killed.send_id)} == {"submitted"}     # as far as we know
    assert sandbox_rows(app, dead_numbers) == []
    with app.app_context():
        dispatch._claim(alive.send_id, dispatch.GATEWAY_TYPES["sms"], uuid.uuid4().hex, claimed_at, 100,
                        gateway="sms", deduplicates=True)                  # owned by this (live) process
    at_once = claimed_at + SECOND
    assert recover(app, at_once) == {"submitted": 0, "pending": 3}
    assert {m["state"] for m in messages(app, killed.send_id)} == {"pending"}
    assert {m["state"] for m in messages(app, alive.send_id)} == {"submitted"}
    assert [b["handed_at"] for b in batch_rows(app, alive.send_id)] == [None]
    assert recover(app, claimed_at + dispatch.CLAIM_STALE_AFTER - SECOND) == {"submitted": 0, "pending": 0}
    # the relay hands the killed one's send to a worker again: every message reaches the gateway once
    done = tick(app, claimed_at + dispatch.RELAY_AFTER + SECOND)
    assert done["relay"] == 1
    assert len(sandbox_rows(app, dead_numbers)) == 3
    tick(app, claimed_at + dispatch.RELAY_AFTER + 10 * SECOND)
    assert send_row(app, killed.send_id)["status"] == "completed"
    # the live process's claim goes stale by time only, as before
    assert recover(app, claimed_at + dispatch.CLAIM_STALE_AFTER + SECOND) == {"submitted": 0, "pending": 2}
    assert duplicate_submissions(app) == 0 and invariant(app) == []


@pytest.mark.parametrize("deduplicates", [True, False], ids=["deduplicating", "recording"])
def test_rel03_only_the_claims_of_a_dead_owner_of_this_host_skip_the_time_cutoff(app, deduplicates):
    """The same `now` for four claims: of a process that has exited (taken back), of this
    live process, of a process of another host, of a claim that names no owner (all three
    left to the time cutoff). Both kinds of gateway: `submitted` or `submitting` at the claim."""
    app.config["SANDBOX_DEDUPLICATES"] = deduplicates
    customer = make_customer(app, cash=10_000)
    owners = {"dead": exited_process(), "live": processes.current(),
              "other host": processes.Owner("elsewhere/0123456789ab", exited_process().pid, None)}
    sends = {name: accept(app, customer, phones(1, 2), enqueue=False).send_id
             for name in (*owners, "no owner")}
    claimed = "submitted" if deduplicates else "submitting"
    with app.app_context():
        for name, send_id in sends.items():
            token = uuid.uuid4().hex
            dispatch._claim(send_id, dispatch.GATEWAY_TYPES["sms"], token, NOW, 100, gateway="sms",
                            deduplicates=deduplicates, owner=owners.get(name))
            if name == "no owner":          # claimed before the owner was recorded (0017)
                db.session.execute(update(DispatchBatch).where(DispatchBatch.token == token)
                                   .values(owner_host=None, owner_pid=None, owner_started=None))
                db.session.commit()
    assert recover(app, NOW + SECOND) == {"submitted": 0, "pending": 2}
    states = {name: {m["state"] for m in messages(app, send_id)} for name, send_id in sends.items()}
    assert states == {"dead": {"pending"}, "live": {claimed}, "other host": {claimed}, "no owner": {claimed}}
    later = NOW + dispatch.CLAIM_STALE_AFTER + SECOND
    assert recover(app, later) == {"submitted": 0, "pending": 6}
    assert {s for name, send_id in sends.items() for s in {m["state"] for m in messages(app, send_id)}} == \
        {"pending"}


def test_rel03_a_worker_that_starts_takes_back_the_claims_of_dead_workers_of_its_host(app):
    """No tick needed: the worker started in place of a dead one recovers its batches first."""
    customer = make_customer(app, cash=10_000)
    dead = accept(app, customer, phones(1, 2, 3), enqueue=False)
    alive = accept(app, customer, phones(4, 5), enqueue=False)
    with app.app_context():
        for send_id, owner in ((dead.send_id, exited_process()), (alive.send_id, processes.current())):
            dispatch._claim(send_id, dispatch.GATEWAY_TYPES["sms"], uuid.uuid4().hex, clock.now(), 100,
                            gateway="sms", deduplicates=True, owner=owner)
    assert run_worker_process(app) == 0                 # burst: no job; it recovered and left
    assert {m["state"] for m in messages(app, dead.send_id)} == {"pending"}
    assert {m["state"] for m in messages(app, alive.send_id)} == {"submitted"}
    assert [b["handed_at"] is not None for b in batch_rows(app, dead.send_id)] == [True]


# --- REL-03 Redis stopped and restarted -----------------------------------------------------------------------

def test_rel03_redis_down_at_accept_and_restarted_empty_loses_nothing(app, caplog):
    server = RedisServer().start()
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=server.url)
    try:
        customer, key = api_customer(other, cash=10_000)
        client = other.test_client()
        first, second = phones(1, 90, 2), phones(3, 4)
        # 1. Redis is down: the API still accepts; the enqueue fails and is logged
        server.stop()
        enqueuing = "app.services.shared.background"
        with clock.frozen(NOW), logger_enabled(enqueuing), caplog.at_level(logging.WARNING, logger=enqueuing):
            response = client.post("/api/v1/sends/sms", headers=bearer(key),
                                   json={"from": customer.phone, "to": first, "text": "레디스 장애 중 접수"})
            with other.app_context():
                from app.services.shared import background
                assert background.enqueue("dispatch", "app.jobs.sending.dispatch_send", 0) is False
        assert response.status_code == 201, response.get_json()
        down_id = int(response.get_json()["send_id"])
        assert caplog.text.count("enqueue of dispatch_send failed") == 2, repr(caplog.text)
        # 2. Redis comes back empty; a second send is enqueued, then Redis restarts empty again
        server.start()
        lost = accept(other, customer, second, now=NOW + SECOND)
        assert redis_lib.Redis.from_url(server.url).dbsize() > 0
        server.restart()
        assert redis_lib.Redis.from_url(server.url).dbsize() == 0
        work(other, NOW + 10 * SECOND)                   # nothing queued: nothing happens
        assert {m["state"] for m in messages(other, down_id)} == {"pending"}
        # 3. the tick's relay finds the committed work, the worker sends it, ticks settle it
        relayed = tick(other, NOW + 32 * SECOND)
        assert relayed["relay"] == 2
        work(other, NOW + 32 * SECOND)
        tick(other, NOW + 40 * SECOND)
        for send_id, count, delivered in ((down_id, 3, 2), (lost.send_id, 2, 2)):
            row = send_row(other, send_id)
            assert (row["status"], row["delivered_count"], row["failed_count"]) == \
                ("completed", delivered, count - delivered)
            assert row["charged_amount"] == 20 * delivered
        assert duplicate_submissions(other) == 0 and len(sandbox_rows(other, first + second)) == 5
        assert balance(other, customer.account_id) == (10_000 - 80, 0)
        assert invariant(other) == []
    finally:
        server.cleanup()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
