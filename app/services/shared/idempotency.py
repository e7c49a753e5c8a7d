"""Idempotency keys (API-03, and the compose page's one-send-per-token, SMS-11): the
first answer to a key is stored in the same transaction as the change it answers, so a
retry (or a double click, or a request racing it) gets that answer again instead of a
second change; the same key with another request is a conflict.

`once()` is the whole protocol, for the API and the compose page alike: replay a stored
answer, or make the change and store its answer, or — when a racing request with the same
key committed first — replay that one's answer."""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable, NamedTuple, TypeVar

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import ApiRequest
from app.services.shared import uow

CONFLICT_MESSAGE = "같은 Idempotency-Key로 다른 요청을 보냈습니다."
T = TypeVar("T")


class Key(NamedTuple):
    key: str
    request_hash: str      # of what was asked: the same key with another request is refused


class Replay(NamedTuple):
    """The answer given the first time."""
    status: int
    body: dict


def previous(account_id: int, key: Key, *, message: str = CONFLICT_MESSAGE,
             field: str = "Idempotency-Key") -> Replay | None:
    """The answer already given for this key, None when the key is new."""
    row = db.session.scalar(select(ApiRequest).where(ApiRequest.account_id == account_id,
                                                     ApiRequest.idempotency_key == key.key))
    if row is None:
        return None
    if row.request_hash != key.request_hash:
        raise Conflict(message, field=field, code="idempotency_conflict")
    return Replay(row.status_code, json.loads(row.response))


def once(account_id: int, key: Key | None, change: Callable[[], T],
         answer: Callable[[T], tuple[int, dict, int | None]], *, now: dt.datetime,
         message: str = CONFLICT_MESSAGE, field: str = "Idempotency-Key") -> T | Replay:
    """`change()` (a service call, joined to this transaction) once per key: its result,
    or the Replay of the first answer. `answer(result)` is (status, body, send id), stored
    with the change. Without a key the change simply runs."""
    if key is None:
        with uow.transaction():
            return change()

    def make() -> T:
        result = change()
        status, body, send_id = answer(result)
        db.session.add(ApiRequest(account_id=account_id, idempotency_key=key.key, request_hash=key.request_hash,
                                  status_code=status, response=json.dumps(body, ensure_ascii=False),
                                  send_id=send_id, created_at=now))
        db.session.flush()
        return result
    return uow.first_or_make(lambda: previous(account_id, key, message=message, field=field), make)
