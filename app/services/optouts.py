"""수신거부 목록 (SMS-13): per account; by hand, by file and from the gateway's 080
reports; ad sends skip these numbers."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import OptOut


def numbers_in(account_id: int, candidates: Iterable[str]) -> set[str]:
    """Which of these numbers are on the account's list (chunked IN queries)."""
    candidates = list(candidates)
    found: set[str] = set()
    for start in range(0, len(candidates), 1000):
        chunk = candidates[start:start + 1000]
        found.update(db.session.scalars(select(OptOut.number).where(OptOut.account_id == account_id,
                                                                    OptOut.number.in_(chunk))))
    return found


def add_many(account_id: int, numbers: Iterable[str], *, source: str, now: dt.datetime, memo: str | None = None) -> None:
    """Add in the caller's transaction; numbers already listed are left as they are."""
    rows = [{"account_id": account_id, "number": n, "source": source, "memo": memo, "created_at": now}
            for n in set(numbers)]
    if not rows:
        return
    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(module.insert(OptOut).on_conflict_do_nothing(index_elements=["account_id", "number"]), rows)
