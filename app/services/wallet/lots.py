"""Where cash came from (08-tax-invoice.md TAX-02): every credit of cash is a lot — `card` (a
card top-up: its sales slip stands for the tax invoice) or `bank_transfer` (a bank transfer,
and any other credit: invoiced) — and every debit takes from the account's lots first-in
first-out; a send's refund gives back to the lots its hold took, latest first. So each
send's charged cash splits into its card and its invoiced part (`send_funding`), which the
tax invoice and the finance report read.

Called only by wallet/ledger, inside the movement's transaction with the account row
locked, so lots are never raced. The invariant: an account's open lots add up to its cash."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, CashLot, CashLotUse, LedgerEntry

CARD, BANK_TRANSFER = "card", "bank_transfer"


def credit(entry: LedgerEntry, funding: str, now: dt.datetime) -> CashLot:
    lot = CashLot(account_id=entry.account_id, entry_id=entry.id, funding=funding, amount=entry.cash_delta,
                  remaining=entry.cash_delta, created_at=now)
    db.session.add(lot)
    return lot


def _use(lot: CashLot, entry: LedgerEntry, amount: int, send_id: int | None) -> None:
    lot.remaining -= amount
    db.session.add(CashLotUse(lot_id=lot.id, entry_id=entry.id, send_id=send_id, funding=lot.funding, amount=amount))


def take(entry: LedgerEntry, amount: int, *, send_id: int | None = None, first: str | None = None,
         lot_entry: int | None = None) -> None:
    """Take `amount` of cash from the account's open lots, oldest first — the lot credited by
    `lot_entry` before all (a cancelled top-up takes back its own), then lots of funding
    `first` (a cash refund pays out bank transfers before card money)."""
    lots = list(db.session.scalars(select(CashLot).where(CashLot.account_id == entry.account_id,
                                                         CashLot.remaining > 0).order_by(CashLot.id)))
    lots.sort(key=lambda lot: (lot.entry_id != lot_entry if lot_entry else False,
                               lot.funding != first if first else False))
    left = amount
    for lot in lots:
        if not left:
            break
        part = min(left, lot.remaining)
        _use(lot, entry, part, send_id)
        left -= part
    if left:        # the ledger checked the balance first: lots and cash disagree
        raise RuntimeError(f"account {entry.account_id}: cash lots hold {amount - left} of {amount}")


def give_back(entry: LedgerEntry, amount: int, *, send_id: int, now: dt.datetime) -> None:
    """A send's refund: back to the lots its hold took, the latest taken first. Cash held
    before lots existed (no record of its lots) comes back as a bank-transfer lot."""
    taken: dict[int, int] = {}
    for lot_id, part in db.session.execute(select(CashLotUse.lot_id, CashLotUse.amount)
                                           .where(CashLotUse.send_id == send_id).order_by(CashLotUse.id)):
        taken[lot_id] = taken.get(lot_id, 0) + int(part)
    left = amount
    for lot_id in sorted(taken, reverse=True):
        if not left:
            break
        part = min(left, taken[lot_id])
        if part > 0:
            _use(db.session.get(CashLot, lot_id), entry, -part, send_id)   # the account row is locked
            left -= part
    if left:
        lot = CashLot(account_id=entry.account_id, entry_id=entry.id, funding=BANK_TRANSFER, amount=left,
                      remaining=0, created_at=now)
        db.session.add(lot)
        db.session.flush()
        _use(lot, entry, -left, send_id)


def send_funding(send_ids) -> dict[int, dict[str, int]]:
    """Per send, the net cash it took per funding (what it was charged in cash, once settled)."""
    ids = sorted(set(send_ids))
    out: dict[int, dict[str, int]] = {send_id: {} for send_id in ids}
    if ids:
        for send_id, funding, amount in db.session.execute(
                select(CashLotUse.send_id, CashLotUse.funding, func.sum(CashLotUse.amount))
                .where(CashLotUse.send_id.in_(ids)).group_by(CashLotUse.send_id, CashLotUse.funding)):
            out[send_id][funding] = int(amount or 0)
    return out


def open_lots(account_id: int) -> list[CashLot]:
    return list(db.session.scalars(select(CashLot).where(CashLot.account_id == account_id, CashLot.remaining > 0)
                                   .order_by(CashLot.id)))


def violations(limit: int = 1) -> list[str]:
    """Accounts whose open lots do not add up to their cash."""
    lots = (select(CashLot.account_id, func.sum(CashLot.remaining).label("remaining"))
            .group_by(CashLot.account_id).subquery())
    rows = db.session.execute(select(Account.id, Account.cash, lots.c.remaining)
                              .outerjoin(lots, lots.c.account_id == Account.id)
                              .where(Account.cash != func.coalesce(lots.c.remaining, 0)).order_by(Account.id)
                              .limit(limit))
    return [f"account {account_id}: cash {cash} but its cash lots hold {int(remaining or 0)}"
            for account_id, cash, remaining in rows]
