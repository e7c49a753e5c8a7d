"""RQ entry points of the send pipeline: one-line shims into app/services/sending/.

The tick enqueues the report, timeout and settlement jobs with its `now` and a key
(background.enqueue_once): the job renews the key when it starts (and the report job
after every batch) and releases it when it ends."""
from __future__ import annotations

from app import clock
from app.jobs import job
from app.services.sending import dispatch, lifecycle, reports
from app.services.shared import background


@job
def dispatch_send(send_id: int):
    result = dispatch.dispatch_send(send_id)
    if result["more"]:      # other sends get their turn before this one's next batches
        dispatch.enqueue([send_id])
    return result


@job
def apply_reports(kind: str, now_iso: str, key: str | None = None):
    background.renew(key, reports.KEY_TTL)
    try:
        result = reports.run(kind, clock.parse_iso(now_iso), key=key)
    finally:
        background.release(key)
    if result.get("more"):
        reports.enqueue_due(clock.parse_iso(now_iso))
    return result


@job
def time_out(now_iso: str, key: str | None = None):
    background.renew(key, reports.KEY_TTL)
    try:
        return reports.time_out(clock.parse_iso(now_iso))
    finally:
        background.release(key)


@job
def settle(now_iso: str, key: str | None = None):
    background.renew(key, lifecycle.SETTLE_KEY_TTL)
    try:
        return lifecycle.settle(clock.parse_iso(now_iso))
    finally:
        background.release(key)
