"""What a month is invoiced for (08-tax-invoice.md TAX-02): when a send is settled, one
`billing_usage` row per layer — its own messages and, for a Kakao send, its fallback SMS —
in the KST month of the settlement, with what it delivered and charged, and the cash part
split by where the cash came from (wallet/lots: card top-ups are left off the invoice, the
card slip stands for them; points are free credit). Written in the settlement's own
transaction through `lifecycle.AFTER_COMPLETE`, so no settled send is missing and none is
counted twice (unique per send and layer)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from app import clock
from app.domain import message_types, tax_invoice
from app.extensions import db
from app.models import BillingUsage, Message, Send
from app.services.sending import lifecycle
from app.services.wallet import ledger, lots


def shares(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, the remainder to the largest parts."""
    whole = sum(weights)
    if not whole or not total:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), -weights[i], i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def record(send: Send, now: dt.datetime) -> None:
    """The settled send's usage rows (the settlement's AFTER_COMPLETE step)."""
    layers = db.session.execute(
        select(Message.layer, Message.msg_type,
               func.sum(case((Message.state == "delivered", 1), else_=0)), func.coalesce(func.sum(Message.charge), 0))
        .where(Message.send_id == send.id).group_by(Message.layer, Message.msg_type)
        .order_by(Message.layer.desc(), Message.msg_type)).all()       # primary first
    if not layers:
        return
    held = ledger.find_entry(ledger.hold_key(send.id))
    refund = ledger.find_entry(ledger.refund_key(send.id))
    funding = lots.send_funding([send.id])[send.id]
    card = int(funding.get(lots.CARD, 0))
    invoiced = int(funding.get(lots.BANK_TRANSFER, 0))
    charged = [int(row[3]) for row in layers]
    points_total = -(held.points_delta if held else 0) - (refund.points_delta if refund else 0)
    cards, invoiceds, points = shares(card, charged), shares(invoiced, charged), shares(points_total, charged)
    month = tax_invoice.month_of(clock.to_kst(now).date())
    for i, (layer, msg_type, delivered, amount) in enumerate(layers):
        db.session.add(BillingUsage(
            account_id=send.account_id, send_id=send.id, layer=layer, msg_type=msg_type, month=month,
            settled_at=now, delivered=int(delivered or 0), charged=int(amount), cash=cards[i] + invoiceds[i],
            card_cash=cards[i], invoiced_cash=invoiceds[i], points=points[i],
            refunded=(refund.cash_delta + refund.points_delta if refund else 0) if i == 0 else 0))


def register() -> None:
    """Plug the step into the settlement (idempotent; at start-up)."""
    lifecycle.AFTER_COMPLETE.add("billing_usage", record)


@dataclass(frozen=True)
class MonthTotals:
    charged: int
    cash: int
    card_cash: int
    invoiced_cash: int
    points: int

    @property
    def supply(self) -> int:
        return tax_invoice.split_vat(self.invoiced_cash)[0]

    @property
    def tax(self) -> int:
        return tax_invoice.split_vat(self.invoiced_cash)[1]


def month_totals(account_id: int, month: dt.date) -> MonthTotals:
    """An account's usage settled in the KST month (TAX-02's running totals)."""
    u = BillingUsage
    row = db.session.execute(select(func.sum(u.charged), func.sum(u.cash), func.sum(u.card_cash),
                                    func.sum(u.invoiced_cash), func.sum(u.points))
                             .where(u.account_id == account_id, u.month == month)).one()
    return MonthTotals(*(int(v or 0) for v in row))


def invoiced_by_account(month: dt.date, account_ids=None) -> dict[int, int]:
    """Per account, the invoiced cash (bank transfers, VAT included) settled in the month."""
    u = BillingUsage
    stmt = select(u.account_id, func.sum(u.invoiced_cash)).where(u.month == month).group_by(u.account_id)
    if account_ids is not None:
        stmt = stmt.where(u.account_id.in_(list(account_ids)))
    return {account_id: int(total or 0) for account_id, total in db.session.execute(stmt)}


def by_type(account_id: int, month: dt.date) -> list[tuple[str, int, int, int, int, int]]:
    """(type, delivered, charged, card cash, invoiced cash, points) of an account's month."""
    u = BillingUsage
    return [(t, int(d or 0), int(c or 0), int(k or 0), int(i or 0), int(p or 0)) for t, d, c, k, i, p in
            db.session.execute(select(u.msg_type, func.sum(u.delivered), func.sum(u.charged), func.sum(u.card_cash),
                                      func.sum(u.invoiced_cash), func.sum(u.points))
                               .where(u.account_id == account_id, u.month == month)
                               .group_by(u.msg_type).order_by(u.msg_type))]


@dataclass(frozen=True)
class TypeUsage:
    """One message type's part of an account's month (the invoice's detail, the customer's and
    finance staff's pages)."""
    code: str
    label: str
    delivered: int
    charged: int
    card_cash: int
    invoiced_cash: int
    points: int


def breakdown(account_id: int, month: dt.date) -> list[TypeUsage]:
    """The month's usage per message type, in the catalogue's order."""
    order = {code: i for i, code in enumerate(message_types.CODES)}
    return sorted((TypeUsage(code, message_types.label(code), *values) for code, *values in by_type(account_id, month)),
                  key=lambda row: (order.get(row.code, len(order)), row.code))


def violations(limit: int = 1) -> list[str]:
    """Settled sends whose usage rows do not add up to what the send was charged: Σ charged
    = the send's charged_amount, Σ cash = its charged_cash."""
    u = BillingUsage
    sums = (select(u.send_id, func.sum(u.charged).label("charged"), func.sum(u.cash).label("cash"))
            .group_by(u.send_id).subquery())
    rows = db.session.execute(
        select(Send.id, Send.account_id, Send.charged_amount, Send.charged_cash, sums.c.charged, sums.c.cash)
        .join(sums, sums.c.send_id == Send.id)
        .where((func.coalesce(Send.charged_amount, 0) != sums.c.charged)
               | (func.coalesce(Send.charged_cash, 0) != sums.c.cash)).limit(limit))
    return [f"account {a}: send {s} charged {c} (cash {cc}) but its billing usage says {uc} (cash {ucc})"
            for s, a, c, cc, uc, ucc in rows]
