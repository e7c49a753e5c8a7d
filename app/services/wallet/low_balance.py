"""잔액 부족 알림: an account's threshold (off by default, set in 마이페이지) and the notice
when cash + points fall below it — once per crossing.

Every movement of money calls `observe` from `ledger._post`, inside the movement's
transaction with the account row locked: a movement down marks the crossing with a
conditional UPDATE (`alerted_at IS NULL` → now) and, only when it moved that row, writes
the notice (the portal's notice and the owner's e-mail through `shared/notices`, the SMS
through `shared/system_messages`, the service's own gateway). Nothing is sent in the
money transaction: delivery is enqueued after it commits, and a movement rolled back
takes its notice with it. A movement up to the threshold or above clears the mark (the
alert is armed again, e.g. after a top-up). Two movements at once cannot both mark one
crossing: the account row serialises them, and the conditional UPDATE moves the row once
even where it does not."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from app.domain import text as rules
from app.domain.korean import josa
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, LowBalanceAlert
from app.services.shared import notices, system_messages
from app.services.shared.uow import transaction

MIN_THRESHOLD = 1_000
MAX_THRESHOLD = 10_000_000
FIELD = "알림 기준 금액"


@dataclass(frozen=True)
class Setting:
    threshold: int | None          # None: off
    by_sms: bool
    by_email: bool
    alerted_at: dt.datetime | None  # the current crossing was told at

    @property
    def enabled(self) -> bool:
        return self.threshold is not None


OFF = Setting(None, True, True, None)


def setting(account_id: int) -> Setting:
    row = db.session.get(LowBalanceAlert, account_id)
    if row is None:
        return OFF
    return Setting(row.threshold, row.by_sms, row.by_email, row.alerted_at)


def configure(*, account_id: int, enabled: bool, threshold, by_sms: bool, by_email: bool,
              now: dt.datetime) -> Setting:
    """Turn the alert on (a threshold in won, at least one way to be told) or off. A
    balance already below the new threshold counts as told: the next notice comes after
    it has been back to the threshold or above."""
    amount = None
    if enabled:
        amount = rules.positive_int(threshold, FIELD, minimum=MIN_THRESHOLD, maximum=MAX_THRESHOLD)
        if not (by_sms or by_email):
            raise ValidationError("알림 방법(문자 또는 이메일)을 하나 이상 선택해주세요.", field="알림 방법",
                                  code="required")
    with transaction():
        account = db.session.scalar(select(Account).where(Account.id == account_id).with_for_update()
                                    .execution_options(populate_existing=True))
        row = db.session.get(LowBalanceAlert, account_id, with_for_update=True)
        if row is None:
            row = LowBalanceAlert(account_id=account_id)
            db.session.add(row)
        row.threshold = amount
        if amount is not None:
            row.by_sms, row.by_email = bool(by_sms), bool(by_email)
        below = amount is not None and account.cash + account.points < amount
        row.alerted_at = (row.alerted_at or now) if below else None
        row.updated_at = now
    return setting(account_id)


def observe(account: Account, before: int, after: int, now: dt.datetime) -> None:
    """A movement took the account's cash + points from `before` to `after`. Runs in the
    movement's transaction; `account` is locked and holds the new balances."""
    if after < before:
        marked = db.session.execute(
            update(LowBalanceAlert).where(LowBalanceAlert.account_id == account.id,
                                          LowBalanceAlert.threshold.is_not(None),
                                          LowBalanceAlert.threshold > after,
                                          LowBalanceAlert.alerted_at.is_(None))
            .values(alerted_at=now).execution_options(synchronize_session=False))
        if marked.rowcount == 1:
            _tell(account, after, now)
    elif after > before:
        db.session.execute(
            update(LowBalanceAlert).where(LowBalanceAlert.account_id == account.id,
                                          LowBalanceAlert.alerted_at.is_not(None),
                                          or_(LowBalanceAlert.threshold.is_(None),
                                              LowBalanceAlert.threshold <= after))
            .values(alerted_at=None).execution_options(synchronize_session=False))


def sms_text(total: int, threshold: int) -> str:
    """One SMS (at most 90 bytes)."""
    return f"[megabird] 잔액 {total:,}원, 알림 기준 {threshold:,}원 미만입니다. 충전 후 이용해주세요."


def _tell(account: Account, total: int, now: dt.datetime) -> None:
    row = db.session.execute(select(LowBalanceAlert.threshold, LowBalanceAlert.by_sms, LowBalanceAlert.by_email)
                             .where(LowBalanceAlert.account_id == account.id)).one()
    amount = f"{total:,}원"
    body = (f"잔액이 {josa(amount, '으로/로')} 알림 기준 {row.threshold:,}원보다 적어졌습니다 "
            f"(충전금 {account.cash:,}원, 포인트 {account.points:,}P).\n"
            "발송이 중단되지 않도록 충전해주세요. 잔액이 기준 금액 이상으로 돌아온 뒤 다시 기준 아래로 "
            "내려가면 또 알려드립니다.")
    notices.post(account_id=account.id, kind="low_balance", title="잔액이 알림 기준보다 적어졌습니다",
                 body=body, link="WalletView.index", email=row.by_email, now=now)
    phone = notices.owner_phone(account.id) if row.by_sms else None
    if phone:
        system_messages.queue_message(purpose="low_balance", recipient=phone, text=sms_text(total, row.threshold),
                                      now=now)
