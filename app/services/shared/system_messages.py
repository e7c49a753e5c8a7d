"""Messages megabird sends on its own behalf (verification codes).

A use case adds a `SystemMessage` to its transaction, and delivery is enqueued once it
has committed; the tick delivers too, so a lost enqueue only delays the code by one tick. Each message is claimed
with a conditional UPDATE before it is handed to the gateway: at most once."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.gateways import OutboundMessage, get_gateway
from app.models import SystemMessage
from app.services.shared import background, uow

DELIVERY_JOB = "app.jobs.system.deliver_system_messages"


def queue_message(*, purpose: str, recipient: str, text: str, now: dt.datetime) -> SystemMessage:
    """Add to the caller's transaction; delivery is enqueued once it has committed."""
    message = SystemMessage(purpose=purpose, sender=current_app.config["SYSTEM_SENDER_NUMBER"],
                            recipient=recipient, text=text, state="pending", created_at=now)
    db.session.add(message)
    uow.after_commit(lambda: background.enqueue("default", DELIVERY_JOB), key=DELIVERY_JOB)
    return message


def deliver_pending(now: dt.datetime, limit: int = 500) -> int:
    """Claim pending messages one by one (at most once each), then hand them over.
    Commits (a job and a task of the tick). Where a connector process holds the SMS
    gateway's link (SMPP), it takes them itself (`claim`) and this does nothing."""
    gateway = get_gateway("sms")
    if gateway.connector:
        return 0
    batch = claim(now, limit)
    if batch:
        gateway.submit(batch, now)
    return len(batch)


def claim(now: dt.datetime, limit: int = 500, *, ref_of=lambda m: f"sys-{m.id}") -> list[OutboundMessage]:
    """Claim pending messages one by one (at most once each: `submitted` from here) and
    return them as the gateway takes them (`ref_of` names each one's client reference).
    Commits."""
    ids = list(db.session.scalars(select(SystemMessage.id).where(SystemMessage.state == "pending")
                                  .order_by(SystemMessage.id).limit(limit)))
    db.session.commit()
    claimed = []
    for message_id in ids:
        result = db.session.execute(update(SystemMessage)
                                    .where(SystemMessage.id == message_id,
                                           SystemMessage.state == "pending")
                                    .values(state="submitted", submitted_at=now))
        if result.rowcount == 1:
            claimed.append(message_id)
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.scalars(select(SystemMessage).where(SystemMessage.id.in_(claimed))).all()
    batch = [OutboundMessage(ref=ref_of(m), channel="sms", sender=m.sender,
                             recipient=m.recipient, text=m.text) for m in rows]
    db.session.commit()  # end the read transaction before the gateway writes (SQLite)
    return batch
