"""What customers do with sends after the fact (05-results.md): delete them for good
(RES-06), export them (RES-05), resend to some of their recipients (RES-03), and the
12-month retention purge. Deleting a send removes it from the statistics' counts; the
money it moved stays in the ledger (and in the rollups' won)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from app import clock
from app.domain.results import CATEGORY_LABELS
from app.errors import InvalidState, ValidationError
from app.extensions import db, read_only_connection
from app.models import ExportJob, Message, Send, SendCategoryCount, StoredFile
from app.models.sending import TYPE_LABELS
from app.security.tenancy import get_owned
from app.services.history import queries
from app.services.shared import files
from app.services.sending.rollups import Deltas
from app.services.shared.uow import transaction

RETENTION = dt.timedelta(days=365)
DELETABLE = ("completed", "cancelled")


def _forget(send: Send) -> list[StoredFile]:
    """Take the send's counts out of the statistics, then delete it, its messages, its
    exports and its images. Returns the stored files whose bytes the caller removes once
    the transaction has committed."""
    deltas = Deltas()
    if send.status != "cancelled":      # a cancelled send already left the statistics
        deltas.add(account_id=send.account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   requested=-send.recipient_count, delivered=-send.delivered_count, failed=-send.failed_count)
        for category, count in db.session.execute(select(SendCategoryCount.category, SendCategoryCount.count)
                                                  .where(SendCategoryCount.send_id == send.id)):
            deltas.add_category(account_id=send.account_id, day=send.day, msg_type=send.msg_type,
                                category=category, count=-count)
    deltas.flush()
    exports = db.session.scalars(select(ExportJob).where(ExportJob.send_id == send.id)).all()
    stored = [job.file for job in exports if job.file] + [image.file for image in send.images]
    db.session.execute(delete(Message).where(Message.send_id == send.id))
    db.session.execute(delete(SendCategoryCount).where(SendCategoryCount.send_id == send.id))
    for job in exports:
        db.session.delete(job)
    db.session.delete(send)
    for row in stored:
        db.session.delete(row)
    return stored


def delete_sends(*, account_id: int, send_ids=None, flt: queries.SendFilter | None = None) -> int:
    """선택삭제 (ids) or 전체삭제 (every send the filter shows). Permanent. Sends still in
    progress or scheduled are refused (their money is not settled yet)."""
    gone: list[StoredFile] = []
    with transaction():
        if send_ids is not None:
            sends = [get_owned(Send, value, account_id, for_update=True) for value in send_ids]
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
            gone += _forget(send)
    files.discard(gone)
    return len(done)


def purge_expired(now: dt.datetime, *, batch: int = 500) -> int:
    """RES-06: history older than 12 months goes (the tick, nightly), in transactions of
    `batch` sends until none is left."""
    total = 0
    while True:
        sends = db.session.scalars(select(Send).where(Send.created_at < now - RETENTION,
                                                      Send.status.in_(DELETABLE)).order_by(Send.id).limit(batch)).all()
        if not sends:
            db.session.commit()
            return total
        gone = [row for send in sends for row in _forget(send)]
        db.session.commit()
        files.discard(gone)
        total += len(sends)


# --- exports (RES-05) -------------------------------------------------------------------------------------

SEND_HEADERS = ["발송일시(KST)", "유형", "제목", "내용", "발신번호", "발송건수", "성공", "실패", "대기", "상태",
                "발송요금", "출처"]
MESSAGE_HEADERS = ["수신번호", "이름", "유형", "상태", "실패 분류", "결과 코드", "발송 시각(KST)", "결과 수신 시각(KST)",
                   "요금", "늦게 도착한 결과 코드", "늦게 도착한 결과 수신 시각(KST)"]


def send_rows(account_id: int, send_ids):
    sends = [get_owned(Send, value, account_id) for value in send_ids]
    if not sends:
        raise ValidationError("엑셀로 내려받을 발송내역을 선택해주세요.", field="발송내역", code="required")
    for s in sends:
        yield [clock.to_kst(s.created_at).strftime("%Y-%m-%d %H:%M"), TYPE_LABELS.get(s.msg_type, s.msg_type),
               s.title or "", s.body, s.sender_number, s.recipient_count, s.delivered_count, s.failed_count,
               s.pending_count, s.status_label, s.charged_amount, "연동API" if s.source == "api" else "웹"]


def _kst(value):
    return clock.to_kst(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def message_rows(send_id: int, flt: queries.MessageFilter, progress=None):
    """One row per recipient of the send `send_id` (already checked to be the account's),
    streamed in id order (constant memory). The caller ends its session's transaction
    first: on SQLite an open one holds the write lock for as long as the rows stream."""
    stmt = flt.apply(select(Message.recipient, Message.name, Message.msg_type, Message.state, Message.category,
                            Message.result_code, Message.submitted_at, Message.reported_at, Message.charge,
                            Message.late_code, Message.late_at).where(Message.send_id == send_id)).order_by(Message.id)
    count = 0
    with read_only_connection() as conn:   # no write lock held while a million rows stream
        for row in conn.execute(stmt.execution_options(yield_per=5000)):
            count += 1
            if progress and count % 5000 == 0:
                progress(count)
            yield [row.recipient, row.name or "", TYPE_LABELS.get(row.msg_type, row.msg_type),
                   queries.MESSAGE_STATUS_LABELS[row.state],
                   CATEGORY_LABELS.get(row.category, "") if row.category else "",
                   row.result_code or "", _kst(row.submitted_at), _kst(row.reported_at), row.charge,
                   row.late_code or "", _kst(row.late_at)]


def count_messages(send: Send, flt: queries.MessageFilter) -> int:
    from sqlalchemy import func
    return int(db.session.scalar(select(func.count()).select_from(
        flt.apply(select(Message.id).where(Message.send_id == send.id)).subquery())) or 0)


# --- resend (RES-03 재발송하기) ---------------------------------------------------------------------------

MAX_RESEND_PREFILL = 1000


def resend_recipients(account_id: int, send_id, flt: queries.MessageFilter) -> list[dict]:
    send = get_owned(Send, send_id, account_id)
    rows = db.session.execute(flt.apply(select(Message.recipient, Message.name, Message.vars)
                                        .where(Message.send_id == send.id)).order_by(Message.id)
                              .limit(MAX_RESEND_PREFILL + 1)).all()
    if len(rows) > MAX_RESEND_PREFILL:
        raise ValidationError(f"재발송은 한 번에 {MAX_RESEND_PREFILL:,}명까지 가능합니다. 엑셀로 내려받아 파일로 불러와주세요.",
                              field="재발송", code="too_many_recipients")
    import json
    return [{"phone": r.recipient, "name": r.name, "vars": json.loads(r.vars) if r.vars else {}} for r in rows]


def prefill(account_id: int, send_id, states, categories) -> dict:
    send = get_owned(Send, send_id, account_id)
    flt = queries.parse_message_filter(states, categories)
    return {"title": send.title or "", "body": send.body, "is_ad": send.is_ad, "ad_company": send.ad_company or "",
            "ad_optout": send.ad_optout or "",
            "images": [{"image_id": image.file.id, "name": image.file.original_name, "size": image.file.size}
                       for image in send.images],
            "recipients": resend_recipients(account_id, send_id, flt)}


# --- reservations (RES-07) --------------------------------------------------------------------------------

def scheduled(account_id: int, channel: str = "sms") -> list[Send]:
    return list(db.session.scalars(select(Send).where(Send.account_id == account_id, Send.status == "scheduled",
                                                      Send.channel == channel).order_by(Send.scheduled_at)))
