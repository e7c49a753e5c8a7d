"""SMS-15 duplicate-send protection: the same text to the same number from the same
account within an hour of an earlier accepted send is not sent again; that message
ends failed, category duplicate (중복 발송), not charged. On by default; switchable in
마이페이지."""
import datetime as dt

from sqlalchemy import select

from app import clock
from app.domain.recipients import Recipient
from app.extensions import db
from app.models import Account, Message
from app.services import checks
from app.services.history import queries
from app.services.sending import acceptance, lifecycle
from tests.support.factories import approve_optout_number, make_customer
from tests.support.jobs import run_worker
from tests.support.pipeline import tick
from tests.support.web import logged_in, text_of

T0 = dt.datetime(2026, 11, 27, 3, 0)   # 12:00 KST


def accept(customer, body, phones, now, **extra):
    return acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone, body=body,
                                             recipients=[Recipient(p, n, v, i + 1) for i, (p, n, v) in
                                                         enumerate(phones)], **extra), now=now)


def test_the_same_text_to_the_same_number_within_an_hour_fails_as_duplicate_and_is_free(appctx):
    customer = make_customer(appctx, cash=10_000)
    first = accept(customer, "오늘 배송 예정입니다.", [("01023450001", None, {}), ("01023450002", None, {})], T0)
    again = accept(customer, "오늘 배송 예정입니다.",
                   [("01023450001", None, {}), ("01023450003", None, {})], T0 + dt.timedelta(minutes=59))
    assert again.resent == 1 and again.to_api()["duplicate_sends"] == 1
    send = again.send
    assert (send.recipient_count, send.failed_count, send.hold_amount) == (2, 1, 20)
    states = dict(db.session.execute(select(Message.recipient, Message.category).where(Message.send_id == send.id)).all())
    assert states == {"01023450001": "duplicate", "01023450003": None}
    assert queries.categories(send.id) == {"duplicate": 1}
    # another text, or the same text an hour later, is sent
    other = accept(customer, "다른 안내입니다.", [("01023450001", None, {})], T0 + dt.timedelta(minutes=30))
    later = accept(customer, "오늘 배송 예정입니다.", [("01023450002", None, {})], T0 + dt.timedelta(minutes=61))
    assert other.resent == 0 and later.resent == 0
    assert first.resent == 0
    assert checks.invariant_violations() == []


def test_variables_make_different_texts(appctx):
    customer = make_customer(appctx, cash=10_000)
    accept(customer, "#[이름]님 안녕하세요", [("01023450001", "김", {})], T0)
    same_name = accept(customer, "#[이름]님 안녕하세요", [("01023450001", "김", {})], T0 + dt.timedelta(minutes=5))
    other_name = accept(customer, "#[이름]님 안녕하세요", [("01023450001", "이", {})], T0 + dt.timedelta(minutes=6))
    assert (same_name.resent, other_name.resent) == (1, 0)


def test_a_cancelled_send_does_not_count_and_protection_can_be_switched_off(appctx):
    customer = make_customer(appctx, cash=10_000)
    scheduled = accept(customer, "예약 안내", [("01023450001", None, {})], T0, scheduled_at=T0 + dt.timedelta(hours=2))
    lifecycle.cancel(account_id=customer.account_id, send_id=scheduled.send.id, now=T0 + dt.timedelta(minutes=1))
    assert accept(customer, "예약 안내", [("01023450001", None, {})], T0 + dt.timedelta(minutes=2)).resent == 0
    db.session.get(Account, customer.account_id).duplicate_protection = False
    db.session.commit()
    assert accept(customer, "예약 안내", [("01023450001", None, {})], T0 + dt.timedelta(minutes=3)).resent == 0


def test_duplicates_settle_uncharged_and_show_in_the_breakdown(app):
    customer = make_customer(app, cash=10_000)
    later = T0 + dt.timedelta(minutes=1)
    with app.app_context():
        accept(customer, "중복 테스트", [("01023450001", None, {})], T0)
        send_id = accept(customer, "중복 테스트", [("01023450001", None, {}), ("01023450002", None, {})],
                         later).send.id
        acceptance.enqueue_dispatch(db.session.get(acceptance.Send, send_id))
    with clock.frozen(later):                  # the real worker, at the send's time
        run_worker(app)
    tick(app, later + dt.timedelta(minutes=5))     # the tick, and the worker for its report jobs
    with app.app_context():
        send = db.session.get(acceptance.Send, send_id)
        assert (send.status, send.delivered_count, send.failed_count, send.charged_amount) == ("completed", 1, 1, 20)
        assert checks.invariant_violations() == []
    client = logged_in(app, customer.login, customer.password)
    page = text_of(client.get(f"/history/{send_id}"))
    assert "중복 발송 1건" in page


def test_mypage_switches_protection_and_sets_the_default_080_number(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    refused = client.post("/mypage/settings", data={"optout_number": "080-123-4567"})
    assert refused.status_code == 422 and "승인된 080 번호가 아닙니다" in text_of(refused)   # SND-09
    approve_optout_number(app, customer.account_id, "080-123-4567")
    response = client.post("/mypage/settings", data={"optout_number": "080-123-4567"})
    assert response.status_code == 302
    with app.app_context():
        account = db.session.get(Account, customer.account_id)
        assert (account.duplicate_protection, account.optout_number) == (False, "0801234567")
    bad = client.post("/mypage/settings", data={"duplicate_protection": "1", "optout_number": "02-123-4567"})
    assert bad.status_code == 422 and "080" in text_of(bad)
    with app.app_context():
        assert db.session.get(Account, customer.account_id).duplicate_protection is False
    client.post("/mypage/settings", data={"duplicate_protection": "1", "optout_number": ""})
    with app.app_context():
        account = db.session.get(Account, customer.account_id)
        assert (account.duplicate_protection, account.optout_number) == (True, None)


# --- SMS-15 as reworded (issue 12): what counts, and when the hour is measured ------------------------------

from tests.support import pipeline as pl   # noqa: E402


def test_resending_the_failures_of_a_send_reaches_them(app):
    """A failed earlier message does not count: 재발송 of failures must go out."""
    customer = make_customer(app, cash=10_000)
    numbers = pl.phones(0, 90, 91)             # delivered, failed 3001, failed 3002
    first = pl.accept(app, customer, numbers, body="결제 안내")
    pl.run_to_completion(app)
    assert [m["state"] for m in pl.messages(app, first.send_id)] == ["delivered", "failed", "failed"]
    later = pl.NOW + dt.timedelta(hours=1, minutes=-10)
    again = pl.accept(app, customer, numbers[1:], body="결제 안내", now=later)
    assert again.answer["duplicate_sends"] == 0
    delivered_again = pl.accept(app, customer, numbers[:1], body="결제 안내", now=later)
    assert delivered_again.answer["duplicate_sends"] == 1      # the delivered one still counts
    assert pl.invariant(app) == []


def test_a_message_still_on_its_way_counts(app):
    customer = make_customer(app, cash=10_000)
    numbers = pl.phones(0)
    pl.accept(app, customer, numbers, body="대기 중", enqueue=False)          # pending, not yet dispatched
    again = pl.accept(app, customer, numbers, body="대기 중", now=pl.NOW + dt.timedelta(minutes=1))
    assert again.answer["duplicate_sends"] == 1


def test_a_send_scheduled_two_hours_ahead_is_not_prefailed(app):
    """The hour is measured between the times the messages go out: a reminder two hours
    after a send is not a duplicate, neither at acceptance nor when it starts."""
    customer = make_customer(app, cash=10_000)
    numbers = pl.phones(0, 1)
    pl.accept(app, customer, numbers, body="내일 방문 예정입니다.")
    pl.work(app)
    reminder = pl.accept(app, customer, numbers, body="내일 방문 예정입니다.",
                         scheduled_at=pl.NOW + dt.timedelta(hours=2))
    assert (reminder.answer["duplicate_sends"], reminder.answer["expected_duplicate_sends"]) == (0, 0)
    assert [m["state"] for m in pl.messages(app, reminder.send_id)] == ["pending", "pending"]
    pl.run_to_completion(app, pl.NOW + dt.timedelta(hours=2))
    row = pl.send_row(app, reminder.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"]) == ("completed", 2, 0)


def test_a_scheduled_send_skips_what_went_out_within_the_hour_before_its_start(app):
    """Checked when the scheduled send starts: numbers that got the same text in the hour
    before end failed as 중복 발송, free; their hold comes back at settlement."""
    customer = make_customer(app, cash=10_000)
    numbers = pl.phones(0, 1, 2)
    start = pl.NOW + dt.timedelta(hours=2)
    scheduled = pl.accept(app, customer, numbers, body="오픈 안내", scheduled_at=start)
    assert scheduled.answer["hold"] == 60
    # 30 minutes before it goes out, the same text reaches two of its numbers
    pl.accept(app, customer, numbers[:2], body="오픈 안내", now=start - dt.timedelta(minutes=30))
    pl.work(app, start - dt.timedelta(minutes=30))
    pl.run_to_completion(app, start)
    row = pl.send_row(app, scheduled.send_id)
    assert (row["status"], row["delivered_count"], row["failed_count"], row["charged_amount"]) == \
        ("completed", 1, 2, 20)
    by_number = pl.by_recipient(app, scheduled.send_id)
    assert [by_number[n]["category"] for n in numbers] == ["duplicate", "duplicate", None]
    assert pl.invariant(app) == []
    assert pl.balance(app, customer.account_id)[0] == 10_000 - 40 - 20


def test_the_dialog_forecasts_the_duplicates_of_a_scheduled_send(app):
    from app.services.sending import compose
    customer = make_customer(app, cash=10_000)
    numbers = pl.phones(0, 1)
    pl.accept(app, customer, numbers[:1], body="행사 안내")
    with app.app_context():
        soon = clock.to_kst(pl.NOW + dt.timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M")
        payload = {"sender": customer.phone, "body": "행사 안내", "recipients": numbers,
                   "use_schedule": "1", "scheduled_at": soon}
        quote = compose.quote(customer.account_id, payload, pl.NOW)
        assert (quote["duplicate_sends"], quote["expected_duplicate_sends"], quote["sendable"]) == (0, 1, 2)
        far = dict(payload, scheduled_at=clock.to_kst(pl.NOW + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"))
        assert compose.quote(customer.account_id, far, pl.NOW)["expected_duplicate_sends"] == 0
        now_payload = {"sender": customer.phone, "body": "행사 안내", "recipients": numbers[:1]}
        assert compose.quote(customer.account_id, now_payload, pl.NOW)["sendable"] == 0
