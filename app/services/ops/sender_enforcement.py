"""Staff stop a sender number found abused (발신번호 사전등록제: the service must stop a
number at once): suspend it (reinstatable) or revoke it (final), with a reason the
customer sees on their 발신정보 pages. Its scheduled sends are cancelled in the same
transaction, each with its whole hold refunded — the pipeline's own cancel
(`sending/lifecycle.cancel`), as when the customer cancels them to delete the number.
Sends already in progress are stopped batch by batch by dispatch, which asks before
every batch whether the number may still send (their messages fail free).

This lives in ops because it composes two capabilities: the number's state belongs to
`senders/sender_numbers`, a send's to `sending/lifecycle`, and senders sit below sending."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.services.senders import sender_numbers
from app.services.sending import lifecycle
from app.services.shared import audit
from app.services.shared.uow import transaction


@dataclass(frozen=True)
class Stopped:
    sender_id: int
    status: str
    cancelled_sends: list[int]
    refunded: int            # won (cash and points) given back by the cancels


def _stop(sender_id, *, revoke: bool, actor, reason: str | None, now: dt.datetime) -> Stopped:
    with transaction():
        sender = sender_numbers.stop_number(sender_id, revoke=revoke, actor=actor, reason=reason, now=now)
        # locked: the tick cannot start one of them while this runs (its start is a
        # conditional UPDATE … WHERE status = 'scheduled', which then finds it cancelled)
        send_ids = sender_numbers.scheduled_sends(sender, lock=True)
        refunded = 0
        label = sender_numbers.STATUS_LABELS[sender.status]
        for send_id in send_ids:
            send = lifecycle.cancel(account_id=sender.account_id, send_id=send_id, now=now)
            refunded += send.refunded_amount or 0
            audit.record(actor=actor, action="cancel_send", object_type="send", object_id=send_id,
                         account_id=sender.account_id, before={"status": "scheduled"},
                         after={"status": "cancelled", "refunded": send.refunded_amount},
                         reason=f"발신번호 {label}: {sender.stop_reason}", now=now)
        return Stopped(sender.id, sender.status, send_ids, refunded)


def suspend(sender_id, *, actor, reason: str | None, now: dt.datetime) -> Stopped:
    """이용정지: the number stops sending until staff reinstate it."""
    return _stop(sender_id, revoke=False, actor=actor, reason=reason, now=now)


def revoke(sender_id, *, actor, reason: str | None, now: dt.datetime) -> Stopped:
    """등록취소: the number never sends again from this account (it cannot be reinstated,
    deleted or registered again by the customer)."""
    return _stop(sender_id, revoke=True, actor=actor, reason=reason, now=now)


def reinstate(sender_id, *, actor, reason: str | None, now: dt.datetime):
    """A suspended number sends again (its cancelled sends stay cancelled)."""
    return sender_numbers.reinstate_number(sender_id, actor=actor, reason=reason, now=now)
