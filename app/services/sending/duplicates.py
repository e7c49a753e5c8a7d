"""Duplicate-send protection (SMS-15): a number that got the same text from the same
account within the hour is not sent it again (the message ends failed, 중복 발송, free)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.domain.recipients import Recipient
from app.extensions import db
from app.models import Message, Send

WINDOW = dt.timedelta(hours=1)


def recently_sent(account_id: int, recipients: list[Recipient], hashes, now: dt.datetime) -> set[str]:
    """Numbers that got the same text from this account within the last hour (any send
    accepted and not cancelled); looked up through (account, number, send)."""
    recent = list(db.session.scalars(select(Send.id).where(
        Send.account_id == account_id, Send.created_at >= now - WINDOW, Send.status != "cancelled")))
    if not recent:
        return set()
    wanted = {r.phone: hashes(r) for r in recipients}
    numbers = list(wanted)
    found: set[str] = set()
    message = Message.__table__.c
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        for phone, digest in db.session.execute(select(message.recipient, message.content_hash).where(
                message.account_id == account_id, message.recipient.in_(chunk), message.send_id.in_(recent))):
            if digest is not None and wanted.get(phone) == digest:
                found.add(phone)
    return found
