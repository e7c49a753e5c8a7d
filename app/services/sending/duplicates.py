"""Duplicate-send protection (SMS-15): a number that got the same text from the same
account within the hour before is not sent it again (the message ends failed, 중복 발송, free).

What counts is an earlier message that was delivered or is still on its way — a failed one
does not (재발송 of failures must reach them), nor one of a cancelled send — and the hour
is measured between the times the two messages go out: a send's go-out time is when it
started, or, while it waits, its scheduled time. The check is made when a message goes out:
at acceptance for an immediate send (`recently_sent`), when a scheduled send starts for a
scheduled one (`mark_at_start`); the confirm dialog asks `recently_sent` for the scheduled
time, as a forecast of what the start will skip."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from app.domain.recipients import Recipient
from app.extensions import db
from app.models import Message, Send

WINDOW = dt.timedelta(hours=1)
COUNTING_STATES = ("pending", "submitting", "submitted", "unknown", "delivered")   # not failed
CHUNK = 1000


def _earlier_sends(account_id: int, at: dt.datetime, exclude: int | None) -> list[int]:
    """This account's sends not cancelled that go out within the hour up to `at`."""
    since = at - WINDOW
    query = select(Send.id).where(
        Send.account_id == account_id, Send.status != "cancelled",
        or_(and_(Send.started_at.is_not(None), Send.started_at >= since, Send.started_at <= at),
            and_(Send.started_at.is_(None), Send.scheduled_at >= since, Send.scheduled_at <= at)))
    if exclude is not None:
        query = query.where(Send.id != exclude)
    return list(db.session.scalars(query))


def _matching(account_id: int, wanted: dict[str, str | None], sends: list[int]) -> set[str]:
    """Numbers of `wanted` ({number: content hash}) that an earlier message of `sends`
    with the same hash reached or is reaching; through (account, number, send)."""
    if not sends or not wanted:
        return set()
    message = Message.__table__.c
    numbers = list(wanted)
    found: set[str] = set()
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        for phone, digest in db.session.execute(select(message.recipient, message.content_hash).where(
                message.account_id == account_id, message.recipient.in_(chunk), message.send_id.in_(sends),
                message.state.in_(COUNTING_STATES))):
            if digest is not None and wanted.get(phone) == digest:
                found.add(phone)
    return found


def recently_sent(account_id: int, recipients: list[Recipient], hashes, at: dt.datetime,
                  exclude: int | None = None) -> set[str]:
    """Numbers of `recipients` that a message going out at `at` would repeat."""
    return _matching(account_id, {r.phone: hashes(r) for r in recipients}, _earlier_sends(account_id, at, exclude))


def repeats_at_start(send: Send, at: dt.datetime) -> list[tuple[int, str]]:
    """(message id, number) of a scheduled send's pending messages that repeat an earlier
    message at its start, in the caller's transaction (lifecycle finalizes them)."""
    sends = _earlier_sends(send.account_id, at, exclude=send.id)
    if not sends:
        return []
    message = Message.__table__.c
    rows = db.session.execute(select(message.id, message.recipient, message.content_hash).where(
        message.send_id == send.id, message.state == "pending")).all()
    found = _matching(send.account_id, {phone: digest for _, phone, digest in rows}, sends)
    return [(message_id, phone) for message_id, phone, _ in rows if phone in found]
