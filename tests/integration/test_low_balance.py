"""Issue 12 잔액 부족 알림: a threshold per account (off by default) set in 마이페이지; when
cash + points fall below it the owner gets an SMS (the service's own gateway, as the
sign-up code) and/or an e-mail, and a notice in the portal — once per crossing, armed again
when the balance is back to the threshold or above. The crossing is recorded in the money
movement's transaction and delivered after its commit by the real RQ worker; a rolled-back
movement tells nothing, a delivery run twice sends once, and movements racing across the
threshold tell one notice."""
from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.domain.sms import byte_length, message_type
from app.extensions import all_queues, db
from app.gateways.sandbox import SandboxGateway
from app.models import AccountNotice, LowBalanceAlert, MailOutbox, SandboxMessage, SystemMessage
from app.services import checks
from app.services.shared import mail, system_messages, uow
from app.services.wallet import ledger, low_balance
from tests.support.factories import make_customer
from tests.support.foundation import customer_client, rows
from tests.support.jobs import run_worker
from tests.support.pipeline import NOW, accept, balance, phones, tick, work
from tests.support.web import logged_in, text_of

_keys = iter(range(1, 10_000))


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def configure(app, account_id, threshold, *, by_sms=True, by_email=True, now=NOW):
    with app.app_context():
        return low_balance.configure(account_id=account_id, enabled=True, threshold=threshold, by_sms=by_sms,
                                     by_email=by_email, now=now)


def hold(app, account_id, amount, *, now=NOW):
    with app.app_context():
        return ledger.hold(account_id, next(_keys) + 100_000, amount, now=now)


def topup(app, account_id, amount, *, now=NOW):
    with app.app_context():
        ledger.topup(account_id, amount, key=key(), now=now)


def told(app, account_id) -> dict:
    """What was written to tell the owner: notices, e-mails (rows), SMS (rows)."""
    with app.app_context():
        notices = db.session.scalar(select(func.count(AccountNotice.id)).where(
            AccountNotice.account_id == account_id, AccountNotice.kind == "low_balance"))
        emails = db.session.scalar(select(func.count(MailOutbox.id)).where(MailOutbox.account_id == account_id))
        sms = db.session.scalar(select(func.count(SystemMessage.id)).where(SystemMessage.purpose == "low_balance"))
        db.session.commit()
        return {"notices": notices, "emails": emails, "sms": sms}


def sandbox_to(app, phone: str) -> list[str]:
    with app.app_context():
        texts = list(db.session.scalars(select(SandboxMessage.text).where(SandboxMessage.recipient == phone)
                                        .order_by(SandboxMessage.id)))
        db.session.commit()
        return texts


def mails_to(app, address: str):
    with app.app_context():
        return [m for m in mail.outbox_messages() if m["To"] == address]


# --- 마이페이지 -------------------------------------------------------------------------------------------

def test_off_by_default_and_set_in_mypage(app):
    customer, client = customer_client(app, cash=50_000)
    page = client.get("/mypage/").get_data(as_text=True)
    assert 'id="low-balance"' in page and re.search(r'id="low-balance-enabled"\s*>', page)
    assert rows(app, LowBalanceAlert) == []
    topup(app, customer.account_id, 1000)
    hold(app, customer.account_id, 50_500)                   # far down: off, nothing told
    assert told(app, customer.account_id) == {"notices": 0, "emails": 0, "sms": 0}
    response = client.post("/mypage/low-balance", data={"enabled": "1", "threshold": "10,000", "by_sms": "1"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "잔액 부족 알림을 켰습니다: 잔액이 10,000원보다 적어지면 알려드립니다." in text_of(response)
    assert 'value="10,000"' in response.get_data(as_text=True)
    [row] = rows(app, LowBalanceAlert)
    assert (row["threshold"], row["by_sms"], row["by_email"]) == (10_000, True, False)
    # already below when set: counted as told (the page says so), nothing sent
    assert row["alerted_at"] is not None and "현재 잔액이 기준보다 적습니다" in text_of(response)
    assert told(app, customer.account_id)["notices"] == 0
    response = client.post("/mypage/low-balance", data={"threshold": "10000"}, follow_redirects=True)
    assert "잔액 부족 알림을 껐습니다." in text_of(response)
    assert rows(app, LowBalanceAlert)[0]["threshold"] is None


@pytest.mark.parametrize("form, message, field", [
    ({"enabled": "1", "threshold": "", "by_sms": "1"}, "알림 기준 금액을 입력해주세요.", "알림 기준 금액"),
    ({"enabled": "1", "threshold": "500", "by_sms": "1"}, "알림 기준 금액은 1,000 이상이어야 합니다.", "알림 기준 금액"),
    ({"enabled": "1", "threshold": "10000000000", "by_sms": "1"}, "알림 기준 금액", "알림 기준 금액"),
    ({"enabled": "1", "threshold": "만원", "by_email": "1"}, "알림 기준 금액은 정수로 입력해주세요.", "알림 기준 금액"),
    ({"enabled": "1", "threshold": "10000"}, "알림 방법(문자 또는 이메일)을 하나 이상 선택해주세요.", "알림 방법"),
])
def test_bad_settings_are_refused_by_field_and_change_nothing(app, form, message, field):
    customer, client = customer_client(app)
    configure(app, customer.account_id, 20_000, by_sms=False)
    before = rows(app, LowBalanceAlert)
    response = client.post("/mypage/low-balance", data=form)
    assert response.status_code == 422 and message in text_of(response)
    assert 'class="form-group has-error"' in response.get_data(as_text=True)
    assert rows(app, LowBalanceAlert) == before


# --- once per crossing ---------------------------------------------------------------------------------------

def test_a_send_below_the_threshold_tells_once_after_commit_and_a_refund_or_top_up_arms_it_again(app):
    customer = make_customer(app, login="low@megabird.example", cash=10_040)
    configure(app, customer.account_id, 10_000)
    # 3 SMS held (60 won): 10,040 -> 9,980 crosses; nothing is sent inside the accept's transaction
    accept(app, customer, phones(1, 2, 91))
    assert balance(app, customer.account_id) == (9_980, 0)
    assert told(app, customer.account_id) == {"notices": 1, "emails": 1, "sms": 1}
    assert sandbox_to(app, customer.phone) == [] and mails_to(app, "low@megabird.example") == []
    work(app)                                                 # the real worker: SMS and e-mail go out
    assert sandbox_to(app, customer.phone) == [
        "[megabird] 잔액 9,980원, 알림 기준 10,000원 미만입니다. 충전 후 이용해주세요."]
    [email] = mails_to(app, "low@megabird.example")
    assert email["Subject"] == "[megabird] 잔액이 알림 기준보다 적어졌습니다"
    assert "잔액이 9,980원으로 알림 기준 10,000원보다 적어졌습니다 (충전금 9,980원, 포인트 0P)." in email.get_content()
    [notice] = rows(app, AccountNotice)
    assert notice["link"] == "WalletView.index"
    # further down: still the same crossing
    accept(app, customer, phones(1))
    assert told(app, customer.account_id)["notices"] == 1
    # the failed message's refund (9,960 + 20) is still below; a top-up to exactly 10,000 arms it
    tick(app, NOW + dt.timedelta(seconds=10))
    assert balance(app, customer.account_id) == (9_980, 0)
    topup(app, customer.account_id, 20)
    assert rows(app, LowBalanceAlert)[0]["alerted_at"] is None
    assert told(app, customer.account_id)["notices"] == 1
    accept(app, customer, phones(1))                          # below again: a second notice
    assert told(app, customer.account_id) == {"notices": 2, "emails": 2, "sms": 2}
    work(app)
    assert len(sandbox_to(app, customer.phone)) == 2 and len(mails_to(app, "low@megabird.example")) == 2
    with app.app_context():
        assert checks.invariant_violations() == []


def test_points_count_and_the_threshold_itself_is_not_below(app):
    customer = make_customer(app, cash=5_000, points=6_000)
    configure(app, customer.account_id, 10_000)
    hold(app, customer.account_id, 1_000)                     # 10,000: at the threshold, not below
    assert told(app, customer.account_id)["notices"] == 0
    hold(app, customer.account_id, 1)                         # 9,999
    assert told(app, customer.account_id)["notices"] == 1
    [notice] = rows(app, AccountNotice)
    assert "(충전금 5,000원, 포인트 4,999P)" in notice["body"]   # points are spent first


def test_the_owner_chooses_sms_or_email(app):
    customer = make_customer(app, login="sms-only@megabird.example", cash=2_000)
    configure(app, customer.account_id, 1_500, by_email=False)
    hold(app, customer.account_id, 1_000)
    assert told(app, customer.account_id) == {"notices": 1, "emails": 0, "sms": 1}
    other = make_customer(app, login="mail-only@megabird.example", cash=2_000)
    configure(app, other.account_id, 1_500, by_sms=False)
    hold(app, other.account_id, 1_000)
    assert told(app, other.account_id) == {"notices": 1, "emails": 1, "sms": 1}   # the first one's SMS only
    run_worker(app)
    assert len(sandbox_to(app, customer.phone)) == 1 and sandbox_to(app, other.phone) == []
    assert mails_to(app, "sms-only@megabird.example") == [] and len(mails_to(app, "mail-only@megabird.example")) == 1


def test_a_movement_rolled_back_tells_nothing_and_enqueues_nothing(app):
    customer = make_customer(app, cash=2_000)
    configure(app, customer.account_id, 1_500)
    with app.app_context():
        with pytest.raises(RuntimeError):
            with uow.transaction():
                ledger.hold(customer.account_id, 777, 1_000, now=NOW)
                raise RuntimeError("the use case failed after the hold")
        assert sum(q.count for q in all_queues()) == 0
    assert told(app, customer.account_id) == {"notices": 0, "emails": 0, "sms": 0}
    assert rows(app, LowBalanceAlert)[0]["alerted_at"] is None and balance(app, customer.account_id) == (2_000, 0)
    hold(app, customer.account_id, 1_000)                    # the real one tells
    assert told(app, customer.account_id)["notices"] == 1


def test_delivery_run_twice_sends_the_sms_and_the_email_once(app):
    customer = make_customer(app, login="once@megabird.example", cash=2_000)
    configure(app, customer.account_id, 1_500)
    hold(app, customer.account_id, 1_000)
    with app.app_context():
        system_messages.deliver_pending(NOW)
        system_messages.deliver_pending(NOW)
    run_worker(app)                                           # the enqueued jobs run after
    run_worker(app)
    assert len(sandbox_to(app, customer.phone)) == 1 and len(mails_to(app, "once@megabird.example")) == 1
    with app.app_context():
        assert SandboxGateway.duplicate_submissions() == 0


def test_racing_movements_across_the_threshold_tell_one_notice(app):
    """Twelve holds of 300 at once take 5,000 to 1,400: the balance crosses 4,000 once,
    and one notice, one e-mail and one SMS are written."""
    customer = make_customer(app, cash=5_000)
    configure(app, customer.account_id, 4_000)
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    errors: list[str] = []

    def spend(i: int):
        with app.app_context():
            barrier.wait()
            try:
                ledger.hold(customer.account_id, 5000 + i, 300, now=NOW)
            except ledger.InsufficientBalance:
                pass
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert balance(app, customer.account_id) == (1_400, 0)
    assert told(app, customer.account_id) == {"notices": 1, "emails": 1, "sms": 1}
    run_worker(app)
    assert len(sandbox_to(app, customer.phone)) == 1


def test_the_sms_fits_one_sms_whatever_the_amounts():
    text = low_balance.sms_text(9_999_999, 10_000_000)
    assert byte_length(text) <= 90 and message_type(byte_length(text), False) == "SMS"


def test_a_new_threshold_already_crossed_waits_for_the_balance_to_come_back(app):
    customer = make_customer(app, cash=3_000)
    configure(app, customer.account_id, 5_000)               # below already: no notice
    hold(app, customer.account_id, 100)
    assert told(app, customer.account_id)["notices"] == 0
    topup(app, customer.account_id, 2_100)                   # 5,000: armed
    hold(app, customer.account_id, 100)
    assert told(app, customer.account_id)["notices"] == 1
    # lowering the threshold under the balance arms it at once; raising it keeps the told state
    configure(app, customer.account_id, 4_000)
    assert rows(app, LowBalanceAlert)[0]["alerted_at"] is None
    hold(app, customer.account_id, 1_000)                    # 3,900
    assert told(app, customer.account_id)["notices"] == 2
    told_at = rows(app, LowBalanceAlert)[0]["alerted_at"]
    configure(app, customer.account_id, 8_000, now=NOW + dt.timedelta(hours=1))
    assert rows(app, LowBalanceAlert)[0]["alerted_at"] == told_at


def test_the_mypage_form_is_a_customer_page(app):
    customer = make_customer(app)
    anonymous = app.test_client().post("/mypage/low-balance", data={"enabled": "1", "threshold": "5000", "by_sms": "1"})
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    assert rows(app, LowBalanceAlert) == []
    client = logged_in(app, customer.login, customer.password)
    response = client.post("/mypage/low-balance", data={"enabled": "1", "threshold": "5000", "by_sms": "1"})
    assert response.status_code == 302
    assert [r["account_id"] for r in rows(app, LowBalanceAlert)] == [customer.account_id]
