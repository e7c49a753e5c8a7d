"""A file too large to make during a request, built by an RQ job that records its progress
(05-results.md RES-05's large exports, 07-dashboard-stats.md STA-03's long-range PDF): the
`export_job` row, its queueing, the tick that asks again for what never reached a worker,
and the run that claims the job, writes the file, stores it and marks it done or failed.
What the file holds is the capability's: it passes the writer, and the RQ job that calls
`run` is named in the row, so that the relay needs to know nothing of it."""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable

from sqlalchemy import select, update

from app import clock
from app.domain.files import CheckedFile
from app.errors import NotFound
from app.extensions import db
from app.models import ExportJob
from app.security.tenancy import MAX_ID, get_owned
from app.services.shared import background, files
from app.services.shared.uow import transaction

JOB_TIMEOUT = 3600
RELAY_QUEUED_AFTER = dt.timedelta(minutes=2)                 # Redis was down when it was asked for
RELAY_RUNNING_AFTER = dt.timedelta(seconds=2 * JOB_TIMEOUT)   # its worker died: RQ gave up long ago
DEFAULT_JOB = "app.jobs.exports.build_export"                 # rows made before the job was named

#: writer(job, params, path, progress) -> how many rows (or steps) it wrote into `path`
Writer = Callable[[ExportJob, dict, str, Callable[[int], None]], int]


def start(*, account_id: int | None, kind: str, filename: str, params: dict, total: int, job: str, now: dt.datetime,
          send_id: int | None = None) -> ExportJob:
    """The export row (queued) and its RQ job `job` (a dotted name that calls `run`).
    `account_id` None: a service-wide file for staff, which no customer's route reads
    (`get` finds only the account's rows) and whose stored file belongs to no account."""
    with transaction():
        row = ExportJob(account_id=account_id, kind=kind, send_id=send_id, filename=filename,
                        params=json.dumps({**params, "job": job}, ensure_ascii=False), status="queued",
                        total=total, created_at=now)
        db.session.add(row)
    _enqueue(row.id, job)
    return row


def _enqueue(job_id: int, job: str) -> bool:
    return background.enqueue("default", job, job_id, job_timeout=JOB_TIMEOUT)


def relay(now: dt.datetime) -> int:
    """The tick: an export that never reached a worker is asked for again; one whose
    worker died while building goes back to the queue. `run` claims the job first, so an
    export asked for twice is built once."""
    table = ExportJob.__table__.c
    db.session.execute(update(ExportJob).where(table.status == "running",
                                               table.created_at < now - RELAY_RUNNING_AFTER)
                       .values(status="queued"), execution_options={"synchronize_session": False})
    waiting = db.session.execute(select(ExportJob.id, ExportJob.params).where(
        table.status == "queued", table.created_at < now - RELAY_QUEUED_AFTER)).all()
    db.session.commit()
    return sum(1 for job_id, params in waiting if _enqueue(job_id, json.loads(params).get("job", DEFAULT_JOB)))


def progress(job_id: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        # its own short transaction: visible while the export runs (the writer reads on a
        # read-only connection that holds no write lock)
        with db.engine.begin() as conn:
            conn.execute(update(ExportJob.__table__).where(ExportJob.__table__.c.id == job_id).values(done=done))
    return report


class _Gone(Exception):
    """The export row was deleted or handed to another run while this one wrote the file."""


def run(job_id: int, write: Writer, *, checked: CheckedFile, error: str) -> str:
    """The job: claim the export, write the file, store it, mark it done (or failed with
    `error`, the Korean sentence the person sees). Commits as it goes."""
    claimed = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
                                 .values(status="running"), execution_options={"synchronize_session": False})
    db.session.commit()
    if not claimed.rowcount:        # done, failed, or being built by another run
        return "nothing to do"
    job = db.session.get(ExportJob, job_id)
    handle, path = tempfile.mkstemp(suffix=f".{checked.extension}", prefix="mb-export-")
    os.close(handle)
    try:
        written = write(job, json.loads(job.params), path, progress(job_id))
        with transaction():     # the stored file goes again if this rolls back
            stored = files.store_file(account_id=job.account_id, kind="export", filename=job.filename,
                                      source=path, checked=checked, now=clock.now())
            db.session.flush()
            job = db.session.scalar(select(ExportJob).where(ExportJob.id == job_id).with_for_update())
            if job is None or job.status != "running":   # deleted with its send, or relayed to another run
                raise _Gone()
            job.file_id = stored.id
            job.done = written
            job.status = "done"
            job.finished_at = clock.now()
        return "done"
    except _Gone:
        return "no longer ours"
    except Exception:
        db.session.rollback()
        with transaction():
            job = db.session.get(ExportJob, job_id)
            if job is None:         # its send was deleted meanwhile, and the export with it
                return "send deleted"
            job.status = "failed"
            job.error = error
            job.finished_at = clock.now()
        raise
    finally:
        os.path.exists(path) and os.unlink(path)


def get(account_id: int, job_id) -> ExportJob:
    return get_owned(ExportJob, job_id, account_id)


def get_staff(job_id, kinds) -> ExportJob:
    """A staff (service-wide) export of one of `kinds`, else NotFound — never a customer's."""
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    row = db.session.scalar(select(ExportJob).where(ExportJob.id == pk, ExportJob.account_id.is_(None),
                                                    ExportJob.kind.in_(list(kinds)))) if 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound()
    return row


def staff_jobs(kinds, limit: int = 10) -> list[ExportJob]:
    """The latest staff exports of `kinds`, newest first."""
    return list(db.session.scalars(select(ExportJob).where(ExportJob.account_id.is_(None),
                                                           ExportJob.kind.in_(list(kinds)))
                                   .order_by(ExportJob.id.desc()).limit(limit)))


def as_dict(job: ExportJob) -> dict:
    return {"id": job.id, "status": job.status, "total": job.total, "done": job.done, "filename": job.filename,
            "error": job.error}
