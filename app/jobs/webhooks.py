"""Jobs of the webhooks (app/services/webhooks/delivery.py)."""
from __future__ import annotations

from app.jobs import job
from app.services.shared import background
from app.services.webhooks import delivery


@job
def deliver(endpoint_id: int, key: str | None = None):
    """What is due to one endpoint (one job an endpoint at a time: `key`). Safe to run
    twice: each delivery is claimed before it is posted."""
    try:
        return delivery.deliver_endpoint(int(endpoint_id), key=key)
    finally:
        background.release(key)
