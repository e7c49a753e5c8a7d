"""RQ entry points of the send pipeline: one-line shims into app/services/sending/dispatch.py."""
from __future__ import annotations

from app.jobs import job
from app.services.sending import dispatch


@job
def dispatch_send(send_id: int):
    result = dispatch.dispatch_send(send_id)
    if result["more"]:      # other sends get their turn before this one's next batches
        dispatch.enqueue([send_id])
    return result
