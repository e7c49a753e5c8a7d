"""PERF-01 and PERF-02 (11-quality.md).

PERF-01: one send of 100,000 SMS recipients through the sandbox gateway, accepted →
dispatched → all reports applied → settled and refunded, with real RQ worker processes
(`flask megabird worker`) doing the work and the tick running as in production, only
more often (every 0.5 s instead of 5 s; it finds what is due and enqueues jobs). The
sandbox reports at once (SANDBOX_REPORT_DELAY_SECONDS=0): the figure is the pipeline's,
not the carrier's 5 seconds. Printed next to the raw bulk insert + update rate of the
same database in the same run, with the CPU seconds each process used: the accept (the
web/API request's work, here in the benchmark's process), the tick loop, each worker,
PostgreSQL (all its backends) and Redis.

PERF-11: the same with several workers (`--workers 1,2,4`, one run each per count).

PERF-02: `POST /api/v1/sends/sms` with 10,000 recipients (validation, hold, rows written).

PERF-06 (`--kind alimtalk`): one AlimTalk send of 100,000 recipients with 대체문자 on,
about 9 % failing on Kakao (endings 80–88) and falling back to SMS: accepted → Kakao
reported → fallback dispatched and reported → settled; figures in recipients/s.
`--kind friendtalk`: the same with a 친구톡 (Brand Message) text and its ad fallback (LMS);
outside 08:00–20:50 KST the run shifts every process's clock to 12:00 KST
(CLOCK_OFFSET_SECONDS, development only).
`--kakao nhn` (issue 20): the same through the NHN Kakao dealer adapter (GATEWAY_KAKAO=nhn)
instead of the sandbox, NHN played by app/gateways/nhn_kakao/dealer_server.py as its own process
on a free loopback port (the bench channel @bench its registered sender, results at once on its
real clock, request bodies not recorded); the template is registered and approved at the dealer
("[승인]" in its name) through the adapter, the results read back by the report jobs' polling
(NHN_KAKAO_POLL_SECONDS 0.5). Printed with what the dealer received and its duplicates.

    .venv/bin/python bench/dispatch.py [--backends sqlite,postgresql] [--recipients 100000] [--runs 3]
                                       [--workers 1[,2,4]] [--profile] [--kind sms|alimtalk|friendtalk]
                                       [--kakao sandbox|nhn]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter

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


def numbers(count: int, values: dict | None = None):
    """Distinct mobile numbers. None ends in 98 (never reported: 49 hours) or 89 (30
    minutes): PERF-01 times the pipeline, not the carrier's silence. 90-97 fail (8%);
    for AlimTalk 80-88 fail on Kakao only (9%) and their fallback is delivered."""
    from app.domain.recipients import Recipient
    i = made = 0
    while made < count:
        phone = f"010{2000 + i // 10000:04d}{i % 10000:04d}"
        i += 1
        if phone[-2:] not in ("89", "98"):
            made += 1
            yield Recipient(phone, None, {**values, "주문번호": str(made)} if values else {}, made)


BENCH_SETTINGS = {"SANDBOX_REPORT_DELAY_SECONDS": "0"}


def brand_message_hours() -> dict:
    """Settings that put every process of the run inside 08:00–20:50 KST: none when it is,
    else a clock offset to 12:00 KST of the same day."""
    import datetime as dt
    from app import clock
    from app.domain import friendtalk
    now = clock.now()
    if friendtalk.in_hours(now):
        return {}
    noon = clock.kst_to_utc(dt.datetime.combine(clock.to_kst(now).date(), dt.time(12, 0)))
    print(f"        clock shifted to 12:00 KST (CLOCK_OFFSET_SECONDS={(noon - now).total_seconds():.0f})", flush=True)
    return {"CLOCK_OFFSET_SECONDS": str((noon - now).total_seconds())}
TICK_EVERY = 0.5      # seconds (production: TICK_INTERVAL_SECONDS, 5)


class Dealer:
    """NHN's Bizmessage API for `--kakao nhn`: the local dealer server as its own process on a
    free loopback port (--port 0; it prints the one it got), @bench its registered sender."""
    APPKEY, SECRET = "mb-bench-appkey", "mb-bench-secret"

    SENDER_KEY = "bench00000000000000000000000000000000001"       # registered in "NHN's console"

    def __init__(self, channel: str = "@bench", clock_offset: float = 0.0):
        self.channel = channel
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), str(ROOT / "app/gateways/nhn_kakao/dealer_server.py"), "--port", "0",
             "--appkey", self.APPKEY, "--secret", self.SECRET, "--sender", f"{channel}={self.SENDER_KEY}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        line = self.process.stdout.readline()
        found = re.search(r"on (http://[\d.]+:\d+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the local NHN dealer did not start: {line!r}")
        self.url = found.group(1)
        # the bench's clock offset (친구톡 outside Brand Message hours) on the dealer's clock too
        self.control("/_control", {"record_bodies": False, **({"clock": {"advance": clock_offset}}
                                                               if clock_offset else {})})

    def settings(self) -> dict:
        """The app processes' settings (strings: workers get them as environment variables)."""
        return {"GATEWAY_KAKAO": "nhn", "NHN_KAKAO_URL": self.url, "NHN_KAKAO_APPKEY": self.APPKEY,
                "NHN_KAKAO_SECRET": self.SECRET, "NHN_KAKAO_POLL_SECONDS": "0.5",
                "NHN_KAKAO_SENDER_KEYS": f"{self.channel}={self.SENDER_KEY}"}

    def control(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(self.url + path, method="POST" if body is not None else "GET",
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def received(self) -> dict:
        """What the dealer got: messages, API requests by method and path (the result polls
        by requestId apart from the look-ups), and recipientGroupingKeys sent more than once."""
        state = self.control("/_control/state")
        kinds = Counter()
        for r in self.control("/_control/requests")["requests"]:
            path = r["path"].split("/appkeys/", 1)[-1].partition("/")[2] or r["path"]
            path = re.sub(r"templates/[^/]+", "templates/{code}", re.sub(r"senders/[^/]+", "senders/{key}", path))
            asked = "?requestId" if "requestId" in (r.get("query") or {}) else (
                "?senderGroupingKey" if "senderGroupingKey" in (r.get("query") or {}) else "")
            kinds[f"{r['method']} {path}{asked}"] += 1
        return {"messages": state["messages"], "requests": state["requests"], "by_path": dict(kinds),
                "duplicates": len(state["duplicates"]), "pending": state["pending"]}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process.stdout.close()


def start_workers(env, app, count: int, profile_dir: str | None = None, extra_env: dict | None = None):
    """`count` worker processes on the app's databases (`extra_env`: more settings, e.g.
    bench/smpp.py's GATEWAY_SMS=smpp)."""
    environ = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=env.redis.url,
                   SANDBOX_DATABASE_URL=app.config["SANDBOX_DATABASE_URL"], FLASK_APP="run.py",
                   MEGABIRD_INSTANCE=os.environ["MEGABIRD_INSTANCE"], **BENCH_SETTINGS, **(extra_env or {}))
    command = [str(ROOT / ".venv/bin/flask"), "megabird", "worker"]
    procs = []
    for i in range(count):
        argv = command
        if profile_dir:     # a sampling profile of each worker (py-spy when it is installed)
            argv = [str(ROOT / ".venv/bin/py-spy"), "record", "-o", f"{profile_dir}/worker-{i}.txt", "-f", "raw",
                    "-r", "250", "--"] + command
        procs.append(subprocess.Popen(argv, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
    return procs


def wait_for_workers(env, count: int, timeout: float = 120) -> None:
    """Until `count` workers have registered with Redis (each takes a second or more to
    create its app; started together on two cores, several take longer)."""
    from redis import Redis
    from rq import Worker
    conn = Redis.from_url(env.redis.url)
    deadline = time.monotonic() + timeout
    while Worker.count(connection=conn) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {Worker.count(connection=conn)} of {count} workers started")
        time.sleep(0.2)
    time.sleep(0.5)      # and past their first poll


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds user+system) of a live process."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_of(pids) -> float:
    return sum((_stat(p) or (0, 0.0))[1] for p in pids)


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and its live children (PostgreSQL's postmaster and backends;
    a worker under py-spy)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                stats[int(entry)] = stat
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo += [child for child, (parent, _) in stats.items() if parent == pid]
    return total


def postgres_pid(env) -> int | None:
    if env.pg is None:
        return None
    return int((env.pg.data / "postmaster.pid").read_text().split()[0])


def stop(processes, profiling: bool = False):
    """SIGTERM ends a worker; under py-spy, SIGINT ends the worker and lets py-spy write."""
    for p in processes:
        try:
            os.killpg(p.pid, signal.SIGINT if profiling else signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in processes:
        p.wait(60)


def end_to_end(env, backend: str, recipients: int, workers: int, run: int, profile_dir: str | None = None,
               kind: str = "sms", kakao: str = "sandbox") -> dict:
    """One run; with `kakao` "nhn" (AlimTalk, 친구톡) a local NHN dealer of its own."""
    dealer = None
    if kakao == "nhn" and kind != "sms":
        dealer = Dealer("@bench", float(BENCH_SETTINGS.get("CLOCK_OFFSET_SECONDS", 0)))
    try:
        return _end_to_end(env, backend, recipients, workers, run, profile_dir, kind, dealer)
    finally:
        if dealer is not None:
            dealer.stop()


def _end_to_end(env, backend: str, recipients: int, workers: int, run: int, profile_dir: str | None,
                kind: str, dealer: Dealer | None) -> dict:
    from app import clock
    from app.domain import friendtalk
    from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
    from app.domain.friendtalk_plan import FriendtalkRequest
    from app.extensions import db
    from app.models import AlimtalkTemplate, Send
    from app.services import checks, periodic
    from app.services.kakao import alimtalk_sends, friendtalk_sends
    from app.services.kakao import templates as alimtalk_templates
    from app.services.sending import acceptance
    from tests.support.factories import approve_channel, make_customer, make_template

    url = env.database_url(backend, f"bench_dispatch_{kind}_{workers}_{run}")
    kakao_env = dealer.settings() if dealer else {}
    app = env.app(url, **BENCH_SETTINGS, **kakao_env)
    raw = raw_rate(url, recipients)
    customer = make_customer(app, kind="corporate", cash=recipients * 50 + 1000)
    template_id = None
    if kind == "alimtalk" and dealer:
        # the dealer reviews: registered through the adapter, approved at once ("[승인]"), read back
        template_id = make_template(app, customer.account_id, approve_channel(app, customer.account_id, "@bench"),
                                    status="requested", name="[승인] 주문 안내", buttons=[])
        with app.app_context():
            alimtalk_templates.submit_requested(clock.now())
            alimtalk_templates.sync_reviews(clock.now())
            status = db.session.get(AlimtalkTemplate, template_id).status
            db.session.commit()
        if status != "approved":
            raise RuntimeError(f"the dealer did not approve the bench's template: {status}")
    elif kind == "alimtalk":
        template_id = make_template(app, customer.account_id, approve_channel(app, customer.account_id, "@bench"),
                                    status="approved", buttons=[])
    elif kind == "friendtalk":
        approve_channel(app, customer.account_id, "@bench")
    with app.app_context():
        db.session.execute(sa.text("UPDATE account SET daily_cap = :c WHERE id = :a"),
                           {"c": recipients * 10, "a": customer.account_id})
        db.session.commit()
    people = list(numbers(recipients, {"고객명": "홍길동"} if kind == "alimtalk" else None))
    procs = start_workers(env, app, workers, profile_dir, kakao_env)
    pg = postgres_pid(env)
    try:
        wait_for_workers(env, workers)   # the clock starts once every worker listens
        if STATEMENTS[0] and backend == "postgresql":
            _reset_statements(url)
        before = {"bench": time.process_time(), "workers": [tree_cpu(p.pid) for p in procs],
                  "postgresql": tree_cpu(pg) if pg else 0.0, "redis": cpu_of([env.redis.process.pid]),
                  "dealer": cpu_of([dealer.process.pid]) if dealer else 0.0}
        t0 = time.perf_counter()
        with app.app_context():
            if kind == "friendtalk":
                content = friendtalk.check_content("[megabird] 겨울 세일이 시작되었습니다. 매장에서 확인해주세요.")
                result = friendtalk_sends.accept(FriendtalkRequest(account_id=customer.account_id, channel="@bench",
                                                                   content=content, recipients=people,
                                                                   fallback=FallbackRequest(customer.phone,
                                                                                            ad_company="메가버드")),
                                                 now=clock.now())
            elif kind == "alimtalk":
                result = alimtalk_sends.accept(AlimtalkRequest(account_id=customer.account_id, channel=None,
                                                               template=template_id, recipients=people,
                                                               fallback=FallbackRequest(customer.phone)),
                                               now=clock.now())
            else:
                result = acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id,
                                                                 sender=customer.phone,
                                                                 body="[megabird] 벤치마크 메시지입니다.",
                                                                 recipients=people), now=clock.now())
            acceptance.enqueue_dispatch(result.send)
            send_id = result.send.id
        t_accept = time.perf_counter() - t0
        accept_cpu = time.process_time() - before["bench"]
        with app.app_context():
            last_tick = 0.0
            while True:
                if time.perf_counter() - last_tick >= TICK_EVERY:
                    periodic.tick(clock.now(), only={"recover_claims", "relay", "reports", "settle"})
                    last_tick = time.perf_counter()
                status = db.session.scalar(sa.select(Send.status).where(Send.id == send_id))
                db.session.commit()
                if status == "completed":
                    break
                time.sleep(0.05)
        total = time.perf_counter() - t0
        cpu = {"accept": accept_cpu, "tick": time.process_time() - before["bench"] - accept_cpu,
               "workers": [tree_cpu(p.pid) - b for p, b in zip(procs, before["workers"])],
               "postgresql": (tree_cpu(pg) - before["postgresql"]) if pg else None,
               "redis": cpu_of([env.redis.process.pid]) - before["redis"],
               "dealer": (cpu_of([dealer.process.pid]) - before["dealer"]) if dealer else None}
        with app.app_context():
            send = db.session.get(Send, send_id)
            problems = checks.invariant_violations()
            from app.gateways.sandbox import SandboxGateway
            dupes = SandboxGateway.duplicate_submissions()
            figures = {"backend": backend, "messages": send.recipient_count, "seconds": total,
                       "accept_seconds": t_accept, "msg_per_s": send.recipient_count / total,
                       "raw_rows_per_s": raw, "ratio": (send.recipient_count / total) / raw,
                       "delivered": send.delivered_count, "failed": send.failed_count,
                       "fallbacks": send.fallback_count, "fallback_delivered": send.fallback_delivered_count,
                       "refunded": send.refunded_amount, "ledger_ok": not problems, "duplicate_refs": dupes,
                       "workers": workers, "cpu": cpu, "dealer": dealer.received() if dealer else None,
                       "statements": pg_statements(url, STATEMENTS[0]) if STATEMENTS[0] and backend == "postgresql"
                       else []}
    finally:
        stop(procs, profiling=bool(profile_dir))
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


STATEMENTS = [0]


def pg_statements(url: str, top: int) -> list[str]:
    """The statements PostgreSQL spent most time on during the run (reset before it)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT total_exec_time, calls, rows, query FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "ORDER BY total_exec_time DESC LIMIT :n"), {"n": top}).all()
    engine.dispose()
    return [f"{ms / 1000:6.2f}s {calls:>7} calls {n:>8} rows  {' '.join(query.split())[:150]}"
            for ms, calls, n, query in rows]


def _reset_statements(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.exec_driver_sql("SELECT pg_stat_statements_reset()")
    engine.dispose()


def cpu_line(r: dict) -> str:
    cpu = r["cpu"]
    parts = [f"accept {cpu['accept']:.1f}s", f"tick {cpu['tick']:.1f}s"]
    parts += [f"worker {i + 1} {seconds:.1f}s" for i, seconds in enumerate(cpu["workers"])]
    if cpu["postgresql"] is not None:
        parts.append(f"postgresql {cpu['postgresql']:.1f}s")
    parts.append(f"redis {cpu['redis']:.1f}s")
    if cpu.get("dealer") is not None:
        parts.append(f"NHN dealer {cpu['dealer']:.1f}s")
    return "CPU " + ", ".join(parts) + f" (wall {r['seconds']:.1f}s)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1", help="worker counts to run, e.g. 1,2,4")
    parser.add_argument("--kind", default="sms", choices=("sms", "alimtalk", "friendtalk"),
                        help="sms (PERF-01), or alimtalk / friendtalk with fallback (PERF-06)")
    parser.add_argument("--kakao", default="sandbox", choices=("sandbox", "nhn"),
                        help="the Kakao gateway of alimtalk / friendtalk: the sandbox, or the NHN dealer "
                             "adapter against the local dealer server (issue 20)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="record each worker with py-spy (raw stacks) into DIR")
    parser.add_argument("--pg-statements", type=int, default=0, metavar="N",
                        help="print PostgreSQL's N most expensive statements of each run (pg_stat_statements)")
    args = parser.parse_args()
    if args.kind == "friendtalk":
        BENCH_SETTINGS.update(brand_message_hours())
    env = Environment(pg_options="-c shared_preload_libraries=pg_stat_statements" if args.pg_statements else "")
    STATEMENTS[0] = args.pg_statements
    summary = []
    try:
        for backend in args.backends.split(","):
            for workers in [int(w) for w in args.workers.split(",")]:
                runs = [end_to_end(env, backend, args.recipients, workers, i, args.profile, args.kind, args.kakao)
                        for i in range(args.runs)]
                label = {"alimtalk": "PERF-06 (AlimTalk with fallback)",
                         "friendtalk": "PERF-06 (친구톡 with fallback)"}.get(args.kind, "PERF-01")
                if args.kind != "sms" and args.kakao == "nhn":
                    label += " via NHN dealer"
                for r in runs:
                    if args.kind != "sms":
                        print(f"        fallbacks {r['fallbacks']:,} (delivered {r['fallback_delivered']:,})",
                              flush=True)
                    print(f"{label} {backend}, {workers} worker(s): {r['messages']:,} recipients in "
                          f"{r['seconds']:.2f}s (accept {r['accept_seconds']:.2f}s) = {r['msg_per_s']:,.0f} /s; "
                          f"raw insert+update {r['raw_rows_per_s']:,.0f} rows/s; ratio {r['ratio']:.2f}; "
                          f"delivered {r['delivered']:,} failed {r['failed']:,} refunded {r['refunded']:,}; "
                          f"ledger ok {r['ledger_ok']}; duplicate refs {r['duplicate_refs']}", flush=True)
                    print(f"        {cpu_line(r)}", flush=True)
                    if r["dealer"]:
                        d = r["dealer"]
                        print(f"        NHN dealer received {d['messages']:,} messages in {d['requests']:,} requests "
                              f"({', '.join(f'{k} {n:,}' for k, n in sorted(d['by_path'].items()))}); "
                              f"not yet final {d['pending']:,}; duplicates {d['duplicates']}", flush=True)
                    for line in r["statements"]:
                        print(f"        {line}", flush=True)
                summary.append(f"{args.kind}{' nhn' if args.kakao == 'nhn' and args.kind != 'sms' else ''} "
                               f"{backend} ×{workers} {statistics.median(r['msg_per_s'] for r in runs):,.0f}/s "
                               f"(ratio {statistics.median(r['ratio'] for r in runs):.2f})")
            if args.kind != "sms":
                continue
            api = [api_10k(env, backend, i) for i in range(args.runs)]
            print(f"PERF-02 {backend}: POST /api/v1/sends/sms with 10,000 recipients: "
                  f"{', '.join(f'{t:.3f}s' for t in api)}", flush=True)
            summary.append(f"{backend} API 10k {statistics.median(api):.3f}s")
    finally:
        env.close()
    print("SUMMARY dispatch: " + "; ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
