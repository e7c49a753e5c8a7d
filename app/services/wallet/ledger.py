"""The wallet service: the only code that moves money (02-wallet.md).

Every movement is one ledger entry with a unique idempotency key, written in the same
transaction as the balance change on the account row, which is locked first (`FOR
UPDATE` on PostgreSQL; on SQLite every write transaction is `BEGIN IMMEDIATE`). The
database refuses negative balances and duplicate keys as a last line of defence. A
movement that takes the balance below the account's alert threshold records the
crossing in the same transaction (`low_balance.observe`); the notice goes out after it.

Each movement runs in the caller's transaction when there is one (a review approving a
bank transfer, a send accepted with its hold) and in a transaction of its own otherwise
(app/services/shared/uow.py); a repeated key returns the first entry and changes
nothing, and a key that a racing transaction committed first returns that one's entry.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app.domain.korean import josa
from app.domain import text as rules
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.models import Account, LedgerEntry
from app.services.accounts import access
from app.services.shared import audit, uow
from app.services.wallet import lots, low_balance

MAX_AMOUNT = 1_000_000_000  # one movement; far above any real top-up or send


class InsufficientBalance(ValidationError):
    code = "insufficient_balance"


@dataclass(frozen=True)
class Balance:
    cash: int
    points: int

    @property
    def total(self) -> int:
        return self.cash + self.points


def amount_of(value, field: str = "금액", *, minimum: int = 1, maximum: int = MAX_AMOUNT) -> int:
    """A money amount: an integer number of won, within bounds (no floats, no strings of
    decimals, no booleans)."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(f"{josa(field, '은/는')} 원 단위 정수로 입력해주세요.", field=field, code="invalid_amount")
        value = int(value)
    return rules.positive_int(value, field, minimum=minimum, maximum=maximum)


def balance(account_id: int) -> Balance:
    row = db.session.execute(select(Account.cash, Account.points).where(Account.id == account_id)).one()
    return Balance(int(row.cash), int(row.points))


def find_entry(key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def lock_account(account_id: int) -> Account:
    """The account row, locked for the rest of the transaction."""
    return _lock_account(account_id)


def _lock_account(account_id: int) -> Account:
    account = db.session.scalar(select(Account).where(Account.id == account_id).with_for_update()
                                .execution_options(populate_existing=True))
    if account is None:
        raise ValidationError("계정을 찾을 수 없습니다.", field="계정", code="not_found")
    return account


def _post(account: Account, *, kind: str, cash_delta: int, points_delta: int, key: str, now: dt.datetime,
          actor=None, memo: str | None = None, funding: str = lots.BANK_TRANSFER, first: str | None = None,
          **refs) -> LedgerEntry:
    cash_after = account.cash + cash_delta
    points_after = account.points + points_delta
    if cash_after < 0 or points_after < 0:
        raise InsufficientBalance("잔액이 부족합니다.", field="금액")
    before = account.cash + account.points
    account.cash = cash_after
    account.points = points_after
    entry = LedgerEntry(account_id=account.id, kind=kind, cash_delta=cash_delta, points_delta=points_delta,
                        cash_after=cash_after, points_after=points_after, idempotency_key=key,
                        actor_id=getattr(actor, "id", None), memo=memo, created_at=now, **refs)
    db.session.add(entry)
    db.session.flush()
    _move_lots(entry, funding=funding, first=first, now=now)
    low_balance.observe(account, before, cash_after + points_after, now)  # 잔액 부족 알림, told after commit
    return entry


def _move_lots(entry: LedgerEntry, *, funding: str, first: str | None, now: dt.datetime) -> None:
    """Cash in makes a lot (a send's refund goes back to the lots its hold took); cash out
    takes from the lots, first in first out (wallet/lots, TAX-02)."""
    if entry.cash_delta > 0 and entry.kind == "refund":
        lots.give_back(entry, entry.cash_delta, send_id=entry.send_id, now=now)
    elif entry.cash_delta > 0:
        lots.credit(entry, funding, now)
    elif entry.cash_delta < 0:
        own = None
        if entry.kind == "topup_cancel" and entry.topup_id is not None:
            own = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == "topup",
                                                                 LedgerEntry.topup_id == entry.topup_id))
        lots.take(entry, -entry.cash_delta, send_id=entry.send_id, first=first, lot_entry=own)


def _same_operation(entry: LedgerEntry, account_id: int, kind: str) -> LedgerEntry:
    if entry.account_id != account_id or entry.kind != kind:
        raise Conflict("같은 멱등 키가 다른 거래에 이미 사용되었습니다.", field="멱등 키", code="idempotency_conflict")
    return entry


def _run(key: str, body, *, account_id: int, kind: str) -> LedgerEntry:
    """Idempotency around one movement: a known key returns its entry; a key that
    another transaction wrote first (unique violation) returns theirs. A key already
    used for another account or kind of movement is a conflict."""
    return _same_operation(uow.first_or_make(lambda: find_entry(key), body), account_id, kind)


def _money_audit(entry: LedgerEntry, actor, reason: str | None) -> None:
    """Movements a person made (staff, or a customer paying by card) also go to the
    audit log (ACC-08); the system's holds and refunds are in the ledger alone."""
    if actor is None:
        return
    audit.record(actor=actor, action=entry.kind, object_type="account", object_id=entry.account_id,
                 account_id=entry.account_id,
                 before={"cash": entry.cash_after - entry.cash_delta,
                         "points": entry.points_after - entry.points_delta},
                 after={"cash": entry.cash_after, "points": entry.points_after},
                 reason=reason, now=entry.created_at)


# --- movements -------------------------------------------------------------------------------

def topup(account_id: int, amount, *, key: str, now: dt.datetime, actor=None, memo: str | None = None,
          topup_id: int | None = None, funding: str = lots.BANK_TRANSFER) -> LedgerEntry:
    """충전: `funding` is `card` for a card payment (its sales slip stands for the tax
    invoice), `bank_transfer` for everything else (invoiced)."""
    amount = amount_of(amount, "충전 금액")
    if funding not in (lots.CARD, lots.BANK_TRANSFER):
        raise ValueError(f"unknown funding {funding!r}")

    def body():
        entry = _post(_lock_account(account_id), kind="topup", cash_delta=amount, points_delta=0, key=key,
                      now=now, actor=actor, memo=memo, topup_id=topup_id, funding=funding)
        _money_audit(entry, actor, memo)
        return entry
    return _run(key, body, account_id=account_id, kind="topup")


def grant_points(account_id: int, amount, *, reason: str, key: str, now: dt.datetime, actor=None) -> LedgerEntry:
    amount = amount_of(amount, "포인트")
    reason = rules.required(reason, "지급 사유", max_length=500)

    def body():
        entry = _post(_lock_account(account_id), kind="point_grant", cash_delta=0, points_delta=amount,
                      key=key, now=now, actor=actor, memo=reason)
        _money_audit(entry, actor, reason)
        return entry
    return _run(key, body, account_id=account_id, kind="point_grant")


def revoke_points(account_id: int, amount, *, reason: str, key: str, now: dt.datetime, actor=None) -> LedgerEntry:
    amount = amount_of(amount, "포인트")
    reason = rules.required(reason, "회수 사유", max_length=500)

    def body():
        account = _lock_account(account_id)
        if account.points < amount:
            raise InsufficientBalance(f"회수할 포인트가 보유 포인트({account.points:,}P)보다 많습니다.",
                                      field="포인트")
        entry = _post(account, kind="point_revoke", cash_delta=0, points_delta=-amount, key=key, now=now,
                      actor=actor, memo=reason)
        _money_audit(entry, actor, reason)
        return entry
    return _run(key, body, account_id=account_id, kind="point_revoke")


def hold_key(send_id: int) -> str:
    return f"hold:send:{send_id}"


def refund_key(send_id: int) -> str:
    return f"refund:send:{send_id}"


def hold(account_id: int, send_id: int, amount, *, now: dt.datetime) -> LedgerEntry:
    """선차감 (WAL-06): points first, then cash. Refused with the shortfall named."""
    amount = amount_of(amount, "선차감 금액", minimum=0)

    def body():
        account = _lock_account(account_id)
        access.check_not_suspended(account)
        if account.cash + account.points < amount:
            short = amount - account.cash - account.points
            raise InsufficientBalance(
                f"잔액이 부족합니다. 선차감 금액 {amount:,}원, 사용 가능 금액 {account.cash + account.points:,}원"
                f" (부족 {short:,}원). 충전 후 다시 시도해주세요.", field="잔액",
                details={"required": amount, "available": account.cash + account.points, "shortfall": short})
        from_points = min(account.points, amount)
        return _post(account, kind="hold", cash_delta=-(amount - from_points), points_delta=-from_points,
                     key=hold_key(send_id), now=now, send_id=send_id)
    return _run(hold_key(send_id), body, account_id=account_id, kind="hold")


def refund(account_id: int, send_id: int, charged, *, now: dt.datetime) -> LedgerEntry:
    """재충전 (WAL-08): hold − charged goes back, cash first (up to the cash the hold
    took), then points. Exactly once per send (its key); a zero refund is recorded too,
    so that 'settled' is a fact in the ledger."""
    charged = amount_of(charged, "과금 금액", minimum=0)

    def body():
        held = find_entry(hold_key(send_id))
        if held is None or held.account_id != account_id:
            raise ValidationError("선차감 내역이 없는 발송은 재충전할 수 없습니다.", field="발송", code="no_hold")
        hold_cash, hold_points = -held.cash_delta, -held.points_delta
        total = hold_cash + hold_points
        if charged > total:
            raise ValidationError(f"과금 금액({charged:,}원)이 선차감 금액({total:,}원)보다 클 수 없습니다.",
                                  field="과금 금액", code="refund_exceeds_hold")
        back = total - charged
        cash_back = min(back, hold_cash)
        return _post(_lock_account(account_id), kind="refund", cash_delta=cash_back,
                     points_delta=back - cash_back, key=refund_key(send_id), now=now, send_id=send_id)
    return _run(refund_key(send_id), body, account_id=account_id, kind="refund")


def cash_refund(account_id: int, amount, *, key: str, now: dt.datetime, actor=None,
                refund_request_id: int | None = None, memo: str | None = None) -> LedgerEntry:
    """환불 (WAL-09): cash paid back to the customer; points are never paid out."""
    amount = amount_of(amount, "환불 금액")

    def body():
        account = _lock_account(account_id)
        if account.cash < amount:
            raise InsufficientBalance(f"환불 금액({amount:,}원)이 현재 충전금({account.cash:,}원)보다 많습니다.",
                                      field="환불 금액")
        entry = _post(account, kind="cash_refund", cash_delta=-amount, points_delta=0, key=key, now=now,
                      actor=actor, memo=memo, refund_request_id=refund_request_id, first=lots.BANK_TRANSFER)
        _money_audit(entry, actor, memo)
        return entry
    return _run(key, body, account_id=account_id, kind="cash_refund")


def cancel_topup(account_id: int, amount, *, key: str, now: dt.datetime, actor=None, topup_id: int | None = None,
                 memo: str | None = None) -> LedgerEntry:
    """Reverses a credited top-up (e.g. a card payment cancelled by the PG)."""
    amount = amount_of(amount, "취소 금액")

    def body():
        account = _lock_account(account_id)
        if account.cash < amount:
            raise InsufficientBalance("이미 사용한 충전금은 취소할 수 없습니다.", field="취소 금액")
        entry = _post(account, kind="topup_cancel", cash_delta=-amount, points_delta=0, key=key, now=now,
                      actor=actor, memo=memo, topup_id=topup_id)
        _money_audit(entry, actor, memo)
        return entry
    return _run(key, body, account_id=account_id, kind="topup_cancel")


def adjust(account_id: int, *, cash_delta=0, points_delta=0, reason: str, key: str, now: dt.datetime,
           actor=None) -> LedgerEntry:
    """A correction by an admin, with a reason; may not make a balance negative."""
    cash_delta = rules.positive_int(cash_delta, "충전금 조정액", minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)
    points_delta = rules.positive_int(points_delta, "포인트 조정액", minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)
    if cash_delta == 0 and points_delta == 0:
        raise ValidationError("조정액을 입력해주세요.", field="조정액", code="required")
    reason = rules.required(reason, "조정 사유", max_length=500)

    def body():
        entry = _post(_lock_account(account_id), kind="adjust", cash_delta=cash_delta, points_delta=points_delta,
                      key=key, now=now, actor=actor, memo=reason)
        _money_audit(entry, actor, reason)
        return entry
    return _run(key, body, account_id=account_id, kind="adjust")


# --- the invariant (REL-05) ------------------------------------------------------------------------

def balance_violations(limit: int = 1) -> list[str]:
    """Accounts whose balances are not the sums of their ledger, or are negative. The
    whole ledger-check (with the settled sends) is app/services/checks.py."""
    problems: list[str] = []
    sums = select(LedgerEntry.account_id, func.coalesce(func.sum(LedgerEntry.cash_delta), 0).label("cash"),
                  func.coalesce(func.sum(LedgerEntry.points_delta), 0).label("points")) \
        .group_by(LedgerEntry.account_id).subquery()
    rows = db.session.execute(
        select(Account.id, Account.cash, Account.points, sums.c.cash, sums.c.points)
        .outerjoin(sums, sums.c.account_id == Account.id).order_by(Account.id))
    for account_id, cash, points, ledger_cash, ledger_points in rows:
        ledger_cash, ledger_points = int(ledger_cash or 0), int(ledger_points or 0)
        if cash < 0 or points < 0:
            problems.append(f"account {account_id}: negative balance (cash {cash}, points {points})")
        elif (cash, points) != (ledger_cash, ledger_points):
            problems.append(f"account {account_id}: balance cash {cash} points {points} but ledger sums "
                            f"cash {ledger_cash} points {ledger_points}")
        if len(problems) >= limit:
            break
    return problems
