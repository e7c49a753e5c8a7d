"""The one way a message reaches its final state (05-results.md): `finalize()`.

Every final outcome — a delivery report, a refusal by the gateway, a batch that may not
go out, the 49-hour timeout — is a conditional, set-based UPDATE that only moves messages
still open; the send's counters, its charge and the rollups change by the rows it
actually moved, in the same transaction. Running a step twice finds nothing left to do."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select, update

from app import bulk
from app.domain.results import DELIVERED, FAILED
from app.extensions import db
from app.models import Message, Send
from app.models.sending import OPEN_STATES
from app.services.sending.rollups import Deltas
from app.services.shared.steps import Steps

CHUNK = 1000
#: steps of higher capabilities run in the transaction that moved the messages:
#: (the outcomes that moved, their sends' facts, {message id: layer} for the messages of
#: sends with a fallback layer) — a Kakao failure's fallback, a webhook row
AFTER_FINALIZE = Steps("messages reached their final state")


class Outcome(NamedTuple):
    message_id: int
    send_id: int
    state: str            # delivered | failed
    code: str
    category: str | None
    at: dt.datetime
    charge: int


@dataclass(frozen=True)
class SendFacts:
    id: int
    account_id: int
    day: dt.date
    msg_type: str
    source: str
    unit_price: int
    fallback_unit_price: int | None = None     # a Kakao send with 대체문자
    fallback_msg_type: str | None = None

    @property
    def has_fallback(self) -> bool:
        return self.fallback_unit_price is not None

    def layer_type(self, layer: str) -> str:
        return self.fallback_msg_type if layer == "fallback" and self.fallback_msg_type else self.msg_type


def send_facts(send_ids) -> dict[int, SendFacts]:
    facts = {}
    ids = list(set(send_ids))
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(select(Send.id, Send.account_id, Send.day, Send.msg_type, Send.source,
                                             Send.unit_price, Send.fallback_unit_price, Send.fallback_msg_type)
                                      .where(Send.id.in_(ids[start:start + CHUNK]))):
            facts[row.id] = SendFacts(*row)
    return facts


def layers_of(outcomes: list[Outcome], facts: dict[int, SendFacts]) -> dict[int, str]:
    """{message id: layer} of the outcomes of sends with a fallback layer (none for SMS
    sends: their messages are all the send's own)."""
    layered = {send_id for send_id, f in facts.items() if f.has_fallback}
    if not layered:               # the SMS sends' hot path: one look at the facts
        return {}
    ids = sorted(o.message_id for o in outcomes if o.send_id in layered)
    if not ids:
        return {}
    conn = db.session.connection()
    return dict(bulk.rows_in(conn, "SELECT id, layer FROM message WHERE id IN ({keys})", ids))


MESSAGE = Message.__table__   # hot paths use Core statements on the table (no ORM bookkeeping)


def open_rows(ids: list[int], from_states=OPEN_STATES) -> dict[int, int]:
    """{message id: send id} of the given messages that are still in `from_states`,
    locked for this transaction on PostgreSQL (SQLite's write transactions are already
    exclusive)."""
    conn = db.session.connection()
    states = ", ".join(f"'{state}'" for state in from_states if state in OPEN_STATES)   # our own constants
    lock = " ORDER BY id FOR UPDATE" if bulk.is_postgres(conn) else ""
    return dict(bulk.rows_in(conn, f"SELECT id, send_id FROM message WHERE id IN ({{keys}}) AND state IN ({states})"
                             + lock, sorted(ids)))


OUTCOME_COLUMNS = {"state": "varchar(12)", "result_code": "varchar(16)", "category": "varchar(32)",
                   "reported_at": "timestamp", "charge": "integer"}


def finalize(outcomes: list[Outcome], facts: dict[int, SendFacts], *, from_states=OPEN_STATES,
             still_open: dict[int, int] | None = None) -> set[int]:
    """Move open messages to their final state, in the caller's transaction; counters,
    charges and rollups change by the rows actually moved. Returns the ids moved (the
    others were already final). `still_open` ({id: send id}, read in this transaction
    with `open_rows`) saves a read."""
    if not outcomes:
        return set()
    if still_open is None:
        still_open = open_rows([o.message_id for o in outcomes], from_states)
    moving = [o for o in outcomes if o.message_id in still_open]
    if not moving:
        return set()
    layers = layers_of(moving, facts)
    if layers:   # a delivered fallback costs the fallback's price (KRS-04), whoever built the outcome
        moving = [o._replace(charge=facts[o.send_id].fallback_unit_price if o.state == DELIVERED else 0)
                  if layers.get(o.message_id) == "fallback" else o for o in moving]
    conn = db.session.connection()
    bind = bulk.time_binder(conn)
    bulk.update(conn, "message", "id", OUTCOME_COLUMNS,
                [(o.message_id, o.state, o.code, o.category, bind(o.at), o.charge) for o in moving])
    # per send: delivered, failed, fallback delivered, fallback failed, charged
    per_send: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    deltas = Deltas()
    for (send_id, layer, state, category, charge), n in Counter(
            (o.send_id, layers.get(o.message_id, "primary"), o.state, o.category, o.charge) for o in moving).items():
        counters = per_send[send_id]
        counters[(0 if state == DELIVERED else 1) + (2 if layer == "fallback" else 0)] += n
        counters[4] += n * charge
        f = facts[send_id]
        msg_type = f.layer_type(layer)
        deltas.add(account_id=f.account_id, day=f.day, msg_type=msg_type, source=f.source,
                   delivered=n if state == DELIVERED else 0, failed=n if state == FAILED else 0, charged=n * charge)
        if category:
            deltas.add_category(account_id=f.account_id, day=f.day, msg_type=msg_type, category=category, count=n)
            deltas.add_send_category(send_id=send_id, category=category, count=n, layer=layer)
    table = Send.__table__
    for send_id, (delivered, failed, fb_delivered, fb_failed, charged) in sorted(per_send.items()):  # no deadlock
        values = dict(delivered_count=table.c.delivered_count + delivered,
                      failed_count=table.c.failed_count + failed,
                      charged_amount=table.c.charged_amount + charged)
        if fb_delivered or fb_failed:
            values.update(fallback_delivered_count=table.c.fallback_delivered_count + fb_delivered,
                          fallback_failed_count=table.c.fallback_failed_count + fb_failed)
        db.session.execute(update(table).where(table.c.id == send_id).values(**values))
    deltas.flush()
    AFTER_FINALIZE(moving, facts, layers)
    return {o.message_id for o in moving}
