"""Messages megabird sends on its own behalf (verification codes).

The request commits a `SystemMessage` and enqueues `deliver_pending`; the tick runs
it too, so a lost enqueue only delays the code by one tick. Each message is claimed
with a conditional UPDATE before it is handed to the gateway: at most once."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.gateways import OutboundMessage, get_gateway
from app.models import SystemMessage


def queue_message(*, purpose: str, recipient: str, text: str, now: dt.datetime) -> SystemMessage:
    """Add to the caller's transaction; the caller enqueues delivery after commit."""
    message = SystemMessage(purpose=purpose, sender=current_app.config["SYSTEM_SENDER_NUMBER"],
                            recipient=recipient, text=text, state="pending", created_at=now)
    db.session.add(message)
    return message


def deliver_pending(now: dt.datetime, limit: int = 500) -> int:
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
        return 0
    rows = db.session.scalars(select(SystemMessage).where(SystemMessage.id.in_(claimed))).all()
    batch = [OutboundMessage(ref=f"sys-{m.id}", channel="sms", sender=m.sender,
                             recipient=m.recipient, text=m.text) for m in rows]
    db.session.commit()  # end the read transaction before the gateway writes (SQLite)
    get_gateway("sms").submit(batch, now)
    return len(batch)
