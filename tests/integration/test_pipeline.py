"""The send pipeline end to end (04-sms.md, 05-results.md, 02-wallet.md, 10-gateway.md):
accept with its hold (SMS-01..07, WAL-05, WAL-06), refusals that change nothing, the
sandbox's magic numbers through the real RQ worker and the tick (GW-02, RES-01, WAL-07,
WAL-08), opted-out numbers (SMS-06), a sender that lost its approval, and scheduling
with cancel (SMS-07, SND-06). Duplicate, late and concurrent work is in
test_pipeline_reliability.py; the API in test_api.py."""
import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app import clock
from app.domain.recipients import Recipient
from app.errors import InvalidState, MegabirdError
from app.extensions import db
from app.gateways import OutboundMessage
from app.gateways.sandbox import SandboxGateway
from app.models import LedgerEntry, Message, OptOut, PricePlan, SenderNumber, UsageRollup
from app.services.contacts import optouts
from app.services.history import retention
from app.services.sending import acceptance, lifecycle
from tests.support.factories import make_customer, optout_code
from tests.support.pipeline import (NOW, accept, add_sender_number, balance, by_recipient, count, duplicate_submissions,
                                    invariant, kst, ledger, messages, phones, recipients, request, requested_rollup,
                                    run_to_completion, sandbox_rows, send_row, set_daily_cap, set_sender_status,
                                    snapshot, suspend, tick, work)
from tests.support.web import logged_in, text_of

SECOND, MINUTE, HOUR = dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1)
AD = dict(is_ad=True, ad_company="메가버드", ad_optout="080-123-1234")


def jpeg(size=(120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- GW-02 magic numbers, end to end --------------------------------------------------------------------------

#: last two digits -> (state, category, raw code) the sandbox gives an SMS (10-gateway.md)
MAGIC = {0: ("delivered", None, "0000"), 42: ("delivered", None, "0000"), 79: ("delivered", None, "0000"),
         80: ("delivered", None, "0000"), 88: ("delivered", None, "0000"), 89: ("delivered", None, "0000"),
         90: ("failed", "power_off", "3001"), 91: ("failed", "shadow_area", "3002"),
         92: ("failed", "spam_rejected", "3003"), 93: ("failed", "wrong_number", "3004"),
         94: ("failed", "optout_080", "3005"), 95: ("failed", "network_or_device", "3006"),
         96: ("failed", "message_error", "3007"), 97: ("failed", "other", "3099"),
         98: ("failed", "other", "TIMEOUT"), 99: ("delivered", None, "0000")}


def test_gw02_every_sms_ending_class_through_worker_reports_timeout_and_refund(app):
    """GW-02 / RES-01 / WAL-06..08: one number per class; reports at +5 s, 89 at +30 min,
    98 never (failed after 49 h, not charged); the refund goes back cash first, then points."""
    customer = make_customer(app, cash=1000, points=300)
    numbers = phones(*MAGIC)
    ending = dict(zip(numbers, MAGIC))
    accepted = accept(app, customer, numbers)
    hold = 16 * 20
    assert accepted.answer["type"] == "SMS" and accepted.answer["hold"] == hold
    # WAL-06: points first (300), then cash (20)
    assert balance(app, customer.account_id) == (980, 0)
    [held] = [e for e in ledger(app, customer.account_id) if e["kind"] == "hold"]
    assert (held["points_delta"], held["cash_delta"], held["send_id"]) == (-300, -20, accepted.send_id)

    work(app)                                         # the real RQ worker runs dispatch
    assert {m["state"] for m in messages(app, accepted.send_id)} == {"submitted"}
    assert len(sandbox_rows(app, numbers)) == 16

    tick(app, NOW + 10 * SECOND)
    states = by_recipient(app, accepted.send_id)
    for number, message in states.items():
        expected = MAGIC[ending[number]]
        if ending[number] in (89, 98):
            assert message["state"] == "submitted", number
        else:
            assert (message["state"], message["category"], message["result_code"]) == expected, number
            assert message["charge"] == (20 if expected[0] == "delivered" else 0)
            assert message["reported_at"] == NOW + 5 * SECOND
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"]) == ("in_progress", 6, 8)
    assert row["categories"] == {"power_off": 1, "shadow_area": 1, "spam_rejected": 1, "wrong_number": 1,
                                 "optout_080": 1, "network_or_device": 1, "message_error": 1, "other": 1}
    # 94: the number joins the account's opt-out list (SMS-13)
    [optout] = [o for o in _optouts(app) if o["account_id"] == customer.account_id]
    assert (optout["number"], optout["source"]) == (numbers[list(MAGIC).index(94)], "080")

    tick(app, NOW + 31 * MINUTE)
    slow = states_of(app, accepted.send_id, ending, 89)
    assert (slow["state"], slow["reported_at"], slow["charge"]) == ("delivered", NOW + 30 * MINUTE, 20)
    assert send_row(app, accepted.send_id)["status"] == "in_progress"     # 98 is still out

    tick(app, NOW + 48 * HOUR)                          # not yet 49 hours
    assert states_of(app, accepted.send_id, ending, 98)["state"] == "submitted"
    tick(app, NOW + 50 * HOUR)
    silent = states_of(app, accepted.send_id, ending, 98)
    assert (silent["state"], silent["category"], silent["result_code"], silent["charge"]) == \
        ("failed", "other", "TIMEOUT", 0)

    row = send_row(app, accepted.send_id)
    delivered = 7
    assert (row["status"], row["delivered_count"], row["failed_count"]) == ("completed", delivered, 9)
    assert row["categories"]["other"] == 2 and sum(row["categories"].values()) == 9
    assert row["charged_amount"] == delivered * 20 == 140
    assert row["refunded_amount"] == hold - 140 == 180
    assert row["completed_at"] == NOW + 50 * HOUR
    # WAL-08: the 180 back is the 20 cash the hold took, then 160 points
    [refund] = [e for e in ledger(app, customer.account_id) if e["kind"] == "refund"]
    assert (refund["cash_delta"], refund["points_delta"]) == (20, 160)
    assert balance(app, customer.account_id) == (1000, 160)
    assert duplicate_submissions(app) == 0 and len(sandbox_rows(app, numbers)) == 16
    assert invariant(app) == []
    # the statistics moved with the outcomes (STA-04 rollups), points spent = 140
    [usage] = _usage(app, customer.account_id)
    assert (usage["requested"], usage["delivered"], usage["failed"], usage["charged"], usage["points_used"]) == \
        (16, 7, 9, 140, 140)
    # a second round of ticks finds nothing to do
    tick(app, NOW + 51 * HOUR)
    assert send_row(app, accepted.send_id)["refunded_amount"] == 180
    assert len([e for e in ledger(app, customer.account_id) if e["kind"] == "refund"]) == 1


def states_of(app, send_id, ending, last_two):
    [message] = [m for number, m in by_recipient(app, send_id).items() if ending[number] == last_two]
    return message


def _optouts(app):
    with app.app_context():
        return [{"account_id": o.account_id, "number": o.number, "source": o.source}
                for o in db.session.scalars(select(OptOut))]


def _usage(app, account_id):
    with app.app_context():
        return [{c.key: getattr(u, c.key) for c in UsageRollup.__table__.columns}
                for u in db.session.scalars(select(UsageRollup).where(UsageRollup.account_id == account_id))]


def test_res_a_sender_number_that_lost_its_approval_fails_every_message_uncharged(app):
    """05-results.md: `sender_number_error` from a number that lost its approval before
    dispatch; nothing reaches the gateway and the whole hold comes back."""
    customer = make_customer(app, cash=500)
    add_sender_number(app, customer.account_id, "0212345678")
    numbers = phones(1, 2, 3)
    accepted = accept(app, customer, numbers, sender="02-1234-5678")
    set_sender_status(app, customer.account_id, "0212345678", "rejected")
    work(app)
    assert sandbox_rows(app, numbers) == []
    for message in messages(app, accepted.send_id):
        assert (message["state"], message["category"], message["charge"]) == ("failed", "sender_number_error", 0)
    tick(app, NOW + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["failed_count"], row["charged_amount"], row["refunded_amount"]) == \
        ("completed", 3, 0, 60)
    assert row["categories"] == {"sender_number_error": 3}
    assert balance(app, customer.account_id) == (500, 0) and invariant(app) == []


def test_gw02_the_sandbox_itself_fails_an_unapproved_sender_with_sender_number_error(app):
    """The sandbox double-checks the sender (10-gateway.md): code 3010 -> 발신번호 오류."""
    customer = make_customer(app)
    with app.app_context():
        gateway = SandboxGateway()
        [receipt] = gateway.submit([OutboundMessage(ref="999001", channel="sms", sender="0299998888",
                                                    recipient="01023450001", text="x",
                                                    account_id=customer.account_id)], NOW)
        assert receipt.accepted
        [report] = gateway.poll_reports(NOW + 10 * SECOND, 10)
        assert report.code == "3010"
        from app.domain.results import classify
        assert classify(report.code) == ("failed", "sender_number_error")


# --- accept: type, prices, hold (SMS-02, WAL-05, WAL-06) -------------------------------------------------------

def test_sms02_the_longest_rendered_message_decides_the_type_and_everyone_pays_it(app):
    customer = make_customer(app, cash=1000)
    short, long = phones(1, 2)
    entries = recipients([short, long], **{short: "김", long: "가" * 40})
    accepted = accept(app, customer, [short, long], body="#[이름]님 안녕하세요", entries=entries)
    assert (accepted.answer["type"], accepted.answer["unit_price"], accepted.answer["hold"]) == ("LMS", 50, 100)
    assert {m["msg_type"] for m in messages(app, accepted.send_id)} == {"LMS"}
    run_to_completion(app)
    sent = {r["recipient"]: r for r in sandbox_rows(app)}
    assert sent[short]["text"] == "김님 안녕하세요" and sent[short]["channel"] == "lms"
    assert sent[long]["text"] == "가" * 40 + "님 안녕하세요"
    row = send_row(app, accepted.send_id)
    assert (row["charged_amount"], row["refunded_amount"]) == (100, 0)
    assert balance(app, customer.account_id)[0] == 900


def test_sms14_an_mms_send_carries_its_stored_image(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(5)
    accepted = accept(app, customer, numbers, body="사진 보내드립니다", title="신상품",
                      images=[("신상품.jpg", jpeg())])
    assert (accepted.answer["type"], accepted.answer["hold"]) == ("MMS", 150)
    run_to_completion(app)
    [sent] = sandbox_rows(app, numbers)
    assert (sent["channel"], sent["image_count"], sent["title"]) == ("mms", 1, "신상품")
    assert send_row(app, accepted.send_id)["charged_amount"] == 150


def test_wal05_a_send_keeps_the_unit_price_it_was_accepted_with(app):
    customer = make_customer(app, cash=1000)
    accepted = accept(app, customer, phones(1, 2))
    with app.app_context():                          # an admin raises the default plan's SMS price
        plan = db.session.scalar(select(PricePlan).where(PricePlan.is_default.is_(True)))
        plan.sms = 35
        db.session.commit()
    run_to_completion(app)
    row = send_row(app, accepted.send_id)
    assert (row["unit_price"], row["hold_amount"], row["charged_amount"], row["refunded_amount"]) == (20, 40, 40, 0)
    later = accept(app, customer, phones(3), now=NOW + HOUR)
    assert later.answer["unit_price"] == 35 and later.answer["hold"] == 35
    assert balance(app, customer.account_id)[0] == 1000 - 40 - 35


def test_wal06_hold_is_unit_times_sendable_recipients_points_first(app):
    customer = make_customer(app, cash=100, points=30)
    numbers = phones(1, 2, 3)
    accepted = accept(app, customer, numbers + [numbers[0], "010-0000-1111"])   # a duplicate, an invalid
    answer = accepted.answer
    assert (answer["recipients"], answer["hold"], answer["duplicates"]) == (3, 60, 1)
    assert [(r["index"], r["phone"]) for r in answer["rejected"]] == [(5, "010-0000-1111")]
    assert balance(app, customer.account_id) == (70, 0)
    row = send_row(app, accepted.send_id)
    assert (row["recipient_count"], row["duplicate_count"], row["rejected_count"]) == (3, 1, 1)
    assert count(app, Message, Message.send_id == accepted.send_id) == 3


# --- refusals change nothing -------------------------------------------------------------------------------

REFUSALS = [
    ("no approved sender", dict(sender="02-9999-8888"), "sender_not_approved", "등록완료된 발신번호만"),
    ("missing variable", dict(body="#[1]님", entries="missing"), "missing_variable", "2행"),
    ("byte limit", dict(body="a" * 2001), "byte_limit", "2,001 byte"),
    ("unsupported character", dict(body="안녕 😀"), "unsupported_character", "4번째 '😀'"),
    ("night ad", dict(now=kst(2026, 11, 27, 21, 30), **AD), "night_ad_blocked", "심야(21시~08시)"),
    ("ad scheduled into the night", dict(scheduled_at=kst(2026, 11, 27, 22, 0), **AD), "night_ad_blocked",
     "08시~21시"),
    ("schedule too soon", dict(scheduled_at=NOW + 9 * MINUTE), "schedule_out_of_range", "10분후부터"),
    ("schedule too far", dict(scheduled_at=NOW + dt.timedelta(days=30, seconds=1)), "schedule_out_of_range",
     "최대 30일"),
    ("no valid recipient", dict(numbers=["010-0000-0000"]), "invalid_number", "존재하지 않는 번호 대역"),
]


@pytest.mark.parametrize("name,changes,code,words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_sends_change_nothing(app, name, changes, code, words):
    customer = make_customer(app, cash=1000, points=50)
    changes = dict(changes)                      # the table is shared by both backends' runs
    numbers = changes.pop("numbers", None) or phones(1, 2)
    if changes.get("entries") == "missing":
        changes["entries"] = [Recipient(numbers[0], None, {"1": "A"}, 1), Recipient(numbers[1], None, {}, 2)]
    now = changes.pop("now", NOW)
    before = snapshot(app, customer.account_id)
    with app.app_context():
        with pytest.raises(MegabirdError) as info:
            acceptance.accept(request(customer, numbers, **changes), now=now)
    assert info.value.code == code and words in info.value.message, info.value.message
    assert snapshot(app, customer.account_id) == before
    assert invariant(app) == []


def test_acc10_daily_cap_names_the_remaining_allowance_and_changes_nothing(app):
    customer = make_customer(app, cash=1000)
    set_daily_cap(app, customer.account_id, 3)
    accept(app, customer, phones(1, 2))
    before = snapshot(app, customer.account_id)
    with app.app_context(), pytest.raises(MegabirdError) as info:
        acceptance.accept(request(customer, phones(3, 4)), now=NOW + MINUTE)
    assert info.value.code == "daily_cap_exceeded"
    assert "일일 발송 한도(3건)" in info.value.message and "남은 발송 가능 건수는 1건" in info.value.message
    assert info.value.details == {"daily_cap": 3, "remaining": 1}
    assert snapshot(app, customer.account_id) == before
    accept(app, customer, phones(5), now=NOW + MINUTE)            # the one left still goes
    # the next KST day starts afresh
    accept(app, customer, phones(6, 7, 8), now=kst(2026, 11, 28, 0, 0))


def test_acc10_deleting_history_gives_no_allowance_back_and_a_cancel_does(app):
    customer = make_customer(app, cash=1000)
    set_daily_cap(app, customer.account_id, 3)
    done = accept(app, customer, phones(1, 2))
    run_to_completion(app)
    booked = accept(app, customer, phones(3), now=NOW + MINUTE, scheduled_at=NOW + HOUR)
    with app.app_context():
        retention.delete_sends(account_id=customer.account_id, send_ids=[done.send_id])
    with app.app_context(), pytest.raises(MegabirdError) as info:      # 3 of 3 used: the deleted two count
        acceptance.accept(request(customer, phones(4)), now=NOW + 2 * MINUTE)
    assert info.value.details == {"daily_cap": 3, "remaining": 0}
    with app.app_context():
        lifecycle.cancel(account_id=customer.account_id, send_id=booked.send_id, now=NOW + 3 * MINUTE)
    accept(app, customer, phones(4), now=NOW + 4 * MINUTE)              # the cancelled one is free again


def test_acc10_a_suspended_account_sends_nothing_more(app):
    """Suspension stops what was accepted before it: a scheduled send coming due is
    cancelled with its whole hold back; an immediate send's undispatched messages fail
    uncharged (SUSPENDED) and are refunded at settlement."""
    customer = make_customer(app, cash=1000)
    later = accept(app, customer, phones(1, 2), scheduled_at=NOW + HOUR)
    now = accept(app, customer, phones(3, 4, 5))
    suspend(app, customer.account_id)
    work(app)
    tick(app, NOW + HOUR)
    work(app, NOW + HOUR)
    tick(app, NOW + HOUR + 10 * SECOND)
    assert sandbox_rows(app, phones(1, 2, 3, 4, 5)) == []
    row = send_row(app, later.send_id)
    assert (row["status"], row["refunded_amount"]) == ("cancelled", 40)
    row = send_row(app, now.send_id)
    assert (row["status"], row["failed_count"], row["charged_amount"], row["refunded_amount"]) == \
        ("completed", 3, 0, 60)
    assert {(m["result_code"], m["category"], m["charge"]) for m in messages(app, now.send_id)} == \
        {("SUSPENDED", "other", 0)}
    assert balance(app, customer.account_id) == (1000, 0) and invariant(app) == []


def test_acc08_a_suspended_account_cannot_send_and_nothing_changes(app):
    customer = make_customer(app, cash=1000)
    suspend(app, customer.account_id, reason="스팸 신고 접수")
    before = snapshot(app, customer.account_id)
    with app.app_context(), pytest.raises(MegabirdError) as info:
        acceptance.accept(request(customer, phones(1)), now=NOW)
    assert (info.value.status, info.value.code) == (403, "account_suspended")
    assert "스팸 신고 접수" in info.value.message
    assert snapshot(app, customer.account_id) == before


def test_wal06_insufficient_balance_names_the_shortfall_and_changes_nothing(app):
    customer = make_customer(app, cash=30, points=5)
    before = snapshot(app, customer.account_id)
    with app.app_context(), pytest.raises(MegabirdError) as info:
        acceptance.accept(request(customer, phones(1, 2)), now=NOW)
    assert info.value.code == "insufficient_balance"
    assert "선차감 금액 40원" in info.value.message and "부족 5원" in info.value.message
    assert info.value.details["shortfall"] == 5
    assert snapshot(app, customer.account_id) == before
    accept(app, customer, phones(3))                          # 20 is there: one message goes
    assert balance(app, customer.account_id) == (15, 0)


# --- SMS-06 opted-out numbers -------------------------------------------------------------------------------

def test_sms06_opted_out_numbers_fail_at_acceptance_in_an_ad_and_cost_nothing(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2, 3)
    with app.app_context():
        optouts.add_many(customer.account_id, [numbers[1]], source="manual", now=NOW)
        db.session.commit()
    accepted = accept(app, customer, numbers, body="주말 특가", **AD)
    answer = accepted.answer
    assert (answer["recipients"], answer["optouts"], answer["hold"]) == (3, 1, 40)
    blocked = by_recipient(app, accepted.send_id)[numbers[1]]
    assert (blocked["state"], blocked["category"], blocked["charge"]) == ("failed", "optout_080", 0)
    row = send_row(app, accepted.send_id)
    assert (row["failed_count"], row["categories"]) == (1, {"optout_080": 1})
    run_to_completion(app)
    sent = sandbox_rows(app, numbers)
    assert sorted(r["recipient"] for r in sent) == [numbers[0], numbers[2]]
    # the shared 080 number carries the account's code (SND-09)
    assert sent[0]["text"] == f"(광고)메가버드\n주말 특가\n무료거부 080-123-1234 인증코드 {optout_code(app, customer.account_id)}"
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"], row["charged_amount"],
            row["refunded_amount"]) == ("completed", 2, 1, 40, 0)
    # the list is for ads only: an information message still reaches the number
    info = accept(app, customer, [numbers[1]], body="주문하신 상품이 발송되었습니다", now=NOW + HOUR)
    assert info.answer["optouts"] == 0
    run_to_completion(app, NOW + HOUR)
    assert by_recipient(app, info.send_id)[numbers[1]]["state"] == "delivered"
    assert invariant(app) == []


# --- SMS-07 scheduling, cancel, SND-06 ------------------------------------------------------------------------

def test_sms07_a_scheduled_send_waits_for_a_tick_at_its_time(app):
    customer = make_customer(app, cash=1000)
    numbers = phones(1, 2)
    at = NOW + HOUR
    accepted = accept(app, customer, numbers, scheduled_at=at)
    assert accepted.answer["status"] == "scheduled"
    work(app)                                                 # nothing was enqueued; nothing runs
    tick(app, at - SECOND)
    work(app, at - SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["started_at"]) == ("scheduled", None)
    assert sandbox_rows(app, numbers) == [] and {m["state"] for m in messages(app, accepted.send_id)} == {"pending"}
    tick(app, at)
    assert send_row(app, accepted.send_id)["status"] == "in_progress"
    work(app, at)
    assert len(sandbox_rows(app, numbers)) == 2
    tick(app, at + 10 * SECOND)
    row = send_row(app, accepted.send_id)
    assert (row["status"], row["started_at"], row["delivered_count"], row["charged_amount"]) == \
        ("completed", at, 2, 40)


def test_sms07_cancel_before_the_start_refunds_the_whole_hold_and_leaves_statistics(app):
    customer = make_customer(app, cash=1000, points=30)
    before, requested = balance(app, customer.account_id), requested_rollup(app, customer.account_id)
    numbers = phones(1, 2, 3)
    with app.app_context():
        optouts.add_many(customer.account_id, [numbers[2]], source="manual", now=NOW)
        db.session.commit()
    at = NOW + dt.timedelta(days=2)
    accepted = accept(app, customer, numbers, scheduled_at=at, **AD)
    assert balance(app, customer.account_id) == (990, 0)            # 40: 30 points, 10 cash
    assert requested_rollup(app, customer.account_id) == requested + 3
    with app.app_context():
        send = lifecycle.cancel(account_id=customer.account_id, send_id=accepted.send_id, now=NOW + MINUTE)
        assert (send.status, send.refunded_amount) == ("cancelled", 40)
    assert balance(app, customer.account_id) == before                 # exactly, points included
    assert requested_rollup(app, customer.account_id) == requested
    with app.app_context():
        assert db.session.scalar(select(UsageRollup.failed).where(
            UsageRollup.account_id == customer.account_id)) == 0
    [refund] = [e for e in ledger(app, customer.account_id) if e["kind"] == "refund"]
    assert (refund["cash_delta"], refund["points_delta"], refund["send_id"]) == (10, 30, accepted.send_id)
    tick(app, at)
    work(app, at)
    assert send_row(app, accepted.send_id)["status"] == "cancelled" and sandbox_rows(app, numbers) == []
    # a second cancel is refused and moves no money
    with app.app_context(), pytest.raises(InvalidState):
        lifecycle.cancel(account_id=customer.account_id, send_id=accepted.send_id, now=NOW + 2 * MINUTE)
    assert balance(app, customer.account_id) == before and invariant(app) == []


def test_sms07_cancel_after_the_start_is_refused_with_409(app):
    customer = make_customer(app, cash=1000)
    at = NOW + HOUR
    accepted = accept(app, customer, phones(1), scheduled_at=at)
    tick(app, at)
    with app.app_context(), pytest.raises(InvalidState) as info:
        lifecycle.cancel(account_id=customer.account_id, send_id=accepted.send_id, now=at + SECOND)
    assert info.value.status == 409 and "예약 발송만 취소할 수 있습니다" in info.value.message
    assert send_row(app, accepted.send_id)["status"] == "in_progress"
    # an immediate send cannot be cancelled either
    now_send = accept(app, customer, phones(2))
    with app.app_context(), pytest.raises(InvalidState):
        lifecycle.cancel(account_id=customer.account_id, send_id=now_send.send_id, now=NOW)
    # nor can another account's send be found
    stranger = make_customer(app)
    with app.app_context(), pytest.raises(MegabirdError) as info:
        lifecycle.cancel(account_id=stranger.account_id, send_id=now_send.send_id, now=NOW)
    assert info.value.status == 404


def test_snd06_the_number_of_a_scheduled_send_cannot_be_deleted_until_it_is_cancelled(app):
    customer = make_customer(app, cash=1000)
    sender_id = add_sender_number(app, customer.account_id, "01077776666")
    client = logged_in(app, customer.login, customer.password)
    with clock.frozen(NOW):
        accepted = accept(app, customer, phones(1), sender="010-7777-6666", scheduled_at=NOW + HOUR)
        response = client.post(f"/senders/numbers/{sender_id}/delete")
        assert response.status_code == 409
        assert "예약 발송에 사용 중인 발신번호는 삭제할 수 없습니다" in text_of(response)
        assert count(app, SenderNumber, SenderNumber.id == sender_id) == 1
        with app.app_context():
            lifecycle.cancel(account_id=customer.account_id, send_id=accepted.send_id, now=NOW + MINUTE)
        assert client.post(f"/senders/numbers/{sender_id}/delete").status_code == 302
    assert count(app, SenderNumber, SenderNumber.id == sender_id) == 0
    assert count(app, LedgerEntry, LedgerEntry.send_id == accepted.send_id) == 2      # hold and refund stay

