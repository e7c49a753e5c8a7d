"""Per-recipient exports (RES-05): up to 10,000 rows they stream straight to the
browser; beyond that an RQ job writes the file (constant memory: openpyxl write-only)
and records its progress, and the person downloads it when it is done."""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update

from app import clock
from app.domain.files import CheckedFile
from app.extensions import db
from app.models import ExportJob
from app.security.tenancy import get_owned
from app.services.history import queries, retention
from app.services.shared import files, xlsx
from app.services.shared.uow import transaction

INLINE_LIMIT = 10_000
XLSX = CheckedFile(xlsx.XLSX_MIME, "xlsx")


@dataclass(frozen=True)
class InlineExport:
    """An export small enough to stream at once: its file name and its rows."""
    filename: str
    rows: Iterable[list]


def export_messages(*, account_id: int, send_id, states, categories, now: dt.datetime) -> ExportJob | InlineExport:
    """엑셀 다운로드 per recipient (RES-05): up to INLINE_LIMIT rows stream now; more go
    to an RQ job whose progress the person watches."""
    send = queries.get_send(account_id, send_id)
    flt = queries.parse_message_filter(states, categories)
    if retention.count_messages(send, flt) > INLINE_LIMIT:
        return start_messages_export(account_id=account_id, send_id=send.id, states=states, categories=categories,
                                     now=now)
    send_id = send.id
    db.session.commit()  # the rows stream on their own read-only connection; no write lock held meanwhile
    return InlineExport(f"megabird-send-{send_id}.xlsx", retention.message_rows(send_id, flt))


def start_messages_export(*, account_id: int, send_id, states, categories, now: dt.datetime) -> ExportJob:
    send = queries.get_send(account_id, send_id)
    flt = queries.parse_message_filter(states, categories)
    with transaction():
        job = ExportJob(account_id=account_id, kind="messages", send_id=send.id, filename=f"megabird-send-{send.id}.xlsx",
                        params=json.dumps({"send_id": send.id, "states": list(flt.states),
                                           "categories": list(flt.categories)}),
                        status="queued", total=retention.count_messages(send, flt), created_at=now)
        db.session.add(job)
    _enqueue(job.id)
    return job


JOB_TIMEOUT = 3600
RELAY_QUEUED_AFTER = dt.timedelta(minutes=2)                 # Redis was down when it was asked for
RELAY_RUNNING_AFTER = dt.timedelta(seconds=2 * JOB_TIMEOUT)   # its worker died: RQ gave up long ago


def _enqueue(job_id: int) -> bool:
    from app.jobs import enqueue
    from app.jobs.exports import build_export
    return enqueue("default", build_export, job_id, job_timeout=JOB_TIMEOUT)


def relay(now: dt.datetime) -> int:
    """The tick: an export that never reached a worker is asked for again; one whose
    worker died while building goes back to the queue. Building claims the job first,
    so an export asked for twice is built once."""
    table = ExportJob.__table__.c
    db.session.execute(update(ExportJob).where(table.status == "running",
                                               table.created_at < now - RELAY_RUNNING_AFTER)
                       .values(status="queued"), execution_options={"synchronize_session": False})
    ids = db.session.scalars(select(ExportJob.id).where(table.status == "queued",
                                                        table.created_at < now - RELAY_QUEUED_AFTER)).all()
    db.session.commit()
    return sum(1 for job_id in ids if _enqueue(job_id))


def _progress(job_id: int):
    def report(done: int) -> None:
        # its own short transaction: visible while the export runs (the rows stream on a
        # read-only connection that holds no write lock, see retention.message_rows)
        with db.engine.begin() as conn:
            conn.execute(update(ExportJob.__table__).where(ExportJob.__table__.c.id == job_id).values(done=done))
    return report


class _Gone(Exception):
    """The export row was deleted or handed to another run while this one wrote the file."""


def build(job_id: int) -> str:
    """The job: write the file, store it, mark the export done (or failed)."""
    claimed = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
                                 .values(status="running"), execution_options={"synchronize_session": False})
    db.session.commit()
    if not claimed.rowcount:        # done, failed, or being built by another run
        return "nothing to do"
    job = db.session.get(ExportJob, job_id)
    params = json.loads(job.params)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="mb-export-")
    os.close(handle)
    stored = None
    try:
        send_id = queries.get_send(job.account_id, params["send_id"]).id
        flt = queries.MessageFilter(tuple(params["states"]), tuple(params["categories"]))
        db.session.commit()  # end the session's transaction: on SQLite it would hold the write lock
        rows = xlsx.write_xlsx(path, title="수신자별 발송내역", headers=retention.MESSAGE_HEADERS,
                                  rows=retention.message_rows(send_id, flt, progress=_progress(job_id)))
        with transaction():
            stored = files.store_file(account_id=job.account_id, kind="export", filename=job.filename,
                                      source=path, checked=XLSX, now=clock.now())
            db.session.flush()
            job = db.session.scalar(select(ExportJob).where(ExportJob.id == job_id).with_for_update())
            if job is None or job.status != "running":   # deleted with its send, or relayed to another run
                raise _Gone()
            job.file_id = stored.id
            job.done = rows
            job.status = "done"
            job.finished_at = clock.now()
        return "done"
    except _Gone:
        db.session.rollback()
        files.discard([stored])
        return "no longer ours"
    except Exception as exc:
        db.session.rollback()
        if stored is not None:
            files.discard([stored])
        job = db.session.get(ExportJob, job_id)
        if job is None:         # its send was deleted meanwhile, and the export with it
            return "send deleted"
        job.status = "failed"
        job.error = "내보내기를 만들지 못했습니다. 다시 시도해주세요."
        job.finished_at = clock.now()
        db.session.commit()
        raise exc
    finally:
        os.path.exists(path) and os.unlink(path)


def get(account_id: int, job_id) -> ExportJob:
    return get_owned(ExportJob, job_id, account_id)


def as_dict(job: ExportJob) -> dict:
    return {"id": job.id, "status": job.status, "total": job.total, "done": job.done, "filename": job.filename,
            "error": job.error}
