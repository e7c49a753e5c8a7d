"""The shape every operator queue shares: an item `requested` is approved or
rejected (with a reason) exactly once, by staff, with an audit entry, and the customer
is told (a notice in the portal and an e-mail, with the reason: `notices.review_decided`,
for the queues it has wording for) in the same transaction."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlalchemy import func, select

from app.domain import text as rules
from app.errors import InvalidState, NotFound
from app.extensions import db
from app.services.shared import audit, notices


def request_again(item, now: dt.datetime) -> None:
    """An item (new, or rejected and sent again) waits in its queue once more."""
    item.status = "requested"
    item.reject_reason = None
    item.requested_at = now
    item.reviewed_at = None
    item.reviewed_by_id = None


def reject_reason(reason: str | None) -> str:
    return rules.required(reason, "반려 사유", max_length=500)


def decide(model, pk, *, approve: bool, actor, now: dt.datetime, reason: str | None = None,
           object_type: str, on_approve: Callable | None = None, on_reject: Callable | None = None,
           snapshot: Callable | None = None):
    """Load the item (locked), check it still waits, decide, audit. Runs in the caller's
    transaction. Returns the item."""
    if not approve:
        reason = reject_reason(reason)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    item = db.session.scalar(select(model).where(model.id == pk).with_for_update())
    if item is None:
        raise NotFound()
    if item.status != "requested":
        raise InvalidState("이미 처리된 요청입니다. 목록을 새로고침해주세요.")
    before = snapshot(item) if snapshot else {"status": item.status}
    item.status = "approved" if approve else "rejected"
    item.reject_reason = None if approve else reason
    item.reviewed_at = now
    item.reviewed_by_id = getattr(actor, "id", None)
    if approve and on_approve:
        on_approve(item)
    if not approve and on_reject:
        on_reject(item)
    after = snapshot(item) if snapshot else {"status": item.status}
    audit.record(actor=actor, action="approve" if approve else "reject", object_type=object_type,
                 object_id=item.id, account_id=getattr(item, "account_id", None),
                 before=before, after=after, reason=reason, now=now)
    notices.review_decided(object_type=object_type, item=item, approved=approve, reason=reason, now=now)
    return item


def waiting_count(model) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.status == "requested")) or 0
