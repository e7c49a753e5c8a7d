"""REL-02: a real worker process (`flask megabird worker --burst`) SIGKILLed at a seeded
crash point during dispatch, report application or settlement, then restarted until the
send completes. Shared by tests/integration/test_pipeline_faults.py (a few seeds) and
bench/soak_kill.py (≥ 50 seeds)."""
from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app import clock, faults
from app.domain.recipients import Recipient
from app.extensions import db, queue
from app.gateways.sandbox import SandboxGateway
from app.models import Send
from app.services import checks
from app.domain import friendtalk
from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.friendtalk_plan import FriendtalkRequest
from app.services.kakao import alimtalk_sends, friendtalk_sends
from app.services.sending import acceptance

ROOT = Path(__file__).resolve().parents[2]
FLASK = ROOT / ".venv" / "bin" / "flask"


@dataclass
class Outcome:
    seed: int
    crash: str
    kills: int
    rounds: int
    status: str
    duplicate_refs: int
    ledger_problems: list[str]
    delivered: int
    failed: int
    recipients: int
    fallbacks: int = 0              # fallback messages of a Kakao send
    fallbacks_final: int = 0


def recipients_for(rng: random.Random, count: int) -> list[Recipient]:
    """Mostly delivered, some failures of every kind (90-97); no 98 (49 h) here."""
    endings = [f"{i:02d}" for i in range(0, 98) if i != 89]
    phones: set[str] = set()
    while len(phones) < count:
        phones.add(f"010{rng.randrange(2000, 9999):04d}{rng.randrange(100):02d}{rng.choice(endings)}")
    return [Recipient(p, None, {}, i + 1) for i, p in enumerate(sorted(phones))]


def _accept(app, account_id: int, sender: str, seed: int, rng: random.Random, size: int, start: dt.datetime,
            template_id: int | None, channel: str | None = None) -> int:
    """An SMS send, or with `template_id` an AlimTalk send with 대체문자 from `sender`, or
    with `channel` a 친구톡 (Brand Message) with its ad fallback (80–88 then fail on Kakao
    only and their fallback goes; 90–97 fail on both)."""
    people = recipients_for(rng, size)
    with app.app_context():
        if channel is not None:
            result = friendtalk_sends.accept(FriendtalkRequest(
                account_id=account_id, channel=channel, content=friendtalk.check_content(f"REL-02 seed {seed} 세일 안내"),
                recipients=people, fallback=FallbackRequest(sender, ad_company="메가샵")), now=start)
        elif template_id is None:
            result = acceptance.accept(acceptance.SmsRequest(account_id=account_id, sender=sender,
                                                             body=f"REL-02 seed {seed}", recipients=people), now=start)
        else:
            people = [Recipient(r.phone, None, {"고객명": f"고객{seed}", "주문번호": str(r.row)}, r.row) for r in people]
            result = alimtalk_sends.accept(AlimtalkRequest(account_id=account_id, channel=None, template=template_id,
                                                           recipients=people, fallback=FallbackRequest(sender)),
                                           now=start)
        return result.send.id


def run_worker_process(app, *, crash: str | None = None, batch_size: int = 1000, timeout: int = 180,
                       clock_offset: float = 0.0) -> int:
    """One burst worker in its own process (its clock shifted by `clock_offset` seconds, as
    this process's); returns its exit code (-9 when killed)."""
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config["REDIS_URL"],
               SANDBOX_DATABASE_URL=app.config["SANDBOX_DATABASE_URL"],
               FLASK_APP="run.py", RQ_QUEUE_PREFIX=app.config.get("RQ_QUEUE_PREFIX", ""),
               DISPATCH_BATCH_SIZE=str(batch_size), CLOCK_OFFSET_SECONDS=str(clock_offset))
    env.pop("MEGABIRD_CRASH_AT", None)
    if crash:
        env["MEGABIRD_CRASH_AT"] = crash
    result = subprocess.run([str(FLASK), "megabird", "worker", "--burst"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    return result.returncode


def enqueue_tick(app, now: dt.datetime) -> None:
    from app.jobs.system import run_tick
    with app.app_context():
        queue("periodic").enqueue(run_tick, now.isoformat(), job_timeout=120)


def enqueue_dispatch(app, send_id: int) -> None:
    from app.jobs.sending import dispatch_send
    from app.services.sending.dispatch import JOB_TIMEOUT
    with app.app_context():
        queue("dispatch").enqueue(dispatch_send, send_id, job_timeout=JOB_TIMEOUT)


def brand_message_offset(now: dt.datetime) -> float:
    """Seconds to shift the clocks by so that `now` falls at 12:00 KST when it is outside
    the Brand Message hours (08:00–20:50), else 0."""
    if friendtalk.in_hours(now):
        return 0.0
    noon = clock.kst_to_utc(dt.datetime.combine(clock.to_kst(now).date(), dt.time(12, 0)))
    return (noon - now).total_seconds()


def scenario(app, account_id: int, sender: str, seed: int, *, size: int = 240, batch_size: int = 50,
             template_id: int | None = None, channel: str | None = None) -> Outcome:
    """Accept one send (an AlimTalk send with fallback when `template_id` is given, a 친구톡
    with its ad fallback on `channel`), crash the worker once at a seeded point, restart
    until done. A 친구톡 outside its hours runs with every clock shifted to 12:00 KST."""
    offset = brand_message_offset(clock.now()) if channel is not None else 0.0
    clock.set_offset(offset)
    try:
        return _scenario(app, account_id, sender, seed, size, batch_size, template_id, channel, offset)
    finally:
        clock.set_offset(0)


def _scenario(app, account_id, sender, seed, size, batch_size, template_id, channel, offset) -> Outcome:
    rng = random.Random(seed)
    crash_point = rng.choice(faults.POINTS)
    crash = f"{crash_point}:{rng.randint(1, 3 if crash_point.startswith('dispatch') else 2)}"
    start = clock.now()
    send_id = _accept(app, account_id, sender, seed, rng, size, start, template_id, channel)
    kills = rounds = 0
    # Round 0: the dispatch job and a tick that applies reports and settles, with the crash armed.
    enqueue_dispatch(app, send_id)
    for round_no in range(12):
        rounds += 1
        # every round a little later: claims go stale (5 min), reports come due (≤ 30 min)
        enqueue_tick(app, start + dt.timedelta(minutes=31 + 10 * round_no))
        # small batches: several per send, so that crashes land between them
        code = run_worker_process(app, crash=None if kills else crash, batch_size=batch_size, clock_offset=offset)
        if code not in (0, -9):
            raise RuntimeError(f"worker exited with {code}")
        kills += code == -9
        with app.app_context():
            status = db.session.scalar(select(Send.status).where(Send.id == send_id))
            db.session.commit()
        if status == "completed":
            break
    with app.app_context():
        send = db.session.get(Send, send_id)
        outcome = Outcome(seed, crash, kills, rounds, send.status, SandboxGateway.duplicate_submissions(),
                          checks.invariant_violations(limit=5), send.delivered_count, send.failed_count,
                          send.recipient_count, send.fallback_count,
                          send.fallback_delivered_count + send.fallback_failed_count)
        db.session.commit()
    return outcome
