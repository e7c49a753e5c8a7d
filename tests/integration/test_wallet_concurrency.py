"""REL-01: 20 sends race for one balance that covers exactly N of them: exactly N
holds pass, the others are refused, and the ledger invariant holds (both backends)."""
import datetime as dt
import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerEntry
from app.services import checks
from app.services.wallet import ledger
from tests.support.factories import make_customer

NOW = dt.datetime(2026, 11, 27, 3, 0)
THREADS = 20
UNIT = 150            # one send's hold
COVERED = 7           # the balance covers exactly this many


def test_twenty_racing_holds_pass_exactly_as_many_as_the_money_covers(app):
    # 7 × 150 = 1,050 = 300 points + 750 cash: the race crosses the points/cash boundary too.
    c = make_customer(app, cash=750, points=300)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send(i: int):
        with app.app_context():
            barrier.wait()
            try:
                ledger.hold(c.account_id, 1000 + i, UNIT, now=NOW)
                result = "ok"
            except ledger.InsufficientBalance:
                result = "refused"
            except Exception as exc:  # anything else is a failure of the test
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == THREADS
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("ok") == COVERED
    with app.app_context():
        assert ledger.balance(c.account_id) == ledger.Balance(0, 0)
        holds = db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "hold"))
        assert holds == COVERED
        assert checks.invariant_violations() == []


def test_the_same_idempotency_key_racing_credits_once(app):
    c = make_customer(app)
    barrier = threading.Barrier(8)
    ids = []

    def credit():
        with app.app_context():
            barrier.wait()
            try:
                ids.append(ledger.topup(c.account_id, 1000, key="same-key", now=NOW).id)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=credit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(ids) == 8 and len(set(ids)) == 1
    with app.app_context():
        assert ledger.balance(c.account_id).cash == 1000
