"""The wallet service (WAL-01..09): money moves only here, idempotently, and never
below zero. REL-01 concurrency and REL-05 ledger-check are in their own modules."""
import datetime as dt

import pytest
from sqlalchemy import func, select, text

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import Account, LedgerEntry
from app.services import checks
from app.services.accounts import accounts
from app.services.wallet import ledger
from tests.support.factories import make_customer, make_staff

NOW = dt.datetime(2026, 11, 27, 3, 0)


def ledger_count():
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def bal(account_id):
    db.session.expire_all()
    return ledger.balance(account_id)


def test_hold_takes_points_first_and_refund_returns_cash_first(appctx):
    c = make_customer(appctx, cash=1000, points=300)
    entry = ledger.hold(c.account_id, 1, 500, now=NOW)
    assert (entry.points_delta, entry.cash_delta) == (-300, -200)
    assert bal(c.account_id) == ledger.Balance(cash=800, points=0)
    # 100 charged: 400 back = all 200 cash the hold took, then 200 points (WAL-08)
    back = ledger.refund(c.account_id, 1, 100, now=NOW)
    assert (back.cash_delta, back.points_delta) == (200, 200)
    assert bal(c.account_id) == ledger.Balance(cash=1000, points=200)
    assert checks.invariant_violations() == []


def test_refund_is_once_per_send_and_zero_refund_is_recorded(appctx):
    c = make_customer(appctx, cash=100)
    ledger.hold(c.account_id, 7, 60, now=NOW)
    first = ledger.refund(c.account_id, 7, 60, now=NOW)
    assert (first.cash_delta, first.points_delta) == (0, 0)
    again = ledger.refund(c.account_id, 7, 0, now=NOW)  # a second run changes nothing
    assert again.id == first.id
    assert bal(c.account_id).cash == 40


@pytest.mark.parametrize("operation", ["topup", "grant", "revoke", "hold", "refund", "cash_refund", "adjust"])
def test_every_money_operation_is_idempotent(appctx, operation):
    c = make_customer(appctx, cash=5000, points=500)
    ledger.hold(c.account_id, 99, 100, now=NOW)
    calls = {
        "topup": lambda: ledger.topup(c.account_id, 1000, key="k-topup", now=NOW),
        "grant": lambda: ledger.grant_points(c.account_id, 10, reason="이벤트", key="k-grant", now=NOW),
        "revoke": lambda: ledger.revoke_points(c.account_id, 10, reason="회수", key="k-revoke", now=NOW),
        "hold": lambda: ledger.hold(c.account_id, 100, 300, now=NOW),
        "refund": lambda: ledger.refund(c.account_id, 99, 20, now=NOW),
        "cash_refund": lambda: ledger.cash_refund(c.account_id, 1000, key="k-cash", now=NOW),
        "adjust": lambda: ledger.adjust(c.account_id, cash_delta=-5, reason="정정", key="k-adjust", now=NOW),
    }
    first = calls[operation]()
    after_first, count = bal(c.account_id), ledger_count()
    second = calls[operation]()
    assert second.id == first.id
    assert bal(c.account_id) == after_first and ledger_count() == count
    assert checks.invariant_violations() == []


@pytest.mark.parametrize("amount", [0, -1, "1.5", 1.5, "abc", "", None, True, 10**12, "9" * 40])
def test_bad_amounts_are_refused_and_nothing_is_written(appctx, amount):
    c = make_customer(appctx, cash=1000)
    before, count = bal(c.account_id), ledger_count()
    for call in (lambda: ledger.topup(c.account_id, amount, key="bad1", now=NOW),
                 lambda: ledger.grant_points(c.account_id, amount, reason="x", key="bad2", now=NOW),
                 lambda: ledger.cash_refund(c.account_id, amount, key="bad3", now=NOW)):
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.field and info.value.message
    assert bal(c.account_id) == before and ledger_count() == count


def test_hold_beyond_the_balance_names_the_shortfall_and_writes_nothing(appctx):
    c = make_customer(appctx, cash=300, points=100)
    count = ledger_count()
    with pytest.raises(ledger.InsufficientBalance) as info:
        ledger.hold(c.account_id, 5, 1000, now=NOW)
    assert "부족 600원" in info.value.message and info.value.code == "insufficient_balance"
    assert bal(c.account_id) == ledger.Balance(300, 100) and ledger_count() == count


def test_refund_larger_than_the_hold_is_refused(appctx):
    c = make_customer(appctx, cash=300)
    ledger.hold(c.account_id, 5, 100, now=NOW)
    with pytest.raises(ValidationError) as info:
        ledger.refund(c.account_id, 5, 101, now=NOW)
    assert info.value.code == "refund_exceeds_hold"
    with pytest.raises(ValidationError):
        ledger.refund(c.account_id, 6, 0, now=NOW)  # no hold for this send
    assert bal(c.account_id).cash == 200


def test_hold_on_a_suspended_account_is_refused(appctx):
    c = make_customer(appctx, cash=300)
    login, _ = make_staff(appctx, "Operator")
    actor = appctx.appbuilder.sm.find_user(username=login)
    accounts.suspend(account_id=c.account_id, actor=actor, reason="스팸 신고", now=NOW)
    count = ledger_count()
    with pytest.raises(Forbidden) as info:
        ledger.hold(c.account_id, 1, 20, now=NOW)
    assert "정지" in info.value.message
    assert ledger_count() == count and bal(c.account_id).cash == 300


def test_revoking_more_points_than_held_and_refunding_more_cash_than_held_are_refused(appctx):
    c = make_customer(appctx, cash=100, points=50)
    with pytest.raises(ledger.InsufficientBalance):
        ledger.revoke_points(c.account_id, 51, reason="x", key="r1", now=NOW)
    with pytest.raises(ledger.InsufficientBalance):
        ledger.cash_refund(c.account_id, 101, key="c1", now=NOW)
    with pytest.raises(ledger.InsufficientBalance):
        ledger.adjust(c.account_id, points_delta=-51, reason="x", key="a1", now=NOW)
    assert bal(c.account_id) == ledger.Balance(100, 50)


@pytest.mark.parametrize("statement", [
    "UPDATE account SET cash = -1",
    "UPDATE account SET points = -1",
    "INSERT INTO ledger_entry (account_id, kind, cash_delta, points_delta, cash_after, points_after, "
    "idempotency_key, created_at) VALUES (:a, 'topup', -5, 0, 0, 0, 'neg', '2026-01-01')",
    "INSERT INTO ledger_entry (account_id, kind, cash_delta, points_delta, cash_after, points_after, "
    "idempotency_key, created_at) VALUES (:a, 'hold', 5, 0, 0, 0, 'pos-hold', '2026-01-01')",
    "INSERT INTO ledger_entry (account_id, kind, cash_delta, points_delta, cash_after, points_after, "
    "idempotency_key, created_at) VALUES (:a, 'adjust', 1, 0, -1, 0, 'neg-after', '2026-01-01')",
])
def test_the_database_refuses_what_must_never_happen(appctx, statement):
    c = make_customer(appctx, cash=10)
    with pytest.raises(Exception):
        db.session.execute(text(statement), {"a": c.account_id})
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_duplicate_idempotency_key(appctx):
    c = make_customer(appctx, cash=10)
    entry = ledger.topup(c.account_id, 1000, key="dup", now=NOW)
    db.session.add(LedgerEntry(account_id=c.account_id, kind="topup", cash_delta=1, points_delta=0,
                               cash_after=entry.cash_after + 1, points_after=0, idempotency_key="dup",
                               created_at=NOW))
    with pytest.raises(Exception):
        db.session.commit()
    db.session.rollback()


def test_ledger_check_names_the_first_broken_account(appctx):
    a = make_customer(appctx, cash=100)
    b = make_customer(appctx, cash=100)
    runner = appctx.test_cli_runner()
    assert runner.invoke(args=["megabird", "ledger-check"]).exit_code == 0
    db.session.execute(text("UPDATE account SET cash = cash + 5 WHERE id = :b"), {"b": b.account_id})
    db.session.commit()
    result = runner.invoke(args=["megabird", "ledger-check"])
    assert result.exit_code != 0
    assert f"account {b.account_id}" in (result.output + (result.stderr if hasattr(result, "stderr") else ""))
    assert a.account_id != b.account_id


def test_nightly_tick_runs_ledger_check(appctx):
    from app.services import periodic
    make_customer(appctx, cash=100)
    # 04:30 KST on 2026-11-28 = 19:30 UTC on 2026-11-27
    result = periodic.tick(dt.datetime(2026, 11, 27, 19, 30))
    assert result.get("ledger_check") == "ok"
    assert "ledger_check" not in periodic.tick(dt.datetime(2026, 11, 27, 19, 35))  # once a day


def test_balance_is_the_sum_of_the_ledger(appctx):
    c = make_customer(appctx, cash=7000, points=300)
    ledger.hold(c.account_id, 1, 1000, now=NOW)
    ledger.refund(c.account_id, 1, 400, now=NOW)
    ledger.cash_refund(c.account_id, 2000, key="cr", now=NOW)
    sums = db.session.execute(select(func.sum(LedgerEntry.cash_delta), func.sum(LedgerEntry.points_delta))
                              .where(LedgerEntry.account_id == c.account_id)).one()
    account = db.session.get(Account, c.account_id)
    db.session.refresh(account)
    assert (account.cash, account.points) == (sums[0], sums[1])


def test_a_key_reused_for_another_account_or_kind_is_a_conflict(appctx):
    from app.errors import Conflict
    a = make_customer(appctx, cash=100)
    b = make_customer(appctx, cash=100)
    ledger.topup(a.account_id, 1000, key="shared", now=NOW)
    with pytest.raises(Conflict):
        ledger.topup(b.account_id, 1000, key="shared", now=NOW)
    with pytest.raises(Conflict):
        ledger.grant_points(a.account_id, 10, reason="x", key="shared", now=NOW)
    assert bal(b.account_id).cash == 100
