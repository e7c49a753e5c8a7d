"""REL-02: a worker SIGKILLed at seeded crash points during dispatch, report
application and settlement, restarted: no client reference reaches the sandbox twice,
every send completes, the ledger holds. (bench/soak_kill.py runs ≥ 50 seeds.)"""
import pytest

from tests.support.factories import make_customer
from tests.support.faults import scenario

# one seed per stage whose crash point fires: dispatch.after_submit:3, reports.after_apply:1,
# settle.before_commit:1 (a seed whose point is never reached would prove nothing)
SEEDS = [3, 25, 29]


@pytest.mark.parametrize("seed", SEEDS)
def test_worker_killed_at_a_seeded_point_never_sends_twice_and_completes(app, seed):
    customer = make_customer(app, cash=1_000_000)
    outcome = scenario(app, customer.account_id, customer.phone, seed)
    assert outcome.kills == 1, f"the crash point never fired: {outcome}"     # else the test proves nothing
    assert outcome.status == "completed", outcome
    assert outcome.duplicate_refs == 0, outcome
    assert outcome.ledger_problems == [], outcome
    assert outcome.delivered + outcome.failed == outcome.recipients, outcome
