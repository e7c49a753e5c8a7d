"""수신거부 목록 (SMS-13): per account; by hand, by file and from the gateway's 080
reports; ad sends skip these numbers."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.domain import recipient_files
from app.domain import text as rules
from app.domain.numbers import digits_in
from app.domain.recipients import Recipient, clean, split_typed
from app.errors import ValidationError
from app.extensions import db
from app.models import OptOut
from app.security.tenancy import get_owned
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction


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


# --- the 수신거부 목록 page (SMS-13) ----------------------------------------------------------------------

PER_PAGE = 20


def listing(account_id: int, *, query: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    stmt = select(OptOut).where(OptOut.account_id == account_id)
    digits = digits_in(query or "")
    if digits:
        stmt = stmt.where(OptOut.number.like(f"%{digits}%"))
    return paginate(stmt, OptOut.created_at.desc(), OptOut.id.desc(), page=page, per_page=per_page)


def add_typed(*, account_id: int, text: str, memo: str | None, now: dt.datetime) -> dict:
    """Numbers typed or pasted (any separators); every one must be a valid mobile number."""
    parts = split_typed(text)
    if not parts:
        raise ValidationError("수신거부할 번호를 입력해주세요.", field="번호", code="required")
    cleaned = clean([Recipient(p, None, {}, i + 1) for i, p in enumerate(parts)], limit=10_000)
    if cleaned.rejected:
        bad = cleaned.rejected[0]
        raise ValidationError(f"{bad.row}번째 번호 {bad.phone}: {bad.reason}", field="번호", code="invalid_number")
    memo = rules.optional(memo, "메모", max_length=100)
    with transaction():
        before = numbers_in(account_id, (r.phone for r in cleaned.recipients))
        add_many(account_id, (r.phone for r in cleaned.recipients), source="manual", now=now, memo=memo)
    return {"added": len(cleaned.recipients) - len(before), "already": len(before)}


def add_file(*, account_id: int, filename: str, data: bytes, now: dt.datetime) -> dict:
    parsed = recipient_files.parse(filename, data)
    with transaction():
        before = numbers_in(account_id, (r.phone for r in parsed.recipients))
        add_many(account_id, (r.phone for r in parsed.recipients), source="file", now=now)
    return {"added": len(parsed.recipients) - len(before), "already": len(before), "total": parsed.total,
            "rejected": [r.to_dict() for r in parsed.rejected[:200]], "rejected_count": len(parsed.rejected)}


def remove(*, account_id: int, optout_id) -> None:
    with transaction():
        db.session.delete(get_owned(OptOut, optout_id, account_id, for_update=True))
