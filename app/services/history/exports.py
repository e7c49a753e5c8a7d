"""엑셀 다운로드 of history (05-results.md RES-05): the rows of the send list and of one
send's recipients. Up to 10,000 recipients stream straight to the browser; beyond that an
RQ job writes the file (constant memory: openpyxl write-only) and records its progress,
and the person downloads it when it is done."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app import clock
from app.domain import message_types
from app.domain.files import CheckedFile
from app.domain.results import CATEGORY_LABELS
from app.errors import ValidationError
from app.extensions import db, read_only_connection
from app.models import ExportJob, Message, Send
from app.security.tenancy import get_owned
from app.services.history import queries
from app.services.shared import export_jobs, xlsx

INLINE_LIMIT = 10_000
XLSX = CheckedFile(xlsx.XLSX_MIME, "xlsx")


# --- rows -----------------------------------------------------------------------------------------------------

SEND_HEADERS = ["발송일시(KST)", "유형", "제목", "내용", "발신번호", "발송건수", "성공", "실패", "대기", "상태",
                "발송요금", "출처"]
MESSAGE_HEADERS = ["수신번호", "이름", "유형", "상태", "실패 분류", "결과 코드", "발송 시각(KST)", "결과 수신 시각(KST)",
                   "요금", "늦게 도착한 결과 코드", "늦게 도착한 결과 수신 시각(KST)"]


def send_rows(account_id: int, send_ids):
    sends = [get_owned(Send, value, account_id) for value in send_ids]
    if not sends:
        raise ValidationError("엑셀로 내려받을 발송내역을 선택해주세요.", field="발송내역", code="required")
    for s in sends:
        yield [clock.to_kst(s.created_at).strftime("%Y-%m-%d %H:%M"), message_types.label(s.msg_type),
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
            yield [row.recipient, row.name or "", message_types.label(row.msg_type),
                   queries.MESSAGE_STATUS_LABELS[row.state],
                   CATEGORY_LABELS.get(row.category, "") if row.category else "",
                   row.result_code or "", _kst(row.submitted_at), _kst(row.reported_at), row.charge,
                   row.late_code or "", _kst(row.late_at)]


# --- a Kakao send's recipients with both layers (06-kakao.md KRS-03) -------------------------------------------

KAKAO_MESSAGE_HEADERS = ["수신번호", "이름", "카카오톡 상태", "카카오톡 실패 분류", "카카오톡 결과 코드",
                         "카카오톡 결과 수신 시각(KST)", "대체문자 유형", "대체문자 상태", "대체문자 실패 분류",
                         "대체문자 결과 코드", "대체문자 결과 수신 시각(KST)", "요금"]


def _chosen_recipients(send_id: int, flt: queries.MessageFilter):
    """The Kakao messages (one per recipient) chosen by a filter of either layer: a
    fallback filter chooses the recipients whose fallback matches."""
    if flt.layer == "fallback":
        return flt.apply(select(Message.parent_id).where(Message.send_id == send_id))
    return flt.apply(select(Message.id).where(Message.send_id == send_id))


def count_kakao_recipients(send_id: int, flt: queries.MessageFilter) -> int:
    return int(db.session.scalar(select(func.count()).select_from(_chosen_recipients(send_id, flt).subquery())) or 0)


def kakao_message_rows(send_id: int, flt: queries.MessageFilter, progress=None):
    """One row per recipient of the Kakao send `send_id` (already checked to be the
    account's): its Kakao outcome, its fallback's (blank without one) and what the
    recipient was charged (KRS-04: one of the two, or nothing), streamed in id order."""
    kakao, fallback = aliased(Message), aliased(Message)
    stmt = (select(kakao.recipient, kakao.name, kakao.state, kakao.category, kakao.result_code, kakao.reported_at,
                   fallback.msg_type.label("f_type"), fallback.state.label("f_state"),
                   fallback.category.label("f_category"), fallback.result_code.label("f_code"),
                   fallback.reported_at.label("f_at"), kakao.charge, fallback.charge.label("f_charge"))
            .outerjoin(fallback, and_(fallback.send_id == send_id, fallback.layer == "fallback",
                                      fallback.parent_id == kakao.id))
            .where(kakao.send_id == send_id, kakao.layer == "primary"))
    if flt.chosen:
        stmt = stmt.where(kakao.id.in_(_chosen_recipients(send_id, flt)))
    count = 0
    with read_only_connection() as conn:
        for row in conn.execute(stmt.order_by(kakao.id).execution_options(yield_per=5000)):
            count += 1
            if progress and count % 5000 == 0:
                progress(count)
            yield [row.recipient, row.name or "", queries.MESSAGE_STATUS_LABELS[row.state],
                   CATEGORY_LABELS.get(row.category, "") if row.category else "", row.result_code or "",
                   _kst(row.reported_at), message_types.label(row.f_type) if row.f_type else "",
                   queries.MESSAGE_STATUS_LABELS[row.f_state] if row.f_state else "",
                   CATEGORY_LABELS.get(row.f_category, "") if row.f_category else "", row.f_code or "",
                   _kst(row.f_at), row.charge + (row.f_charge or 0)]


def count_messages(send: Send, flt: queries.MessageFilter) -> int:
    return int(db.session.scalar(select(func.count()).select_from(
        flt.apply(select(Message.id).where(Message.send_id == send.id)).subquery())) or 0)


# --- the per-recipient export: inline or by a job ----------------------------------------------------------

@dataclass(frozen=True)
class InlineExport:
    """An export small enough to stream at once: its file name and its rows."""
    filename: str
    rows: Iterable[list]


def export_kakao_messages(*, account_id: int, send, flt: queries.MessageFilter,
                          now: dt.datetime) -> ExportJob | InlineExport:
    """엑셀 다운로드 of a Kakao send (KRS-03): `send` is the account's Kakao send (checked by
    the caller), `flt` the chosen results of one of its layers; as export_messages."""
    send_id = send.id
    total = count_kakao_recipients(send_id, flt)
    if total > INLINE_LIMIT:
        return _start(account_id=account_id, send=send, flt=flt, kind="kakao_messages", total=total, now=now)
    db.session.commit()  # the rows stream on their own read-only connection
    return InlineExport(f"megabird-kakao-{send_id}.xlsx", kakao_message_rows(send_id, flt))


def export_messages(*, account_id: int, send_id, states, categories, now: dt.datetime) -> ExportJob | InlineExport:
    """엑셀 다운로드 per recipient (RES-05): up to INLINE_LIMIT rows stream now; more go
    to an RQ job whose progress the person watches."""
    send = queries.get_send(account_id, send_id)
    flt = queries.parse_message_filter(states, categories)
    if count_messages(send, flt) > INLINE_LIMIT:
        return start_messages_export(account_id=account_id, send_id=send.id, states=states, categories=categories,
                                     now=now)
    send_id = send.id
    db.session.commit()  # the rows stream on their own read-only connection; no write lock held meanwhile
    return InlineExport(f"megabird-send-{send_id}.xlsx", message_rows(send_id, flt))


def start_messages_export(*, account_id: int, send_id, states, categories, now: dt.datetime) -> ExportJob:
    send = queries.get_send(account_id, send_id)
    flt = queries.parse_message_filter(states, categories)
    return _start(account_id=account_id, send=send, flt=flt, kind="messages", total=count_messages(send, flt), now=now)


#: kind of export -> (file name prefix, headers, rows(send_id, flt, progress))
KINDS = {"messages": ("megabird-send", MESSAGE_HEADERS, message_rows),
         "kakao_messages": ("megabird-kakao", KAKAO_MESSAGE_HEADERS, kakao_message_rows)}
JOB = "app.jobs.exports.build_export"


def _start(*, account_id: int, send: Send, flt: queries.MessageFilter, kind: str, total: int,
           now: dt.datetime) -> ExportJob:
    return export_jobs.start(account_id=account_id, kind=kind, send_id=send.id, filename=f"{KINDS[kind][0]}-{send.id}.xlsx",
                             params={"send_id": send.id, "states": list(flt.states),
                                     "categories": list(flt.categories), "layer": flt.layer},
                             total=total, job=JOB, now=now)


def _write(job: ExportJob, params: dict, path: str, progress) -> int:
    send_id = queries.get_send(job.account_id, params["send_id"]).id
    flt = queries.MessageFilter(tuple(params["states"]), tuple(params["categories"]), params.get("layer", "primary"))
    _prefix, headers, rows_of = KINDS.get(job.kind, KINDS["messages"])
    db.session.commit()  # end the session's transaction: on SQLite it would hold the write lock
    return xlsx.write_xlsx(path, title="수신자별 발송내역", headers=headers,
                           rows=rows_of(send_id, flt, progress=progress))


def build(job_id: int) -> str:
    """The job: the recipients' workbook (shared/export_jobs claims, stores and marks it)."""
    return export_jobs.run(job_id, _write, checked=XLSX, error="내보내기를 만들지 못했습니다. 다시 시도해주세요.")


get = export_jobs.get
as_dict = export_jobs.as_dict
