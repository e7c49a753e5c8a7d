"""충전/사용 내역 (WAL-10): the account's ledger with filters, paged, and its export."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.korean import josa
from app import clock
from app.errors import ValidationError
from app.extensions import db
from app.models import LedgerEntry
from app.models.wallet import KIND_LABELS
from app.services.shared.paging import paginate

PER_PAGE = 20


@dataclass(frozen=True)
class StatementFilter:
    date_from: dt.date | None = None   # KST dates, inclusive
    date_to: dt.date | None = None
    kind: str | None = None

    @classmethod
    def parse(cls, args) -> "StatementFilter":
        def date(name, label):
            text = (args.get(name) or "").strip()
            if not text:
                return None
            try:
                value = dt.date.fromisoformat(text)
                for day in (value, value + dt.timedelta(days=1)):     # both ends shift to UTC
                    clock.kst_to_utc(dt.datetime.combine(day, dt.time()))
                return value
            except (ValueError, OverflowError):
                raise ValidationError(f"{josa(label, '은/는')} YYYY-MM-DD 형식으로 입력해주세요.", field=label,
                                      code="invalid_date") from None
        kind = (args.get("kind") or "").strip() or None
        if kind and kind not in KIND_LABELS:
            raise ValidationError("구분 값이 올바르지 않습니다.", field="구분", code="invalid_kind")
        result = cls(date("from", "시작일"), date("to", "종료일"), kind)
        if result.date_from and result.date_to and result.date_from > result.date_to:
            raise ValidationError("시작일이 종료일보다 늦습니다.", field="시작일", code="invalid_range")
        return result

    def apply(self, stmt):
        if self.date_from:
            start = clock.kst_to_utc(dt.datetime.combine(self.date_from, dt.time()))
            stmt = stmt.where(LedgerEntry.created_at >= start)
        if self.date_to:
            end = clock.kst_to_utc(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()))
            stmt = stmt.where(LedgerEntry.created_at < end)
        if self.kind:
            stmt = stmt.where(LedgerEntry.kind == self.kind)
        return stmt


def page(account_id: int, flt: StatementFilter, page_number: int = 1) -> tuple[list[LedgerEntry], int]:
    return paginate(flt.apply(select(LedgerEntry).where(LedgerEntry.account_id == account_id)),
                    LedgerEntry.id.desc(), page=page_number, per_page=PER_PAGE)


def latest(account_id: int, *, limit: int = 20) -> list[LedgerEntry]:
    """The newest entries of an account's ledger (the staff wallet page)."""
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                                   .order_by(LedgerEntry.id.desc()).limit(limit)))


EXPORT_HEADERS = ["일시(KST)", "구분", "충전금 변동", "포인트 변동", "충전금 잔액", "포인트 잔액", "발송 ID", "메모"]


def export_rows(account_id: int, flt: StatementFilter):
    stmt = flt.apply(select(LedgerEntry).where(LedgerEntry.account_id == account_id)).order_by(LedgerEntry.id)
    for entry in db.session.scalars(stmt.execution_options(yield_per=1000)):
        yield [clock.to_kst(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"), entry.kind_label,
               entry.cash_delta, entry.points_delta, entry.cash_after, entry.points_after,
               entry.send_id or "", entry.memo or ""]
