"""PERF-05 (11-quality.md): the history list, the send detail (with its breakdown and a
page of recipients of one category), the dashboard and the API's send list for an
account with 10,000,000 messages over 12 months, < 100 ms server time each.

The data is generated once into a database file (SQLite; kept under bench/out/ and
reused by later runs) with the shape production gives it: sends with their counters,
per-send category counts and the per-day usage rollups, and one row per message.
Server time is measured around the Flask test client's request (no network).

    .venv/bin/python bench/pages.py [--messages 10000000] [--sends-per-day 30] [--repeat 15]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

from _env import ROOT, Environment

OUT = ROOT / "bench" / "out"
ENDINGS = [(0.90, "delivered", None, "0000"), (0.02, "failed", "power_off", "3001"),
           (0.02, "failed", "shadow_area", "3002"), (0.02, "failed", "spam_rejected", "3003"),
           (0.02, "failed", "wrong_number", "3004"), (0.02, "failed", "other", "TIMEOUT")]


def generate(app, messages: int, sends_per_day: int, seed: int = 7) -> dict:
    """Sends over the last 365 days with sizes drawn so that they add up to `messages`."""
    from _env import raw_executemany, time_binder
    from sqlalchemy import text

    from app import clock
    from app.extensions import db
    from app.models import Account
    from tests.support.factories import make_customer

    rng = random.Random(seed)
    customer = make_customer(app, kind="corporate", cash=1_000_000_000)
    with app.app_context():
        db.session.get(Account, customer.account_id).api_status = "approved"
        db.session.commit()
        now = clock.now()
        bind = time_binder()
        days = 365
        count_sends = days * sends_per_day
        weights = [rng.paretovariate(1.3) for _ in range(count_sends)]
        scale = messages / sum(weights)
        sizes = [max(1, int(w * scale)) for w in weights]
        sizes[-1] += messages - sum(sizes)
        if sizes[-1] < 1:
            sizes[-1] = 1
        message_id = 0
        send_id = 0
        largest = (0, 0)
        for index, size in enumerate(sizes):
            send_id += 1
            created = now - dt.timedelta(days=days - index // sends_per_day, minutes=rng.randrange(600))
            day = clock.to_kst(created).date()
            counts = {}
            for share, state, category, code in ENDINGS:
                counts[(state, category, code)] = int(size * share)
            counts[("delivered", None, "0000")] += size - sum(counts.values())
            delivered = counts[("delivered", None, "0000")]
            failed = size - delivered
            source = "api" if index % 5 == 0 else "web"
            msg_type = "LMS" if index % 3 == 0 else "SMS"
            unit = 50 if msg_type == "LMS" else 20
            db.session.execute(text(
                "INSERT INTO send (id, account_id, source, channel, msg_type, status, sender_number, title, body, "
                "is_ad, uses_variables, unit_price, hold_amount, charged_amount, refunded_amount, recipient_count, "
                "delivered_count, failed_count, rejected_count, duplicate_count, created_at, started_at, completed_at, "
                "last_progress_at, day) VALUES (:id, :a, :src, 'sms', :t, 'completed', :sender, NULL, :body, 0, 0, "
                ":unit, :hold, :charged, :refund, :n, :d, :f, 0, 0, :at, :at, :at, :at, :day)"),
                {"id": send_id, "a": customer.account_id, "src": source, "t": msg_type, "sender": customer.phone,
                 "body": f"[메가존] {index}번째 안내 메시지입니다. 쿠폰 코드 {rng.randrange(10**6):06d}", "unit": unit,
                 "hold": unit * size, "charged": unit * delivered, "refund": unit * failed, "n": size, "d": delivered,
                 "f": failed, "at": bind(created), "day": day})
            rows = []
            stamp = bind(created)
            for (state, category, code), n in counts.items():
                for _ in range(n):
                    message_id += 1
                    rows.append((message_id, send_id, customer.account_id, msg_type,
                                 f"010{20000000 + message_id % 80000000:08d}", state, code, category, stamp, stamp,
                                 unit if state == "delivered" else 0))
                if category and n:
                    db.session.execute(text("INSERT INTO send_category_count (send_id, category, count) "
                                            "VALUES (:s, :c, :n)"), {"s": send_id, "c": category, "n": n})
            for start in range(0, len(rows), 50_000):
                raw_executemany("INSERT INTO message (id, send_id, account_id, msg_type, recipient, state, result_code, "
                                "category, submitted_at, reported_at, charge) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, "
                                "{p}, {p}, {p}, {p}, {p})", rows[start:start + 50_000])
            if size > largest[1]:
                largest = (send_id, size)
            if index % 500 == 0:
                db.session.commit()
                print(f"  generated {message_id:,} messages in {send_id:,} sends", flush=True)
        db.session.execute(text(
            "INSERT INTO usage_rollup (account_id, day, msg_type, source, requested, delivered, failed, charged, "
            "points_used) SELECT account_id, day, msg_type, source, SUM(recipient_count), SUM(delivered_count), "
            "SUM(failed_count), SUM(charged_amount), 0 FROM send GROUP BY account_id, day, msg_type, source"))
        db.session.commit()
    return {"login": customer.login, "password": customer.password, "account_id": customer.account_id,
            "largest_send": largest[0], "largest_size": largest[1], "messages": message_id, "sends": send_id}


def timed(client, url: str, repeat: int, **kwargs) -> tuple[float, int]:
    times = []
    status = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    return statistics.median(times), status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--sends-per-day", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"pages-{args.messages}.db"
    marker = OUT / f"pages-{args.messages}.json"
    env = Environment()
    try:
        import json
        url = f"sqlite:///{path}"
        if marker.exists() and path.exists():
            from tests.conftest import make_app
            app = make_app(url, REDIS_URL=env.redis.url)
            facts = json.loads(marker.read_text())
            print(f"reusing {path} ({facts['messages']:,} messages in {facts['sends']:,} sends)")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            app = env.app(url)
            start = time.perf_counter()
            facts = generate(app, args.messages, args.sends_per_day)
            marker.write_text(json.dumps(facts))
            print(f"generated {facts['messages']:,} messages in {facts['sends']:,} sends in "
                  f"{time.perf_counter() - start:.0f}s ({os.path.getsize(path) / 1e9:.1f} GB)")
        from tests.support.web import login
        client = app.test_client()
        login(client, facts["login"], facts["password"])
        from app import clock
        from app.services.accounts import api_keys
        with app.app_context():
            _key, token = api_keys.create(account_id=facts["account_id"], name=f"bench {time.time()}", now=clock.now())
        big = facts["largest_send"]
        pages = {
            "history list (최근 1개월)": "/history/",
            "history list (custom 12 months, page 50)": "/history/?period=custom&from=" +
                (dt.date.today() - dt.timedelta(days=364)).isoformat() + "&to=" + dt.date.today().isoformat() + "&page=50",
            "history list search": "/history/?period=custom&from=" + (dt.date.today() - dt.timedelta(days=364)).isoformat()
                + "&to=" + dt.date.today().isoformat() + "&q=쿠폰",
            f"detail of the largest send ({facts['largest_size']:,} messages)": f"/history/{big}",
            "detail, recipients of one category, page 3": f"/history/{big}?show=1&category=wrong_number&page=3",
            "detail, delivered recipients, page 100": f"/history/{big}?show=1&status=delivered&page=100",
            "dashboard": "/dashboard/",
        }
        results = []
        for label, page in pages.items():
            ms, status = timed(client, page, args.repeat)
            results.append((label, ms, status))
            print(f"PERF-05 {label}: {ms:.1f} ms (HTTP {status})", flush=True)
        for label, page in {"API GET /sends": "/api/v1/sends?per_page=20",
                            "API GET /sends/{id}": f"/api/v1/sends/{big}",
                            "API GET /sends/{id}/messages?status=failed": f"/api/v1/sends/{big}/messages?status=failed"}.items():
            ms, status = timed(client, page, args.repeat, headers={"Authorization": f"Bearer {token}"})
            results.append((label, ms, status))
            print(f"PERF-05 {label}: {ms:.1f} ms (HTTP {status})", flush=True)
        worst = max(results, key=lambda r: r[1])
        print(f"SUMMARY pages: {facts['messages']:,} messages; slowest {worst[0]} {worst[1]:.1f} ms; "
              + ", ".join(f"{ms:.0f}" for _, ms, _ in results) + " ms")
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
