"""What the admin sees of RQ: queue depths, workers, failed jobs; each queue by its name
in Korean (`QUEUE_LABELS`)."""
from __future__ import annotations

from flask import current_app
from redis.exceptions import RedisError
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry

from app import clock
from app.errors import NotFound
from app.extensions import all_queues, queue, redis_connection
from app.services.shared import audit
from app.services.shared.uow import transaction

#: RQ queue (app/extensions.QUEUE_NAMES) -> what waits in it
QUEUE_LABELS = {"periodic": "정기 작업 (틱)", "dispatch": "발송 처리 (발송·결과·정산)",
                "default": "기타 작업 (인증 문자·엑셀 내보내기)"}


#: RQ's worker states
WORKER_STATES = {"idle": "대기 중", "busy": "작업 중", "started": "시작됨", "suspended": "일시 중지"}


def queue_label(name: str) -> str:
    prefix = current_app.config.get("RQ_QUEUE_PREFIX", "")
    short = name[len(prefix):] if prefix and name.startswith(prefix) else name
    return QUEUE_LABELS.get(short, short)


def overview() -> dict:
    try:
        conn = redis_connection()
        queues = []
        for q in all_queues():
            failed = FailedJobRegistry(queue=q)
            failed_jobs = []
            for job_id in failed.get_job_ids(0, 49):
                job = Job.fetch(job_id, connection=conn) if Job.exists(job_id, connection=conn) else None
                failed_jobs.append({
                    "id": job_id,
                    "func": job.func_name if job else "?",
                    "ended_at": job.ended_at if job else None,
                    "error": ((job.latest_result().exc_string if job and job.latest_result() else "") or "")
                    .strip().splitlines()[-1:] if job else [],
                })
            queues.append({"name": q.name, "label": queue_label(q.name), "queued": q.count, "started": q.started_job_registry.count,
                           "scheduled": q.scheduled_job_registry.count, "failed": failed.count,
                           "failed_jobs": failed_jobs})
        workers = [{"name": w.name, "state": WORKER_STATES.get(w.get_state(), w.get_state()),
                    "queues": ", ".join(queue_label(n) for n in w.queue_names()),
                    "heartbeat": w.last_heartbeat} for w in Worker.all(connection=conn)]
        return {"ok": True, "queues": queues, "workers": workers}
    except RedisError as exc:
        return {"ok": False, "error": str(exc), "queues": [], "workers": []}


def _failed_registry(queue_name: str) -> FailedJobRegistry:
    names = {q.name: q for q in all_queues()}
    if queue_name not in names:
        raise NotFound("대기열을 찾을 수 없습니다.")
    return FailedJobRegistry(queue=names[queue_name])


def _audit(action: str, queue_name: str, job_id: str, actor, now) -> None:
    """ACC-08: a staff action on a job is a state change too (recorded once done)."""
    with transaction():
        audit.record(actor=actor, action=action, object_type="rq_job", object_id=job_id,
                     after={"queue": queue_name}, now=now)


def requeue_failed(queue_name: str, job_id: str, *, actor=None, now=None) -> None:
    registry = _failed_registry(queue_name)
    if job_id not in registry.get_job_ids():
        raise NotFound("실패한 작업을 찾을 수 없습니다.")
    registry.requeue(job_id)
    _audit("requeue_failed_job", queue_name, job_id, actor, now or clock.now())


def delete_failed(queue_name: str, job_id: str, *, actor=None, now=None) -> None:
    registry = _failed_registry(queue_name)
    if job_id not in registry.get_job_ids():
        raise NotFound("실패한 작업을 찾을 수 없습니다.")
    registry.remove(job_id, delete_job=True)
    _audit("delete_failed_job", queue_name, job_id, actor, now or clock.now())


__all__ = ["overview", "requeue_failed", "delete_failed", "queue"]
