"""The SQL side of a connector process (10-gateway.md GW-03): an SMSC's binds live in
`flask megabird smpp-connector`, not in RQ jobs, and an SMSC does not deduplicate, so every
message is recorded around its PDU and an uncertain one is never sent again by itself.

A connector, bound and with room in its window, asks for the next batch: `claim` takes it
from the in-progress sends in turn through dispatch's own `_claim` (`pending → submitting`,
a `dispatch_batch` row naming this process, SKIP LOCKED on PostgreSQL, so that several
connectors and hosts share the sends) and `prepare` (rendered texts; the refusals asked
before every batch). Then, per batch:

1. `mark_written(token, through)` before the PDUs of the messages up to `through` are
   written: the batch's `written_through` (one row) is the record that they may have left
   (`heartbeat` while it waits, so that a live batch never looks dead).
2. `close_batch` once every answer has come, in one transaction: `submitted` with the
   SMSC's ids (`smpp_submission`, which the receipts are matched by); failed, free, for a
   refusal of the SMSC; `unknown` for what was written but never answered (the link died:
   never resent, a receipt or the 49-hour timeout ends it, free); `pending` again for what
   was never written; the batch handed over (`handed_at`).

A connector that dies mid-batch leaves it open: `recover_stale` (the tick, once the owner
is known dead or the batch has made no progress for CLAIM_STALE_AFTER) closes it the same
way — its open messages up to `written_through` `unknown`, the rest `pending`.

Every function here commits: the connector calls them one at a time from its database
thread, and each is one short transaction."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import exists, insert, select, update

from app import processes
from app.domain.results import FAILED, classify
from app.extensions import db
from app.gateways import OutboundMessage
from app.models import Message, Send, SmppSubmission
from app.services.sending import dispatch
from app.services.sending.dispatch import BATCH, MESSAGE, GATEWAY_TYPES, SendContent
from app.services.sending.outcomes import Outcome, finalize, send_facts
from app.services.shared import system_messages

CHUNK = 1000


@dataclass
class Batch:
    token: str
    send_id: int
    messages: list[OutboundMessage]          # in id order; refused ones already failed
    covered: int = 0                         # how many of `messages` `mark_written` covers already


@dataclass
class Claimer:
    """One connector's turn-taking over the in-progress sends of its gateway: each claim
    serves the next send after the last one served, so that a large send does not hold
    back the others."""
    gateway: str
    size: int = 500
    owner: processes.Owner | None = None
    cursor: int = 0
    contents: dict[int, SendContent] = field(default_factory=dict)

    def claim(self, now: dt.datetime) -> Batch | None:
        types = GATEWAY_TYPES[self.gateway]
        due = select(Send.id).where(Send.status == "in_progress", exists().where(
            Message.send_id == Send.id, Message.state == "pending", Message.msg_type.in_(types)))
        send_ids = list(db.session.scalars(due.order_by(Send.id)))
        db.session.commit()
        for gone in set(self.contents) - set(send_ids):    # finished or cancelled: forget its content
            del self.contents[gone]
        if not send_ids:
            return None
        turn = [i for i in send_ids if i > self.cursor] + [i for i in send_ids if i <= self.cursor]
        for send_id in turn:
            batch = self._claim_from(send_id, types, now)
            if batch is not None:
                self.cursor = send_id
                return batch
        return None

    def _claim_from(self, send_id: int, types, now: dt.datetime) -> Batch | None:
        send = db.session.get(Send, send_id)
        if send is None or send.status != "in_progress":
            db.session.commit()
            return None
        if send_id not in self.contents:
            self.contents[send_id] = dispatch.load_content(send)
        content = self.contents[send_id]
        layers = [layer for name, layer in dispatch._gateways_of(send) if name == self.gateway]
        db.session.commit()
        for layer in layers:
            token = uuid.uuid4().hex
            rows = dispatch._claim(send_id, types, token, now, self.size, gateway=self.gateway,
                                   deduplicates=False, layer=layer, owner=self.owner)
            if not rows:
                continue
            messages = dispatch.prepare(send_id, content, rows, now, from_state="submitting")
            db.session.execute(update(Send.__table__).where(Send.__table__.c.id == send_id)
                               .values(last_progress_at=now))
            db.session.commit()
            return Batch(token, send_id, messages)
        return None


def mark_written(token: str, through: int, now: dt.datetime) -> None:
    """The PDUs of the batch's messages up to id `through` are about to be written (and the
    batch is alive: its claim time moves, so that it is not taken for a dead one's)."""
    db.session.execute(update(BATCH).where(BATCH.c.token == token).values(written_through=through, claimed_at=now))
    db.session.commit()


def heartbeat(token: str, now: dt.datetime) -> None:
    """The connector still holds this batch (throttled or waiting for its window)."""
    db.session.execute(update(BATCH).where(BATCH.c.token == token).values(claimed_at=now))
    db.session.commit()


def _move(ids: list[int], token: str, values: dict) -> int:
    moved = 0
    for start in range(0, len(ids), CHUNK):
        result = db.session.execute(update(MESSAGE).where(
            MESSAGE.c.id.in_(ids[start:start + CHUNK]), MESSAGE.c.state == "submitting",
            MESSAGE.c.claim_token == token).values(**values))
        moved += result.rowcount or 0
    return moved


def _smsc_ids(accepted: list[tuple[int, list[str]]], now: dt.datetime) -> None:
    """The SMSC's ids of what it took, one row per segment (the receipts are matched by them)."""
    rows = [dict(smsc_id=smsc_id, message_id=message_id, segment=n, submitted_at=now)
            for message_id, smsc_ids in accepted for n, smsc_id in enumerate(smsc_ids, start=1)]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(SmppSubmission.__table__), rows[start:start + CHUNK])


def close_batch(token: str, send_id: int | None, *, accepted: list[tuple[int, list[str]]],
                refused: list[tuple[int, str]], unknown: list[int], unwritten: list[int],
                now: dt.datetime) -> dict[str, int]:
    """A batch's answers in one transaction, and the batch handed over: accepted →
    `submitted` with the SMSC's ids; refused (the SMSC's status as megabird's code) →
    failed, free; written but unanswered → `unknown`; never written → `pending`. Only
    messages still `submitting` under this claim move. Returns how many moved to each."""
    moved = {"submitted": _move([message_id for message_id, _ in accepted], token,
                                dict(state="submitted", submitted_at=now)), "failed": 0}
    _smsc_ids(accepted, now)
    if refused:
        outcomes = [Outcome(message_id, send_id, FAILED, code, classify(code)[1] or "other", now, 0)
                    for message_id, code in refused]
        moved["failed"] = len(finalize(outcomes, send_facts([send_id]), from_states=("submitting",)))
    moved["unknown"] = _move(unknown, token, dict(state="unknown", submitted_at=now))
    moved["pending"] = _move(unwritten, token, dict(state="pending", claim_token=None, claimed_at=None))
    db.session.execute(update(BATCH).where(BATCH.c.token == token).values(handed_at=now))
    db.session.commit()
    return moved


def system_messages_due(now: dt.datetime, limit: int = 100) -> list[OutboundMessage]:
    """megabird's own messages (verification codes) for the connector, claimed at most once;
    each one's reference is its negative id, so that its receipt is known for a system
    message's (`SmppGateway` takes it without a report)."""
    return system_messages.claim(now, limit, ref_of=lambda m: str(-m.id))


def record_system(accepted: list[tuple[int, list[str]]], now: dt.datetime) -> None:
    """The SMSC's ids of system messages it took (their receipts then match, not linger)."""
    _smsc_ids(accepted, now)
    db.session.commit()


def recover_stale(now: dt.datetime) -> dict[str, int]:
    """The tick: every open batch of a connector gateway whose owner is known dead, or that
    has made no progress (`mark_written`, `heartbeat`) for CLAIM_STALE_AFTER."""
    names = dispatch.connector_gateways()
    totals = {"unknown": 0, "pending": 0}
    if not names:
        return totals
    dead = dispatch.dead_owner_tokens()
    stale = (BATCH.c.claimed_at < now - dispatch.CLAIM_STALE_AFTER) | BATCH.c.token.in_(dead)
    tokens = list(db.session.scalars(select(BATCH.c.token).where(
        BATCH.c.handed_at.is_(None), BATCH.c.gateway.in_(names), stale)))
    db.session.commit()
    for token in tokens:
        for name, value in recover(token, now).items():
            totals[name] += value
    return totals


def recover(token: str, now: dt.datetime) -> dict[str, int]:
    """A connector's batch left open by a process that died (or stopped making progress):
    its open messages up to `written_through` become `unknown`, the rest `pending`."""
    through = db.session.scalar(select(BATCH.c.written_through).where(BATCH.c.token == token))
    rows = list(db.session.scalars(select(MESSAGE.c.id).where(MESSAGE.c.claim_token == token,
                                                              MESSAGE.c.state == "submitting")))
    written = [i for i in rows if through is not None and i <= through]
    unwritten = [i for i in rows if through is None or i > through]
    moved = close_batch(token, None, accepted=[], refused=[], unknown=written, unwritten=unwritten, now=now)
    return {"unknown": moved["unknown"], "pending": moved["pending"]}
