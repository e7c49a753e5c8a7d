"""PERF-01 and PERF-02 (11-quality.md).

PERF-01: one send of 100,000 SMS recipients through the sandbox gateway, accepted →
dispatched → all reports applied → settled and refunded, with real RQ worker
processes (`flask megabird worker`) and the tick running as in production (a loop
calling the tick with "now" = wall clock + the sandbox's 5-second report delay).
Printed next to the raw bulk insert + update rate of the same database in the same run.

PERF-02: `POST /api/v1/sends/sms` with 10,000 recipients (validation, hold, rows written).

    .venv/bin/python bench/dispatch.py [--backends sqlite,postgresql] [--recipients 100000] [--runs 3] [--workers 1]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time

import sqlalchemy as sa  # noqa: E402
from _env import ROOT, Environment


def raw_rate(url: str, rows: int) -> float:
    """rows/s of a bare Core bulk insert followed by set-based updates in batches of
    1,000 ids, on a scratch table of the same database."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table("bench_raw", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("recipient", sa.String(11)), sa.Column("state", sa.String(12)),
                     sa.Column("code", sa.String(16)))
    meta.drop_all(engine)
    meta.create_all(engine)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "recipient": f"010{i:08d}", "state": "pending"}
                                      for i in range(1, rows + 1)])
    for first in range(1, rows + 1, 1000):
        with engine.begin() as conn:
            conn.execute(table.update().where(table.c.id.in_(range(first, min(first + 1000, rows + 1))))
                         .values(state="submitted"))
    elapsed = time.perf_counter() - start
    meta.drop_all(engine)
    engine.dispose()
    return rows / elapsed


def numbers(count: int):
    """Distinct mobile numbers. None ends in 98 (never reported: 49 hours) or 89 (30
    minutes): PERF-01 times the pipeline, not the carrier's silence. 90-97 fail (8%)."""
    from app.domain.recipients import Recipient
    i = made = 0
    while made < count:
        phone = f"010{2000 + i // 10000:04d}{i % 10000:04d}"
        i += 1
        if phone[-2:] not in ("89", "98"):
            made += 1
            yield Recipient(phone, None, {}, made)


def start_workers(env, url: str, count: int):
    environ = dict(os.environ, DATABASE_URL=url, REDIS_URL=env.redis.url, FLASK_APP="run.py",
                   MEGABIRD_INSTANCE=os.environ["MEGABIRD_INSTANCE"])
    return [subprocess.Popen([str(ROOT / ".venv/bin/flask"), "megabird", "worker"], cwd=ROOT, env=environ,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(count)]


def stop(processes):
    for p in processes:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in processes:
        p.wait(30)


def end_to_end(env, backend: str, recipients: int, workers: int, run: int) -> dict:
    from app import clock
    from app.extensions import db
    from app.models import Send
    from app.services import checks, periodic
    from app.services.sending import acceptance
    from tests.support.factories import make_customer

    url = env.database_url(backend, f"bench_dispatch_{run}")
    app = env.app(url)
    raw = raw_rate(url, recipients)
    customer = make_customer(app, cash=recipients * 20 + 1000)
    with app.app_context():
        db.session.execute(sa.text("UPDATE account SET daily_cap = :c WHERE id = :a"),
                           {"c": recipients * 10, "a": customer.account_id})
        db.session.commit()
    people = list(numbers(recipients))
    procs = start_workers(env, url, workers)
    try:
        time.sleep(1.0)  # let the workers import and connect before the clock starts
        t0 = time.perf_counter()
        with app.app_context():
            result = acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone,
                                                       body="[megabird] 벤치마크 메시지입니다.", recipients=people),
                                    now=clock.now())
            acceptance.enqueue_dispatch(result.send)
            send_id = result.send.id
        t_accept = time.perf_counter() - t0
        with app.app_context():
            while True:
                periodic.tick(clock.now() + dt.timedelta(seconds=6),
                              only={"relay", "reports", "settle"})
                status = db.session.scalar(sa.select(Send.status).where(Send.id == send_id))
                db.session.commit()
                if status == "completed":
                    break
                time.sleep(0.05)
        total = time.perf_counter() - t0
        with app.app_context():
            send = db.session.get(Send, send_id)
            problems = checks.invariant_violations()
            from app.gateways.sandbox import SandboxGateway
            dupes = SandboxGateway.duplicate_submissions()
            figures = {"backend": backend, "messages": send.recipient_count, "seconds": total,
                       "accept_seconds": t_accept, "msg_per_s": send.recipient_count / total,
                       "raw_rows_per_s": raw, "ratio": (send.recipient_count / total) / raw,
                       "delivered": send.delivered_count, "failed": send.failed_count,
                       "refunded": send.refunded_amount, "ledger_ok": not problems, "duplicate_refs": dupes}
    finally:
        stop(procs)
    return figures


def api_10k(env, backend: str, run: int) -> float:
    from app.extensions import db
    from app.services.accounts import api_keys
    from tests.support.factories import make_customer
    app = env.app(env.database_url(backend, f"bench_api_{run}"))
    customer = make_customer(app, kind="corporate", cash=1_000_000)
    with app.app_context():
        db.session.execute(sa.text("UPDATE account SET api_status='approved', daily_cap=1000000 WHERE id=:a"),
                           {"a": customer.account_id})
        db.session.commit()
        _key, token = api_keys.create(account_id=customer.account_id, name="bench", now=__import__("app").clock.now())
    client = app.test_client()
    body = {"from": customer.phone, "text": "#[이름]님, 주문하신 상품이 발송되었습니다.",
            "to": [{"phone": f"010{3000 + i // 10000:04d}{i % 10000:04d}", "name": f"고객{i}"} for i in range(10_000)]}
    start = time.perf_counter()
    response = client.post("/api/v1/sends/sms", json=body, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 201, response.get_json()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    env = Environment()
    summary = []
    try:
        for backend in args.backends.split(","):
            runs = [end_to_end(env, backend, args.recipients, args.workers, i) for i in range(args.runs)]
            for r in runs:
                print(f"PERF-01 {backend}: {r['messages']:,} messages in {r['seconds']:.2f}s "
                      f"(accept {r['accept_seconds']:.2f}s) = {r['msg_per_s']:,.0f} msg/s; raw insert+update "
                      f"{r['raw_rows_per_s']:,.0f} rows/s; ratio {r['ratio']:.2f}; delivered {r['delivered']:,} "
                      f"failed {r['failed']:,} refunded {r['refunded']:,}; ledger ok {r['ledger_ok']}; "
                      f"duplicate refs {r['duplicate_refs']}", flush=True)
            api = [api_10k(env, backend, i) for i in range(args.runs)]
            print(f"PERF-02 {backend}: POST /api/v1/sends/sms with 10,000 recipients: "
                  f"{', '.join(f'{t:.3f}s' for t in api)}", flush=True)
            summary.append(f"{backend} {statistics.median(r['msg_per_s'] for r in runs):,.0f} msg/s "
                           f"(ratio {statistics.median(r['ratio'] for r in runs):.2f}), "
                           f"API 10k {statistics.median(api):.3f}s")
    finally:
        env.close()
    print("SUMMARY dispatch: " + "; ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
