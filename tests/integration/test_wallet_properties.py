"""A hypothesis state machine over top-up / grant / hold / refund / revoke / cash
refund, with repeats of earlier keys: after every step the balances equal a simple
model and the ledger invariant holds (02-wallet.md)."""
import datetime as dt
import itertools
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from app.extensions import db
from app.services import checks
from app.services.wallet import ledger
from tests.support.factories import make_customer

NOW = dt.datetime(2026, 11, 27, 3, 0)
amounts = st.integers(min_value=1, max_value=50_000)
send_ids = itertools.count(1)  # send ids are unique across examples (one database)


@pytest.fixture
def machine_app(app):
    return app


def test_wallet_state_machine(machine_app):
    app = machine_app

    class WalletMachine(RuleBasedStateMachine):
        @initialize()
        def account(self):
            self.ctx = app.app_context()
            self.ctx.push()
            self.account_id = make_customer(app).account_id
            self.cash = self.points = 0
            self.holds: dict[int, tuple[int, int]] = {}   # send -> (cash taken, points taken)
            self.refunded: set[int] = set()
            self.keys: list = []                          # done operations, to repeat
            self.prefix = uuid.uuid4().hex[:8]            # keys unique to this example
            self.n = 0

        def teardown(self):
            db.session.remove()
            self.ctx.pop()

        def _key(self):
            self.n += 1
            return f"sm-{self.prefix}-{self.n}"

        @rule(amount=amounts)
        def topup(self, amount):
            key = self._key()
            ledger.topup(self.account_id, amount, key=key, now=NOW)
            self.cash += amount
            self.keys.append(lambda: ledger.topup(self.account_id, amount, key=key, now=NOW))

        @rule(amount=amounts)
        def grant(self, amount):
            key = self._key()
            ledger.grant_points(self.account_id, amount, reason="prop", key=key, now=NOW)
            self.points += amount
            self.keys.append(lambda: ledger.grant_points(self.account_id, amount, reason="prop", key=key, now=NOW))

        @rule(amount=amounts)
        def revoke(self, amount):
            key = self._key()
            try:
                ledger.revoke_points(self.account_id, amount, reason="prop", key=key, now=NOW)
            except ledger.InsufficientBalance:
                assert amount > self.points
                return
            self.points -= amount

        @rule(amount=st.integers(min_value=0, max_value=80_000))
        def hold(self, amount):
            send_id = next(send_ids)
            try:
                ledger.hold(self.account_id, send_id, amount, now=NOW)
            except ledger.InsufficientBalance:
                assert amount > self.cash + self.points
                return
            from_points = min(self.points, amount)
            self.points -= from_points
            self.cash -= amount - from_points
            self.holds[send_id] = (amount - from_points, from_points)
            self.keys.append(lambda: ledger.hold(self.account_id, send_id, amount, now=NOW))

        @precondition(lambda self: any(s not in self.refunded for s in self.holds))
        @rule(data=st.data())
        def refund(self, data):
            send_id = data.draw(st.sampled_from(sorted(s for s in self.holds if s not in self.refunded)))
            cash_taken, points_taken = self.holds[send_id]
            charged = data.draw(st.integers(min_value=0, max_value=cash_taken + points_taken))
            ledger.refund(self.account_id, send_id, charged, now=NOW)
            back = cash_taken + points_taken - charged
            self.cash += min(back, cash_taken)
            self.points += back - min(back, cash_taken)
            self.refunded.add(send_id)
            self.keys.append(lambda: ledger.refund(self.account_id, send_id, charged, now=NOW))

        @rule(amount=amounts)
        def cash_refund(self, amount):
            try:
                ledger.cash_refund(self.account_id, amount, key=self._key(), now=NOW)
            except ledger.InsufficientBalance:
                assert amount > self.cash
                return
            self.cash -= amount

        @precondition(lambda self: self.keys)
        @rule(data=st.data())
        def repeat(self, data):
            data.draw(st.sampled_from(self.keys))()   # a repeated key changes nothing

        @invariant()
        def balances_match_the_model_and_the_ledger(self):
            if not hasattr(self, "account_id"):
                return
            db.session.expire_all()
            assert ledger.balance(self.account_id) == ledger.Balance(self.cash, self.points)
            assert self.cash >= 0 and self.points >= 0
            assert checks.invariant_violations() == []

    run_state_machine_as_test(WalletMachine, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
