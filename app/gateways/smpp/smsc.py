"""A local SMSC (10-gateway.md GW-03) on the `smpp34` library's server: for the tests, and for
a person trying megabird's SMPP gateway without a carrier.

    python -m app.gateways.smpp.smsc --port 2775 --log smsc.log [--receipt-delay 2]
        [--id-format hex|upper|decimal|zeros] [--text-only-receipts] [--throttle-every N]

It accepts every bind (any system_id, any password) and every submit_sm, and answers with a
delivery receipt decided by the last two digits of the destination, as the sandbox does
(GW-02, SMS column; 98 is never reported). Receipts go to a receiving bind (TRX or RX) of the
system_id that submitted; while none is bound, or when a deliver_sm fails, they are kept and
delivered when one binds again, as a real SMSC stores them.

The log is JSON lines, appended, one write and flush per line, so that a SIGKILL loses nothing
that was already answered. A submit is logged before its submit_sm_resp goes out: the log is
the SMSC's own count of what it took (REL-07 reads it for messages submitted twice). Started
again on the same log, it reports what it accepted before: receipts of logged submits that
have no logged receipt are queued again. Message ids stay unique across restarts.

Only the standard library and smpp34: no Flask, nothing of the app. (Run as
`python app/gateways/smpp/smsc.py ...` it does not even import the `app` package, whose
`__init__` modules take seconds to import; tests/support/smsc.py starts it that way.)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import itertools
import json
import os
import signal
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import smpp34

KST = timezone(timedelta(hours=9), "KST")

#: last two digits of destination_addr -> (stat, err); 98 never gets a receipt (GW-02, SMS column)
OUTCOMES = {"90": ("EXPIRED", 0), "91": ("UNDELIV", 27), "92": ("REJECTD", 0), "93": ("UNDELIV", 1),
            "94": ("REJECTD", 80), "95": ("UNDELIV", 0), "96": ("UNDELIV", 34), "97": ("UNKNOWN", 0)}
DELIVERED = ("DELIVRD", 0)
NEVER_REPORTED = "98"
#: message_state TLV values (SMPP 3.4 section 5.2.28)
MESSAGE_STATES = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "UNKNOWN": 7, "REJECTD": 8}
ID_FORMATS = ("hex", "upper", "decimal", "zeros")

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_USER_MESSAGE_REFERENCE = 0x0204
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_STATE = 0x0427
TLV_MESSAGE_PAYLOAD = 0x0424
NETWORK_ERROR_GSM = 3

ESM_UDHI = 0x40
ESM_RECEIPT = 0x04
RECEIPT_WINDOW = 20         # deliver_sm awaiting their responses per session
SILENT_WINDOW = 200         # the same for a session whose responses never come back (see _deliver)
INBOUND_CAPACITY = 65536    # events the server queues for us before it answers ESME_RMSGQFUL itself
DELIVER_TIMEOUT = 2.0       # seconds we wait for a deliver_sm_resp
SILENT_WAIT = 0.2           # the same, to a silent session (only to see an error come back)
RETRY_AFTER = 0.5           # seconds before a receipt whose deliver_sm failed is tried again


def outcome(dest: str) -> tuple[str, int] | None:
    """(stat, err) of the receipt for a destination, None for one never reported."""
    last_two = dest[-2:]
    if last_two == NEVER_REPORTED:
        return None
    return OUTCOMES.get(last_two, DELIVERED)


def format_id(message_id: str, id_format: str) -> str:
    """Our lower-case hex message id in the form receipts carry it."""
    if id_format == "upper":
        return message_id.upper()
    if id_format == "decimal":
        return str(int(message_id, 16))
    if id_format == "zeros":
        return message_id.rjust(20, "0")
    return message_id


def split_udh(esm_class: int, short_message: bytes) -> tuple[list[int] | None, bytes]:
    """([ref, total, seq] of a concatenation UDH or None, the payload after the UDH)."""
    if not esm_class & ESM_UDHI or not short_message:
        return None, short_message
    length = short_message[0]
    header, payload = short_message[1:1 + length], short_message[1 + length:]
    at, concat = 0, None
    while at + 2 <= len(header):
        iei, size = header[at], header[at + 1]
        data = header[at + 2:at + 2 + size]
        if iei == 0x00 and size == 3 and len(data) == 3:            # 8-bit reference
            concat = [data[0], data[1], data[2]]
        elif iei == 0x08 and size == 4 and len(data) == 4:          # 16-bit reference
            concat = [int.from_bytes(data[:2], "big"), data[2], data[3]]
        at += 2 + size
    return concat, payload


def receipt_text(message_id: str, stat: str, err: int, submitted: datetime, done: datetime, payload: bytes) -> str:
    """The SMPP 3.4 Appendix B text (dates in KST)."""
    head = payload[:20]
    text = head.decode("ascii") if head.isascii() and head.decode("ascii").isprintable() else ""
    dlvrd = "001" if stat == "DELIVRD" else "000"
    return (f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{submitted.astimezone(KST):%y%m%d%H%M} "
            f"done date:{done.astimezone(KST):%y%m%d%H%M} stat:{stat} err:{err:03d} text:{text}")


def _now() -> datetime:
    return datetime.now(KST)


class IdSource:
    """Lower-case hex of (start time in ms << 20 | counter): unique across restarts, as long
    as a restart begins in a later millisecond than the ids already handed out (`after`)."""

    def __init__(self, after: int = 0):
        self._base = max(int(time.time() * 1000), (after >> 20) + 1)
        self._counter = 0

    def next(self) -> str:
        if self._counter >= 1 << 20:
            self._base, self._counter = max(int(time.time() * 1000), self._base + 1), 0
        self._counter += 1
        return format((self._base << 20) | self._counter, "x")


@dataclass(order=True)
class _Receipt:
    due: float
    order: int
    id: str = field(compare=False)
    system_id: str = field(compare=False)
    source: str = field(compare=False)          # of the message (the receipt goes to it)
    dest: str = field(compare=False)            # of the message (the receipt comes from it)
    payload: bytes = field(compare=False)
    submitted: datetime = field(compare=False)
    user_ref: int | None = field(compare=False)


class Log:
    """JSON lines, appended; one write and flush per line."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._file = None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            cut_short = False
            with open(self.path, "ab+") as existing:
                size = existing.seek(0, os.SEEK_END)
                if size:
                    existing.seek(size - 1)
                    cut_short = existing.read(1) != b"\n"
            self._file = open(self.path, "a", encoding="utf-8")
            if cut_short:
                self._file.write("\n")      # a line cut short by a kill: start on a line of our own
                self._file.flush()

    @staticmethod
    def read(path: str | os.PathLike) -> list[dict]:
        entries = []
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue        # the last line of a killed SMSC may be cut short
        return entries

    def write(self, event: str, **fields) -> None:
        if self._file:
            self._file.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None


class LocalSmsc:
    """The SMSC, in-process: `await smsc.start()` (listening when it returns), `await
    smsc.run()` (start if needed, then serve until `stop()`), `await smsc.stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2775, log_path: str | os.PathLike | None = None, *,
                 receipt_delay: float = 0.0, id_format: str = "hex", text_only_receipts: bool = False,
                 throttle_every: int = 0, system_id: str = "megabird-smsc",
                 deliver_timeout: float = DELIVER_TIMEOUT):
        if id_format not in ID_FORMATS:
            raise ValueError(f"id_format: one of {', '.join(ID_FORMATS)}")
        self.host, self.port, self.log_path = host, port, log_path
        self.receipt_delay = float(receipt_delay)
        self.id_format = id_format
        self.text_only_receipts = text_only_receipts
        self.throttle_every = int(throttle_every)
        self.system_id = system_id
        self.deliver_timeout = deliver_timeout
        self.submitted = 0              # submit_sm received (throttled ones included)
        self.accepted = 0
        self.receipts_sent = 0
        self._server: smpp34.Server | None = None
        self._log: Log | None = None
        self._ids: IdSource | None = None
        self._sessions: dict[str, smpp34.Esme] = {}        # session id -> bound ESME
        self._in_flight: dict[str, int] = {}                # session id -> deliver_sm unanswered
        self._answers: dict[str, bool] = {}                 # session id -> answers deliver_sm (once known)
        self._timers: list[_Receipt] = []                   # heap by due time
        self._ready: dict[str, deque[_Receipt]] = {}        # system_id -> receipts due
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    # --- lifecycle ---
    async def start(self) -> None:
        if self._server is not None:
            return
        self._stopped.clear()
        previous = Log.read(self.log_path) if self.log_path else []
        self._ids = IdSource(after=max((int(e["id"], 16) for e in previous if e.get("event") == "submit"),
                                       default=0))
        self._log = Log(self.log_path)
        self._requeue(previous)
        self._server = smpp34.Server(self.host, self.port, system_id=self.system_id,
                                     inbound_capacity=INBOUND_CAPACITY)
        await self._server.start()
        self._record("start", host=self.host, port=self.port, pid=os.getpid(), at=_now().isoformat(),
                     requeued=len(self._timers))
        self._spawn(self._serve())
        self._spawn(self._pump())

    async def run(self) -> None:
        await self.start()
        await self._stopped.wait()

    async def stop(self) -> None:
        if self._server is None:
            return
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.stop()
        self._server = None
        # what was owed stays in the log, which the next start reads again
        for table in (self._sessions, self._in_flight, self._answers, self._timers, self._ready):
            table.clear()
        self._record("stop", at=_now().isoformat())
        self._log.close()
        self._stopped.set()

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        """Until predicate(self) holds, checked again at each event the SMSC logs."""
        async def waiting():
            while not predicate(self):
                await self._changed.wait()
        await asyncio.wait_for(waiting(), timeout)

    def _record(self, event: str, **fields) -> None:
        self._log.write(event, **fields)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    @property
    def pending_receipts(self) -> int:
        return len(self._timers) + sum(len(q) for q in self._ready.values())

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- what the server hands us ---
    async def _serve(self) -> None:
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.SubmitSmEvent):
                try:
                    self._submit(event)
                except Exception:       # e.g. the log's disk is full: refuse it, keep serving
                    traceback.print_exc()
                    with contextlib.suppress(Exception):
                        event.reject(smpp34.ESME_RSYSERR)
            elif isinstance(event, smpp34.Esme):
                self._sessions[event.session_id] = event
                self._in_flight.setdefault(event.session_id, 0)
                self._record("bind", system_id=event.system_id, session=event.session_id,
                             can_receive=event.can_receive, at=_now().isoformat())
                self._wake.set()
            elif isinstance(event, smpp34.Unbound):
                self._sessions.pop(event.session_id, None)
                self._in_flight.pop(event.session_id, None)
                self._answers.pop(event.session_id, None)
                self._record("unbind", session=event.session_id, at=_now().isoformat())

    def _submit(self, event: smpp34.SubmitSmEvent) -> None:
        self.submitted += 1
        session = self._sessions.get(event.session_id)
        system_id = session.system_id if session else ""
        at = _now()
        if self.throttle_every and self.submitted % self.throttle_every == 0:
            self._record("throttled", system_id=system_id, source=event.source_addr,
                         dest=event.destination_addr, at=at.isoformat())
            event.reject(smpp34.ESME_RTHROTTLED)
            return
        udh, payload = split_udh(event.esm_class, event.short_message)
        user_ref = None
        for tlv in event.tlvs:
            if tlv.tag == TLV_USER_MESSAGE_REFERENCE:
                user_ref = int.from_bytes(tlv.value, "big")
            elif tlv.tag == TLV_MESSAGE_PAYLOAD and not payload:
                payload = tlv.value
        message_id = self._ids.next()
        self._record("submit", id=message_id, system_id=system_id, source=event.source_addr,
                     dest=event.destination_addr, dcs=event.data_coding, esm_class=event.esm_class,
                     udh=udh, payload=payload.hex(), user_ref=user_ref,
                     registered_delivery=event.registered_delivery, session=event.session_id,
                     at=at.isoformat())
        event.accept(message_id=message_id)
        self.accepted += 1
        if event.registered_delivery & 1 and outcome(event.destination_addr):
            self._schedule(_Receipt(0.0, 0, message_id, system_id, event.source_addr, event.destination_addr,
                                    payload, at, user_ref), at)

    # --- receipts ---
    def _schedule(self, receipt: _Receipt, submitted: datetime) -> None:
        remaining = (submitted + timedelta(seconds=self.receipt_delay) - _now()).total_seconds()
        receipt.due = asyncio.get_running_loop().time() + max(0.0, remaining)
        receipt.order = next(self._order)
        heapq.heappush(self._timers, receipt)
        self._wake.set()

    def _requeue(self, entries: list[dict]) -> None:
        """Receipts owed for the submits of an earlier run of this log."""
        reported = {e["id"] for e in entries if e.get("event") == "receipt"}
        for e in entries:
            if (e.get("event") == "submit" and e["id"] not in reported
                    and e.get("registered_delivery", 1) & 1 and outcome(e["dest"])):
                submitted = datetime.fromisoformat(e["at"])
                self._schedule(_Receipt(0.0, 0, e["id"], e["system_id"], e["source"], e["dest"],
                                        bytes.fromhex(e["payload"]), submitted, e.get("user_ref")), submitted)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            now = loop.time()
            while self._timers and self._timers[0].due <= now:
                receipt = heapq.heappop(self._timers)
                self._ready.setdefault(receipt.system_id, deque()).append(receipt)
            for system_id, queue in self._ready.items():
                while queue:
                    session = self._receiver(system_id)
                    if session is None:
                        break
                    self._in_flight[session.session_id] += 1
                    self._spawn(self._deliver(session, queue.popleft()))
            timeout = self._timers[0].due - now if self._timers else None
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    def _receiver(self, system_id: str) -> smpp34.Esme | None:
        """A receiving session of that system_id with room in its window: one known to answer
        deliver_sm first, then one not known yet, a silent one last; the least busy of them."""
        rank = {True: 0, None: 1, False: 2}
        candidates = [s for s in self._sessions.values()
                      if s.system_id == system_id and s.can_receive
                      and self._in_flight.get(s.session_id, SILENT_WINDOW) < self._window(s.session_id)]
        return min(candidates, key=lambda s: (rank[self._answers.get(s.session_id)], self._in_flight[s.session_id]),
                   default=None)

    def _window(self, session_id: str) -> int:
        return SILENT_WINDOW if self._answers.get(session_id) is False else RECEIPT_WINDOW

    async def _deliver(self, session: smpp34.Esme, receipt: _Receipt) -> None:
        """One deliver_sm. A failure or an error response keeps the receipt for a later try.
        No response at all: smpp34 1.5.0's server never hands us the deliver_sm_resp of an RX
        bind (TRX is fine), and an Esme does not say which of the two it is; a session still
        bound that never answered within `deliver_timeout` is taken as one of those ("silent"),
        its receipts as delivered (logged unconfirmed), so that an RX bind gets each receipt
        once instead of again and again. A session that did answer before and stops answering
        is stalled, not silent: its receipts are tried again."""
        sid = session.session_id
        answers = self._answers.get(sid)
        stat, err = outcome(receipt.dest)
        shown_id = format_id(receipt.id, self.id_format)
        text = receipt_text(shown_id, stat, err, receipt.submitted, _now(), receipt.payload)
        tlvs = [] if self.text_only_receipts else self._tlvs(shown_id, stat, err, receipt.user_ref)
        delivered, confirmed = False, True
        try:
            response = await asyncio.wait_for(
                session.deliver_sm(receipt.source, text.encode("ascii"), source_addr=receipt.dest,
                                   esm_class=ESM_RECEIPT, tlvs=tlvs),
                SILENT_WAIT if answers is False else self.deliver_timeout)
            delivered = response.is_success
            if sid in self._sessions:
                self._answers[sid] = True
        except TimeoutError:
            if sid in self._sessions and answers is not True:
                self._answers[sid] = False
                delivered, confirmed = True, False
        except (smpp34.SmppError, RuntimeError):
            pass                # the session died under it: keep the receipt
        finally:
            if sid in self._in_flight:
                self._in_flight[sid] -= 1
        if delivered:
            self.receipts_sent += 1
            self._record("receipt", id=receipt.id, stat=stat, err=err, shown_id=shown_id, session=sid,
                         confirmed=confirmed, at=_now().isoformat())
        else:
            receipt.due = asyncio.get_running_loop().time() + RETRY_AFTER
            receipt.order = next(self._order)
            heapq.heappush(self._timers, receipt)
        self._wake.set()

    @staticmethod
    def _tlvs(shown_id: str, stat: str, err: int, user_ref: int | None) -> list[smpp34.Tlv]:
        tlvs = [smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, shown_id.encode("ascii") + b"\0"),
                smpp34.Tlv(TLV_MESSAGE_STATE, bytes([MESSAGE_STATES[stat]])),
                smpp34.Tlv(TLV_NETWORK_ERROR_CODE, bytes([NETWORK_ERROR_GSM]) + err.to_bytes(2, "big"))]
        if user_ref is not None:
            tlvs.append(smpp34.Tlv(TLV_USER_MESSAGE_REFERENCE, user_ref.to_bytes(2, "big")))
        return tlvs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.gateways.smpp.smsc",
                                     description="A local SMSC for trying megabird's SMPP gateway (GW-03).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--log", help="JSON-lines log, appended (and read again at start)")
    parser.add_argument("--receipt-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--id-format", choices=ID_FORMATS, default="hex",
                        help="the form of the message id in receipts (submit_sm_resp: lower-case hex)")
    parser.add_argument("--text-only-receipts", action="store_true", help="receipts without TLVs")
    parser.add_argument("--throttle-every", type=int, default=0, metavar="N",
                        help="answer every Nth submit_sm with ESME_RTHROTTLED")
    parser.add_argument("--system-id", default="megabird-smsc", help="our system_id in bind responses")
    parser.add_argument("--deliver-timeout", type=float, default=DELIVER_TIMEOUT, metavar="SECONDS",
                        help="how long to wait for a deliver_sm_resp")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    smsc = LocalSmsc(args.host, args.port, args.log, receipt_delay=args.receipt_delay, id_format=args.id_format,
                     text_only_receipts=args.text_only_receipts, throttle_every=args.throttle_every,
                     system_id=args.system_id, deliver_timeout=args.deliver_timeout)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: loop.create_task(smsc.stop()))
        await smsc.start()
        print(f"local SMSC listening on {args.host}:{args.port}" + (f", log {args.log}" if args.log else ""),
              file=sys.stderr, flush=True)
        await smsc.run()

    try:
        asyncio.run(serve())
    except smpp34.SmppError as error:         # e.g. the port is taken
        print(f"local SMSC: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
