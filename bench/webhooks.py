"""PERF-10 (11-quality.md): 100,000 message reports delivered as `message.reported` webhooks
to a local receiver — reports/s delivered, batches, none lost.

A real SMS send of `--recipients` through the sandbox (reports at once) is taken to its end
by the tick and a real RQ SimpleWorker on the `periodic` and `dispatch` queues only, so the
events are written as outbox rows with the reports (as in production) while no webhook job
runs. Then the clock starts: a worker on the `default` queue (where the delivery jobs are)
and the tick deliver everything to the receiver, a separate process that verifies every
request with the `standardwebhooks` package (HMAC over the whole body) and counts the
distinct message ids it got. Printed: reports/s and events/s delivered, the events' sizes,
signature failures, duplicates and missing reports; and the pipeline's own time with the
endpoint against the same send without one (what writing the events costs the reports).

    .venv/bin/python bench/webhooks.py [--backends sqlite,postgresql] [--recipients 100000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
import urllib.request

from _env import ROOT, Environment

RECEIVER = textwrap.dedent('''
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from standardwebhooks.webhooks import Webhook
    hook = Webhook(sys.argv[1])
    stats = {"requests": 0, "events": 0, "reports": 0, "bad_signatures": 0, "duplicate_reports": 0,
             "sizes": [], "first_at": None, "last_at": None}
    seen, lock = set(), threading.Lock()
    import time
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                event = hook.verify(body, dict(self.headers))
            except Exception:
                event = None
            with lock:
                stats["requests"] += 1
                now = time.time()
                stats["first_at"] = stats["first_at"] or now
                stats["last_at"] = now
                if event is None:
                    stats["bad_signatures"] += 1
                elif event["type"] == "message.reported":
                    stats["events"] += 1
                    reports = event["data"]["reports"]
                    stats["sizes"].append(len(reports))
                    for r in reports:
                        if r["message_id"] in seen:
                            stats["duplicate_reports"] += 1
                        seen.add(r["message_id"])
                    stats["reports"] = len(seen)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        def do_GET(self):
            with lock:
                body = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
''')


class Receiver:
    def __init__(self, secret: str):
        self.process = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-c", RECEIVER, secret],
                                        stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/megabird"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/") as answer:
            return json.loads(answer.read())

    def stop(self):
        self.process.terminate()
        self.process.wait()


def run(env, backend: str, recipients: int, with_endpoint: bool) -> dict:
    from rq import SimpleWorker

    from app import clock
    from app.extensions import db, queue, redis_connection
    from app.models import Send, WebhookDelivery, WebhookEvent
    from app.services import periodic
    from app.services.sending import acceptance
    from app.services.webhooks import endpoints
    from dispatch import BENCH_SETTINGS, numbers
    from tests.support.factories import make_customer
    import sqlalchemy as sa

    name = f"bench_hooks_{'on' if with_endpoint else 'off'}"
    app = env.app(env.database_url(backend, name), **BENCH_SETTINGS)
    customer = make_customer(app, kind="corporate", cash=recipients * 20 + 1_000)
    receiver = None

    def work(*queues):
        """A real SimpleWorker (burst) on the given queues, in its own app context."""
        with app.app_context():
            SimpleWorker([queue(q) for q in queues], connection=redis_connection()).work(
                burst=True, logging_level="WARNING")

    def tick():
        with app.app_context():
            periodic.tick(clock.now())

    def scalar(stmt):
        with app.app_context():
            value = db.session.scalar(stmt)
            db.session.commit()
            return value

    with app.app_context():
        redis_connection().flushdb()
        db.session.execute(sa.text("UPDATE account SET api_status='approved', daily_cap=:n WHERE id=:a"),
                           {"a": customer.account_id, "n": recipients * 2})
        db.session.commit()
        if with_endpoint:
            probe, secret = endpoints.create(account_id=customer.account_id, url="http://127.0.0.1:9/x",
                                             events=["message.reported"], actor=None, now=clock.now())
            receiver = Receiver(secret)                 # it verifies with the secret, so it starts second
            endpoints.update_endpoint(account_id=customer.account_id, endpoint_id=probe.id, url=receiver.url,
                                      events=["message.reported"], actor=None, now=clock.now())
        request = acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone,
                                        body="[메가버드] 주문하신 상품이 발송되었습니다.",
                                        recipients=list(numbers(recipients)))
        start = time.perf_counter()
        accepted = acceptance.accept(request, now=clock.now())
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    status = sa.select(Send.status).where(Send.id == send_id)
    while scalar(status) != "completed":            # the send to its end; no webhook job runs
        tick()
        work("periodic", "dispatch")
    pipeline_seconds = time.perf_counter() - start
    figures = {"backend": backend, "recipients": recipients, "pipeline_seconds": pipeline_seconds}
    if receiver is None:
        return figures
    events = scalar(sa.select(sa.func.count(WebhookEvent.id)))
    waiting = sa.select(sa.func.count(WebhookDelivery.id)).where(WebhookDelivery.state.in_(("pending", "sending")))
    start = time.perf_counter()
    while True:                                     # now the webhooks
        work("default")
        if not scalar(waiting):
            break
        tick()
    seconds = time.perf_counter() - start
    stats = receiver.stats()
    receiver.stop()
    final = scalar(sa.select(Send.delivered_count + Send.failed_count).where(Send.id == send_id))
    figures.update(events=events, seconds=seconds, stats=stats, final=final,
                   reports_per_s=stats["reports"] / seconds, events_per_s=stats["events"] / seconds)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    env = Environment()
    try:
        for backend in args.backends.split(","):
            without = run(env, backend, args.recipients, with_endpoint=False)
            r = run(env, backend, args.recipients, with_endpoint=True)
            s = r["stats"]
            sizes = s["sizes"]
            print(f"PERF-10 {backend}: {s['reports']:,} reports in {s['events']} message.reported deliveries "
                  f"({min(sizes)}–{max(sizes)} a batch) in {r['seconds']:.2f}s: "
                  f"{r['reports_per_s']:,.0f} reports/s, {r['events_per_s']:.1f} deliveries/s")
            print(f"        final messages {r['final']:,}, missing {r['final'] - s['reports']:,}, "
                  f"duplicates {s['duplicate_reports']}, bad signatures {s['bad_signatures']}, "
                  f"requests {s['requests']}")
            print(f"        the send's pipeline with the endpoint {r['pipeline_seconds']:.1f}s, "
                  f"without {without['pipeline_seconds']:.1f}s (events written with the reports)", flush=True)
    finally:
        env.close()


if __name__ == "__main__":
    main()
