"""Audit log entries (ACC-08). `record()` adds to the caller's transaction, so the
entry exists exactly when the change it describes does."""
from __future__ import annotations

import datetime as dt
import json

from app.extensions import db
from app.models import AuditLog


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(*, actor, action: str, object_type: str, object_id=None, account_id: int | None = None,
           before: dict | None = None, after: dict | None = None, reason: str | None = None,
           now: dt.datetime) -> AuditLog:
    """`actor` is a FAB user or None for the system (the tick, a job)."""
    entry = AuditLog(
        created_at=now,
        actor_id=getattr(actor, "id", None),
        actor_login=getattr(actor, "username", None) or "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        account_id=account_id,
        before=_json(before),
        after=_json(after),
        reason=reason,
    )
    db.session.add(entry)
    return entry
