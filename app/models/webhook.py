"""Webhooks (09-api.md API-06, on the Standard Webhooks specification): an account's
endpoints, the events written for them, and each event's delivery to each endpoint with
its attempts.

An event and its deliveries are the outbox: they are written in the transaction of what
they report (a send settled, reports applied, a template reviewed), never sent from it. A
job posts a due delivery after the commit; the tick finds any whose enqueue was lost.
`webhook_event.event_id` is the `webhook-id` header: the same on every attempt and every
endpoint, the receiver's idempotency key. The event's body is fixed when it is written,
so every attempt sends the same bytes (signed again with that attempt's timestamp)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamp, one_of, utcnow

BigInt = BigInteger().with_variant(Integer, "sqlite")

ENDPOINT_STATES = ("active", "disabled", "deleted")
DELIVERY_STATES = ("pending", "sending", "succeeded", "failed", "cancelled")
DUE = "state IN ('pending', 'sending')"


class WebhookEndpoint(Model):
    """An address of the customer's system that receives the events it subscribed to.
    `secret` signs (HMAC needs it in the clear: it is shown once, never again); during a
    rotation `previous_secret` signs too, until `previous_secret_until`. `failing_since` is
    the first failure after the last success: 5 days of it disable the endpoint."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (one_of("status", ENDPOINT_STATES, "ck_webhook_endpoint_status"),
                      Index("ix_webhook_endpoint_account", "account_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(String(100))
    events: Mapped[str] = mapped_column(String(200), nullable=False)       # comma-separated event types
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    previous_secret: Mapped[Optional[str]] = mapped_column(String(100))
    previous_secret_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="active")
    disabled_reason: Mapped[Optional[str]] = mapped_column(String(300))
    disabled_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    failing_since: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)

    @property
    def event_types(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class WebhookEvent(Model):
    """One event of an account: its type and the exact JSON body every delivery sends."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)   # webhook-id
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)     # up to ~200 KB: read when sent
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=1)           # reports it carries
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)


class WebhookDelivery(Model):
    """An event on its way to one endpoint: `pending` until due (`next_at`), `sending`
    while a job holds it (`lease_until`: a job that died gives it back), then `succeeded`,
    `failed` (its retries spent, or refused for good) or `cancelled` (the endpoint was
    disabled or deleted). `step` counts the retries of this round (a replay starts one)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (one_of("state", DELIVERY_STATES, "ck_webhook_delivery_state"),
                      Index("ix_webhook_delivery_account", "account_id", "id"),
                      Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
                      Index("ix_webhook_delivery_due", "endpoint_id", "next_at",
                            sqlite_where=text(DUE), postgresql_where=text(DUE)))

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id", ondelete="CASCADE"), nullable=False)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    step: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)
    last_status: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(Timestamp)

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(Model):
    """One POST of a delivery: when, what came back (status, latency, the first bytes of
    the answer) or why nothing did."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "number"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)      # ok, http, connect, timeout, …
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    latency_ms: Mapped[Optional[int]] = mapped_column(Integer)
    excerpt: Mapped[Optional[str]] = mapped_column(Text)
    error: Mapped[Optional[str]] = mapped_column(String(300))
    replay: Mapped[bool] = mapped_column(default=False, nullable=False)
