"""Webhook events written where they happen (09-api.md API-06): the outbox.

Three moments of lower capabilities write events, in their own transaction, through the
steps they run (`app/services/shared/steps.py`): a send settled (`lifecycle.AFTER_COMPLETE`
→ `send.completed`, the body of `GET /sends/{id}`), messages reached their final state
(`outcomes.AFTER_FINALIZE` → `message.reported`, at most 1,000 reports an event, each with
its `layer` and `parent_id`), and a template review decided (`templates.AFTER_REVIEW` →
`template.reviewed`). An event is written only for an account with an active endpoint
that subscribed to its type, with one delivery row per such endpoint, so the pipeline's hot
path pays one indexed look a batch when nobody listens. Nothing here opens a connection:
after the commit a job is asked to deliver (`enqueue`), and the tick asks again for what
is due (`delivery.enqueue_due`), so an event outlives Redis and the workers being down."""
from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import defaultdict

from flask_babel import lazy_gettext as N_
from sqlalchemy import insert, select

from app import bulk, clock
from app.extensions import db
from app.models import Message, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.services.history import bodies
from app.services.kakao import templates as alimtalk_templates
from app.services.sending import acceptance, lifecycle, outcomes
from app.services.shared import background, uow

#: the events an endpoint can subscribe to, as the portal names them
EVENT_TYPES = {
    "send.completed": N_("발송 완료 (send.completed)"),
    "message.reported": N_("메시지 결과 (message.reported)"),
    "template.reviewed": N_("알림톡 템플릿 검수 결과 (template.reviewed)"),
}
TEST_EVENT = "webhook.test"         # the portal's 테스트 전송: to one endpoint, whatever it subscribed to
MAX_REPORTS = 1000                  # reports in one message.reported event
DELIVER_JOB = "app.jobs.webhooks.deliver"
QUEUE = "default"
JOB_TTL = 120                       # seconds a delivery job holds its endpoint's key (renewed while it works)


def new_event_id() -> str:
    """`webhook-id`: unique per event, the same on every attempt and endpoint."""
    return "msg_" + secrets.token_urlsafe(18)


def subscribers(account_ids, event_type: str) -> dict[int, list[int]]:
    """{account id: [endpoint id, …]} of the active endpoints subscribed to `event_type`
    of accounts still approved for the API (read in the caller's transaction)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    found: dict[int, list[int]] = defaultdict(list)
    conn = db.session.connection()
    for endpoint_id, account_id, events in bulk.rows_in(
            conn, "SELECT e.id, e.account_id, e.events FROM webhook_endpoint e JOIN account a ON a.id = e.account_id "
                  "WHERE e.status = 'active' AND a.api_status = 'approved' AND e.account_id IN ({keys})", ids):
        if event_type in events.split(","):
            found[account_id].append(endpoint_id)
    return found


def iso(value: dt.datetime | None) -> str | None:
    """A time as the API shows it (KST, ISO 8601), or None."""
    return clock.to_kst(value).isoformat() if value else None


def emit(account_id: int, event_type: str, data: dict, now: dt.datetime, *, endpoint_ids: list[int] | None = None,
         size: int = 1) -> WebhookEvent | None:
    """Write an event and its deliveries (to `endpoint_ids`, or to the account's
    subscribers) in the caller's transaction; None when nobody listens. The body is the
    Standard Webhooks envelope `{"type", "timestamp", "data"}`, fixed from now on."""
    if endpoint_ids is None:
        endpoint_ids = subscribers([account_id], event_type).get(account_id, [])
    if not endpoint_ids:
        return None
    event = WebhookEvent(event_id=new_event_id(), account_id=account_id, type=event_type, size=size,
                         created_at=now, body=json.dumps({"type": event_type, "timestamp": iso(now), "data": data},
                                                         ensure_ascii=False, separators=(",", ":")))
    db.session.add(event)
    db.session.flush()
    db.session.execute(insert(WebhookDelivery.__table__), [
        {"event_id": event.id, "endpoint_id": endpoint_id, "account_id": account_id, "state": "pending",
         "attempts": 0, "step": 0, "next_at": now, "created_at": now} for endpoint_id in endpoint_ids])
    if uow.active():
        for endpoint_id in endpoint_ids:
            uow.after_commit(lambda endpoint_id=endpoint_id: enqueue(endpoint_id), key=("webhook", endpoint_id))
    return event


def enqueue(endpoint_id: int) -> bool:
    """Ask a worker to deliver what is due to one endpoint (one job an endpoint at a time,
    so a slow receiver holds up only its own deliveries)."""
    return background.enqueue_once(f"webhooks:endpoint:{endpoint_id}", QUEUE, DELIVER_JOB, endpoint_id,
                                   ttl=JOB_TTL)


# --- the three events ---------------------------------------------------------------------------------------

def send_completed(send, now: dt.datetime) -> None:
    """`send.completed` (the settlement's and a cancellation's step, in their transaction):
    the body of GET /sends/{id} as settled, or cancelled (`status`)."""
    emit(send.account_id, "send.completed", bodies.send_body(send), now)


def messages_reported(moved: list[outcomes.Outcome], facts: dict[int, outcomes.SendFacts],
                      layers: dict[int, str]) -> None:
    """`message.reported` (finalize's step, in its transaction): the reports just applied,
    per account, at most MAX_REPORTS an event."""
    by_account: dict[int, list[outcomes.Outcome]] = defaultdict(list)
    for outcome in moved:
        by_account[facts[outcome.send_id].account_id].append(outcome)
    listening = subscribers(by_account, "message.reported")
    if not listening:
        return
    now = clock.now()
    conn = db.session.connection()
    for account_id, endpoint_ids in listening.items():
        moved_here = by_account[account_id]
        rows = {row[0]: row for row in bulk.rows_in(
            conn, "SELECT id, recipient, msg_type, layer, parent_id FROM message WHERE id IN ({keys})",
            sorted(o.message_id for o in moved_here))}
        for start in range(0, len(moved_here), MAX_REPORTS):
            part = moved_here[start:start + MAX_REPORTS]
            reports = [_report(o, rows[o.message_id]) for o in part]
            emit(account_id, "message.reported", {"reports": reports}, now, endpoint_ids=endpoint_ids,
                 size=len(reports))


def _report(outcome: outcomes.Outcome, row) -> dict:
    _id, phone, msg_type, layer, parent_id = row
    return {"message_id": str(outcome.message_id), "send_id": str(outcome.send_id), "phone": phone,
            "type": msg_type, "status": outcome.state, "category": outcome.category, "code": outcome.code,
            "reported_at": iso(outcome.at), "charge": outcome.charge, "layer": layer or "primary",
            "parent_id": str(parent_id) if parent_id is not None else None}


def refused_at_accept(send, now: dt.datetime) -> None:
    """`message.reported` for the messages a send was written with already final (수신거부,
    중복: they never pass `finalize`), in the acceptance's transaction."""
    endpoint_ids = subscribers([send.account_id], "message.reported").get(send.account_id)
    if not endpoint_ids:
        return
    rows = db.session.execute(select(Message.id, Message.recipient, Message.msg_type, Message.result_code,
                                     Message.category, Message.reported_at).where(
        Message.send_id == send.id, Message.state == "failed").order_by(Message.id)).all()
    for start in range(0, len(rows), MAX_REPORTS):
        part = rows[start:start + MAX_REPORTS]
        reports = [{"message_id": str(r.id), "send_id": str(send.id), "phone": r.recipient, "type": r.msg_type,
                    "status": "failed", "category": r.category, "code": r.result_code,
                    "reported_at": iso(r.reported_at), "charge": 0, "layer": "primary", "parent_id": None}
                   for r in part]
        emit(send.account_id, "message.reported", {"reports": reports}, now, endpoint_ids=endpoint_ids,
             size=len(reports))


def template_reviewed(template, now: dt.datetime) -> None:
    """`template.reviewed` (the review's step, in its transaction): the template's code,
    new state and reason (a rejection's, or a block's)."""
    reason = None
    if template.status == "rejected":
        reason = template.reject_reason
    elif template.status == "blocked" and template.events:
        reason = template.events[-1].comment
    emit(template.account_id, "template.reviewed",
         {"template_code": template.code, "name": template.name, "state": template.status, "reason": reason,
          "reviewed_at": iso(template.reviewed_at if template.status != "blocked" else now)}, now)


def test_event(endpoint: WebhookEndpoint, now: dt.datetime) -> WebhookEvent:
    """테스트 전송: a `webhook.test` event to this endpoint only (the caller's transaction)."""
    return emit(endpoint.account_id, TEST_EVENT,
                {"message": "megabird 웹훅 테스트 이벤트입니다.", "endpoint_id": str(endpoint.id)}, now,
                endpoint_ids=[endpoint.id])


def register() -> None:
    """Plug the three events into the moments they report (idempotent; at start-up)."""
    lifecycle.AFTER_COMPLETE.add("webhooks", send_completed)
    lifecycle.AFTER_CANCEL.add("webhooks", send_completed)
    acceptance.AFTER_WRITE.add("webhooks", refused_at_accept)
    outcomes.AFTER_FINALIZE.add("webhooks", messages_reported)
    alimtalk_templates.AFTER_REVIEW.add("webhooks", template_reviewed)

