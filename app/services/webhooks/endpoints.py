"""An account's webhook endpoints (09-api.md API-06), managed in 마이페이지 > 연동 API and
through the API: add, edit, disable and enable, delete, rotate the secret, send a test.

Only an account whose API use is approved (ACC-06) manages endpoints. An address is
checked when it is saved (SEC-08: https, no credentials, and every address its host
resolves to public; outside production mode a local receiver may listen on loopback) and
again at every delivery, since DNS answers change. A secret is `whsec_` + 32 random bytes
in base64, shown once: signing needs it in the clear, so it is kept, never shown again.
A rotation keeps the previous secret signing beside the new one for ROTATION_OVERLAP, so
a receiver can switch without losing an event."""
from __future__ import annotations

import base64
import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import func, select, update

from app.domain import addresses
from app.domain import text as rules
from app.domain.environment import is_production
from app.errors import Conflict, InvalidState, NotFound, ValidationError
from app.extensions import db
from app.gateways import webhook_http
from app.models import Account, WebhookDelivery, WebhookEndpoint
from app.security.tenancy import get_owned
from app.services.accounts import access
from app.services.shared import audit
from app.services.shared.uow import transaction
from app.services.webhooks import outbox

MAX_ENDPOINTS = 10
ROTATION_OVERLAP = dt.timedelta(hours=24)
SECRET_PREFIX = "whsec_"


def production() -> bool:
    return is_production(current_app.config)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def list_endpoints(account_id: int) -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.status != "deleted").order_by(WebhookEndpoint.id)))


def get(account_id: int, endpoint_id, *, for_update: bool = False) -> WebhookEndpoint:
    """The account's endpoint (NotFound for another account's, or a deleted one)."""
    endpoint = get_owned(WebhookEndpoint, endpoint_id, account_id, for_update=for_update)
    if endpoint.status == "deleted":
        raise NotFound()
    return endpoint


def check_address(url) -> str:
    """SEC-08 at save: the URL's form, then every address its host resolves to. Returns
    the URL as it is kept."""
    target = addresses.check_url(url, production=production())
    try:
        webhook_http.resolve(target, allow_loopback=not production())
    except webhook_http.RefusedAddress as refused:
        raise ValidationError(refused.message, field="URL", code="webhook_address_refused") from None
    except webhook_http.DeliveryFailed as failed:
        raise ValidationError(failed.message, field="URL", code="webhook_host_unknown") from None
    return url.strip()


def check_events(events) -> list[str]:
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, (list, tuple)) or not events:
        raise ValidationError("받을 이벤트를 1개 이상 선택해주세요.", field="이벤트", code="required")
    chosen = []
    for event in events:
        if not isinstance(event, str) or event not in outbox.EVENT_TYPES:
            names = ", ".join(outbox.EVENT_TYPES)
            raise ValidationError(f"알 수 없는 이벤트입니다: {str(event)[:40]} (가능한 값: {names})", field="이벤트",
                                  code="invalid_event")
        if event not in chosen:
            chosen.append(event)
    return [e for e in outbox.EVENT_TYPES if e in chosen]      # the catalogue's order


def _account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    access.check_api_approved(account, to="webhooks")
    return account


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "status": endpoint.status}


def _audit(endpoint: WebhookEndpoint, action: str, before: dict | None, *, actor, now: dt.datetime,
           reason: str | None = None) -> None:
    audit.record(actor=actor, action=action, object_type="webhook_endpoint", object_id=endpoint.id,
                 account_id=endpoint.account_id, before=before, after=_snapshot(endpoint), reason=reason, now=now)


def create(*, account_id: int, url, events, description=None, actor, now: dt.datetime) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its secret (the only time the secret is returned)."""
    _account(account_id)                        # before any lookup: only approved accounts ask DNS
    url = check_address(url)
    chosen = check_events(events)
    description = rules.optional(description, "설명", max_length=100)
    with transaction():
        _account(account_id)
        count = db.session.scalar(select(func.count(WebhookEndpoint.id)).where(
            WebhookEndpoint.account_id == account_id, WebhookEndpoint.status != "deleted"))
        if count >= MAX_ENDPOINTS:
            raise Conflict(f"웹훅 엔드포인트는 계정당 {MAX_ENDPOINTS}개까지 등록할 수 있습니다.", field="URL",
                           code="too_many_endpoints")
        secret = new_secret()
        endpoint = WebhookEndpoint(account_id=account_id, url=url, description=description,
                                   events=",".join(chosen), secret=secret, status="active", created_at=now,
                                   updated_at=now)
        db.session.add(endpoint)
        db.session.flush()
        _audit(endpoint, "create_webhook_endpoint", None, actor=actor, now=now)
    return endpoint, secret


def update_endpoint(*, account_id: int, endpoint_id, url, events, description=None, actor,
                    now: dt.datetime) -> WebhookEndpoint:
    """저장: the address checked again (SEC-08), the events and description replaced."""
    _account(account_id)
    get(account_id, endpoint_id)                # another account's id: 404 before any lookup
    url = check_address(url)
    chosen = check_events(events)
    description = rules.optional(description, "설명", max_length=100)
    with transaction():
        _account(account_id)
        endpoint = get(account_id, endpoint_id, for_update=True)
        before = _snapshot(endpoint)
        endpoint.url, endpoint.events, endpoint.description = url, ",".join(chosen), description
        endpoint.updated_at = now
        _audit(endpoint, "change_webhook_endpoint", before, actor=actor, now=now)
    return endpoint


def set_enabled(*, account_id: int, endpoint_id, enabled: bool, actor, now: dt.datetime) -> WebhookEndpoint:
    """사용 중지 / 다시 사용. A disabled endpoint gets no new events; what was waiting for it
    is cancelled (a failed or cancelled delivery can be sent again by hand)."""
    with transaction():
        _account(account_id)
        endpoint = get(account_id, endpoint_id, for_update=True)
        if (endpoint.status == "active") == enabled:
            raise InvalidState("이미 사용 중인 엔드포인트입니다." if enabled else "이미 사용 중지된 엔드포인트입니다.")
        before = _snapshot(endpoint)
        if enabled:
            endpoint.status, endpoint.disabled_reason, endpoint.disabled_at = "active", None, None
            endpoint.failing_since = None
        else:
            stop(endpoint, reason="고객이 사용을 중지했습니다.", now=now)
        endpoint.updated_at = now
        _audit(endpoint, "enable_webhook_endpoint" if enabled else "disable_webhook_endpoint", before, actor=actor,
               now=now)
    return endpoint


def delete(*, account_id: int, endpoint_id, actor, now: dt.datetime) -> None:
    """삭제: the endpoint stops at once; its delivery log stays for staff."""
    with transaction():
        endpoint = get(account_id, endpoint_id, for_update=True)
        before = _snapshot(endpoint)
        stop(endpoint, reason="엔드포인트가 삭제되었습니다.", now=now, status="deleted")
        _audit(endpoint, "delete_webhook_endpoint", before, actor=actor, now=now)


def stop(endpoint: WebhookEndpoint, *, reason: str, now: dt.datetime, status: str = "disabled") -> int:
    """Disable (or delete) an endpoint and cancel what waits for it, in the caller's
    transaction. Returns the deliveries cancelled."""
    endpoint.status, endpoint.disabled_reason, endpoint.disabled_at = status, reason, now
    endpoint.updated_at = now
    return db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending").values(
        state="cancelled", finished_at=now, next_at=None, last_error=reason)).rowcount


def rotate_secret(*, account_id: int, endpoint_id, actor, now: dt.datetime) -> tuple[WebhookEndpoint, str]:
    """비밀키 재발급: a new secret signs from now on; the previous one signs beside it for
    ROTATION_OVERLAP (both signatures in `webhook-signature`)."""
    with transaction():
        _account(account_id)
        endpoint = get(account_id, endpoint_id, for_update=True)
        secret = new_secret()
        endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.updated_at = now
        _audit(endpoint, "rotate_webhook_secret", None, actor=actor, now=now)
    return endpoint, secret


def send_test(*, account_id: int, endpoint_id, actor, now: dt.datetime) -> None:
    """테스트 전송: a `webhook.test` event to this endpoint, delivered as any other."""
    with transaction():
        _account(account_id)
        endpoint = get(account_id, endpoint_id)
        if endpoint.status != "active":
            raise InvalidState("사용 중지된 엔드포인트에는 테스트 이벤트를 보낼 수 없습니다. 먼저 다시 사용으로 바꿔주세요.")
        outbox.test_event(endpoint, now)


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while
    a rotation overlaps."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and now < endpoint.previous_secret_until:
        found.append(endpoint.previous_secret)
    return found


def to_api(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    iso = outbox.iso
    body = {"id": str(endpoint.id), "url": endpoint.url, "description": endpoint.description,
            "events": endpoint.event_types, "status": endpoint.status, "disabled_reason": endpoint.disabled_reason,
            "created_at": iso(endpoint.created_at), "rotation_ends_at": iso(endpoint.previous_secret_until)}
    if secret is not None:
        body["secret"] = secret
    return body
