"""One page of a list: the rows of `page` (1-based) and how many there are in all."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db


def paginate(stmt, *order, page: int, per_page: int) -> tuple[list, int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.order_by(*order).offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total or 0)
