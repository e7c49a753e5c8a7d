"""RQ entry points of the send pipeline: one-line shims into app/services/sending/dispatch.py."""
from __future__ import annotations

from app.jobs import enqueue, job

JOB_TIMEOUT = 180  # seconds; far below dispatch.CLAIM_STALE_AFTER


@job
def dispatch_send(send_id: int):
    from app.services.sending import dispatch
    result = dispatch.dispatch_send(send_id)
    if result["more"]:
        enqueue("dispatch", dispatch_send, send_id, job_timeout=JOB_TIMEOUT)
    return result
