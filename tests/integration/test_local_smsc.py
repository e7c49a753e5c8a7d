"""The local SMSC (app/gateways/smpp/smsc.py) and the codec test server
(tests/support/smsc_codec.py) that megabird's SMPP gateway is tested against (10-gateway.md
GW-03, 11-quality.md REL-07), driven by a bare smpp34 client: no megabird app, no database.
Nothing sleeps to let time pass; every wait is for an event, with a timeout."""
from __future__ import annotations

import asyncio
import threading
import contextlib
import re
import time
from dataclasses import dataclass
from datetime import datetime

import pytest
import smpp34

from app.gateways.smpp.smsc import KST, LocalSmsc, Log, format_id, outcome, receipt_text, split_udh
from tests.support.servers import free_port
from tests.support.smsc import SmscProcess
from tests.support.smsc_codec import CodecSmsc, codec_smsc  # noqa: F401 (fixture)

SYSTEM_ID = "megabird"
SENDER = "0212345678"
TIMEOUT = 5.0
ESME_RTHROTTLED = 0x58
RECEIPT_TEXT = re.compile(r"id:(?P<id>\S+) sub:(?P<sub>\d{3}) dlvrd:(?P<dlvrd>\d{3}) submit date:(?P<submit>\d{10}) "
                          r"done date:(?P<done>\d{10}) stat:(?P<stat>[A-Z]+) err:(?P<err>\d{3}) text:(?P<text>.*)")


def run(coroutine):
    """The coroutine on an event loop of its own thread: the browser tests' Playwright keeps a
    loop running in this one for the whole session, where asyncio.run() is refused."""
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(asyncio.wait_for(coroutine, 20))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            result["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if "error" in result:
        raise result["error"]
    return result.get("value")


@contextlib.asynccontextmanager
async def bound(port: int, system_id: str = SYSTEM_ID, bind_type: str = "TRX", **options):
    client = smpp34.Client(host="127.0.0.1", port=port, system_id=system_id, password="secret",
                           bind_type=bind_type, window_size=50, **options)
    session = await client.connect()
    try:
        yield session
    finally:
        # smpp34's Client.stop() alone leaves the TCP connection open: unbind first
        with contextlib.suppress(smpp34.SmppError, TimeoutError):
            await asyncio.wait_for(session.unbind(), TIMEOUT)
        await client.stop()


@dataclass
class Receipt:
    source: str
    dest: str
    esm_class: int
    text: str
    fields: dict
    tlvs: dict


async def receipts(session, count: int, timeout: float = TIMEOUT) -> list[Receipt]:
    found = []
    while len(found) < count:
        event = await asyncio.wait_for(session.next(), timeout)
        assert isinstance(event, smpp34.DeliverSmEvent), event
        text = event.short_message.decode("ascii")
        match = RECEIPT_TEXT.fullmatch(text)
        assert match, text
        found.append(Receipt(event.source_addr, event.destination_addr, event.esm_class, text,
                             match.groupdict(), {t.tag: t.value for t in event.tlvs}))
    return found


async def submit(session, dest: str, message: bytes = b"hello megabird", **options):
    options.setdefault("registered_delivery", 1)
    return await session.submit_sm(dest, message, source_addr=SENDER, **options)


@pytest.fixture
def local_smsc():
    started = []

    def start(**options) -> SmscProcess:
        process = SmscProcess(**options)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.cleanup()




# --- the pieces, without a server ---

def test_outcomes_follow_the_sandbox_table():
    assert outcome("01012340000") == ("DELIVRD", 0)
    assert outcome("01012340099") == ("DELIVRD", 0)
    assert [outcome(f"010123400{n}") for n in range(90, 98)] == [
        ("EXPIRED", 0), ("UNDELIV", 27), ("REJECTD", 0), ("UNDELIV", 1), ("REJECTD", 80), ("UNDELIV", 0),
        ("UNDELIV", 34), ("UNKNOWN", 0)]
    assert outcome("01012340098") is None


def test_ids_udh_and_receipt_text():
    assert [format_id("00ab", f) for f in ("hex", "upper", "decimal", "zeros")] == [
        "00ab", "00AB", "171", "0" * 16 + "00ab"]
    assert split_udh(0x40, bytes([5, 0, 3, 7, 2, 1]) + b"abc") == ([7, 2, 1], b"abc")
    assert split_udh(0x40, bytes([6, 8, 4, 1, 2, 3, 2]) + b"xy") == ([258, 3, 2], b"xy")
    assert split_udh(0x00, b"\x05\x00\x03") == (None, b"\x05\x00\x03")
    at = datetime(2026, 3, 1, 23, 59, tzinfo=KST)
    assert receipt_text("1f", "UNDELIV", 27, at, at, b"0123456789abcdefghijKLM") == (
        "id:1f sub:001 dlvrd:000 submit date:2603012359 done date:2603012359 stat:UNDELIV err:027 "
        "text:0123456789abcdefghij")
    korean = receipt_text("1f", "DELIVRD", 0, at, at, "안녕".encode("euc_kr"))
    assert korean.endswith("dlvrd:001 submit date:2603012359 done date:2603012359 stat:DELIVRD err:000 text:")


# --- the local SMSC, in its own process ---

def test_submit_and_receipts_with_tlvs_and_text(local_smsc):
    smsc = local_smsc()
    korean = "결과 확인".encode("euc_kr")

    async def scenario():
        async with bound(smsc.port) as session:
            never = await submit(session, "01012340098")
            delivered = await submit(session, "01012340000", tlvs=[smpp34.Tlv(0x0204, b"\x00\x2a")])
            wrong_number = await submit(session, "01012340093", korean, data_coding=0x0E)
            got = await receipts(session, 2)
        return never, delivered, wrong_number, got

    never, delivered, wrong_number, got = run(scenario())
    ids = [r.message_id for r in (never, delivered, wrong_number)]
    assert all(r.is_success for r in (never, delivered, wrong_number))
    assert all(re.fullmatch(r"[0-9a-f]+", i) for i in ids) and len(set(ids)) == 3
    by_id = {r.fields["id"]: r for r in got}
    assert set(by_id) == {delivered.message_id, wrong_number.message_id}

    ok = by_id[delivered.message_id]
    assert (ok.source, ok.dest, ok.esm_class) == ("01012340000", SENDER, 0x04)
    assert ok.tlvs == {0x001E: delivered.message_id.encode() + b"\0", 0x0427: b"\x02", 0x0423: b"\x03\x00\x00",
                       0x0204: b"\x00\x2a"}
    assert {k: ok.fields[k] for k in ("sub", "dlvrd", "stat", "err", "text")} == {
        "sub": "001", "dlvrd": "001", "stat": "DELIVRD", "err": "000", "text": "hello megabird"}
    now = datetime.now(KST)
    for stamp in (ok.fields["submit"], ok.fields["done"]):
        assert abs((datetime.strptime(stamp, "%y%m%d%H%M").replace(tzinfo=KST) - now).total_seconds()) < 120

    failed = by_id[wrong_number.message_id]
    assert failed.tlvs == {0x001E: wrong_number.message_id.encode() + b"\0", 0x0427: b"\x05",
                           0x0423: b"\x03\x00\x01"}
    assert {k: failed.fields[k] for k in ("dlvrd", "stat", "err", "text")} == {
        "dlvrd": "000", "stat": "UNDELIV", "err": "001", "text": ""}      # Korean: no text

    submits = smsc.submits()
    assert [(s["id"], s["dest"], s["dcs"], s["udh"], s["user_ref"], s["system_id"]) for s in submits] == [
        (ids[0], "01012340098", 0, None, None, SYSTEM_ID), (ids[1], "01012340000", 0, None, 42, SYSTEM_ID),
        (ids[2], "01012340093", 0x0E, None, None, SYSTEM_ID)]
    assert submits[2]["payload"] == korean.hex()
    assert {(r["id"], r["stat"]) for r in smsc.wait_for("receipt", 2)} == {(ids[1], "DELIVRD"),
                                                                          (ids[2], "UNDELIV")}
    assert smsc.texts()["01012340093"] == ["결과 확인"]


@pytest.mark.parametrize("id_format", ["hex", "upper", "decimal", "zeros"])
def test_receipt_ids_in_each_format(id_format, tmp_path):
    async def scenario():
        smsc = LocalSmsc(port=free_port(), log_path=tmp_path / "smsc.log", id_format=id_format)
        await smsc.start()
        try:
            async with bound(smsc.port) as session:
                response = await submit(session, "01055550001")
                (got,) = await receipts(session, 1)
        finally:
            await smsc.stop()
        return response.message_id, got

    message_id, got = run(scenario())
    assert re.fullmatch(r"[0-9a-f]{16}", message_id)
    shown = {"hex": message_id, "upper": message_id.upper(), "decimal": str(int(message_id, 16)),
             "zeros": message_id.rjust(20, "0")}[id_format]
    assert got.fields["id"] == shown
    assert got.tlvs[0x001E] == shown.encode() + b"\0"


def test_text_only_receipts(local_smsc):
    smsc = local_smsc(text_only_receipts=True, id_format="upper")

    async def scenario():
        async with bound(smsc.port) as session:
            response = await submit(session, "01055550094", tlvs=[smpp34.Tlv(0x0204, b"\x01\x00")])
            return response, await receipts(session, 1)

    response, (got,) = run(scenario())
    assert got.tlvs == {}
    assert (got.fields["id"], got.fields["stat"], got.fields["err"]) == (response.message_id.upper(), "REJECTD", "080")


def test_throttle_every_nth_submit(local_smsc):
    smsc = local_smsc(throttle_every=3)

    async def scenario():
        async with bound(smsc.port) as session:
            return [await submit(session, f"0105555{n:04d}", registered_delivery=0) for n in range(7)]

    responses = run(scenario())
    assert [r.command_status for r in responses] == [0, 0, ESME_RTHROTTLED, 0, 0, ESME_RTHROTTLED, 0]
    assert [r.message_id is None for r in responses] == [False, False, True, False, False, True, False]
    assert [s["dest"] for s in smsc.submits()] == ["01055550000", "01055550001", "01055550003", "01055550004",
                                                    "01055550006"]
    assert [t["dest"] for t in smsc.entries("throttled")] == ["01055550002", "01055550005"]
    assert len({s["id"] for s in smsc.submits()}) == 5


def test_receipts_are_kept_until_a_receiving_bind_of_that_system_id(local_smsc):
    smsc = local_smsc()

    async def scenario():
        async with bound(smsc.port, system_id="someone-else"):
            async with bound(smsc.port, bind_type="TX") as transmitter:     # cannot take deliver_sm
                sent = [await submit(transmitter, dest) for dest in ("01066660000", "01066660091")]
            async with bound(smsc.port) as receiver:
                got = await receipts(receiver, 2)
        return sent, got

    sent, got = run(scenario())
    assert sorted(r.fields["id"] for r in got) == sorted(r.message_id for r in sent)
    binds = {b["session"]: b for b in smsc.entries("bind")}
    receivers = {session for session, b in binds.items() if b["system_id"] == SYSTEM_ID and b["can_receive"]}
    assert len(receivers) == 1 and {r["session"] for r in smsc.wait_for("receipt", 2)} == receivers


def test_receipt_due_while_unbound_goes_to_the_next_bind(tmp_path):
    async def scenario():
        smsc = LocalSmsc(port=free_port(), log_path=tmp_path / "smsc.log", receipt_delay=0.3)
        await smsc.start()
        try:
            async with bound(smsc.port) as session:
                response = await submit(session, "01077770000")
                started = time.monotonic()
                await submit(session, "01077770001", registered_delivery=0)        # asks for none
            assert smsc.pending_receipts == 1
            async with bound(smsc.port) as session:
                (got,) = await receipts(session, 1)
            return response, got, time.monotonic() - started, smsc.pending_receipts
        finally:
            await smsc.stop()

    response, got, waited, pending = run(scenario())
    assert got.fields["id"] == response.message_id
    assert waited >= 0.25 and pending == 0


def test_rx_bind_gets_each_receipt_once(tmp_path):
    # smpp34's server never hands over the deliver_sm_resp of an RX bind: the SMSC takes such
    # a silent session's receipts as delivered (unconfirmed) instead of sending them forever
    async def scenario():
        smsc = LocalSmsc(port=free_port(), log_path=tmp_path / "smsc.log", deliver_timeout=0.3)
        await smsc.start()
        try:
            async with bound(smsc.port, bind_type="TX") as transmitter:
                sent = [await submit(transmitter, f"0107777100{n}") for n in range(3)]
            async with bound(smsc.port, bind_type="RX") as receiver:
                got = await receipts(receiver, 3)
                await smsc.wait_for(lambda s: s.receipts_sent == 3, TIMEOUT)
            return sent, got, smsc.pending_receipts
        finally:
            await smsc.stop()

    sent, got, pending = run(scenario())
    assert sorted(r.fields["id"] for r in got) == sorted(r.message_id for r in sent) and pending == 0
    logged = [e for e in Log.read(tmp_path / "smsc.log") if e["event"] == "receipt"]
    assert len(logged) == 3 and {e["confirmed"] for e in logged} == {False}


def test_killed_and_restarted_smsc_reports_what_it_accepted(local_smsc):
    smsc = local_smsc()

    async def before_kill():
        async with bound(smsc.port, bind_type="TX") as transmitter:    # no receipts can go out yet
            sent = [await submit(transmitter, dest) for dest in ("01088880000", "01088880095", "01088880098")]
            smsc.kill()
            assert isinstance(await asyncio.wait_for(transmitter.next(), TIMEOUT), smpp34.Disconnected)
            with pytest.raises(smpp34.SmppError):
                await submit(transmitter, "01088880001")
        return sent

    async def after_restart():
        async with bound(smsc.port) as session:
            owed = await receipts(session, 2)
            fresh = await submit(session, "01088880002")
            (new,) = await receipts(session, 1)
        return owed, fresh, new

    sent = run(before_kill())
    with smsc.log_path.open("a") as log:
        log.write('{"event": "submit", "id": "ff')         # a line a kill cut short is skipped
    smsc.restart()
    owed, fresh, new = run(after_restart())
    assert {(r.fields["id"], r.fields["stat"]) for r in owed} == {(sent[0].message_id, "DELIVRD"),
                                                                 (sent[1].message_id, "UNDELIV")}
    assert new.fields["id"] == fresh.message_id
    ids = [s["id"] for s in smsc.submits()]
    assert ids == [r.message_id for r in sent] + [fresh.message_id] and len(set(ids)) == 4
    assert int(fresh.message_id, 16) > max(int(r.message_id, 16) for r in sent)
    assert [s["requeued"] for s in smsc.entries("start")] == [0, 2]
    assert sorted(r["id"] for r in smsc.wait_for("receipt", 3)) == sorted([sent[0].message_id, sent[1].message_id,
                                                              fresh.message_id])


def test_log_counts_duplicates_and_reassembles_texts(local_smsc):
    smsc = local_smsc()
    korean = "안녕하세요 메가버드입니다".encode("euc_kr")
    first, second = korean[:11], korean[11:]
    ucs2 = "안녕 👋".encode("utf-16-be")

    def part(ref: int, seq: int, data: bytes) -> bytes:
        return bytes([5, 0, 3, ref, 2, seq]) + data

    async def scenario():
        async with bound(smsc.port) as session:
            for dest, message, options in [
                    ("01099990001", b"hello", {}),
                    ("01099990001", b"hello", {}),                            # the same message again
                    ("01099990002", part(7, 1, first), {"esm_class": 0x40, "data_coding": 0x0E}),
                    ("01099990002", part(7, 2, second), {"esm_class": 0x40, "data_coding": 0x0E}),
                    ("01099990002", part(8, 2, second), {"esm_class": 0x40, "data_coding": 0x0E}),  # resent
                    ("01099990003", ucs2, {"data_coding": 0x08})]:
                assert (await submit(session, dest, message, registered_delivery=0, **options)).is_success

    run(scenario())
    assert [s["udh"] for s in smsc.submits()] == [None, None, [7, 2, 1], [7, 2, 2], [8, 2, 2], None]
    assert [(d["dest"], d["udh"]) for d in smsc.duplicates()] == [("01099990001", None), ("01099990002", [8, 2, 2])]
    assert smsc.texts() == {"01099990001": ["hello", "hello"],
                            "01099990002": ["안녕하세요 메가버드입니다", second.decode("euc_kr")],
                            "01099990003": ["안녕 👋"]}


# --- the codec server: what smpp34's own server cannot do ---

def test_codec_refused_bind_fails_the_connect(codec_smsc):
    server = codec_smsc(refuse_bind=0x0E)     # ESME_RINVPASWD

    async def scenario():
        # smpp34 does not report a refused bind: connect() waits for its timeout, then raises
        for refusal in (0x0E, 0x0D):
            server.refuse_bind = refusal
            with pytest.raises(smpp34.SmppError):
                async with bound(server.port, connect_timeout_ms=300):
                    pass
        server.refuse_bind = 0
        async with bound(server.port) as session:
            return await submit(session, "01012340000")

    assert run(scenario()).is_success
    assert [(b.bind_type, b.system_id, b.password, b.status) for b in server.binds] == [
        ("TRX", SYSTEM_ID, "secret", 0x0E), ("TRX", SYSTEM_ID, "secret", 0x0D), ("TRX", SYSTEM_ID, "secret", 0)]


def test_codec_slow_answers_still_answer_within_the_window(codec_smsc):
    server = codec_smsc(answer_delay=0.2)

    async def scenario():
        async with bound(server.port) as session:
            started = time.monotonic()
            responses = await asyncio.gather(*(submit(session, f"0101234000{n}") for n in range(5)))
            return responses, time.monotonic() - started

    responses, took = run(scenario())
    assert all(r.is_success for r in responses) and len({r.message_id for r in responses}) == 5
    assert 0.2 <= took < 0.9            # answered together, not one after another
    assert [s.answered for s in server.submits] == [0] * 5


def test_codec_drop_after_fails_the_submits_in_flight(codec_smsc):
    server = codec_smsc()

    async def scenario():
        async with bound(server.port) as session:
            answered = [await submit(session, f"0101234100{n}") for n in range(2)]
            server.answer_delay, server.drop_after = 0.5, 3
            in_flight = await asyncio.gather(*(submit(session, f"0101234200{n}") for n in range(5)),
                                             return_exceptions=True)
            ended = await asyncio.wait_for(session.next(), TIMEOUT)
        server.answer_delay = 0
        async with bound(server.port) as again:
            after = await submit(again, "01012343000")
        return answered, in_flight, ended, after

    answered, in_flight, ended, after = run(scenario())
    assert all(r.is_success for r in answered) and after.is_success
    assert all(isinstance(r, smpp34.SmppError) for r in in_flight), in_flight
    assert isinstance(ended, smpp34.Disconnected)
    dests = [s.dest for s in server.submits]       # the client writes a window in no fixed order
    assert dests[:2] == ["01012341000", "01012341001"] and dests[5:] == ["01012343000"]
    assert len(set(dests[2:5])) == 3 and set(dests[2:5]) <= {f"0101234200{n}" for n in range(5)}
    assert [s.answered for s in server.submits] == [0, 0, None, None, None, 0]
    assert server.drops == 1 and server.drop_after == 0 and len(server.binds) == 2


def test_codec_throttle_and_never_answer(codec_smsc):
    server = codec_smsc(throttle_every=2)

    async def scenario():
        async with bound(server.port) as session:
            statuses = [(await submit(session, f"0101234400{n}")).command_status for n in range(4)]
            server.throttle_every, server.never_answer = 0, True
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(submit(session, "01012345000"), 0.3)
            server.never_answer = False
            after = await submit(session, "01012345001")
        return statuses, after

    statuses, after = run(scenario())
    assert statuses == [0, ESME_RTHROTTLED, 0, ESME_RTHROTTLED]
    assert after.is_success
    assert [s.answered for s in server.submits] == [0, ESME_RTHROTTLED, 0, ESME_RTHROTTLED, None, 0]


def test_codec_deliver_sm_reaches_the_client(codec_smsc):
    server = codec_smsc()

    async def scenario():
        async with bound(server.port) as session:
            response = await submit(session, "01012346000")
            text = f"id:{response.message_id} sub:001 dlvrd:001 submit date:2603010000 done date:2603010000 " \
                   "stat:DELIVRD err:000 text:"
            sequence = server.deliver(SENDER, text.encode(), source="01012346000",
                                      tlvs=[smpp34.Tlv(0x001E, response.message_id.encode() + b"\0")])
            got = await receipts(session, 1)
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: server.wait_for(lambda s: s.deliver_resps, TIMEOUT))
            return response, sequence, got

    response, sequence, (got,) = run(scenario())
    assert got.fields["id"] == response.message_id and got.tlvs[0x001E] == response.message_id.encode() + b"\0"
    assert server.deliver_resps == [(sequence, 0)]
