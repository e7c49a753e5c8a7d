"""REL-02: a worker SIGKILLed at seeded crash points during dispatch, report
application and settlement, restarted: no client reference reaches the sandbox twice,
every send completes, the ledger holds. (bench/soak_kill.py runs ≥ 50 seeds.)"""
import pytest

from tests.support.factories import approve_channel, make_customer, make_template
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


@pytest.mark.parametrize("seed", SEEDS)
def test_a_kakao_send_with_fallback_survives_the_same_kills(app, seed):
    """The same crash points with an AlimTalk send whose failures get their fallback SMS:
    no Kakao message and no fallback submitted twice, each fallback created once (the
    ledger-check's Kakao part), the send completes."""
    customer = make_customer(app, kind="corporate", cash=1_000_000)
    channel_id = approve_channel(app, customer.account_id, "@soak")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    outcome = scenario(app, customer.account_id, customer.phone, seed, template_id=template_id)
    assert outcome.kills == 1, f"the crash point never fired: {outcome}"
    assert outcome.status == "completed", outcome
    assert outcome.duplicate_refs == 0, outcome
    assert outcome.ledger_problems == [], outcome
    assert outcome.delivered + outcome.failed == outcome.recipients, outcome
    assert outcome.fallbacks > 0 and outcome.fallbacks_final == outcome.fallbacks, outcome


@pytest.mark.parametrize("seed", SEEDS)
def test_a_brand_message_with_its_ad_fallback_survives_the_same_kills(app, seed):
    """The same with a 친구톡 (Brand Message) and its ad fallback (run at 12:00 KST)."""
    customer = make_customer(app, kind="corporate", cash=1_000_000)
    approve_channel(app, customer.account_id, "@soak")
    outcome = scenario(app, customer.account_id, customer.phone, seed, channel="@soak")
    assert outcome.kills == 1, f"the crash point never fired: {outcome}"
    assert outcome.status == "completed", outcome
    assert outcome.duplicate_refs == 0, outcome
    assert outcome.ledger_problems == [], outcome
    assert outcome.delivered + outcome.failed == outcome.recipients, outcome
    assert outcome.fallbacks > 0 and outcome.fallbacks_final == outcome.fallbacks, outcome
