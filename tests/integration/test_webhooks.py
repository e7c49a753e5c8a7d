"""Webhooks through the whole pipeline (09-api.md API-06, 11-quality.md REL-06, SEC-08): the
events a real send, a real AlimTalk send with its fallback and a review write, delivered by
the real RQ worker to a local receiver that verifies every request with the
`standardwebhooks` package, as a customer's system would; retries, Retry-After, 410, five
days of failures, rotation, replay, and the address rules at delivery time."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AccountNotice, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.services.kakao import templates
from app.services.accounts import accounts
from app.services.sending import lifecycle
from app.services.shared.uow import transaction
from app.services.webhooks import delivery, endpoints, outbox
from tests.integration.test_alimtalk_pipeline import send as send_alimtalk
from tests.support.factories import approve_channel, make_template
from tests.support.pipeline import (NOW, accept, api_customer, balance, invariant, phones, run_to_completion,
                                    send_row, set_daily_cap, tick, work)
from tests.support.webhooks import Answer, Receiver, add_endpoint

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def customer(app):
    customer, _key = api_customer(app, cash=200_000)
    return customer


def deliveries(app, **where) -> list[dict]:
    with app.app_context():
        stmt = select(WebhookDelivery.id, WebhookDelivery.state, WebhookDelivery.attempts, WebhookDelivery.next_at,
                      WebhookEvent.event_id, WebhookEvent.type, WebhookDelivery.endpoint_id) \
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id).order_by(WebhookDelivery.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(WebhookDelivery, name) == value)
        return [row._asdict() for row in db.session.execute(stmt)]


def attempts(app, delivery_id: int) -> list[dict]:
    with app.app_context():
        return [{"number": a.number, "outcome": a.outcome, "status": a.status_code, "error": a.error}
                for a in db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                            .order_by(WebhookAttempt.number))]


def endpoint_row(app, endpoint_id: int) -> dict:
    with app.app_context():
        e = db.session.get(WebhookEndpoint, endpoint_id)
        return {"status": e.status, "reason": e.disabled_reason, "failing_since": e.failing_since}


def reports_of(receiver) -> list[dict]:
    return [r for event in receiver.events("message.reported") for r in event.event["data"]["reports"]]


def test_api06_a_send_reports_every_message_and_its_completion_signed(app, customer, receiver):
    endpoint_id, secret = add_endpoint(app, customer.account_id, receiver.url)
    numbers = phones(0, 1, 90)      # delivered, delivered, 3001 (GW-02)
    accepted = accept(app, customer, numbers)
    run_to_completion(app)
    tick(app, NOW + dt.timedelta(hours=50, seconds=5))

    assert receiver.received and all(r.verifies_with(secret) for r in receiver.received)
    reports = {r["phone"]: r for r in reports_of(receiver)}
    assert set(reports) == set(numbers)
    assert {n[-2:]: (r["status"], r["code"]) for n, r in reports.items()} == {
        "00": ("delivered", "0000"), "01": ("delivered", "0000"), "90": ("failed", "3001")}
    assert all(r["send_id"] == str(accepted.send_id) and r["layer"] == "primary" and r["parent_id"] is None
               for r in reports.values())
    completed = receiver.events("send.completed")
    assert len(completed) == 1
    body = completed[0].event
    assert body["type"] == "send.completed" and body["data"]["send_id"] == str(accepted.send_id)
    assert body["data"]["status"] == "completed"
    assert body["data"]["counts"] == {"requested": 3, "delivered": 2, "failed": 1, "pending": 0}
    assert body["data"]["charged"] == send_row(app, accepted.send_id)["charged_amount"]
    ids = [r.webhook_id for r in receiver.received]
    assert len(ids) == len(set(ids)) and all(i.startswith("msg_") for i in ids)
    assert all(d["state"] == "succeeded" for d in deliveries(app, endpoint_id=endpoint_id))
    assert invariant(app) == []


def test_api06_no_endpoint_no_event(app, customer, receiver):
    """An account without endpoints writes no event; one subscribed to another type gets only that."""
    accept(app, customer, phones(0, 1))
    other, _ = api_customer(app)
    add_endpoint(app, other.account_id, receiver.url, events=["template.reviewed"])
    only_completed, _ = api_customer(app)
    add_endpoint(app, only_completed.account_id, receiver.url, events=["send.completed"])
    accept(app, only_completed, phones(0))
    run_to_completion(app)
    tick(app, NOW + dt.timedelta(hours=50, seconds=5))
    with app.app_context():
        types = [t for (t,) in db.session.execute(select(WebhookEvent.type).where(
            WebhookEvent.account_id.in_((customer.account_id, other.account_id, only_completed.account_id))))]
    assert types == ["send.completed"]
    assert [r.event["type"] for r in receiver.received] == ["send.completed"]


def test_api06_reports_are_batched_at_most_1000_an_event(app, customer, receiver):
    set_daily_cap(app, customer.account_id, 5_000)
    add_endpoint(app, customer.account_id, receiver.url, events=["message.reported"])
    numbers = [f"0109{i:03d}{e:04d}" for i in range(3) for e in range(800)]      # 2,400 numbers ending 00..99
    accept(app, customer, numbers)
    run_to_completion(app)
    tick(app, NOW + dt.timedelta(hours=50, seconds=5))
    events = receiver.events("message.reported")
    assert all(len(e.event["data"]["reports"]) <= 1000 for e in events)
    reported = [r["message_id"] for r in reports_of(receiver)]
    assert len(reported) == len(set(reported)) == 2_400


def test_api06_kakao_reports_carry_layer_and_parent(app, customer, receiver):
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    add_endpoint(app, customer.account_id, receiver.url)
    numbers = phones(0, 80)        # AlimTalk delivered; 3019 → the SMS fallback, delivered
    send_id = send_alimtalk(app, customer, template_id, numbers)
    run_to_completion(app)
    tick(app, NOW + dt.timedelta(hours=50, seconds=5))
    reports = reports_of(receiver)
    primary = {r["phone"]: r for r in reports if r["layer"] == "primary"}
    fallback = [r for r in reports if r["layer"] == "fallback"]
    assert {r["code"] for r in primary.values()} == {"1000", "3019"}
    assert len(fallback) == 1 and fallback[0]["phone"] == numbers[1] and fallback[0]["status"] == "delivered"
    assert fallback[0]["parent_id"] == primary[numbers[1]]["message_id"]
    completed = receiver.events("send.completed")[0].event["data"]
    assert completed["send_id"] == str(send_id) and completed["fallback"]["delivered"] == 1


def test_api06_template_reviewed(app, customer, receiver):
    channel_id = approve_channel(app, customer.account_id, "@shop")
    _endpoint_id, secret = add_endpoint(app, customer.account_id, receiver.url, events=["template.reviewed"])
    template_id = make_template(app, customer.account_id, channel_id, status="in_review")
    with app.app_context():
        templates.decide(template_id, approve=False, actor=None, now=NOW, reason="변수 설명이 필요합니다.")
        template = db.session.get(templates.AlimtalkTemplate, template_id)
        code, name = template.code, template.name
    work(app)
    [event] = receiver.events("template.reviewed")
    assert event.verifies_with(secret)
    assert event.event["data"] == {"template_code": code, "name": name, "state": "rejected",
                                   "reason": "변수 설명이 필요합니다.", "reviewed_at": "2026-11-27T12:00:00+09:00"}


def test_rel06_a_receiver_refusing_for_two_hours_gets_every_event_with_its_id(app, customer, receiver):
    """REL-06: connections refused for 2 simulated hours, then answered: every event arrives,
    each with the webhook-id its failed attempts carried; sends and money untouched."""
    endpoint_id, secret = add_endpoint(app, customer.account_id, receiver.url)
    receiver.stop()
    assert receiver.refuses()
    before = balance(app, customer.account_id)
    accepted = accept(app, customer, phones(0, 1, 90, 4))
    run_to_completion(app)
    at = NOW + dt.timedelta(hours=50, seconds=5)
    tick(app, at)
    pending = deliveries(app, endpoint_id=endpoint_id)
    assert pending and receiver.received == []
    down_until = at + 2 * HOUR
    while at < down_until:                          # the tick every 10 simulated minutes
        at += dt.timedelta(minutes=10)
        tick(app, at)
    tried = {d["id"]: attempts(app, d["id"]) for d in pending}
    assert all(tried.values()), "every delivery was tried while the receiver refused"
    assert all(a["outcome"] == "connect" for log in tried.values() for a in log)
    assert not any(d["state"] == "succeeded" for d in deliveries(app, endpoint_id=endpoint_id))

    receiver.start()                                # listening again on the same port
    for _ in range(60):
        at += dt.timedelta(minutes=10)
        tick(app, at)
        if all(d["state"] == "succeeded" for d in deliveries(app, endpoint_id=endpoint_id)):
            break
    final = deliveries(app, endpoint_id=endpoint_id)
    assert len(final) == len(pending) and all(d["state"] == "succeeded" for d in final)
    # the ids the failed attempts carried (read before the outage ended) are the ids that arrived
    assert sorted(r.webhook_id for r in receiver.received) == sorted(d["event_id"] for d in pending)
    assert all(r.verifies_with(secret) for r in receiver.received)
    assert len(reports_of(receiver)) == 4 and len(receiver.events("send.completed")) == 1
    assert sum(len(log) for log in tried.values()) >= 2         # attempts failed, then the same ids arrived
    row = send_row(app, accepted.send_id)
    assert row["status"] == "completed" and balance(app, customer.account_id)[0] == before[0] - row["charged_amount"]
    assert invariant(app) == []


def _one_event(app, customer, receiver, *answers, events=("send.completed",)):
    """An endpoint and one event due for it (written as the settlement writes one), the
    receiver primed with answers."""
    endpoint_id, secret = add_endpoint(app, customer.account_id, receiver.url, events=events)
    receiver.answers.extend(answers)
    with app.app_context(), transaction():
        outbox.emit(customer.account_id, "send.completed", {"send_id": "1", "status": "completed"}, NOW)
    [row] = deliveries(app, endpoint_id=endpoint_id)
    return endpoint_id, secret, row["id"]


def test_api06_retries_keep_the_webhook_id_and_sign_each_attempt(app, customer, receiver):
    endpoint_id, secret, delivery_id = _one_event(app, customer, receiver, Answer(503), Answer(500))
    work(app)
    assert deliveries(app, id=delivery_id)[0]["state"] == "pending"
    tick(app, NOW + dt.timedelta(seconds=6))        # the first retry after about 5 s
    tick(app, NOW + dt.timedelta(minutes=6))        # the second after about 5 min
    assert [a["status"] for a in attempts(app, delivery_id)] == [503, 500, 200]
    assert len({r.webhook_id for r in receiver.received}) == 1 and len(receiver.received) == 3
    assert all(r.verifies_with(secret) for r in receiver.received)
    assert deliveries(app, id=delivery_id)[0]["state"] == "succeeded"


def test_api06_retry_after_is_honoured(app, customer, receiver):
    _endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver,
                                                    Answer(429, {"Retry-After": "3600"}))
    work(app)
    row = deliveries(app, id=delivery_id)[0]
    assert row["state"] == "pending" and row["next_at"] >= NOW + dt.timedelta(seconds=3600)
    tick(app, NOW + dt.timedelta(minutes=30))
    assert len(receiver.received) == 1             # not before the hour it asked for
    tick(app, NOW + dt.timedelta(minutes=61))
    assert len(receiver.received) == 2 and deliveries(app, id=delivery_id)[0]["state"] == "succeeded"


def test_api06_410_disables_the_endpoint_and_tells_the_account(app, customer, receiver):
    endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver, Answer(410))
    work(app)
    assert deliveries(app, id=delivery_id)[0]["state"] == "failed"
    assert endpoint_row(app, endpoint_id)["status"] == "disabled"
    with app.app_context():
        notice = db.session.scalar(select(AccountNotice).where(AccountNotice.account_id == customer.account_id,
                                                               AccountNotice.kind == "webhook_disabled"))
        assert notice is not None and "410" in notice.body
    accept(app, customer, phones(0))                # a disabled endpoint gets no new event
    run_to_completion(app)
    assert len(deliveries(app, endpoint_id=endpoint_id)) == 1


def test_api06_five_days_of_failures_disable(app, customer, receiver):
    receiver.default = Answer(500)
    endpoint_id, _secret, _delivery_id = _one_event(app, customer, receiver)
    work(app)
    assert endpoint_row(app, endpoint_id)["failing_since"] == NOW
    at = NOW
    for hours in (1, 5, 24, 48, 72):
        at = NOW + dt.timedelta(hours=hours)
        tick(app, at)
    assert endpoint_row(app, endpoint_id)["status"] == "active"
    with app.app_context(), transaction():
        outbox.emit(customer.account_id, "send.completed", {"send_id": "2"}, NOW + dt.timedelta(days=5))
    tick(app, NOW + dt.timedelta(days=5, seconds=1))
    row = endpoint_row(app, endpoint_id)
    assert row["status"] == "disabled" and "5일" in row["reason"]
    with app.app_context():
        notice = db.session.scalar(select(AccountNotice).where(AccountNotice.account_id == customer.account_id,
                                                               AccountNotice.kind == "webhook_disabled"))
        assert notice is not None and "5일 동안" in notice.body


def test_api06_a_success_clears_the_failing_clock(app, customer, receiver):
    endpoint_id, _secret, _delivery_id = _one_event(app, customer, receiver, Answer(500))
    work(app)
    assert endpoint_row(app, endpoint_id)["failing_since"] == NOW
    tick(app, NOW + dt.timedelta(seconds=6))
    assert endpoint_row(app, endpoint_id)["failing_since"] is None


def test_api06_rotation_sends_both_signatures_for_a_day(app, customer, receiver):
    endpoint_id, old, _delivery_id = _one_event(app, customer, receiver)
    work(app)
    with app.app_context():
        _endpoint, new = endpoints.rotate_secret(account_id=customer.account_id, endpoint_id=endpoint_id,
                                                 actor=None, now=NOW)
        endpoints.send_test(account_id=customer.account_id, endpoint_id=endpoint_id, actor=None, now=NOW)
    work(app)
    rotated = receiver.received[-1]
    assert len(rotated.headers["webhook-signature"].split(" ")) == 2
    assert rotated.verifies_with(old) and rotated.verifies_with(new)
    later = NOW + dt.timedelta(hours=25)
    with app.app_context():
        endpoints.send_test(account_id=customer.account_id, endpoint_id=endpoint_id, actor=None, now=later)
    work(app, later)
    last = receiver.received[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    assert last.verifies_with(new) and not last.verifies_with(old)


def test_api06_replay_sends_a_failed_delivery_again_with_the_same_id(app, customer, receiver):
    endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver, Answer(410))
    work(app)
    with app.app_context():
        endpoints.set_enabled(account_id=customer.account_id, endpoint_id=endpoint_id, enabled=True, actor=None,
                              now=NOW)
        delivery.replay(account_id=customer.account_id, delivery_id=delivery_id, actor=None, now=NOW)
    work(app)
    assert [a["status"] for a in attempts(app, delivery_id)] == [410, 200]
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id
    assert deliveries(app, id=delivery_id)[0]["state"] == "succeeded"
    with app.app_context():
        with pytest.raises(Exception) as refused:
            delivery.replay(account_id=customer.account_id, delivery_id=delivery_id, actor=None, now=NOW)
        assert "다시 보낼 수" in str(refused.value.message)


def test_sec08_loopback_refused_at_delivery_in_production(app, customer, receiver):
    """An endpoint saved on loopback in development is not called once production mode is
    on: the address is checked again at the attempt (by its DNS answer: localhost)."""
    endpoint_id, _secret = add_endpoint(app, customer.account_id, f"https://localhost:{receiver.port}/hook",
                                        events=["send.completed"])
    with app.app_context(), transaction():
        outbox.emit(customer.account_id, "send.completed", {"send_id": "1"}, NOW)
    app.config["MEGABIRD_ENV"] = "production"
    try:
        work(app)
    finally:
        app.config["MEGABIRD_ENV"] = "development"
    assert receiver.received == []
    [row] = deliveries(app, endpoint_id=endpoint_id)
    [attempt] = attempts(app, row["id"])
    assert attempt["outcome"] == "refused_address" and "루프백" in attempt["error"]


def test_api06_a_redirect_is_not_followed(app, customer, receiver):
    _endpoint_id, _secret, delivery_id = _one_event(
        app, customer, receiver, Answer(302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    work(app)
    assert len(receiver.received) == 1
    [attempt] = attempts(app, delivery_id)
    assert (attempt["outcome"], attempt["status"]) == ("redirect", 302)
    assert deliveries(app, id=delivery_id)[0]["state"] == "pending"


def test_api06_a_delivery_left_by_a_dead_worker_goes_again(app, customer, receiver):
    """A job killed between its claim and the POST: the lease runs out, the tick sends it."""
    endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver)
    with app.app_context(), clock.frozen(NOW):
        assert delivery._claim(endpoint_id, NOW)[0] == delivery_id      # claimed; the worker then dies
    tick(app, NOW + dt.timedelta(seconds=30))
    assert receiver.received == []                  # still leased
    tick(app, NOW + dt.timedelta(seconds=61))
    assert len(receiver.received) == 1 and deliveries(app, id=delivery_id)[0]["state"] == "succeeded"


def test_api06_a_job_records_only_the_claim_it_still_holds(app, customer, receiver):
    """A job whose lease ran out while it posted (the receiver slow, the worker stalled) does
    not overwrite what the job that took the delivery over recorded."""
    endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver)
    later = NOW + delivery.LEASE + dt.timedelta(seconds=1)
    with app.app_context():
        with clock.frozen(NOW):
            first = delivery._claim(endpoint_id, NOW)
        with clock.frozen(later):
            second = delivery._claim(endpoint_id, later)            # the first lease ran out
            assert second[0] == first[0] == delivery_id and second[1] != first[1]
            assert delivery._deliver(*second) == "succeeded"
            assert delivery._deliver(*first) == "taken"
    assert [a["status"] for a in attempts(app, delivery_id)] == [200, 200]
    assert deliveries(app, id=delivery_id)[0]["state"] == "succeeded"
    assert len({r.webhook_id for r in receiver.received}) == 1 and len(receiver.received) == 2


def test_api06_a_cancelled_send_and_messages_refused_at_accept_are_reported(app, customer, receiver):
    """A scheduled send cancelled: send.completed with status cancelled. A message final at
    accept (중복 발송, SMS-15) never passes finalize, and is reported all the same."""
    add_endpoint(app, customer.account_id, receiver.url)
    with app.app_context():
        accounts.update_sending_settings(account_id=customer.account_id, duplicate_protection=True,
                                         optout_number=None)
    number = phones(0)
    accept(app, customer, number)
    again = accept(app, customer, number)            # the same text to the same number within the hour
    scheduled = accept(app, customer, phones(1), scheduled_at=NOW + HOUR)
    with app.app_context():
        lifecycle.cancel(account_id=customer.account_id, send_id=scheduled.send_id, now=NOW)
    work(app)
    [cancelled] = [e for e in receiver.events("send.completed")
                   if e.event["data"]["send_id"] == str(scheduled.send_id)]
    assert cancelled.event["data"]["status"] == "cancelled"
    [duplicate] = [r for r in reports_of(receiver) if r["send_id"] == str(again.send_id)]
    assert (duplicate["phone"], duplicate["status"], duplicate["category"]) == (number[0], "failed", "duplicate")


def test_api06_a_test_event_is_tried_once_and_a_nul_answer_is_kept_readable(app, customer, receiver):
    endpoint_id, _secret = add_endpoint(app, customer.account_id, receiver.url)
    receiver.answers.append(Answer(500, body=b"bad\x00gateway"))
    with app.app_context():
        endpoints.send_test(account_id=customer.account_id, endpoint_id=endpoint_id, actor=None, now=NOW)
    work(app)
    [row] = deliveries(app, endpoint_id=endpoint_id)
    assert row["state"] == "failed"                # no retries for 테스트 전송: pressed again by hand
    with app.app_context():
        excerpt = db.session.scalar(select(WebhookAttempt.excerpt).where(WebhookAttempt.delivery_id == row["id"]))
    assert excerpt == "bad\ufffdgateway"


def test_api06_the_log_is_kept_90_days(app, customer, receiver):
    endpoint_id, _secret, delivery_id = _one_event(app, customer, receiver)
    work(app)
    tick(app, NOW + delivery.KEEP - dt.timedelta(hours=1))
    assert deliveries(app, id=delivery_id)
    with app.app_context():
        assert delivery.purge_expired(NOW + delivery.KEEP + dt.timedelta(seconds=1)) == 1
    assert deliveries(app, endpoint_id=endpoint_id) == [] and attempts(app, delivery_id) == []
