"""A small SMSC for what smpp34's own server cannot do (10-gateway.md GW-03): refuse a bind,
answer slowly or never, throttle, drop a link in the middle of a window. It speaks through
the library's codec: inbound PDUs are framed by their length and read with `smpp34.decode`,
deliver_sm goes out as `smpp34.DeliverSm(...).encode()`; the responses, for which the
library has no Python encoder, are a 16-octet header and a small body packed by `struct`.

It runs on its own event loop in a background thread, so that synchronous test code (and
a test's own `asyncio.run`) can start it, change its behaviour while it runs, and read
what it received:

    server = CodecSmsc(answer_delay=0.2).start()
    server.drop_after = 3            # behaviours are plain attributes, read at each PDU
    server.wait_for(lambda s: len(s.submits) >= 3)
    server.stop()

It also keeps what a test checks afterwards: every bind attempt, every submit_sm with the
status and message id it was answered with, and the most submit_sm ever unanswered at once
on one link (`max_in_flight`, the window the client kept).
"""
from __future__ import annotations

import asyncio
import struct
import threading
import time
from dataclasses import dataclass, field

import pytest
import smpp34

from tests.support.servers import free_port

BIND_IDS = {0x00000001: "RX", 0x00000002: "TX", 0x00000009: "TRX"}
SUBMIT_SM, DELIVER_SM_RESP, UNBIND, ENQUIRE_LINK = 0x00000004, 0x80000005, 0x00000006, 0x00000015
GENERIC_NACK, RESP = 0x80000000, 0x80000000
ESME_RINVCMDID, ESME_RTHROTTLED = 0x03, 0x58


def pack(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, sequence) + body


def _cstrings(body: bytes, count: int) -> list[str]:
    parts = body.split(b"\0", count)
    return [p.decode("latin-1") for p in parts[:count]] + [""] * (count - len(parts[:count]))


@dataclass
class BindAttempt:
    bind_type: str              # TX, RX or TRX
    system_id: str
    password: str
    system_type: str
    status: int                 # the command_status we answered with
    at: float = field(default_factory=time.monotonic)      # when it came (time.monotonic)


@dataclass
class Received:
    dest: str
    short_message: bytes
    sequence: int
    source: str = ""
    esm_class: int = 0
    data_coding: int = 0
    registered_delivery: int = 0
    tlvs: list = field(default_factory=list)
    answered: int | None = None     # the command_status sent back, None while unanswered
    message_id: str | None = None   # the id of its submit_sm_resp (an accepted one's)


class CodecSmsc:
    def __init__(self, port: int | None = None, *, system_id: str = "codec-smsc", refuse_bind: int = 0,
                 answer_delay: float = 0.0, drop_after: int = 0, throttle_every: int = 0,
                 never_answer: bool = False, refuse_dest: dict[str, int] | None = None):
        self.port = port or free_port()
        self.system_id = system_id
        self.refuse_bind = refuse_bind          # command_status of every bind_*_resp (0: accept)
        self.answer_delay = answer_delay        # seconds before each submit_sm_resp
        self.drop_after = drop_after            # the n-th submit_sm from now: take it, close its link
        self.throttle_every = throttle_every    # every n-th submit_sm (server-wide) ESME_RTHROTTLED
        self.never_answer = never_answer        # take submit_sm, never answer (enquire_link still is)
        self.refuse_dest = dict(refuse_dest or {})  # destination_addr -> command_status of its submit_sm_resp
        self.binds: list[BindAttempt] = []
        self.submits: list[Received] = []
        self.deliver_resps: list[tuple[int, int]] = []      # (sequence, command_status)
        self.enquire_links = 0
        self.unbinds = 0
        self.drops = 0                                      # links closed by drop_after
        self.max_in_flight = 0                              # most submit_sm unanswered at once on one link
        self._in_flight: dict[asyncio.StreamWriter, int] = {}
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._bound: list[asyncio.StreamWriter] = []
        self._sequence = 0x7000_0000
        self._message_ids = 0

    @property
    def drop_after(self) -> int:
        return self._drop_after

    @drop_after.setter
    def drop_after(self, n: int) -> None:
        """After taking the n-th submit_sm from now (on any link), close that link without
        answering the submit_sm still unanswered on it (the n-th among them). Fires once: it
        is 0 again afterwards."""
        self._drop_after, self._taken = n, 0

    # --- sync control, from the test's thread ---
    def start(self) -> "CodecSmsc":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"codec-smsc-{self.port}", daemon=True)
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._close(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def drop_links(self) -> None:
        """Close every open connection now, answering nothing more."""
        self._call(self._drop_all())

    def deliver(self, dest: str, short_message: bytes, *, source: str = "", esm_class: int = 0x04,
                tlvs: list | None = None) -> int:
        """Sends a deliver_sm on the latest bound receiving link; returns its sequence number
        (its response lands in `deliver_resps`)."""
        return self._call(self._deliver(dest, short_message, source, esm_class, tlvs or []))

    def wait_for(self, predicate, timeout: float = 5.0) -> None:
        """Blocks until predicate(self) holds (re-checked at each recorded event)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(f"codec SMSC: condition not met within {timeout}s")

    def _call(self, coroutine, timeout: float = 5.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _record(self, update) -> None:
        with self._changed:
            update()
            self._changed.notify_all()

    # --- the server, on its own loop ---
    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _close(self) -> None:
        self._server.close()
        await self._drop_all()
        await self._server.wait_closed()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    async def _deliver(self, dest, short_message, source, esm_class, tlvs) -> int:
        writer = next(w for w in reversed(self._bound) if not w.is_closing())
        self._sequence += 1
        writer.write(smpp34.DeliverSm(source, dest, short_message, esm_class=esm_class, tlvs=tlvs,
                                      sequence_number=self._sequence).encode())
        return self._sequence

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        pending: set[asyncio.Task] = set()
        try:
            while True:
                header = await reader.readexactly(4)
                length = struct.unpack(">I", header)[0]
                data = header + await reader.readexactly(length - 4)
                pdu = smpp34.decode(data)
                command_id, sequence = pdu.command_id, pdu.sequence_number
                if command_id in BIND_IDS:
                    self._bind(writer, pdu)
                elif command_id == SUBMIT_SM:
                    received = self._take(writer, pdu)
                    self._taken += 1
                    if self._drop_after and self._taken >= self._drop_after:    # taken, never answered
                        self._drop_after = 0
                        self._record(lambda: setattr(self, "drops", self.drops + 1))
                        return
                    task = self._answer(writer, received)
                    if task is not None:
                        pending.add(task)
                        task.add_done_callback(pending.discard)
                elif command_id == ENQUIRE_LINK:
                    self._record(lambda: setattr(self, "enquire_links", self.enquire_links + 1))
                    writer.write(pack(ENQUIRE_LINK | RESP, sequence))
                elif command_id == UNBIND:
                    self._record(lambda: setattr(self, "unbinds", self.unbinds + 1))
                    writer.write(pack(UNBIND | RESP, sequence))
                    await writer.drain()
                    return
                elif command_id == DELIVER_SM_RESP:
                    self._record(lambda: self.deliver_resps.append((sequence, pdu.command_status)))
                elif not command_id & RESP:
                    writer.write(pack(GENERIC_NACK, sequence, status=ESME_RINVCMDID))
        except (asyncio.IncompleteReadError, ConnectionError, smpp34.SmppError):
            pass
        finally:
            for task in pending:
                task.cancel()
            self._writers.discard(writer)
            self._in_flight.pop(writer, None)
            if writer in self._bound:
                self._bound.remove(writer)
            writer.transport.abort()

    def _bind(self, writer: asyncio.StreamWriter, pdu) -> None:
        system_id, password, system_type = _cstrings(pdu.body, 3)
        status = self.refuse_bind
        self._record(lambda: self.binds.append(
            BindAttempt(BIND_IDS[pdu.command_id], system_id, password, system_type, status)))
        body = b"" if status else self.system_id.encode() + b"\0"
        writer.write(pack(pdu.command_id | RESP, pdu.sequence_number, body, status))
        if not status and pdu.command_id != 0x00000002:
            self._bound.append(writer)

    def _take(self, writer: asyncio.StreamWriter, pdu) -> Received:
        received = Received(pdu.destination_addr, pdu.short_message, pdu.sequence_number, pdu.source_addr,
                            pdu.esm_class, pdu.data_coding, pdu.registered_delivery, list(pdu.tlvs))

        def update():
            self.submits.append(received)
            self._in_flight[writer] = self._in_flight.get(writer, 0) + 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight[writer])
        self._record(update)
        return received

    def _answer(self, writer: asyncio.StreamWriter, received: Received) -> asyncio.Task | None:
        if self.never_answer:
            return None
        throttled = self.throttle_every and len(self.submits) % self.throttle_every == 0
        status = self.refuse_dest.get(received.dest) or (ESME_RTHROTTLED if throttled else 0)
        if not status:
            self._message_ids += 1
        body = b"" if status else f"c{self._message_ids:08x}".encode() + b"\0"
        if not self.answer_delay:
            self._write_answer(writer, received, body, status)
            return None
        return asyncio.get_running_loop().create_task(self._answer_later(writer, received, body, status))

    async def _answer_later(self, writer: asyncio.StreamWriter, received: Received, body: bytes,
                            status: int) -> None:
        await asyncio.sleep(self.answer_delay)
        self._write_answer(writer, received, body, status)

    def _write_answer(self, writer: asyncio.StreamWriter, received: Received, body: bytes, status: int) -> None:
        if writer.is_closing():
            return
        writer.write(pack(SUBMIT_SM | RESP, received.sequence, body, status))

        def update():
            received.answered = status
            received.message_id = body[:-1].decode() if body else None
            if writer in self._in_flight:
                self._in_flight[writer] -= 1
        self._record(update)


@pytest.fixture
def codec_smsc():
    """codec_smsc(**behaviours): a started CodecSmsc, stopped when the test ends."""
    started = []

    def start(**behaviours) -> CodecSmsc:
        server = CodecSmsc(**behaviours).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
