"""Delivering webhook events (09-api.md API-06): one RQ job an endpoint at a time posts
what is due to it, signed as the Standard Webhooks specification says.

- A delivery is claimed (`pending → sending`, with a lease) by a conditional UPDATE
  before its POST, and the POST happens outside any transaction. A job that dies leaves
  the lease to run out; the delivery is then due again (a receiver may see an event twice,
  always with the same `webhook-id`).
- Headers: `webhook-id` (the event's id), `webhook-timestamp` (unix seconds of the
  attempt, from the wall clock: the receiver compares it with its own) and
  `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, one for each
  secret that signs now — two during a rotation, space-separated).
- A 2xx succeeds. Anything else is retried after SCHEDULE[step] (±10 % jitter, never
  sooner than a `Retry-After`), about three days in all, then `failed`. 410 Gone disables
  the endpoint at once; an endpoint that has failed for FAILING_LIMIT is disabled too, and
  the account is told in both cases. Redirects are never followed (SEC-08) and the address
  is checked again at every attempt (app/gateways/webhook_http.py).
- One failure ends a job's run for that endpoint: the rest of what is due waits for the
  next run instead of each timing out in turn (a dead receiver costs one attempt a run)."""
from __future__ import annotations

import datetime as dt
import random
import logging
import time

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload
from standardwebhooks.webhooks import Webhook

from app import clock
from app.domain import addresses
from app.errors import InvalidState, NotFound, ValidationError
from app.extensions import db
from app.gateways import webhook_http
from app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.security.tenancy import get_owned
from app.services.shared import audit, background, notices
from app.services.shared.paging import paginate
from app.services.shared.uow import after_commit, transaction
from app.services.webhooks import endpoints, outbox

log = logging.getLogger(__name__)

SCHEDULE = [dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
            dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=14), dt.timedelta(hours=20),
            dt.timedelta(hours=24)]
JITTER = 0.1
FAILING_LIMIT = dt.timedelta(days=5)
LEASE = dt.timedelta(seconds=60)         # a POST takes at most TIMEOUT; the rest is two short commits
TIMEOUT = 15.0
MAX_READ = 64 * 1024
EXCERPT_CHARS = 2000                     # of the (at most 64 KB) answer, kept in the log
RUN_SECONDS = 50.0                       # a job's run for one endpoint, then it hands over
STATUSES = ("pending", "succeeded", "failed", "cancelled")      # the log's filter (pending covers sending)
#: how the log names a delivery's state and an attempt's outcome
STATUS_LABELS = {"pending": "전송 대기", "sending": "전송 중", "succeeded": "성공", "failed": "실패",
                 "cancelled": "취소"}
OUTCOME_LABELS = {"ok": "성공", "http": "오류 응답", "redirect": "리다이렉트(따라가지 않음)", "connect": "연결 실패",
                  "timeout": "시간 초과", "tls": "TLS 오류", "protocol": "응답 형식 오류", "dns": "호스트 찾기 실패",
                  "refused_address": "허용되지 않는 주소", "error": "내부 오류"}
GONE = "수신 서버가 410 Gone으로 응답해 엔드포인트 사용을 중지했습니다."
FAILING = "5일 동안 전송에 실패해 엔드포인트 사용을 중지했습니다."


def _due(now: dt.datetime):
    """Due now: pending and its time has come, or held by a job whose lease ran out. The
    first term is the partial index's own condition, so that SQLite uses it too."""
    return WebhookDelivery.state.in_(("pending", "sending")) & or_(
        (WebhookDelivery.state == "pending") & (WebhookDelivery.next_at <= now),
        (WebhookDelivery.state == "sending") & (WebhookDelivery.lease_until < now))


def enqueue_due(now: dt.datetime) -> int:
    """The tick's task: a job for every endpoint with a due delivery (a lost enqueue, a
    retry whose time came, a job that died). Commits its read."""
    ids = list(db.session.scalars(select(WebhookDelivery.endpoint_id).where(_due(now)).distinct()))
    db.session.commit()
    return sum(outbox.enqueue(endpoint_id) for endpoint_id in ids)


def deliver_endpoint(endpoint_id: int, *, key: str | None = None) -> dict:
    """Post what is due to one endpoint, one delivery at a time (claimed, posted,
    recorded), until nothing is due, a failure, or RUN_SECONDS. Commits per delivery; safe
    to run twice or at once (a claim is a conditional UPDATE, and a claim's lease — longer
    than one POST can take — is its token: a job records only what it still holds)."""
    done = {"succeeded": 0, "failed": 0, "retry": 0, "cancelled": 0, "taken": 0}
    background.renew(key, outbox.JOB_TTL)          # a job that waited in the queue holds its key again
    started = time.monotonic()
    while time.monotonic() - started < RUN_SECONDS:
        claim = _claim(endpoint_id, clock.now())
        if claim is None:
            break
        ended = _deliver(*claim)
        done[ended] += 1
        if ended in ("retry", "failed"):            # the receiver fails: the rest waits for the next run
            break
        background.renew(key, outbox.JOB_TTL)
    return done


def _claim(endpoint_id: int, now: dt.datetime) -> tuple[int, dt.datetime] | None:
    """(delivery id, its lease) of the endpoint's next due delivery, now ours; None when
    nothing is due."""
    lease = now + LEASE
    for delivery_id in db.session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint_id, _due(now))
            .order_by(WebhookDelivery.next_at, WebhookDelivery.id).limit(5)):
        moved = db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, _due(now))
                                   .values(state="sending", lease_until=lease)).rowcount
        if moved:
            db.session.commit()
            return delivery_id, lease
    db.session.commit()
    return None


def signature_headers(event_id: str, body: str, secrets: list[str], timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers, signed by each secret (the `standardwebhooks`
    package's own signing, as receivers verify it)."""
    at = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return {"webhook-id": event_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(Webhook(secret).sign(event_id, at, body) for secret in secrets)}


def _deliver(delivery_id: int, lease: dt.datetime) -> str:
    """One attempt of a claimed delivery: 'succeeded', 'failed', 'retry', 'cancelled', or
    'taken' (another job holds it now: the attempt is logged, its outcome is that job's)."""
    now = clock.now()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    if endpoint.status != "active":
        _end(delivery, "cancelled", now, error=endpoint.disabled_reason)
        db.session.commit()
        return "cancelled"
    event_id, body, url = delivery.event.event_id, delivery.event.body, endpoint.url
    headers = signature_headers(event_id, body, endpoints.signing_secrets(endpoint, now), int(time.time()))
    db.session.commit()                     # no transaction stays open across the POST
    production = endpoints.production()
    answer, failure = None, None
    try:
        target = addresses.check_url(url, production=production)
        answer = webhook_http.post(target, body.encode(), headers, allow_loopback=not production,
                                   timeout=TIMEOUT, max_read=MAX_READ)
    except ValidationError as refused:                    # e.g. an http:// address, now in production mode
        failure = ("refused_address", refused.message)
    except webhook_http.DeliveryFailed as failed:
        failure = (failed.kind, failed.message)
    except Exception:                               # a bug of ours must not leave it held, sent again and again
        log.exception("webhook delivery %s failed unexpectedly", delivery_id)
        failure = ("error", "전송 중 megabird 내부 오류가 발생했습니다.")
    with transaction():
        return _record(delivery_id, lease, answer, failure, clock.now())


def _record(delivery_id: int, lease: dt.datetime, answer, failure, now: dt.datetime) -> str:
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update())
    endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id)
                                 .with_for_update())
    ours = delivery.state == "sending" and delivery.lease_until == lease
    delivery.attempts += 1
    attempt = WebhookAttempt(delivery_id=delivery.id, number=delivery.attempts, at=now, replay=delivery.step == 0
                             and delivery.attempts > 1)
    if answer is not None:
        attempt.status_code, attempt.latency_ms = answer.status, answer.latency_ms
        # PostgreSQL's text holds no NUL: a binary or UTF-16 answer is kept readable
        attempt.excerpt = answer.excerpt.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT_CHARS]
        attempt.outcome = "ok" if 200 <= answer.status < 300 else "redirect" if 300 <= answer.status < 400 else "http"
        if attempt.outcome == "redirect":
            attempt.error = f"리다이렉트({answer.status})는 따라가지 않습니다."[:300]
        delivery.last_status = answer.status
    else:
        attempt.outcome, attempt.error = failure[0], failure[1][:300]
        delivery.last_status = None
    db.session.add(attempt)
    if not ours:
        return "taken"
    if attempt.outcome == "ok":
        _end(delivery, "succeeded", now)
        endpoint.failing_since = None
        return "succeeded"
    delivery.last_error = attempt.error or f"HTTP {answer.status}"
    if answer is not None and answer.status == 410:
        _end(delivery, "failed", now, error=GONE)
        _disable(endpoint, GONE, now)
        return "failed"
    endpoint.failing_since = endpoint.failing_since or now
    if now - endpoint.failing_since >= FAILING_LIMIT:
        _end(delivery, "failed", now)
        _disable(endpoint, FAILING, now)
        return "failed"
    if delivery.step >= len(SCHEDULE) or delivery.event.type == outbox.TEST_EVENT:
        _end(delivery, "failed", now)              # a test event is tried once: 테스트 전송 again by hand
        return "failed"
    wait = SCHEDULE[delivery.step] * random.uniform(1 - JITTER, 1 + JITTER)
    retry_after = webhook_http.retry_after_seconds(answer.headers, time.time()) if answer is not None else None
    if retry_after is not None:
        wait = min(max(wait, dt.timedelta(seconds=retry_after)), SCHEDULE[-1])
    delivery.step += 1
    delivery.state, delivery.next_at, delivery.lease_until = "pending", now + wait, None
    return "retry"


def _end(delivery: WebhookDelivery, state: str, now: dt.datetime, *, error: str | None = None) -> None:
    delivery.state, delivery.finished_at, delivery.next_at, delivery.lease_until = state, now, None, None
    if error:
        delivery.last_error = error


def _disable(endpoint: WebhookEndpoint, reason: str, now: dt.datetime) -> None:
    """Stop an endpoint for good reason and tell the account (a notice and an e-mail)."""
    if endpoint.status != "active":
        return
    endpoint.failing_since = None
    endpoints.stop(endpoint, reason=reason, now=now)
    notices.post(account_id=endpoint.account_id, kind="webhook_disabled",
                 title="웹훅 엔드포인트 사용이 중지되었습니다",
                 body=f"웹훅 엔드포인트 {endpoint.url}의 사용이 중지되었습니다.\n사유: {reason}\n"
                      "수신 서버를 점검한 뒤 마이페이지 > 연동 API > 웹훅에서 다시 사용으로 바꿔주세요. "
                      "실패했거나 취소된 전송은 다시 보내기로 보낼 수 있습니다. 사용이 중지된 동안의 "
                      "발송 결과는 웹훅으로 가지 않으니 API(GET /api/v1/sends)로 확인해주세요.",
                 link="WebhookView.index", now=now)


# --- keeping the log -----------------------------------------------------------------------------------------

KEEP = dt.timedelta(days=90)      # the log's events and their bodies (which name recipients' phones)


def purge_expired(now: dt.datetime, *, batch: int = 500) -> int:
    """Events older than KEEP, with their deliveries and attempts (the nightly tick; their
    retries ended long before). Commits per batch; returns the events deleted."""
    deleted = 0
    while True:
        ids = list(db.session.scalars(select(WebhookEvent.id).where(WebhookEvent.created_at < now - KEEP)
                                      .order_by(WebhookEvent.id).limit(batch)))
        if not ids:
            db.session.commit()
            return deleted
        deliveries_of = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids))
        db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries_of)))
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids)))
        db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)


# --- the log and replay -------------------------------------------------------------------------------------

def deliveries(*, account_id: int | None, endpoint_id=None, status: str | None = None, page: int = 1,
               per_page: int = 20, staff: bool = False):
    """The delivery log, newest first: one account's, or for staff (`staff=True`) every
    account's unless `account_id` narrows it. `status` is one of STATUSES (pending covers
    sending)."""
    if account_id is None and not staff:
        raise ValueError("a customer's delivery log needs its account")
    stmt = select(WebhookDelivery).options(selectinload(WebhookDelivery.event), selectinload(WebhookDelivery.endpoint))
    if account_id is not None:
        stmt = stmt.where(WebhookDelivery.account_id == account_id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status == "pending":
        stmt = stmt.where(WebhookDelivery.state.in_(("pending", "sending")))
    elif status:
        stmt = stmt.where(WebhookDelivery.state == status)
    return paginate(stmt, WebhookDelivery.id.desc(), page=page, per_page=per_page)


def get_delivery(account_id: int | None, delivery_id) -> WebhookDelivery:
    """One account's delivery (NotFound for another's); any account's for staff (None)."""
    if account_id is None:
        delivery = db.session.get(WebhookDelivery, int(delivery_id)) if str(delivery_id).isdigit() \
            and len(str(delivery_id)) < 19 else None
        if delivery is None:
            raise NotFound()
        return delivery
    return get_owned(WebhookDelivery, delivery_id, account_id)


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                   .order_by(WebhookAttempt.number)))


def replay(*, account_id: int, delivery_id, actor, now: dt.datetime) -> WebhookDelivery:
    """다시 보내기: a failed or cancelled delivery goes again at once, the same event with
    the same `webhook-id`, with a fresh round of retries."""
    with transaction():
        delivery = get_owned(WebhookDelivery, delivery_id, account_id, for_update=True)
        if delivery.state not in ("failed", "cancelled"):
            raise InvalidState("실패했거나 취소된 전송만 다시 보낼 수 있습니다.")
        endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint.status != "active":
            raise InvalidState("사용 중지된 엔드포인트입니다. 엔드포인트를 다시 사용으로 바꾼 뒤 보내주세요.")
        before = {"status": delivery.state}
        delivery.state, delivery.step, delivery.next_at, delivery.finished_at = "pending", 0, now, None
        audit.record(actor=actor, action="replay_webhook_delivery", object_type="webhook_delivery",
                     object_id=delivery.id, account_id=account_id, before=before, after={"status": "pending"},
                     now=now)
        after_commit(lambda: outbox.enqueue(endpoint.id), key=("webhook", endpoint.id))
    return delivery


def to_api(delivery: WebhookDelivery, *, with_attempts: bool = False) -> dict:
    iso = outbox.iso
    body = {"id": str(delivery.id), "endpoint_id": str(delivery.endpoint_id), "event_id": delivery.event.event_id,
            "event_type": delivery.event.type, "status": "pending" if delivery.state == "sending" else delivery.state,
            "attempts": delivery.attempts, "last_status_code": delivery.last_status,
            "last_error": delivery.last_error, "next_attempt_at": iso(delivery.next_at),
            "created_at": iso(delivery.created_at), "finished_at": iso(delivery.finished_at)}
    if with_attempts:
        body["attempt_log"] = [{"number": a.number, "at": iso(a.at), "outcome": a.outcome,
                                "status_code": a.status_code, "latency_ms": a.latency_ms, "error": a.error,
                                "excerpt": (a.excerpt or "")[:500]} for a in attempts_of(delivery)]
    return body
