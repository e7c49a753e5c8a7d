"""SMS over SMPP (10-gateway.md GW-03, 11-quality.md REL-07): the connector against a local
SMSC (smpp34's server in its own process, tests/support/smsc.py), through the real report
jobs and the tick — receipts to results and money, Korean text on the SMSC's side, LMS as
concatenated SMS billed as LMS, throttling, several binds and connectors, the SMSC killed
mid-send, and the connector itself killed mid-batch."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import DispatchBatch, Message, SmppReceipt
from app.services.ops import staff_dashboard
from app.errors import ValidationError
from app.services.sending import acceptance, handover
from tests.conftest import make_app
from tests.support.connector import (ConnectorProcess, ConnectorThread, numbers_in, smpp_settings, states,
                                     until_reported, wait_until)
from app.security.roles import OPERATOR
from tests.support.factories import make_customer
from tests.support.foundation import staff_client
from tests.support.pipeline import (accept, balance, by_recipient, invariant, phones, send_row, set_daily_cap, tick,
                                    work)
from tests.support.smsc import SmscProcess

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def smsc(tmp_path):
    server = SmscProcess(log_path=tmp_path / "smsc.log").start()
    yield server
    server.cleanup()


def smpp_app(database_url, redis_server, smsc, **changes):
    import redis as redis_lib
    redis_lib.Redis.from_url(redis_server.url).flushdb()
    return make_app(database_url, REDIS_URL=redis_server.url, **smpp_settings(smsc, **changes))


@pytest.fixture
def app(database_url, redis_server, smsc):
    application = smpp_app(database_url, redis_server, smsc)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()










def test_a_send_goes_out_over_smpp_and_its_receipts_decide_results_and_money(app, smsc):
    """GW-03: each message once on the SMSC's own log, receipts mapped to categories by the
    default table (the local SMSC answers the sandbox's magic digits with stat/err), the
    silent one ended by the 49-hour timeout, free; ledger-check clean."""
    customer = make_customer(app, cash=10_000)
    numbers = phones(0, 90, 91, 92, 93, 95, 96, 97, 98, 99)
    sent = accept(app, customer, numbers, now=clock.now())
    connector = ConnectorThread(app).start()
    try:
        smsc.wait_for("submit", len(numbers), timeout=20)
        until_reported(app, sent.send_id, leave=1)       # the 98 never gets a receipt
    finally:
        stats = connector.stop()
    assert stats["accepted"] == len(numbers) and stats.get("unknown", 0) == 0
    assert smsc.duplicates() == []
    rows = by_recipient(app, sent.send_id)
    expected = {0: ("delivered", "0000", None), 90: ("failed", "3001", "power_off"),
                91: ("failed", "3002", "shadow_area"), 92: ("failed", "3003", "spam_rejected"),
                93: ("failed", "3004", "wrong_number"), 95: ("failed", "3006", "network_or_device"),
                96: ("failed", "3007", "message_error"), 97: ("failed", "3099", "other"),
                99: ("delivered", "0000", None)}
    for number in numbers:
        ending = int(number[-2:])
        if ending == 98:
            assert rows[number]["state"] == "submitted"
            continue
        assert (rows[number]["state"], rows[number]["result_code"], rows[number]["category"]) == expected[ending]
    tick(app, clock.now() + 50 * HOUR)
    rows = by_recipient(app, sent.send_id)
    assert (rows[numbers[8]]["state"], rows[numbers[8]]["result_code"], rows[numbers[8]]["charge"]) == \
        ("failed", "TIMEOUT", 0)
    send = send_row(app, sent.send_id)
    assert send["status"] == "completed"
    assert send["delivered_count"] == 2 and send["charged_amount"] == 2 * send["unit_price"]
    assert balance(app, customer.account_id)[0] == 10_000 - 2 * send["unit_price"]
    assert invariant(app) == []


def test_korean_text_goes_as_ks_c_5601_or_ucs2_and_a_long_one_concatenated(app, smsc):
    """GW-03: KS C 5601 (0x0E) when every character is in KS X 1001, UCS2 (0x08) otherwise
    ('똠' is CP949's, not KS X 1001's); the SMSC reassembles the UDH parts to the text."""
    customer = make_customer(app, cash=10_000)
    ksc, ucs2 = phones(0, 1)
    short = accept(app, customer, [ksc], body="[메가버드] 배송이 시작되었습니다.", now=clock.now())
    other = accept(app, customer, [ucs2], body="똠양꿍 주문이 접수되었습니다.", now=clock.now())
    connector = ConnectorThread(app).start()
    try:
        smsc.wait_for("submit", 2, timeout=20)
        until_reported(app, short.send_id)
        until_reported(app, other.send_id)
    finally:
        connector.stop()
    by_dest = {e["dest"]: e for e in smsc.submits()}
    assert by_dest[ksc]["dcs"] == 0x0E and by_dest[ucs2]["dcs"] == 0x08
    assert smsc.texts() == {ksc: ["[메가버드] 배송이 시작되었습니다."], ucs2: ["똠양꿍 주문이 접수되었습니다."]}


def test_an_lms_goes_as_concatenated_sms_with_its_title_first_and_is_billed_as_lms(app, smsc):
    customer = make_customer(app, cash=10_000)
    [number] = phones(0)
    body = "안녕하세요. 메가버드입니다. " * 20           # 560 bytes: LMS
    sent = accept(app, customer, [number], body=body, title="12월 안내", now=clock.now())
    connector = ConnectorThread(app).start()
    try:
        until_reported(app, sent.send_id)
    finally:
        connector.stop()
    parts = smsc.submits()
    assert len(parts) > 1 and all(p["udh"] and p["udh"][1] == len(parts) for p in parts)
    assert smsc.texts() == {number: ["12월 안내\n" + body]}
    send = send_row(app, sent.send_id)
    assert send["msg_type"] == "LMS" and send["charged_amount"] == send["unit_price"]
    assert by_recipient(app, sent.send_id)[number]["charge"] == send["unit_price"]
    assert invariant(app) == []


def test_throttled_pdus_are_sent_again_and_taken_once(database_url, redis_server, tmp_path):
    """ESME_RTHROTTLED: the bind pauses and the same PDU goes again; the SMSC takes every
    message exactly once."""
    smsc = SmscProcess(log_path=tmp_path / "smsc.log", throttle_every=4).start()
    app = smpp_app(database_url, redis_server, smsc)
    try:
        customer = make_customer(app, cash=10_000)
        numbers = phones(*range(12))
        sent = accept(app, customer, numbers, now=clock.now())
        connector = ConnectorThread(app).start()
        try:
            until_reported(app, sent.send_id)
        finally:
            stats = connector.stop()
        assert stats["throttled"] >= 3
        assert sorted(e["dest"] for e in smsc.submits()) == sorted(numbers) and smsc.duplicates() == []
        assert states(app, sent.send_id) == {"delivered": 12}
        assert invariant(app) == []
    finally:
        smsc.cleanup()


def test_receipts_in_every_id_format_find_their_message(database_url, redis_server, tmp_path):
    """The SMSC's receipts spell its ids in decimal, upper case or zero-padded where
    submit_sm_resp said lower-case hex, or give them in the text only."""
    for options in ({"id_format": "decimal"}, {"id_format": "upper"}, {"id_format": "zeros"},
                    {"text_only_receipts": True}):
        smsc = SmscProcess(log_path=tmp_path / f"smsc-{len(options)}-{list(options.values())[0]}.log",
                           **options).start()
        app = smpp_app(database_url, redis_server, smsc)
        try:
            customer = make_customer(app, cash=10_000)
            numbers = phones(0, 93)
            sent = accept(app, customer, numbers, now=clock.now())
            connector = ConnectorThread(app).start()
            try:
                until_reported(app, sent.send_id)
            finally:
                connector.stop()
            rows = by_recipient(app, sent.send_id)
            assert [rows[n]["result_code"] for n in numbers] == ["0000", "3004"], options
        finally:
            smsc.cleanup()


def test_a_receipt_for_no_known_message_is_kept_for_staff(app, smsc):
    """A receipt whose id megabird never gave out is `unmatched` after the grace period,
    shown on the staff dashboard, and changes no message."""
    with app.app_context():
        db.session.add(SmppReceipt(kind="receipt", status="new", received_at=clock.now(), smsc_id="deadbeef",
                                   stat="DELIVRD", err="000", source="01099998888", destination="15880000"))
        db.session.commit()
    tick(app, clock.now())
    with app.app_context():
        assert db.session.scalar(select(SmppReceipt.status)) == "new"      # it may still find its message
        db.session.commit()
    tick(app, clock.now() + HOUR)
    with app.app_context():
        row = db.session.scalars(select(SmppReceipt)).one()
        assert (row.status, row.message_id) == ("unmatched", None)
        db.session.commit()
    with app.app_context():
        assert staff_dashboard.backlog()["unmatched_receipts"] == 1
        db.session.commit()
    _login, operator = staff_client(app, OPERATOR)
    home = operator.get("/staff/").get_data(as_text=True)
    assert "대상 없는 수신결과 1건" in home and "전송 확인 불가 0건" in home
    listing = operator.get("/staff/smpp-receipts/list/?_flt_0_status=unmatched").get_data(as_text=True)
    assert "deadbeef" in listing and "대상 없음" in listing


def test_mms_is_refused_at_acceptance_when_the_sms_route_is_smpp(app, database_url, redis_server):
    """GW-03: Korean MMS cannot go over SMPP: refused with the reason before anything is
    held; LMS and SMS go. The sandbox route takes MMS."""
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            acceptance.check_route("MMS")
        assert refused.value.code == "mms_unavailable" and "SMPP" in refused.value.message
        assert refused.value.field == "이미지"
        acceptance.check_route("LMS")
        acceptance.check_route("SMS")
    sandbox = make_app(database_url, REDIS_URL=redis_server.url)
    with sandbox.app_context():
        acceptance.check_route("MMS")


def test_the_connector_killed_mid_batch_leaves_nothing_sent_twice(app, smsc):
    """The connector's batch left open by a dead process: what it recorded as written is
    `unknown` (never resent), the rest goes back to `pending` and out once."""
    customer = make_customer(app, cash=10_000)
    numbers = phones(*range(30))
    sent = accept(app, customer, numbers, now=clock.now())
    with app.app_context():
        claimer = handover.Claimer("sms", 30)
        batch = claimer.claim(clock.now())
        ids = sorted(int(m.ref) for m in batch.messages)
        handover.mark_written(batch.token, ids[9], clock.now())        # ten may have left, then it died
        db.session.execute(DispatchBatch.__table__.update().values(claimed_at=clock.now() - dt.timedelta(hours=1)))
        db.session.commit()
    tick(app, clock.now())
    assert states(app, sent.send_id) == {"unknown": 10, "pending": 20}
    connector = ConnectorThread(app).start()
    try:
        until_reported(app, sent.send_id, leave=10)
    finally:
        connector.stop()
    assert len(smsc.submits()) == 20 and smsc.duplicates() == []
    assert states(app, sent.send_id) == {"unknown": 10, "delivered": 20}
    tick(app, clock.now() + 50 * HOUR)
    assert states(app, sent.send_id) == {"failed": 10, "delivered": 20}
    send = send_row(app, sent.send_id)
    assert send["status"] == "completed" and send["charged_amount"] == 20 * send["unit_price"]
    assert invariant(app) == []


def many_numbers(count: int, block: int) -> list[str]:
    """Distinct mobile numbers ending 00–79 (delivered, GW-02)."""
    return [f"010{block}{i // 80:05d}{i % 80:02d}"[:11] for i in range(count)]


def test_rel07_the_smsc_killed_mid_send_and_restarted(app, smsc):
    """REL-07: the SMSC SIGKILLed in the middle of a 20,000-message send and started again:
    the connector binds again by itself; no message reaches the SMSC twice (its own log);
    what was in flight is `unknown` and ends by the receipt the restarted SMSC still sends
    (matched by number and user_message_reference), or by the timeout; ledger-check clean."""
    customer = make_customer(app, cash=1_000_000)
    set_daily_cap(app, customer.account_id, 100_000)
    numbers = many_numbers(20_000, 7)
    sent = accept(app, customer, numbers, now=clock.now())
    connector = ConnectorThread(app).start()
    try:
        wait_until(lambda: len(smsc.entries("submit")) >= 5_000, 60, "5,000 submits")
        smsc.kill()
        wait_until(lambda: connector.connector.stats["links_lost"] >= 1, 30, "the connector to see the link die")
        smsc.restart()
        wait_until(lambda: not {"pending", "submitting"} & set(states(app, sent.send_id)), 120,
                   "every message handed over or unknown")

        def reported():     # every message the SMSC took has its receipt, unknown ones too
            tick(app, clock.now())
            taken = {e["dest"] for e in smsc.submits()}
            found, waiting = states(app, sent.send_id), taken & numbers_in(app, sent.send_id, "unknown")
            return "submitted" not in found and not waiting
        wait_until(reported, 120, "the receipts of every accepted message")
    finally:
        stats = connector.stop()
    assert stats["binds"] >= 2 and stats["links_lost"] >= 1
    assert smsc.duplicates() == []
    taken = [e["dest"] for e in smsc.submits()]
    assert len(taken) == len(set(taken))
    found = states(app, sent.send_id)
    unknown_left = found.get("unknown", 0)
    # at most a window in flight per lost link, less those the SMSC took (their receipts ended them)
    assert unknown_left <= 50 * stats["links_lost"]
    tick(app, clock.now() + 50 * HOUR)
    found = states(app, sent.send_id)
    assert set(found) <= {"delivered", "failed"}
    assert found.get("failed", 0) == unknown_left and found["delivered"] + unknown_left == len(numbers)
    assert found["delivered"] == len(taken)             # every message the SMSC took was reported
    send = send_row(app, sent.send_id)
    assert send["status"] == "completed" and send["charged_amount"] == found["delivered"] * send["unit_price"]
    assert invariant(app) == []


def test_the_connector_process_sigkilled_mid_send(app, smsc, database_url, redis_server, tmp_path):
    """A connector process SIGKILLed mid-send: the tick takes its batch back at once (its
    owner is a dead process of this host): what it may have written becomes `unknown`, the
    rest goes out once through a new connector process. An unknown message ends by a
    receipt if one still reaches megabird — smpp34 acknowledges a receipt before the
    connector stores it, so those the killed process held are lost — or by the timeout,
    free; the receipts the killed process held are lost the same way (their messages stay
    `submitted` until the timeout). Nothing is charged that was not reported delivered."""
    customer = make_customer(app, cash=1_000_000)
    set_daily_cap(app, customer.account_id, 100_000)
    numbers = many_numbers(3_000, 5)
    sent = accept(app, customer, numbers, now=clock.now())
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_server.url, "MEGABIRD_INSTANCE": str(tmp_path),
           "SANDBOX_DATABASE_URL": app.config["SANDBOX_DATABASE_URL"],
           **{k: str(v) for k, v in smpp_settings(smsc, SMPP_THROUGHPUT=600).items()}}
    first = ConnectorProcess(env).start()
    wait_until(lambda: len(smsc.entries("submit")) >= 600, 60, "600 submits")
    first.kill()
    tick(app, clock.now())
    found = states(app, sent.send_id)
    # what it may have written: at most the two batches a link has in flight (the one awaiting
    # its last answers, whose answers are written once all have come, and the next)
    assert "submitting" not in found and found.get("unknown", 0) <= 2 * 200
    second = ConnectorProcess(env).start()
    try:
        def reported():     # every receipt the SMSC sent that reached megabird is applied
            tick(app, clock.now())
            with app.app_context():
                waiting = db.session.scalar(select(func.count()).select_from(SmppReceipt).where(
                    SmppReceipt.status == "new"))
                db.session.commit()
            return (not {"pending", "submitting"} & set(states(app, sent.send_id)) and not waiting
                    and len(smsc.receipts()) == len(smsc.submits()))
        wait_until(reported, 60, "every message handed over and its receipt applied")
    finally:
        second.stop()
    assert smsc.duplicates() == []
    taken = [e["dest"] for e in smsc.submits()]
    assert len(taken) == len(set(taken)) and set(numbers) - set(taken) <= numbers_in(app, sent.send_id, "unknown")
    tick(app, clock.now() + 50 * HOUR)
    found = states(app, sent.send_id)
    assert set(found) <= {"delivered", "failed"} and found["delivered"] + found.get("failed", 0) == 3_000
    send = send_row(app, sent.send_id)
    assert send["status"] == "completed" and send["charged_amount"] == found["delivered"] * send["unit_price"]
    assert invariant(app) == []


def test_megabirds_own_messages_go_through_the_connector(app, smsc):
    """A verification code (a system message) cannot be handed to the SMPP gateway by a job:
    the connector takes it (at most once), and its receipt is recognised, not left unmatched."""
    from app.services.shared import system_messages
    from app.services.shared.uow import transaction
    with app.app_context():
        with transaction():
            system_messages.queue_message(purpose="signup", recipient="01012340000", text="[메가버드] 인증번호 123456",
                                          now=clock.now())
        assert system_messages.deliver_pending(clock.now()) == 0          # not the job's to hand over
        db.session.commit()
    connector = ConnectorThread(app).start()
    try:
        smsc.wait_for("submit", 1, timeout=20)
        smsc.wait_for("receipt", 1, timeout=20)

        def applied():
            tick(app, clock.now())
            with app.app_context():
                status = db.session.scalar(select(SmppReceipt.status))
                db.session.commit()
            return status == "applied"
        wait_until(applied, 20, "the code's receipt")
    finally:
        stats = connector.stop()
    assert stats["system"] == 1 and smsc.texts() == {"01012340000": ["[메가버드] 인증번호 123456"]}


def test_a_kakao_failures_fallback_sms_goes_over_smpp(app, smsc):
    """KAT-07 with GATEWAY_SMS=smpp: AlimTalk through the Kakao gateway (the sandbox), the
    대체문자 of a failed one through the connector; each layer's result and price."""
    from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
    from app.domain.recipients import Recipient
    from app.services.kakao import alimtalk_sends
    from tests.support.factories import approve_channel, make_template
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    numbers = phones(0, 80, 93)
    start = clock.now()
    with app.app_context():
        request = AlimtalkRequest(account_id=customer.account_id, channel=None, template=template_id,
                                  recipients=[Recipient(n, None, {"고객명": "홍길동", "주문번호": "A-1001"}, i)
                                              for i, n in enumerate(numbers, start=1)],
                                  fallback=FallbackRequest(customer.phone, text="#{고객명}님 주문 #{주문번호} 발송"))
        accepted = alimtalk_sends.accept(request, now=start)
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    connector = ConnectorThread(app).start()
    try:
        work(app, start)                                  # the AlimTalk layer, through the sandbox
        tick(app, start + dt.timedelta(seconds=10))       # its reports: 80 and 93 failed, fallbacks made
        smsc.wait_for("submit", 2, timeout=20)

        def reported():
            tick(app, clock.now() + dt.timedelta(seconds=10))
            return send_row(app, send_id)["status"] == "completed"
        wait_until(reported, 30, "the fallbacks' receipts")
    finally:
        connector.stop()
    assert sorted(e["dest"] for e in smsc.submits()) == sorted(numbers[1:])
    assert smsc.texts()[numbers[1]] == ["홍길동님 주문 A-1001 발송"]
    with app.app_context():
        layers = {(m.recipient, m.layer): (m.state, m.result_code) for m in
                  db.session.scalars(select(Message).where(Message.send_id == send_id))}
        db.session.commit()
    assert layers == {(numbers[0], "primary"): ("delivered", "1000"), (numbers[1], "primary"): ("failed", "3019"),
                      (numbers[2], "primary"): ("failed", "3008"), (numbers[1], "fallback"): ("delivered", "0000"),
                      (numbers[2], "fallback"): ("failed", "3004")}
    row = send_row(app, send_id)
    assert row["charged_amount"] == row["unit_price"] + row["fallback_unit_price"]
    assert invariant(app) == []
