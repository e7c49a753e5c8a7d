"""The daily cap (ACC-10): recipients accepted per account and KST day, counted apart
from the sends, so that deleting history (RES-06) gives no allowance back; a cancelled
send does."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app import clock
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, DailyUsage


def kst_day(moment: dt.datetime) -> dt.date:
    return clock.to_kst(moment).date()


def sent_today(account_id: int, now: dt.datetime) -> int:
    """Recipients accepted today (KST), cancelled sends excluded."""
    return int(db.session.scalar(select(DailyUsage.messages).where(
        DailyUsage.account_id == account_id, DailyUsage.day == kst_day(now))) or 0)


def count(account_id: int, day: dt.date, messages: int) -> None:
    """Add to (or, for a cancelled send, take from) the day's usage, in the caller's
    transaction; the caller holds the account's lock (ledger.lock_account), so the cap
    check and this write do not race."""
    row = db.session.get(DailyUsage, (account_id, day))
    if row is None:
        db.session.add(DailyUsage(account_id=account_id, day=day, messages=max(messages, 0)))
    else:
        row.messages = max(row.messages + messages, 0)


def check_cap(account: Account, count_: int, now: dt.datetime) -> None:
    used = sent_today(account.id, now)
    left = max(account.daily_cap - used, 0)
    if count_ > left:
        raise ValidationError(f"일일 발송 한도({account.daily_cap:,}건)를 초과합니다. 오늘 남은 발송 가능 건수는 "
                              f"{left:,}건입니다 (요청 {count_:,}건).", field="수신자", code="daily_cap_exceeded",
                              details={"daily_cap": account.daily_cap, "remaining": left})
