"""Dispatch (../shared/design/send-pipeline.md): messages go to their gateway in claimed
batches, exactly once. Each message type has its gateway (app/domain/message_types.py);
a batch is claimed from one gateway's types at a time.

For a gateway that deduplicates by client reference (the sandbox, a Kakao dealer's API):
1. Claim: `pending → submitted` for a batch, with a fresh claim token, and a
   `dispatch_batch` row for the token (one UPDATE … RETURNING and one INSERT; PostgreSQL
   adds FOR UPDATE SKIP LOCKED so that workers share a send). Committed before the
   gateway is called: the record that the batch may have left.
2. Submit the batch; the message id is the client reference.
3. The batch's `handed_at` (one row; refused messages fail now).
A job that dies between 1 and 3 leaves a batch without `handed_at`:
`recover_stale_claims` (the tick) asks the gateway which of its messages it has; the
others go back to `pending` and are sent again — never twice, since the gateway did not
get them (and would take a repeat as the same message anyway).

For a gateway that does not (an SMSC): `pending → submitting` at the claim (with its
`dispatch_batch` row too), and `submitting → submitted` for the accepted ones after the
call (conditional on the claim token), in the commit that sets `handed_at`. Stale
`submitting` rows are asked about the same way; a gateway that cannot say gets them all
as `submitted`: an uncertain message is never sent twice. RQ state decides nothing here.

A gateway served by a connector process (an SMSC's binds, GW-03) is not called by these
jobs: the connector claims the batches itself, at its own pace, through the same `_claim`
and `prepare`, and records each message around its PDU (app/services/sending/handover.py).

A claim is stale after CLAIM_STALE_AFTER, or at once when the process that claimed it
(the batch's owner: host and pid, app/processes.py) is known dead — a worker of this
host SIGKILLed or crashed (REL-03). Only the moment changes: recovery is the same.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, or_, select, update

from app import clock, faults, processes
from app.domain import alimtalk, message_types, sms
from app.domain.message_types import MessageType
from app.domain.results import FAILED, classify
from app.extensions import db
from app.gateways import Gateway, OutboundMessage, configured, get_gateway, serving
from app.models import DispatchBatch, Message, Send
from app.services.accounts import access, optout_codes
from app.services.senders import sender_numbers
from app.services.sending.outcomes import Outcome, finalize, send_facts
from app.services.shared import background, files
from app.services.shared.steps import Checks

log = logging.getLogger(__name__)

JOB = "app.jobs.sending.dispatch_send"
JOB_TIMEOUT = 180  # seconds; far below CLAIM_STALE_AFTER
BATCH_SIZE = 1000
MAX_BATCHES_PER_JOB = 200
CLAIM_STALE_AFTER = dt.timedelta(minutes=5)      # far longer than any job may run (job timeout)
RELAY_AFTER = dt.timedelta(seconds=30)
SENDER_NOT_APPROVED_CODE = "SENDER"
ACCOUNT_SUSPENDED_CODE = "SUSPENDED"
NO_GATEWAY_CODE = "NO_GATEWAY"     # its gateway was set to `none` after the send was accepted
#: each gateway and the message types it carries, in the order a job serves them
GATEWAY_TYPES: dict[str, tuple[str, ...]] = {
    gateway: tuple(t.code for t in message_types.TYPES if t.gateway == gateway) for gateway in message_types.GATEWAYS}


@dataclass(frozen=True)
class SendContent:
    """What every message of a send (or of one layer of it) shares, read once per job.
    A Kakao send's content carries what Kakao needs (`kakao`: the template's code, type
    and buttons) and its fallback layer's own content (`fallback`: the SMS or LMS sent in
    a failed Kakao message's place, 06-kakao.md KAT-07)."""
    id: int
    account_id: int
    sender: str
    msg_type: str
    title: str | None
    body: str
    ad: sms.AdSettings | None
    uses_variables: bool
    images: tuple[bytes, ...]
    syntax: str = "sms"                  # sms: #[이름], #[1]..#[4]; alimtalk: #{변수명}
    kakao: dict | None = None
    fallback: "SendContent | None" = None

    def values(self, name: str | None, vars_json: str | None) -> dict[str, str]:
        values = json.loads(vars_json) if vars_json else {}
        if name and self.syntax == "sms":
            values["이름"] = name
        return values

    def text_for(self, name: str | None, vars_json: str | None) -> tuple[str | None, str]:
        title, body = self.title, self.body
        if self.uses_variables:
            values = self.values(name, vars_json)
            render = alimtalk.render if self.syntax == "alimtalk" else sms.render
            title = render(title, values) if title else title
            body = render(body, values)
        return title, (self.ad.wrap(body) if self.ad else body)

    def kakao_for(self, name: str | None, vars_json: str | None) -> dict | None:
        """What the Kakao gateway needs of one message: the template and its buttons with
        the recipient's values in their links."""
        if self.kakao is None:
            return None
        values = self.values(name, vars_json)
        render = alimtalk.render if self.syntax == "alimtalk" else sms.render
        buttons = [{**b, **{k: render(b[k], values) for k in ("url_mobile", "url_pc") if b.get(k)}}
                   for b in self.kakao.get("buttons", ())]
        return {**self.kakao, "buttons": buttons,
                "emphasis_title": render(self.kakao.get("emphasis_title") or "", values) or None}

    def for_type(self, msg_type: str) -> "SendContent":
        """The content of the layer a message type belongs to."""
        if self.fallback is not None and message_types.get(msg_type).gateway != message_types.get(self.msg_type).gateway:
            return self.fallback
        return self


def load_content(send: Send) -> SendContent:
    images = tuple(files.path_of(img.file).read_bytes() for img in send.images)
    ad = (sms.AdSettings(send.ad_company, send.ad_optout, optout_codes.footer_code(send.account_id, send.ad_optout))
          if send.is_ad else None)
    if not send.kakao:
        return SendContent(send.id, send.account_id, send.sender_number, send.msg_type, send.title, send.body, ad,
                           send.uses_variables, images)
    kakao = json.loads(send.kakao)
    # AlimTalk's variables are its template's #{변수}; a Brand Message's are the SMS ones
    syntax = "alimtalk" if send.channel == "alimtalk" else "sms"
    fallback = None
    if kakao.get("fallback"):
        f = kakao["fallback"]
        f_ad = (sms.AdSettings(f["ad"]["company"], f["ad"]["optout"],
                               optout_codes.footer_code(send.account_id, f["ad"]["optout"])) if f.get("ad") else None)
        # an MMS fallback carries the Brand Message's image (KFT-04)
        fallback = SendContent(send.id, send.account_id, f["sender"], f["msg_type"], f.get("title"), f["body"], f_ad,
                               True, images if f["msg_type"] == sms.MMS else (), syntax=syntax)
    return SendContent(send.id, send.account_id, kakao["sender_key"], send.msg_type, None, send.body, None,
                       send.uses_variables, images, syntax=syntax,
                       kakao={k: v for k, v in kakao.items() if k != "fallback"}, fallback=fallback)


#: what a higher capability asks before each batch of a Kakao send: (content) -> a refusal
#: (code, category) or None — the Kakao capability fills it at start-up (is the template
#: still approved, is the channel)
KAKAO_BATCH_CHECKS = Checks("may this Kakao batch go out")


class RateLimiter:
    """At most `per_second` messages a second through one job (0 = unlimited)."""

    def __init__(self, per_second: int, *, sleep=time.sleep, monotonic=time.monotonic):
        self.per_second = per_second
        self.sleep = sleep
        self.monotonic = monotonic
        self.started = monotonic()
        self.sent = 0

    def account(self, count: int) -> float:
        """Record `count` messages sent; sleep as long as needed; returns the pause."""
        if not self.per_second:
            return 0.0
        self.sent += count
        ahead = self.sent / self.per_second - (self.monotonic() - self.started)
        if ahead > 0:
            self.sleep(ahead)
            return ahead
        return 0.0


MESSAGE = Message.__table__   # hot paths use Core statements on the table (no ORM bookkeeping)
BATCH = DispatchBatch.__table__


def _claim(send_id: int, types: tuple[str, ...], token: str, now: dt.datetime, size: int, *,
           gateway: str, deduplicates: bool, layer: str = "primary", owner: processes.Owner | None = None):
    """Claim up to `size` pending messages of one layer and these types for `owner` (this
    process) and commit the claim with its batch row."""
    m = MESSAGE.c
    pick = (select(m.id).where(m.send_id == send_id, m.state == "pending", m.layer == layer, m.msg_type.in_(types))
            .order_by(m.id).limit(size))
    if db.engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    values = (dict(state="submitted", submitted_at=now) if deduplicates else dict(state="submitting"))
    stmt = (update(MESSAGE).where(m.id.in_(pick.scalar_subquery()))
            .values(claim_token=token, claimed_at=now, **values)
            .returning(m.id, m.msg_type, m.recipient, m.name, m.vars))
    rows = db.session.execute(stmt).all()
    if rows:
        owner = owner or processes.current()
        db.session.execute(BATCH.insert().values(token=token, send_id=send_id, gateway=gateway, size=len(rows),
                                                 claimed_at=now, owner_host=owner.host, owner_pid=owner.pid,
                                                 owner_started=owner.started))
    db.session.commit()
    return rows


def _refusal(content: SendContent, kind: MessageType) -> tuple[str, str] | None:
    """(code, category) when a batch may not go out: the account was suspended (ACC-10:
    no sending) or, for the SMS gateway, the sender number lost its approval since the
    send was accepted; for the Kakao gateway, what the Kakao capability checks (the
    template stopped being approved, the channel was blocked). Asked before every batch."""
    if access.is_suspended(content.account_id):
        return ACCOUNT_SUSPENDED_CODE, "other"
    if not configured(kind.gateway):
        return NO_GATEWAY_CODE, "other"
    if kind.gateway == message_types.SMS_GATEWAY and not sender_numbers.is_approved(content.account_id,
                                                                                    content.sender):
        return SENDER_NOT_APPROVED_CODE, "sender_number_error"
    if kind.gateway == message_types.KAKAO_GATEWAY:
        return KAKAO_BATCH_CHECKS.first(content)
    return None


def _mark_submitted(ids: list[int], token: str, now: dt.datetime) -> int:
    done = 0
    for start in range(0, len(ids), 1000):
        m = MESSAGE.c
        result = db.session.execute(
            update(MESSAGE).where(m.id.in_(ids[start:start + 1000]), m.state == "submitting", m.claim_token == token)
            .values(state="submitted", submitted_at=now))
        done += result.rowcount or 0
    return done


class _Gateways:
    """The gateways one job hands batches to, each with its own throughput limit."""

    def __init__(self, limiter: RateLimiter | None):
        self.gateways: dict[str, Gateway] = {}
        self.limiters: dict[str, RateLimiter] = {}
        self.given = limiter

    def __getitem__(self, name: str) -> tuple[Gateway, RateLimiter]:
        if name not in self.gateways:
            gateway = self.gateways[name] = serving(name)
            self.limiters[name] = self.given or RateLimiter(gateway.throughput_limit)
        return self.gateways[name], self.limiters[name]


def prepare(send_id: int, content: SendContent, rows, now: dt.datetime, *, from_state: str) -> list[OutboundMessage]:
    """A claimed batch's messages as their gateway takes them (rendered, in the rows'
    order); those that may not go out now (`_refusal`) fail at once, in the caller's
    transaction."""
    outbound, refused = [], []
    by_type: dict[str, list] = defaultdict(list)
    for row in rows:
        by_type[row.msg_type].append(row)
    for msg_type, group in by_type.items():
        kind = message_types.get(msg_type)
        layer = content.for_type(msg_type)
        refusal = _refusal(layer, kind)
        if refusal:
            code, category = refusal
            refused += [Outcome(row.id, send_id, FAILED, code, category, now, 0) for row in group]
            continue
        wire, sender, account_id, images = kind.wire, layer.sender, layer.account_id, layer.images
        if layer.kakao is not None:
            for row_id, _type, recipient, name, values in group:
                title, text = layer.text_for(name, values)
                outbound.append(OutboundMessage(str(row_id), wire, sender, recipient, text, title, account_id,
                                                images, layer.kakao_for(name, values)))
        elif layer.uses_variables:
            for row_id, _type, recipient, name, values in group:
                title, text = layer.text_for(name, values)
                outbound.append(OutboundMessage(str(row_id), wire, sender, recipient, text, title, account_id,
                                                images))
        else:       # one text for everybody (the hot path of a large send)
            title, text = layer.text_for(None, None)
            outbound += [OutboundMessage(str(row_id), wire, sender, recipient, text, title, account_id, images)
                         for row_id, _type, recipient, _name, _values in group]
    if refused:
        finalize(refused, send_facts([send_id]), from_states=(from_state,))
    return outbound


def _hand_over(send_id: int, content: SendContent, gateway: Gateway, rows, token: str,
               now: dt.datetime) -> tuple[int, int]:
    """One claimed batch to its gateway: (submitted, failed)."""
    from_state = "submitted" if gateway.deduplicates else "submitting"
    outbound = prepare(send_id, content, rows, now, from_state=from_state)
    failed = len(rows) - len(outbound)
    db.session.commit()  # no open transaction while the gateway works (SQLite: one writer)
    submitted = 0
    if outbound:
        receipts = gateway.submit(outbound, now)
        faults.point("dispatch.after_submit")
        rejected = [Outcome(int(r.ref), send_id, FAILED, r.error_code or "REJECTED",
                            classify(r.error_code or "")[1] or "other", now, 0)
                    for r in receipts if not r.accepted]
        if gateway.deduplicates:
            submitted = len(receipts) - len(rejected)
        else:
            submitted = _mark_submitted([int(r.ref) for r in receipts if r.accepted], token, now)
        if rejected:
            failed += len(finalize(rejected, send_facts([send_id]), from_states=(from_state,)))
    # handed over: in the commit of the marks (a batch still open has none of them)
    db.session.execute(update(BATCH).where(BATCH.c.token == token).values(handed_at=now))
    db.session.commit()
    faults.point("dispatch.after_mark")
    return submitted, failed


def _gateways_of(send: Send) -> list[tuple[str, str]]:
    """The (gateway, layer) pairs a send's messages go through: its own type's gateway for
    its own messages, and the SMS gateway for the fallback messages of a Kakao send that
    has them."""
    own = message_types.get(send.msg_type).gateway
    pairs = [(own, "primary")]
    if send.fallback_unit_price is not None and message_types.SMS_GATEWAY != own:
        pairs.append((message_types.SMS_GATEWAY, "fallback"))
    return pairs


def dispatch_send(send_id: int, *, now_fn=clock.now, batch_size: int | None = None,
                  max_batches: int = MAX_BATCHES_PER_JOB, limiter: RateLimiter | None = None) -> dict:
    """Submit a send's pending messages in batches, each through the gateway of its type.
    Returns what it did and whether pending messages remain (the job then enqueues itself
    again, so that other sends get their turn). Commits per batch."""
    send = db.session.get(Send, send_id)
    if send is None or send.status != "in_progress":
        db.session.commit()
        return {"submitted": 0, "failed": 0, "more": False}
    content = load_content(send)
    serving = _gateways_of(send)
    db.session.commit()
    batch_size = batch_size or int(current_app.config.get("DISPATCH_BATCH_SIZE", BATCH_SIZE))
    gateways = _Gateways(limiter)
    submitted = failed = batches = 0
    while batches < max_batches:
        claimed_any = False
        for name, layer in serving:
            types = GATEWAY_TYPES[name]
            now = now_fn()
            token = uuid.uuid4().hex
            gateway, pace = gateways[name]
            if gateway.connector:       # its connector process claims these itself (handover)
                continue
            rows = _claim(send_id, types, token, now, batch_size, gateway=name, deduplicates=gateway.deduplicates,
                          layer=layer)
            if not rows:
                continue
            claimed_any = True
            batches += 1
            faults.point("dispatch.after_claim")
            done, refused = _hand_over(send_id, content, gateway, rows, token, now)
            submitted, failed = submitted + done, failed + refused
            db.session.execute(update(Send.__table__).where(Send.__table__.c.id == send_id)
                               .values(last_progress_at=now))
            db.session.commit()
            pace.account(len(rows))
        if not claimed_any:
            return {"submitted": submitted, "failed": failed, "more": False}
    more = db.session.scalar(select(exists().where(Message.send_id == send_id, Message.state == "pending")))
    db.session.commit()
    return {"submitted": submitted, "failed": failed, "more": bool(more)}


def enqueue(send_ids, *, jobs: int = 1) -> None:
    """Ask workers to dispatch these sends (after the commit that made them due); `jobs`
    per send share its batches (PostgreSQL claims them with SKIP LOCKED)."""
    for send_id in send_ids:
        for _ in range(max(jobs, 1)):
            background.enqueue("dispatch", JOB, send_id, job_timeout=JOB_TIMEOUT)


def with_new_fallbacks(send_ids) -> list[int]:
    """Which of these in-progress sends with a fallback layer have pending messages (the
    fallbacks a report batch just created): dispatch is asked for them after its commit."""
    if not send_ids:
        return []
    ids = list(db.session.scalars(select(Send.id).where(
        Send.id.in_(sorted(send_ids)), Send.status == "in_progress", Send.fallback_unit_price.is_not(None),
        exists().where(Message.send_id == Send.id, Message.state == "pending"))))
    db.session.commit()
    return ids


def jobs_for(recipients: int) -> int:
    """How many dispatch jobs a send of this size gets at once: one per batch at the most,
    up to DISPATCH_JOBS_PER_SEND."""
    batch = int(current_app.config.get("DISPATCH_BATCH_SIZE", BATCH_SIZE))
    return max(1, min(int(current_app.config.get("DISPATCH_JOBS_PER_SEND", 1)), -(-recipients // batch)))


# --- the tick's part of dispatch ------------------------------------------------------------------------------

def dead_owner_tokens() -> list[str]:
    """The open batches claimed by a process of this host that is known dead (REL-03):
    stale now, whatever their age. Claims of other hosts, and older ones that name no
    owner, wait for CLAIM_STALE_AFTER."""
    here = processes.host()
    rows = db.session.execute(select(BATCH.c.token, BATCH.c.owner_pid, BATCH.c.owner_started).where(
        BATCH.c.handed_at.is_(None), BATCH.c.owner_host == here, BATCH.c.owner_pid.is_not(None))).all()
    db.session.commit()
    dead: dict[tuple[int, int | None], bool] = {}
    tokens = []
    for token, pid, started in rows:
        if (pid, started) not in dead:
            dead[pid, started] = processes.is_dead(processes.Owner(here, pid, started))
        if dead[pid, started]:
            tokens.append(token)
    return tokens


def connector_gateways() -> list[str]:
    """The gateways whose batches a connector process claims (handover), not these jobs
    (a gateway set to `none`, GATEWAY_KAKAO=none, has no adapter to ask)."""
    return [name for name in GATEWAY_TYPES if configured(name) and get_gateway(name).connector]


def recover_stale_claims(now: dt.datetime, *, batch: int = 5000, dead_owners_only: bool = False) -> dict[str, int]:
    """Claims older than CLAIM_STALE_AFTER, or of a process known dead, belong to a job
    that died: each message's gateway is asked whether it received it. Commits per batch
    (a loop of the tick). `dead_owners_only`: only those of dead processes (a worker
    does this when it starts). A connector gateway's batches are handover.recover_stale's."""
    cutoff = now - CLAIM_STALE_AFTER
    totals = {"submitted": 0, "pending": 0}
    gateways: dict[str, Gateway] = {}
    dead = dead_owner_tokens()
    if dead_owners_only and not dead:
        return totals
    if dead:
        log.warning("recovering %d dispatch batches of dead worker processes", len(dead))

    def gateway_of(name: str) -> Gateway:
        return gateways.setdefault(name, serving(name))

    def stale(claimed_at, token):
        return token.in_(dead) if dead_owners_only else or_(claimed_at < cutoff, token.in_(dead))

    in_progress = select(Send.id).where(Send.status == "in_progress").scalar_subquery()
    connectors = connector_gateways()
    served_by_jobs = [t for name, types in GATEWAY_TYPES.items() if name not in connectors for t in types]
    # batches never marked handed over; those of a gateway that does not deduplicate have
    # no `submitted` message (their marks commit with `handed_at`): the loop below takes them
    for token, gateway_name in db.session.execute(select(BATCH.c.token, BATCH.c.gateway).where(
            BATCH.c.handed_at.is_(None), BATCH.c.gateway.not_in(connectors),
            stale(BATCH.c.claimed_at, BATCH.c.token))).all():
        ids = list(db.session.scalars(select(MESSAGE.c.id).where(MESSAGE.c.claim_token == token,
                                                                 MESSAGE.c.state == "submitted")))
        db.session.commit()
        try:
            known = gateway_of(gateway_name).lookup([str(i) for i in ids], now) if ids else set()
        except Exception:  # noqa: BLE001  (the upstream cannot be asked now: this batch waits for the next tick)
            log.warning("cannot ask gateway %s about dispatch batch %s now; next tick", gateway_name, token,
                        exc_info=True)
            continue
        unsent = [] if known is None else [i for i in ids if str(i) not in known]
        totals["submitted"] += len(ids) - len(unsent)
        for start in range(0, len(unsent), 1000):
            totals["pending"] += db.session.execute(
                update(Message).where(Message.id.in_(unsent[start:start + 1000]), Message.state == "submitted",
                                      Message.claim_token == token)
                .values(state="pending", claim_token=None, claimed_at=None, submitted_at=None),
                execution_options={"synchronize_session": False}).rowcount or 0
        db.session.execute(update(BATCH).where(BATCH.c.token == token).values(handed_at=now))
        db.session.commit()
    # messages of a gateway that records each one, left `submitting`
    while True:
        rows = db.session.execute(select(MESSAGE.c.id, MESSAGE.c.msg_type).where(
            MESSAGE.c.send_id.in_(in_progress), MESSAGE.c.state == "submitting",
            MESSAGE.c.msg_type.in_(served_by_jobs),
            stale(MESSAGE.c.claimed_at, MESSAGE.c.claim_token)).limit(batch)).all()
        db.session.commit()
        if not rows:
            return totals
        by_gateway: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            by_gateway[message_types.get(row.msg_type).gateway].append(row.id)
        received, unsent = [], []
        for name, ids in by_gateway.items():
            known = gateway_of(name).lookup([str(i) for i in ids], now)
            received += ids if known is None else [i for i in ids if str(i) in known]
            unsent += [] if known is None else [i for i in ids if str(i) not in known]
        for start in range(0, max(len(received), len(unsent)), 1000):
            if received[start:start + 1000]:
                totals["submitted"] += db.session.execute(
                    update(Message).where(Message.id.in_(received[start:start + 1000]),
                                          Message.state == "submitting", stale(Message.claimed_at, Message.claim_token))
                    .values(state="submitted", submitted_at=Message.claimed_at),
                    execution_options={"synchronize_session": False}).rowcount or 0
            if unsent[start:start + 1000]:
                totals["pending"] += db.session.execute(
                    update(Message).where(Message.id.in_(unsent[start:start + 1000]),
                                          Message.state == "submitting", stale(Message.claimed_at, Message.claim_token))
                    .values(state="pending", claim_token=None, claimed_at=None),
                    execution_options={"synchronize_session": False}).rowcount or 0
        db.session.commit()


def sends_to_relay(now: dt.datetime) -> list[int]:
    """In-progress sends with pending messages and no dispatch progress for a while:
    their job was lost (Redis down, enqueue failed, worker killed). Marks them as
    relayed now, so the next tick does not enqueue them again at once."""
    stale = select(Send.id).where(Send.status == "in_progress",
                                  (Send.last_progress_at.is_(None)) | (Send.last_progress_at < now - RELAY_AFTER))
    ids = db.session.scalars(stale.where(exists().where(Message.send_id == Send.id,
                                                        Message.state == "pending"))).all()
    if ids:
        db.session.execute(update(Send).where(Send.id.in_(ids)).values(last_progress_at=now),
                           execution_options={"synchronize_session": False})
    db.session.commit()
    return list(ids)
