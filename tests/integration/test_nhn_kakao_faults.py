"""The Kakao dealer adapter when NHN fails (issue 20, GW-01 "a retried batch never sends
twice"): an outage mid-send (the local server stops listening after taking a request it
never answers, and is started again), an answer lost after NHN sent, a timeout, an error
before NHN sent, throttling, a clear refusal. Each time: NHN got every message once, the
money matches what was delivered, and the ledger check is clean. Nothing sleeps: the
server's faults act on the requests themselves, and the app's clock is injected."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.recipients import Recipient
from app.extensions import db
from app.models import KakaoDealerRequest, Message
from app.services.kakao import alimtalk_sends
from app.services.sending import acceptance
from tests.support.dealer import app, dealer  # noqa: F401  (the fixtures)
from tests.support.factories import approve_channel, make_customer
from tests.support.pipeline import NOW, balance, invariant, run_to_completion, send_row, set_daily_cap, tick, work
from tests.integration.test_nhn_kakao_pipeline import reviewed_template

KAKAO = 13
RAW = "raw-messages"


@pytest.fixture
def corp(app, dealer):
    app.config["DISPATCH_BATCH_SIZE"] = 1000         # a batch is one NHN request
    customer = make_customer(app, kind="corporate", cash=1_000_000)
    set_daily_cap(app, customer.account_id, 100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    return customer, reviewed_template(app, customer.account_id, channel_id)


def numbers(count: int) -> list[str]:
    """Recipients whose last two digits run through every magic ending."""
    return [f"0105{i:07d}" for i in range(count)]


def accept(app, customer, template_id, count: int) -> int:
    with app.app_context():
        recipients = [Recipient(n, None, {"고객명": "홍길동", "주문번호": f"A-{i}"}, i)
                      for i, n in enumerate(numbers(count), start=1)]
        accepted = alimtalk_sends.accept(AlimtalkRequest(account_id=customer.account_id, channel=None,
                                                         template=template_id, recipients=recipients,
                                                         fallback=FallbackRequest(customer.phone)), now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


def expected(count: int) -> tuple[int, int]:
    """(Kakao delivered, fallbacks delivered) by the magic endings: 80–88 fail on Kakao
    and their SMS is delivered, 90–97 fail on both, 98 is never reported (no fallback)."""
    tails = [i % 100 for i in range(count)]
    kakao = sum(1 for t in tails if not 80 <= t <= 98)
    fallback = sum(1 for t in tails if 80 <= t <= 88)
    return kakao, fallback


def sends_to_dealer(dealer) -> list[dict]:
    return [r for r in dealer.requests(method="POST") if r["path"].endswith(RAW)]


def layer_outcomes(app, send_id: int) -> tuple[list, list]:
    """The Kakao layer's (code, category) and the fallbacks' states of a send."""
    with app.app_context():
        rows = list(db.session.scalars(select(Message).where(Message.send_id == send_id).order_by(Message.id)))
        db.session.commit()
        return ([(m.result_code, m.category) for m in rows if m.layer == "primary"],
                [m.state for m in rows if m.layer == "fallback"])


def settled_once(app, dealer, customer, send_id: int, count: int, before: int) -> None:
    """Every recipient reached NHN once, the send settled as the magic endings say, and the
    money is what was delivered."""
    assert dealer.duplicates() == []
    assert len(dealer.messages()) == count
    kakao, fallback = expected(count)
    row = send_row(app, send_id)
    assert row["status"] == "completed"
    assert (row["delivered_count"], row["fallback_delivered_count"]) == (kakao, fallback)
    charged = kakao * KAKAO + fallback * row["fallback_unit_price"]
    assert row["charged_amount"] == charged
    assert row["refunded_amount"] == row["hold_amount"] - charged
    assert balance(app, customer.account_id)[0] == before - charged
    assert invariant(app) == []


def test_gw01_an_outage_mid_send_sends_nothing_twice_and_charges_only_what_was_delivered(app, dealer, corp):
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 3000)
    # the second request is taken (its messages go) and never answered; then the port refuses
    dealer.control(fault={"kind": "stop", "when": "after", "match": "send", "skip": 1, "times": 1})
    work(app, NOW)
    assert len(dealer.messages()) == 2000
    with app.app_context():
        states = dict(db.session.execute(select(KakaoDealerRequest.state, func.count()).group_by(
            KakaoDealerRequest.state)).all())
        db.session.commit()
    # 1st answered; the 2nd's end unknown; the 3rd never reached NHN (refused connections)
    assert states == {"accepted": 1, "unclear": 1, "absent": 1}

    # staff see the request whose end is not known yet
    from tests.support.factories import make_staff
    from tests.support.web import logged_in
    home = logged_in(app, *make_staff(app, "Operator")).get("/staff/").get_data(as_text=True)
    assert "카카오 딜러 응답 확인 중 1건 (메시지 1,000건)" in home

    dealer.restart()
    later = NOW + dt.timedelta(minutes=6)       # past CLAIM_STALE_AFTER: the tick recovers the batch
    with app.app_context():     # another worker's request in flight meanwhile (other messages) holds nothing up
        db.session.add(KakaoDealerRequest(group_key="mb-another-worker", kind="alimtalk", sender_key="k", size=1,
                                          state="sending", attempted_at=later, polls=0,
                                          first_ref=10 ** 9, last_ref=10 ** 9))
        db.session.commit()
    assert tick(app, later)["recover_claims"] == {"submitted": 1000, "pending": 1000}
    with app.app_context():
        states = dict(db.session.execute(select(KakaoDealerRequest.state, func.count()).group_by(
            KakaoDealerRequest.state)).all())
        db.session.commit()
    assert states.get("unclear", 0) == 0 and states["sending"] == 1     # looked up: NHN shows what it took
    run_to_completion(app, later + dt.timedelta(seconds=1))
    settled_once(app, dealer, customer, send_id, 3000, before)
    # what NHN took and never answered was never sent again; only the never-sent third was
    keys = [r["headers"].get("X-NC-API-IDEMPOTENCY-KEY") for r in sends_to_dealer(dealer)]
    assert len(keys) == len(set(keys)) == 3


@pytest.mark.parametrize("fault", [{"kind": "fail", "when": "after", "status": 502},
                                   {"kind": "down", "when": "after"},
                                   {"kind": "timeout", "when": "after", "delay": 3}],
                         ids=["5xx-after-sending", "dropped-after-sending", "timeout-after-sending"])
def test_gw01_an_answer_lost_after_nhn_sent_is_looked_up_not_sent_again(app, dealer, corp, fault):
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 120)
    dealer.control(fault={**fault, "match": "send", "times": 1})
    work(app, NOW)
    assert len(sends_to_dealer(dealer)) == 1                 # looked up, not sent again
    lookups = [r for r in dealer.requests(method="GET") if r["query"].get("senderGroupingKey")]
    assert lookups and lookups[0]["query"]["senderGroupingKey"] == sends_to_dealer(dealer)[0]["body"][
        "senderGroupingKey"]
    run_to_completion(app)
    settled_once(app, dealer, customer, send_id, 120, before)


def test_gw01_an_error_before_nhn_sent_goes_again_under_the_same_idempotency_key(app, dealer, corp):
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 50)
    dealer.control(fault={"kind": "fail", "when": "before", "status": 500, "match": "send", "times": 1})
    work(app, NOW)
    posts = sends_to_dealer(dealer)
    assert [p.get("fault") for p in posts] == ["fail/before", None]
    assert len({p["headers"]["X-NC-API-IDEMPOTENCY-KEY"] for p in posts}) == 1
    run_to_completion(app)
    settled_once(app, dealer, customer, send_id, 50, before)


def test_gw01_the_same_idempotency_key_twice_is_refused_by_nhn(app, dealer, corp):
    """What the header buys: NHN refuses a repeat within 10 minutes (-1005), so a request
    sent again by mistake cannot go twice."""
    customer, template_id = corp
    accept(app, customer, template_id, 5)
    work(app, NOW)
    first = sends_to_dealer(dealer)[0]
    import requests
    again = requests.post(dealer.base_url + first["path"], json=first["body"],
                          headers={"X-Secret-Key": dealer.secret,
                                   "X-NC-API-IDEMPOTENCY-KEY": first["headers"]["X-NC-API-IDEMPOTENCY-KEY"]},
                          timeout=5).json()
    assert again["header"]["resultCode"] == -1005
    assert dealer.duplicates() == []


def test_gw01_throttling_waits_for_retry_after_and_sends_once(app, dealer, corp):
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 30)
    dealer.control(fault={"kind": "throttle", "when": "before", "retry_after": 0, "match": "send", "times": 2})
    work(app, NOW)
    assert [p.get("fault") for p in sends_to_dealer(dealer)] == ["throttle/before", "throttle/before", None]
    run_to_completion(app)
    settled_once(app, dealer, customer, send_id, 30, before)


def test_kat07a_a_template_nhn_refuses_fails_template_error_and_falls_back(app, dealer, corp):
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    with app.app_context():
        from app.models import AlimtalkTemplate
        code = db.session.get(AlimtalkTemplate, template_id).code
        db.session.commit()
    dealer.review(dealer.sender_key("@shop"), code, "block")     # blocked at Kakao, not yet known here
    send_id = accept(app, customer, template_id, 3)
    run_to_completion(app)
    kakao, fallbacks = layer_outcomes(app, send_id)
    assert kakao == [("TEMPLATE", "template_error")] * 3
    assert fallbacks == ["delivered"] * 3
    assert dealer.messages() == []
    assert balance(app, customer.account_id)[0] == before - 3 * send_row(app, send_id)["fallback_unit_price"]
    assert invariant(app) == []


def test_gw01_a_brand_message_without_an_answer_is_sent_again_only_once_nhn_shows_it_never_came(app, dealer, corp):
    """Brand Message sends carry no idempotency key (the guide gives none): a request that
    failed before NHN took it is not sent again from the job; recovery looks it up, and only
    once NHN has had time to show it (10 minutes) and does not are its messages sent again."""
    from app.domain import friendtalk
    from app.domain.friendtalk_plan import FriendtalkRequest
    from app.services.kakao import friendtalk_sends
    customer, _ = corp
    with app.app_context():
        from app.models import KakaoChannel
        channel_id = db.session.scalar(select(KakaoChannel.id).where(KakaoChannel.account_id == customer.account_id))
        content = friendtalk.check_content("겨울 세일을 시작합니다", [], None, wide=False)
        accepted = friendtalk_sends.accept(FriendtalkRequest(
            account_id=customer.account_id, channel=channel_id, content=content,
            recipients=[Recipient(n, None, {}, i) for i, n in enumerate(numbers(20), 1)], fallback=None), now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    dealer.control(fault={"kind": "fail", "when": "before", "status": 503, "match": "send", "times": 1})
    work(app, NOW)
    brand = [r for r in dealer.requests(method="POST") if r["path"].endswith("freestyle-messages")]
    assert len(brand) == 1 and dealer.messages() == []
    with app.app_context():                     # left for recovery, its end unknown (not a crash)
        assert db.session.scalars(select(KakaoDealerRequest.state)).all() == ["unclear"]
        db.session.commit()
    tick(app, NOW + dt.timedelta(minutes=6))        # looked up: not shown, too early to tell
    assert len([r for r in dealer.requests(method="POST") if r["path"].endswith("freestyle-messages")]) == 1
    run_to_completion(app, NOW + dt.timedelta(minutes=11))
    assert len(dealer.messages()) == 20 and dealer.duplicates() == []
    assert send_row(app, send_id)["status"] == "completed"
    assert invariant(app) == []


def test_kat07a_a_channel_kakao_blocked_fails_channel_error_before_sending_and_falls_back(app, dealer, corp):
    customer, template_id = corp
    dealer.add_sender("@shop", dealer.sender_key("@shop"), block=True)       # blocked at Kakao only
    send_id = accept(app, customer, template_id, 3)
    run_to_completion(app)
    kakao, fallbacks = layer_outcomes(app, send_id)
    assert kakao == [("1021", "channel_error")] * 3
    assert fallbacks == ["delivered"] * 3
    assert sends_to_dealer(dealer) == []                 # asked about the channel, sent nothing
    assert invariant(app) == []


def test_gw01_kakao_switched_off_after_accept_fails_the_kakao_layer_and_the_fallback_decides(app, dealer, corp):
    """GATEWAY_KAKAO=none set while a Kakao send waits: its messages fail NO_GATEWAY before
    any call (free), their 대체문자 go, and the send completes with its hold settled."""
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 3)
    app.config["GATEWAY_KAKAO"] = "none"
    run_to_completion(app)
    kakao, fallbacks = layer_outcomes(app, send_id)
    assert kakao == [("NO_GATEWAY", "other")] * 3
    assert fallbacks == ["delivered"] * 3
    row = send_row(app, send_id)
    assert row["status"] == "completed" and sends_to_dealer(dealer) == []
    assert balance(app, customer.account_id)[0] == before - 3 * row["fallback_unit_price"]
    assert invariant(app) == []


def test_gw01_our_keys_refused_fail_no_message_and_the_batch_goes_once_they_are_right(app, dealer, corp):
    """-1001 (a wrong secret key) says nothing about the messages: none is failed or falls
    back; the batch waits, and goes once the setting is mended."""
    customer, template_id = corp
    before = balance(app, customer.account_id)[0]
    send_id = accept(app, customer, template_id, 10)
    app.config["NHN_KAKAO_SECRET"] = "not-the-secret"
    work(app, NOW)
    assert [r["resultCode"] for r in sends_to_dealer(dealer)] == [-1001]
    kakao, fallbacks = layer_outcomes(app, send_id)
    assert {code for code, _ in kakao} == {None} and fallbacks == []
    app.config["NHN_KAKAO_SECRET"] = dealer.secret
    run_to_completion(app, NOW + dt.timedelta(minutes=6))
    settled_once(app, dealer, customer, send_id, 10, before)
