"""Deleting history (05-results.md RES-06): a customer's 선택삭제 and 전체삭제, and the
nightly purge of sends older than 12 months. Deleting a send takes it out of the
statistics' counts and deletes its messages, its exports and its images (rows now, bytes
once the transaction has committed); the money it moved stays in the ledger (and in the
rollups' won)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from app.errors import InvalidState, NotFound, ValidationError
from app.extensions import db
from app.models import ExportJob, Message, Send, SendCategoryCount
from app.security.tenancy import get_owned
from app.services.history import queries
from app.services.sending import lifecycle
from app.services.sending.rollups import Deltas
from app.services.shared import files
from app.services.shared.uow import transaction

RETENTION = dt.timedelta(days=365)
DELETABLE = ("completed", "cancelled")


def _forget(send: Send) -> None:
    """Take the send's counts out of the statistics, then delete it, its messages, its
    exports and its images, in the caller's transaction."""
    deltas = Deltas()
    if send.status != "cancelled":      # a cancelled send already left the statistics
        deltas.add(account_id=send.account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   requested=-send.recipient_count, delivered=-send.delivered_count, failed=-send.failed_count)
        if send.fallback_count:
            deltas.add(account_id=send.account_id, day=send.day, msg_type=lifecycle.layer_type(send, "fallback"),
                       source=send.source, requested=-send.fallback_count,
                       delivered=-send.fallback_delivered_count, failed=-send.fallback_failed_count)
        for layer, category, count in db.session.execute(
                select(SendCategoryCount.layer, SendCategoryCount.category, SendCategoryCount.count)
                .where(SendCategoryCount.send_id == send.id)):
            deltas.add_category(account_id=send.account_id, day=send.day, msg_type=lifecycle.layer_type(send, layer),
                                category=category, count=-count)
    deltas.flush()
    exports = db.session.scalars(select(ExportJob).where(ExportJob.send_id == send.id)).all()
    stored = [job.file for job in exports if job.file] + [image.file for image in send.images]
    db.session.execute(delete(Message).where(Message.send_id == send.id))
    db.session.execute(delete(SendCategoryCount).where(SendCategoryCount.send_id == send.id))
    for job in exports:
        db.session.delete(job)
    db.session.delete(send)
    files.delete(stored)


def delete_sends(*, account_id: int, send_ids=None, flt: queries.SendFilter | None = None,
                 channels: tuple[str, ...] = ()) -> int:
    """선택삭제 (ids) or 전체삭제 (every send the filter shows) of a history list — 문자 or
    카카오톡 (RES-02, KRS-01). Permanent. With ids, `channels` are the list's: an id of
    another channel's send is not found, as on that list's detail page. Sends still in
    progress or scheduled are refused (their money is not settled yet)."""
    with transaction():
        if send_ids is not None:
            sends = [get_owned(Send, value, account_id, for_update=True) for value in send_ids]
            if channels and any(s.channel not in channels for s in sends):
                raise NotFound()          # as get_owned: nothing said about the send
        else:
            sends = list(db.session.scalars((flt or queries.SendFilter()).apply(
                select(Send).where(Send.account_id == account_id))))
        if not sends:
            raise ValidationError("삭제할 발송내역을 선택해주세요.", field="발송내역", code="required")
        busy = [s for s in sends if s.status not in DELETABLE]
        if busy and send_ids is not None:
            raise InvalidState("진행중이거나 예약된 발송은 삭제할 수 없습니다. 완료되거나 취소된 후 삭제해주세요.",
                               code="not_deletable")
        done = [s for s in sends if s.status in DELETABLE]
        for send in done:
            _forget(send)
    return len(done)


def purge_expired(now: dt.datetime, *, batch: int = 500) -> int:
    """RES-06: history older than 12 months goes (the tick, nightly), in transactions of
    `batch` sends until none is left."""
    total = 0
    while True:
        with transaction():
            sends = db.session.scalars(select(Send).where(Send.created_at < now - RETENTION,
                                                          Send.status.in_(DELETABLE))
                                       .order_by(Send.id).limit(batch)).all()
            for send in sends:
                _forget(send)
        if not sends:
            return total
        total += len(sends)
