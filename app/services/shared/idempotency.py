"""Idempotency keys (API-03, and the compose page's one-send-per-token, SMS-11): the
first answer to a key is stored in the same transaction as the change it answers, so a
retry (or a double click, or a request racing it) gets that answer again instead of a
second change; the same key with another request is a conflict."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import ApiRequest

CONFLICT_MESSAGE = "같은 Idempotency-Key로 다른 요청을 보냈습니다."


def previous(account_id: int, key: str, request_hash: str, *, message: str = CONFLICT_MESSAGE,
             field: str = "Idempotency-Key") -> tuple[int, dict] | None:
    """(status, answer) already given for this key, None when the key is new."""
    row = db.session.scalar(select(ApiRequest).where(ApiRequest.account_id == account_id,
                                                     ApiRequest.idempotency_key == key))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise Conflict(message, field=field, code="idempotency_conflict")
    return row.status_code, json.loads(row.response)


def record(account_id: int, key: tuple[str, str] | None, status: int, answer: dict, *, send_id: int | None,
           now: dt.datetime) -> None:
    """Store the answer in the caller's transaction (a racing request with the same key
    then fails on the unique key, rolls back, and reads this answer)."""
    if key is None:
        return
    idempotency_key, request_hash = key
    db.session.add(ApiRequest(account_id=account_id, idempotency_key=idempotency_key, request_hash=request_hash,
                              status_code=status, response=json.dumps(answer, ensure_ascii=False),
                              send_id=send_id, created_at=now))
    db.session.flush()
