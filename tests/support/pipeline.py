"""Helpers for the send-pipeline and API tests: customers with money, sender numbers
and API keys (made through the services), accepting sends, running the real worker and
the tick, and reading what happened (each read in its own app context, so that the
worker's and the tick's commits are seen and no transaction is left open)."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import func, select

from app import clock
from app.domain.recipients import Recipient
from app.extensions import db
from app.gateways.sandbox import SandboxGateway
from app.models import LedgerEntry, Message, SandboxMessage, Send, SenderNumber, UsageCategoryRollup, UsageRollup
from app.services import checks, periodic
from app.services.accounts import accounts, api_keys
from app.services.history import queries
from app.services.sending import acceptance
from app.services.wallet import ledger as wallet_ledger
from tests.support.factories import Customer, make_customer, make_staff
from tests.support.jobs import run_worker

#: 12:00 KST on a Friday: outside the night window, far from midnight.
NOW = dt.datetime(2026, 11, 27, 3, 0)
KST = dt.timezone(dt.timedelta(hours=9))
_block = itertools.count(3000)


def kst(*args) -> dt.datetime:
    """A KST wall-clock time as naive UTC."""
    return dt.datetime(*args, tzinfo=KST).astimezone(dt.timezone.utc).replace(tzinfo=None)


def phones(*endings: int | str) -> list[str]:
    """Distinct valid mobile numbers ending in the given two digits (GW-02 magic numbers)."""
    block = next(_block)
    return [f"010{block:04d}{i:02d}{int(e):02d}" for i, e in enumerate(endings)]


def recipients(numbers, **names) -> list[Recipient]:
    return [Recipient(n, names.get(n), {}, i) for i, n in enumerate(numbers, start=1)]


def request(customer: Customer, numbers, body: str = "[메가버드] 배송이 시작되었습니다.", **changes) -> acceptance.SmsRequest:
    entries = changes.pop("entries", None) or recipients(numbers)
    return acceptance.SmsRequest(account_id=customer.account_id, sender=changes.pop("sender", customer.phone),
                              body=body, recipients=entries, **changes)


@dataclass(frozen=True)
class Accepted:
    send_id: int
    answer: dict          # what the API answers (09-api.md)


def accept(app, customer: Customer, numbers, *, now: dt.datetime = NOW, enqueue: bool = True,
           **changes) -> Accepted:
    """Accept a send as the compose page does (accept, then enqueue after commit)."""
    with app.app_context():
        result = acceptance.accept(request(customer, numbers, **changes), now=now)
        if enqueue:
            acceptance.enqueue_dispatch(result.send)
        return Accepted(result.send.id, result.to_api())


def tick_only(app, now: dt.datetime) -> dict:
    """Only the tick at `now`: what it found due and asked the workers for."""
    with app.app_context():
        return periodic.tick(now)


def tick(app, now: dt.datetime) -> dict:
    """The tick at `now`, then the real worker at `now` for the jobs it asked for
    (reports, timeouts, settlement, relayed dispatch), as the scheduler and a worker do."""
    with app.app_context():
        result = periodic.tick(now)
    work(app, now)
    return result


def work(app, now: dt.datetime = NOW) -> None:
    """The real RQ worker (SimpleWorker, burst) with the clock pinned at `now`."""
    with clock.frozen(now):
        run_worker(app)


def run_to_completion(app, start: dt.datetime = NOW) -> None:
    """Worker at `start`, then ticks for the 5-second reports, the 30-minute ones and the
    49-hour timeout."""
    work(app, start)
    for later in (dt.timedelta(seconds=10), dt.timedelta(minutes=31), dt.timedelta(hours=50)):
        tick(app, start + later)


def send_row(app, send_id: int) -> dict:
    with app.app_context():
        send = db.session.get(Send, send_id)
        row = {c.key: getattr(send, c.key) for c in Send.__table__.columns}
        row["categories"] = queries.categories(send_id)
        db.session.commit()
        return row


def messages(app, send_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.send_id == send_id).order_by(Message.id)).all()
        out = [{c.key: getattr(m, c.key) for c in Message.__table__.columns} for m in rows]
        db.session.commit()
        return out


def by_recipient(app, send_id: int) -> dict[str, dict]:
    return {m["recipient"]: m for m in messages(app, send_id)}


def balance(app, account_id: int) -> tuple[int, int]:
    """(cash, points)"""
    with app.app_context():
        result = wallet_ledger.balance(account_id)
        db.session.commit()
        return result.cash, result.points


def ledger(app, account_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                                  .order_by(LedgerEntry.id)).all()
        out = [{c.key: getattr(e, c.key) for c in LedgerEntry.__table__.columns} for e in rows]
        db.session.commit()
        return out


def invariant(app) -> list[str]:
    with app.app_context():
        problems = checks.invariant_violations(limit=10)
        db.session.commit()
        return problems


def sandbox_rows(app, numbers=None) -> list[dict]:
    with app.app_context():
        stmt = select(SandboxMessage).order_by(SandboxMessage.id)
        if numbers is not None:
            stmt = stmt.where(SandboxMessage.recipient.in_(list(numbers)))
        out = [{c.key: getattr(m, c.key) for c in SandboxMessage.__table__.columns} for m in db.session.scalars(stmt)]
        db.session.commit()
        return out


def duplicate_submissions(app) -> int:
    with app.app_context():
        count = SandboxGateway.duplicate_submissions()
        db.session.commit()
        return count


def count(app, model, *conditions) -> int:
    with app.app_context():
        result = db.session.scalar(select(func.count()).select_from(model).where(*conditions))
        db.session.commit()
        return int(result or 0)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused send must leave as it was."""
    sends: int
    messages: int
    ledger: int
    balance: tuple[int, int]
    rollups: tuple
    sandbox: int


def snapshot(app, account_id: int) -> Snapshot:
    with app.app_context():
        rollups = tuple(db.session.execute(
            select(UsageRollup.day, UsageRollup.msg_type, UsageRollup.requested, UsageRollup.delivered,
                   UsageRollup.failed, UsageRollup.charged, UsageRollup.points_used)
            .where(UsageRollup.account_id == account_id).order_by(UsageRollup.id)).all()) + tuple(
            db.session.execute(select(UsageCategoryRollup.category, UsageCategoryRollup.count)
                               .where(UsageCategoryRollup.account_id == account_id)
                               .order_by(UsageCategoryRollup.id)).all())
        db.session.commit()
    return Snapshot(count(app, Send, Send.account_id == account_id),
                    count(app, Message, Message.account_id == account_id),
                    count(app, LedgerEntry, LedgerEntry.account_id == account_id),
                    balance(app, account_id), rollups, count(app, SandboxMessage))


def requested_rollup(app, account_id: int) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.coalesce(func.sum(UsageRollup.requested), 0))
                                  .where(UsageRollup.account_id == account_id))
        db.session.commit()
        return int(value)


def add_sender_number(app, account_id: int, number: str, status: str = "approved") -> int:
    """A second sender number, as an approved phone verification leaves it."""
    with app.app_context():
        now = clock.now()
        sender = SenderNumber(account_id=account_id, number=number, owner_name="담당자", method="phone",
                              is_signup=False, status=status, requested_at=now, reviewed_at=now)
        db.session.add(sender)
        db.session.commit()
        return sender.id


def set_sender_status(app, account_id: int, number: str, status: str) -> None:
    """An operator takes a number's approval away (there is no service for it yet)."""
    with app.app_context():
        sender = db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account_id,
                                                              SenderNumber.number == number))
        sender.status = status
        db.session.commit()


def staff_user(app, role: str = "Operator"):
    login, _ = make_staff(app, role)
    return login


def actor(login: str):
    from flask import current_app
    return current_app.appbuilder.sm.find_user(username=login)


def approve_api_use(app, account_id: int) -> None:
    """ACC-06 through the services: the corporate account applies, an operator approves."""
    operator = staff_user(app)
    with app.app_context():
        application = accounts.apply_api_use(account_id=account_id, purpose="주문 알림 자동 발송",
                                             server_ips=None, now=clock.now())
        accounts.decide_api_use(application.id, approve=True, actor=actor(operator), now=clock.now())


def api_customer(app, *, cash: int = 100_000, points: int = 0, ip_allowlist: str | None = None,
                 **kwargs) -> tuple[Customer, str]:
    """A corporate customer approved for the API, with money and one key."""
    customer = make_customer(app, kind="corporate", cash=cash, points=points, **kwargs)
    approve_api_use(app, customer.account_id)
    return customer, new_key(app, customer.account_id, ip_allowlist=ip_allowlist)


def new_key(app, account_id: int, *, name: str = "서버", ip_allowlist: str | None = None) -> str:
    with app.app_context():
        _key, plaintext = api_keys.create(account_id=account_id, name=name, now=clock.now(),
                                          ip_allowlist=ip_allowlist)
        return plaintext


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def suspend(app, account_id: int, reason: str = "스팸 신고 접수") -> None:
    operator = staff_user(app)
    with app.app_context():
        accounts.suspend(account_id=account_id, actor=actor(operator), reason=reason, now=clock.now())


def set_daily_cap(app, account_id: int, cap: int) -> None:
    operator = staff_user(app)
    with app.app_context():
        accounts.set_daily_cap(account_id=account_id, cap=cap, actor=actor(operator), reason="테스트",
                               now=clock.now())
