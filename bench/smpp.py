"""PERF-08 and PERF-11 for SMPP (11-quality.md; 10-gateway.md GW-03): SMS through the SMPP
adapter to the local SMSC (app/gateways/smpp/smsc.py, a fresh process on a free loopback
port for every measurement), one bind, window 50.

PERF-08 (printed side by side):
  a. bare client: a plain smpp34 Client (one TRX bind, window 50, an asyncio semaphore
     of 50 submit_sm in flight) submitting `--submits` PDUs like the connector's (KS C 5601,
     registered_delivery, user_message_reference) and reading the receipts: submit_sm/s
     as the client saw them and as the SMSC logged them (its own rate).
  b. the connector alone: one `flask megabird smpp-connector` process (GATEWAY_SMS=smpp,
     SMPP_WINDOW=50, SMPP_BINDS=1) started after one accepted send of `--submits`
     recipients (numbers ending 00–79: delivered); from its bind to the last of them
     logged by the SMSC (the SMSC's log, submit_sm/s), with its CPU and the SMSC's.
  c. end to end: `--recipients` accepted → the connector submits → the SMSC's receipts →
     real `flask megabird worker` processes and the tick loop (as bench/dispatch.py runs
     them) apply them → the send settled; msg/s from accept to settled, with the CPU
     seconds of each process (accept and tick in this process, connectors, workers, SMSC,
     PostgreSQL, Redis), when the SMSC logged the last submit_sm and the last receipt, and
     the duplicates in the SMSC's log (a destination submitted twice: every number is
     distinct).

PERF-11: c. for every `--workers` × `--connectors` count (run it on PostgreSQL:
`--backends postgresql --workers 1,2,4 --connectors 1,2`), with the process that used
the most CPU named.

    .venv/bin/python bench/smpp.py [--backends sqlite,postgresql] [--recipients 100000] [--runs 1]
                                   [--workers 1[,2,4]] [--connectors 1[,2]] [--submits 20000]
                                   [--parts bare,connector,e2e] [--batch-size 500] [--profile DIR]
                                   [--pg-statements N]

The SMSC's pauses (≥ 20 ms between one submit_sm in its log and the next; with one
connector, also those at the ends of its batches of `--batch-size`) show how long the SMSC
waited for the connector. `--profile DIR` records every connector (and worker) with py-spy
(raw collapsed stacks, DIR/connector-*.txt, DIR/worker-*.txt; the CPU figures then include
py-spy's own, and the connector's stats are not logged). `--pg-statements N` prints the
statements PostgreSQL spent most time on in b and c (all processes together).
Prints figures; never asserts them.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import sqlalchemy as sa
from _env import ROOT, Environment
from dispatch import (
    TICK_EVERY,
    _reset_statements,
    cpu_of,
    pg_statements,
    postgres_pid,
    start_workers,
    stop,
    tree_cpu,
    wait_for_workers,
)

TEXT = "[megabird] 벤치마크 메시지입니다."      # one KS C 5601 segment
WINDOW = 50
SYSTEM_ID, PASSWORD = "megabird", "bench"
POLL = 0.1            # seconds between looks at the SMSC's log


# --- the SMSC and its log ------------------------------------------------------------------------------------

def start_smsc(tmp: Path, name: str):
    from tests.support.smsc import SmscProcess
    return SmscProcess(log_path=tmp / f"{name}.log").start()


class LogTail:
    """The SMSC's JSON-lines log as it grows: events counted from the bytes appended since
    the last look (no JSON parsed while the run is timed)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0
        self.rest = b""
        self.counts: Counter = Counter()

    def poll(self) -> Counter:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.counts
        self.offset += len(data)
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        for line in lines:      # {"event": "submit", ...
            if line.startswith(b'{"event": "'):
                self.counts[line[11:].split(b'"', 1)[0].decode()] += 1
        return self.counts


def read_log(path: Path) -> list[dict]:
    from app.gateways.smpp.smsc import Log
    return Log.read(path)


def at(entry: dict) -> float:
    """An SMSC log entry's time as a Unix timestamp."""
    return dt.datetime.fromisoformat(entry["at"]).timestamp()


def duplicates(entries: list[dict]) -> int:
    """Submits to a destination already submitted to (every number of a run is distinct)."""
    seen: set[str] = set()
    repeated = 0
    for e in entries:
        if e["event"] == "submit":
            repeated += e["dest"] in seen
            seen.add(e["dest"])
    return repeated


def log_rate(entries: list[dict], event: str = "submit") -> tuple[int, float, float, float]:
    """(count, first at, last at, per second between them) of one kind of entry."""
    times = [at(e) for e in entries if e["event"] == event]
    if len(times) < 2:
        return len(times), (times or [0.0])[0], (times or [0.0])[-1], 0.0
    return len(times), times[0], times[-1], (len(times) - 1) / max(times[-1] - times[0], 1e-9)


def pauses(entries: list[dict], event: str = "submit", longer: float = 0.02, every: int = 0) -> tuple[int, float]:
    """(how many, seconds in all) of the pauses of at least `longer` seconds between one
    entry and the next: where the SMSC waited for its client. With `every`, only those
    after every `every`-th entry (one connector's batch ends)."""
    times = [at(e) for e in entries if e["event"] == event]
    gaps = [b - a for n, (a, b) in enumerate(pairwise(times), start=1)
            if b - a >= longer and (not every or n % every == 0)]
    return len(gaps), sum(gaps)


def wait_for(tail: LogTail, event: str, count: int, timeout: float, what: str, on_poll=None) -> None:
    deadline = time.monotonic() + timeout
    while tail.poll()[event] < count:
        if on_poll:
            on_poll()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: {tail.counts[event]} of {count} {event} in the SMSC's log after {timeout:.0f} s")
        time.sleep(POLL)


# --- the numbers and the send --------------------------------------------------------------------------------

def numbers(count: int, block: int) -> list:
    """Distinct mobile numbers ending 00–79 (delivered, GW-02)."""
    from app.domain.recipients import Recipient
    return [Recipient(f"010{block}{i // 80:05d}{i % 80:02d}", None, {}, i + 1) for i in range(count)]


def smpp_env(smsc, batch_size: int) -> dict[str, str]:
    return {"GATEWAY_SMS": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_PORT": str(smsc.port),
            "SMPP_SYSTEM_ID": SYSTEM_ID, "SMPP_PASSWORD": PASSWORD, "SMPP_WINDOW": str(WINDOW), "SMPP_BINDS": "1",
            "SMPP_THROUGHPUT": "0", "SMPP_BATCH_SIZE": str(batch_size)}


def prepared_app(env, backend: str, name: str, smsc, batch_size: int, recipients: int):
    """A migrated database on `backend`, the app on it with the SMS route over SMPP, and a
    customer with money and a daily cap for `recipients`."""
    from app.extensions import db
    from tests.support.factories import make_customer
    settings = smpp_env(smsc, batch_size)
    app = env.app(env.database_url(backend, name), **{k: (int(v) if v.isdigit() else v) for k, v in settings.items()})
    customer = make_customer(app, kind="corporate", cash=recipients * 50 + 1000)
    with app.app_context():
        db.session.execute(sa.text("UPDATE account SET daily_cap = :c WHERE id = :a"),
                           {"c": recipients * 10, "a": customer.account_id})
        db.session.commit()
    return app, customer, settings


def accept(app, customer, people, enqueue: bool = True) -> int:
    from app import clock
    from app.services.sending import acceptance
    with app.app_context():
        result = acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone,
                                                         body=TEXT, recipients=people), now=clock.now())
        if enqueue:
            acceptance.enqueue_dispatch(result.send)
        return result.send.id


# --- connector processes -------------------------------------------------------------------------------------

class Connectors:
    """`count` `flask megabird smpp-connector` processes (each in its own session, stderr
    kept: it ends with the connector's stats)."""

    def __init__(self, app, settings: dict, count: int, tmp: Path, profile_dir: str | None = None):
        environ = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config["REDIS_URL"],
                       SANDBOX_DATABASE_URL=app.config["SANDBOX_DATABASE_URL"], FLASK_APP="run.py",
                       MEGABIRD_INSTANCE=os.environ["MEGABIRD_INSTANCE"], **settings)
        command = [str(ROOT / ".venv/bin/flask"), "megabird", "smpp-connector"]
        self.profiling = bool(profile_dir)
        self.stderr = [tmp / f"connector-{time.monotonic_ns()}-{i}.txt" for i in range(count)]
        self.procs = []
        for i, path in enumerate(self.stderr):
            argv = command
            if profile_dir:
                argv = [str(ROOT / ".venv/bin/py-spy"), "record", "-o", f"{profile_dir}/connector-{i}.txt", "-f",
                        "raw", "-r", "250", "--"] + command
            with open(path, "wb") as err:
                self.procs.append(subprocess.Popen(argv, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=err,
                                                   start_new_session=True))

    def cpu(self) -> list[float]:
        return [tree_cpu(p.pid) for p in self.procs]

    def check(self) -> None:
        for p, path in zip(self.procs, self.stderr):
            if p.poll() is not None:
                raise RuntimeError(f"a connector exited with {p.returncode}: {path.read_text(errors='replace')[-2000:]}")

    def stop(self) -> list[dict]:
        """SIGTERM (SIGINT under py-spy, which then writes its profile): each finishes its
        batch and logs its stats, which are returned."""
        stop(self.procs, profiling=self.profiling)
        found = []
        for path in self.stderr:
            stats = {}
            for line in path.read_text(errors="replace").splitlines():
                if "SMPP connector stopped: " in line:
                    stats = ast.literal_eval(line.split("SMPP connector stopped: ", 1)[1].strip())
            found.append(stats)
        return found


# --- a. the bare client --------------------------------------------------------------------------------------

def bare_client(tmp: Path, count: int) -> dict:
    import smpp34

    from app.gateways.smpp import encoding
    smsc = start_smsc(tmp, "bare")
    people = numbers(count, 1)
    [segment] = encoding.segments(encoding.wire_text(TEXT, None), ref=1)

    async def run():
        client = smpp34.Client(host="127.0.0.1", port=smsc.port, system_id=SYSTEM_ID, password=PASSWORD,
                               bind_type="TRX", window_size=WINDOW, inbound_capacity=65_536)
        session = await client.connect()
        receipts = 0
        all_receipts = asyncio.get_running_loop().create_future()

        async def receive():
            nonlocal receipts
            while True:
                event = await session.next()
                if not isinstance(event, smpp34.DeliverSmEvent):
                    return
                receipts += 1
                if receipts == count:
                    all_receipts.set_result(time.perf_counter())

        receiver = asyncio.create_task(receive())
        window = asyncio.Semaphore(WINDOW)
        accepted = 0

        async def one(recipient, n):
            nonlocal accepted
            try:
                resp = await session.submit_sm(
                    recipient.phone, segment.short_message, source_addr="0212345678", esm_class=segment.esm_class,
                    data_coding=segment.data_coding, registered_delivery=1,
                    tlvs=[smpp34.Tlv(smpp34.TLV_USER_MESSAGE_REFERENCE, (n % 65536).to_bytes(2, "big"))])
                accepted += resp.is_success
            finally:
                window.release()

        cpu0, t0 = time.process_time(), time.perf_counter()
        tasks = []
        for n, recipient in enumerate(people):
            await window.acquire()
            tasks.append(asyncio.create_task(one(recipient, n)))
        await asyncio.gather(*tasks)
        t_submitted = time.perf_counter()
        try:
            t_receipts = await asyncio.wait_for(all_receipts, 120)
        except TimeoutError:
            t_receipts = None
        cpu = time.process_time() - cpu0
        await session.unbind()
        receiver.cancel()
        await client.stop()
        return t0, t_submitted, t_receipts, accepted, receipts, cpu

    smsc_cpu0 = cpu_of([smsc.process.pid])
    t0, t_submitted, t_receipts, accepted, receipts, cpu = asyncio.run(run())
    smsc_cpu = cpu_of([smsc.process.pid]) - smsc_cpu0
    entries = read_log(smsc.log_path)
    smsc.cleanup()
    smsc.log_path.unlink(missing_ok=True)
    logged, _, _, rate = log_rate(entries)
    return {"submits": count, "accepted": accepted, "seconds": t_submitted - t0, "rate": count / (t_submitted - t0),
            "receipts": receipts, "receipt_seconds": (t_receipts - t0) if t_receipts else None,
            "smsc_logged": logged, "smsc_rate": rate, "client_cpu": cpu, "smsc_cpu": smsc_cpu,
            "duplicates": duplicates(entries), "load": os.getloadavg()[0]}


# --- b. the connector alone ----------------------------------------------------------------------------------

def connector_alone(env, tmp: Path, backend: str, count: int, batch_size: int, profile_dir: str | None,
                    statements: int = 0) -> dict:
    smsc = start_smsc(tmp, f"connector-{backend}")
    app, customer, settings = prepared_app(env, backend, "bench_smpp_connector", smsc, batch_size, count)
    accept(app, customer, numbers(count, 2), enqueue=False)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    statements = statements if backend == "postgresql" else 0
    if statements:
        _reset_statements(url)
    tail = LogTail(smsc.log_path)
    started = time.time()
    connectors = Connectors(app, settings, 1, tmp, profile_dir)
    try:
        wait_for(tail, "bind", 1, 60, "the connector's bind", connectors.check)
        pg = postgres_pid(env) if backend == "postgresql" else None
        cpu0, smsc0, pg0 = connectors.cpu()[0], cpu_of([smsc.process.pid]), tree_cpu(pg) if pg else 0.0
        wait_for(tail, "submit", count, max(120, count / 50), "the connector's submits", connectors.check)
        cpu, smsc_cpu = connectors.cpu()[0] - cpu0, cpu_of([smsc.process.pid]) - smsc0
        pg_cpu = (tree_cpu(pg) - pg0) if pg else None
    finally:
        stats = connectors.stop()[0]
    top = pg_statements(url, statements) if statements else []
    entries = read_log(smsc.log_path)
    smsc.cleanup()
    smsc.log_path.unlink(missing_ok=True)
    bound = at(next(e for e in entries if e["event"] == "bind"))
    logged, first, last, steady = log_rate(entries)
    return {"backend": backend, "submits": logged, "startup": bound - started, "seconds": last - bound,
            "rate": logged / (last - bound), "steady": steady, "first_after": first - bound, "cpu": cpu,
            "smsc_cpu": smsc_cpu, "pg_cpu": pg_cpu, "stats": stats, "duplicates": duplicates(entries),
            "pauses": pauses(entries), "batch_pauses": pauses(entries, every=batch_size), "load": os.getloadavg()[0],
            "statements": top}


# --- c. end to end -------------------------------------------------------------------------------------------

def end_to_end(env, tmp: Path, backend: str, recipients: int, workers: int, connectors: int, run: int,
               batch_size: int, profile_dir: str | None, statements: int = 0) -> dict:
    from app import clock
    from app.extensions import db
    from app.models import Message, Send
    from app.services import checks, periodic

    smsc = start_smsc(tmp, f"e2e-{backend}-{workers}-{connectors}-{run}")
    app, customer, settings = prepared_app(env, backend, f"bench_smpp_{workers}_{connectors}_{run}", smsc,
                                           batch_size, recipients)
    people = numbers(recipients, 3 + run % 6)
    tail = LogTail(smsc.log_path)
    procs = start_workers(env, app, workers, profile_dir, extra_env=settings)
    links = Connectors(app, settings, connectors, tmp, profile_dir)
    pg = postgres_pid(env)
    try:
        wait_for_workers(env, workers)
        wait_for(tail, "bind", connectors, 120, "the connectors' binds", links.check)
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        statements = statements if backend == "postgresql" else 0
        if statements:
            _reset_statements(url)
        before = {"bench": time.process_time(), "workers": [tree_cpu(p.pid) for p in procs],
                  "connectors": links.cpu(), "smsc": cpu_of([smsc.process.pid]),
                  "postgresql": tree_cpu(pg) if pg else 0.0, "redis": cpu_of([env.redis.process.pid])}
        wall0, t0 = time.time(), time.perf_counter()
        send_id = accept(app, customer, people)
        t_accept = time.perf_counter() - t0
        accept_cpu = time.process_time() - before["bench"]
        with app.app_context():
            last_tick = last_check = 0.0
            while True:
                if time.perf_counter() - last_tick >= TICK_EVERY:
                    periodic.tick(clock.now(), only={"recover_claims", "recover_connector_claims", "relay",
                                                     "reports", "settle"})
                    last_tick = time.perf_counter()
                status = db.session.scalar(sa.select(Send.status).where(Send.id == send_id))
                db.session.commit()
                if status == "completed":
                    break
                if time.perf_counter() - last_check > 5:
                    links.check()
                    last_check = time.perf_counter()
                time.sleep(0.05)
        total = time.perf_counter() - t0
        cpu = {"accept": accept_cpu, "tick": time.process_time() - before["bench"] - accept_cpu,
               "connectors": [c - b for c, b in zip(links.cpu(), before["connectors"])],
               "workers": [tree_cpu(p.pid) - b for p, b in zip(procs, before["workers"])],
               "smsc": cpu_of([smsc.process.pid]) - before["smsc"],
               "postgresql": (tree_cpu(pg) - before["postgresql"]) if pg else None,
               "redis": cpu_of([env.redis.process.pid]) - before["redis"]}
        with app.app_context():
            send = db.session.get(Send, send_id)
            states = dict(db.session.execute(sa.select(Message.state, sa.func.count()).where(
                Message.send_id == send_id).group_by(Message.state)).all())
            figures = {"backend": backend, "workers": workers, "connectors": connectors,
                       "messages": send.recipient_count, "seconds": total, "accept_seconds": t_accept,
                       "msg_per_s": send.recipient_count / total, "delivered": send.delivered_count,
                       "failed": send.failed_count, "states": states, "charged": send.charged_amount,
                       "ledger_ok": not checks.invariant_violations(), "cpu": cpu,
                       "statements": pg_statements(url, statements) if statements else []}
            db.session.commit()
    finally:
        stats = links.stop()
        stop(procs, profiling=bool(profile_dir))
    entries = read_log(smsc.log_path)
    smsc.cleanup()
    smsc.log_path.unlink(missing_ok=True)
    submits, first, last, smsc_rate = log_rate(entries)
    receipts, _, last_receipt, _ = log_rate(entries, "receipt")
    figures.update(submits=submits, duplicates=duplicates(entries), smsc_rate=smsc_rate,
                   first_submit=first - wall0, last_submit=last - wall0, receipts=receipts,
                   last_receipt=last_receipt - wall0, stats=stats, pauses=pauses(entries),
                   batch_pauses=pauses(entries, every=batch_size) if connectors == 1 else None,
                   load=os.getloadavg()[0])
    return figures


def cpu_parts(cpu: dict) -> list[tuple[str, float]]:
    parts = [("accept", cpu["accept"]), ("tick", cpu["tick"])]
    parts += [(f"connector {i + 1}", s) for i, s in enumerate(cpu["connectors"])]
    parts += [(f"worker {i + 1}", s) for i, s in enumerate(cpu["workers"])]
    parts.append(("smsc", cpu["smsc"]))
    if cpu["postgresql"] is not None:
        parts.append(("postgresql", cpu["postgresql"]))
    parts.append(("redis", cpu["redis"]))
    return parts


def print_e2e(r: dict, label: str) -> None:
    stats = r["stats"]
    unknown = sum(s.get("unknown", 0) for s in stats)
    throttled = sum(s.get("throttled", 0) for s in stats)
    print(f"{label} {r['backend']}, {r['workers']} worker(s), {r['connectors']} connector(s): {r['messages']:,} "
          f"recipients accepted → settled in {r['seconds']:.2f}s (accept {r['accept_seconds']:.2f}s) = "
          f"{r['msg_per_s']:,.0f} msg/s; delivered {r['delivered']:,} failed {r['failed']:,}; "
          f"duplicates in the SMSC's log {r['duplicates']}; unknown {unknown}, throttled {throttled}; "
          f"ledger ok {r['ledger_ok']}", flush=True)
    print(f"        SMSC log: {r['submits']:,} submit_sm from {r['first_submit']:.2f}s to {r['last_submit']:.2f}s "
          f"({r['smsc_rate']:,.0f}/s; it waited ≥ 20 ms {r['pauses'][0]} times, {r['pauses'][1]:.2f}s in all"
          + (f", {r['batch_pauses'][0]} at batch ends, {r['batch_pauses'][1]:.2f}s" if r["batch_pauses"] else "")
          + f"), "
          f"{r['receipts']:,} receipts by {r['last_receipt']:.2f}s; states {r['states']}", flush=True)
    parts = cpu_parts(r["cpu"])
    print("        CPU " + ", ".join(f"{name} {s:.1f}s" for name, s in parts) + f" (wall {r['seconds']:.1f}s)",
          flush=True)
    name, most = max(parts, key=lambda p: p[1])
    busy = sum(s for _, s in parts) / r["seconds"]
    print(f"        most CPU: {name} ({most:.1f}s, {most / r['seconds']:.0%} of a core over the run); "
          f"CPU per message {sum(s for _, s in parts) / r['messages'] * 1000:.2f} ms in all, "
          f"{busy:.2f} of {os.cpu_count()} cores busy with these processes; load average {r['load']:.1f}",
          flush=True)
    for line in r["statements"]:
        print(f"        {line}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--recipients", type=int, default=100_000, help="end to end (c)")
    parser.add_argument("--submits", type=int, default=20_000, help="PDUs of the bare client (a) and the connector (b)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", default="1", help="worker counts for c, e.g. 1,2,4")
    parser.add_argument("--connectors", default="1", help="connector counts for c, e.g. 1,2")
    parser.add_argument("--parts", default="bare,connector,e2e", help="which of bare (a), connector (b), e2e (c)")
    parser.add_argument("--batch-size", type=int, default=500, help="SMPP_BATCH_SIZE (the connector's claim)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="record each connector and worker with py-spy (raw stacks) into DIR")
    parser.add_argument("--pg-statements", type=int, default=0, metavar="N",
                        help="print PostgreSQL's N most expensive statements of b and c (pg_stat_statements)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    env = Environment(pg_options="-c shared_preload_libraries=pg_stat_statements" if args.pg_statements else "")
    summary = []
    try:
        if "bare" in parts:
            for i in range(args.runs):
                r = bare_client(env.tmp, args.submits)
                print(f"PERF-08 a bare smpp34 client, 1 bind, window {WINDOW}: {r['submits']:,} submit_sm in "
                      f"{r['seconds']:.2f}s = {r['rate']:,.0f}/s (SMSC's log {r['smsc_rate']:,.0f}/s); "
                      f"accepted {r['accepted']:,}, receipts {r['receipts']:,}"
                      + (f" all by {r['receipt_seconds']:.2f}s" if r["receipt_seconds"] else "")
                      + f"; CPU client {r['client_cpu']:.1f}s, SMSC {r['smsc_cpu']:.1f}s; "
                      f"duplicates {r['duplicates']}; load average {r['load']:.1f}", flush=True)
                summary.append(f"bare {r['rate']:,.0f}/s (SMSC {r['smsc_rate']:,.0f}/s)")
        for backend in args.backends.split(","):
            if "connector" in parts:
                for i in range(args.runs):
                    r = connector_alone(env, env.tmp, backend, args.submits, args.batch_size, args.profile,
                                        args.pg_statements)
                    s = r["stats"]
                    print(f"PERF-08 b connector alone {backend}, 1 bind, window {WINDOW}, batch {args.batch_size}: "
                          f"{r['submits']:,} submit_sm logged by the SMSC {r['seconds']:.2f}s after its bind = "
                          f"{r['rate']:,.0f}/s (first to last {r['steady']:,.0f}/s; first {r['first_after']:.2f}s "
                          f"after the bind, the process bound {r['startup']:.1f}s after its start); "
                          f"duplicates {r['duplicates']}", flush=True)
                    print(f"        CPU connector {r['cpu']:.1f}s, SMSC {r['smsc_cpu']:.1f}s"
                          + (f", postgresql {r['pg_cpu']:.1f}s" if r["pg_cpu"] is not None else "")
                          + f"; the SMSC waited ≥ 20 ms {r['pauses'][0]} times, {r['pauses'][1]:.2f}s in all "
                            f"({r['batch_pauses'][0]} at batch ends, {r['batch_pauses'][1]:.2f}s); "
                          + (f"connector: accepted {s.get('accepted', 0):,} in {s.get('batches', 0)} batches, "
                             f"receipts {s.get('receipts', 0):,}" if s else "connector stats not logged")
                          + f"; load average {r['load']:.1f}", flush=True)
                    for line in r["statements"]:
                        print(f"        {line}", flush=True)
                    summary.append(f"connector {backend} {r['rate']:,.0f}/s")
            if "e2e" not in parts:
                continue
            for connectors in [int(c) for c in args.connectors.split(",")]:
                for workers in [int(w) for w in args.workers.split(",")]:
                    runs = [end_to_end(env, env.tmp, backend, args.recipients, workers, connectors, i,
                                       args.batch_size, args.profile, args.pg_statements)
                            for i in range(args.runs)]
                    label = "PERF-08 c" if (workers, connectors) == (1, 1) else "PERF-11"
                    for r in runs:
                        print_e2e(r, label)
                    summary.append(f"e2e {backend} ×{workers} workers ×{connectors} connectors "
                                   f"{statistics.median(r['msg_per_s'] for r in runs):,.0f}/s "
                                   f"(dupes {sum(r['duplicates'] for r in runs)})")
    finally:
        env.close()
    print("SUMMARY smpp: " + "; ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
