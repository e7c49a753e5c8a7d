"""One transceiver bind to an SMSC (GW-03), on smpp34: the library keeps the PDUs, the
sequence numbers, its window and enquire_link in its Rust core; this class says what
megabird needs to know of each submit_sm — accepted with the SMSC's id, refused with a
status (throttled or not), or *unanswered* (the link died or the SMSC never answered),
which the connector must treat as written."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import NamedTuple

import smpp34

from app.gateways.smpp import encoding, receipts

log = logging.getLogger(__name__)

RECEIPT_ESM = 0x04                 # esm_class of an SMSC delivery receipt (SMPP 3.4 5.2.12)
THROTTLED = (0x58, 0x14)           # ESME_RTHROTTLED, ESME_RMSGQFUL: try the same PDU again later
RESPONSE_TIMEOUT = 30.0            # seconds a submit_sm may wait for its response
#: deliver_sm the library may hold for us: an SMSC coming back sends every receipt it kept
#: at once, and a small queue makes the library refuse them
INBOUND_CAPACITY = 65_536


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    binds: int = 1
    window: int = 50
    throughput: int = 0            # PDUs per second, all connectors together (0: no limit)
    batch_size: int = 500
    #: seconds to wait for bind_resp: smpp34 does not report a refused bind, it times out
    connect_timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(host=config["SMPP_HOST"], port=int(config["SMPP_PORT"]), system_id=config["SMPP_SYSTEM_ID"],
                   password=config["SMPP_PASSWORD"], system_type=config.get("SMPP_SYSTEM_TYPE") or "",
                   binds=max(int(config["SMPP_BINDS"]), 1), window=max(int(config["SMPP_WINDOW"]), 1),
                   throughput=max(int(config["SMPP_THROUGHPUT"]), 0),
                   batch_size=max(int(config["SMPP_BATCH_SIZE"]), 1),
                   connect_timeout=float(config.get("SMPP_CONNECT_TIMEOUT_SECONDS", 10)))


class Answer(NamedTuple):
    """What became of one submit_sm: `accepted` (with the SMSC's id), `refused` (the SMSC's
    command_status), `throttled` (refused for now: send it again), `unanswered` (it may
    have left: never send it again), or `unwritten` (the link was gone before it was tried)."""
    outcome: str
    smsc_id: str | None = None
    status: int | None = None


class BindFailed(Exception):
    pass


class Link:
    """A bound session; `closed` once the SMSC or the network ended it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client: smpp34.Client | None = None
        self.smsc: smpp34.Smsc | None = None
        self.closed = False
        self.pause_until = 0.0         # loop time before which this bind submits nothing (throttled)

    async def open(self) -> None:
        s = self.settings
        self.client = smpp34.Client(host=s.host, port=s.port, system_id=s.system_id, password=s.password,
                                    bind_type="TRX", system_type=s.system_type, window_size=s.window,
                                    inbound_capacity=INBOUND_CAPACITY,
                                    connect_timeout_ms=int(s.connect_timeout * 1000))
        try:
            self.smsc = await asyncio.wait_for(self.client.connect(), s.connect_timeout + 5)
        except (smpp34.SmppError, OSError, RuntimeError, asyncio.TimeoutError) as exc:
            self.closed = True
            raise BindFailed(str(exc) or type(exc).__name__) from exc

    async def alive(self) -> bool:
        if self.closed or self.client is None:
            return False
        try:
            return bool(await self.client.is_alive())
        except Exception:  # noqa: BLE001 - a dead client may raise anything; it is dead
            return False

    async def submit(self, segment: encoding.Segment, *, source: str, destination: str,
                     user_reference: int) -> Answer:
        if self.closed or self.smsc is None:
            return Answer("unwritten")
        tlvs = [smpp34.Tlv(smpp34.TLV_USER_MESSAGE_REFERENCE, user_reference.to_bytes(2, "big"))]
        try:
            resp = await asyncio.wait_for(self.smsc.submit_sm(
                destination, segment.short_message, source_addr=source, esm_class=segment.esm_class,
                data_coding=segment.data_coding, registered_delivery=1, tlvs=tlvs), RESPONSE_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("submit_sm to %s: no response within %.0f s", destination, RESPONSE_TIMEOUT)
            return Answer("unanswered")
        except smpp34.SmppError as exc:
            log.debug("submit_sm to %s failed: %s", destination, exc)     # the connector logs the batch's
            if await self.alive():          # the SMSC answered with a NAK: it did not take it
                return Answer("refused", status=_status_of(exc))
            self.closed = True
            return Answer("unanswered")
        except Exception:  # noqa: BLE001 - whatever the link's end looks like, the PDU may have left
            self.closed = not await self.alive()
            return Answer("unanswered")
        if resp.is_success:
            return Answer("accepted", smsc_id=receipts.normalize_id(resp.message_id or ""))
        if resp.command_status in THROTTLED:
            return Answer("throttled", status=resp.command_status)
        return Answer("refused", status=resp.command_status)

    async def next_deliver(self):
        """The next deliver_sm, or None once the session ended."""
        if self.smsc is None:
            return None
        try:
            event = await self.smsc.next()
        except Exception:  # noqa: BLE001 - an ended session
            event = None
        if isinstance(event, smpp34.DeliverSmEvent):
            return event
        self.closed = True
        return None

    async def unbind(self) -> None:
        """Ask the SMSC to end the session (what it already sent can still be read)."""
        self.closed = True
        try:
            if self.smsc is not None:
                await asyncio.wait_for(self.smsc.unbind(), 5)
        except Exception:  # noqa: BLE001 - a link that is already gone
            pass

    async def close(self) -> None:
        self.closed = True
        try:
            if self.client is not None:
                await asyncio.wait_for(self.client.stop(), 5)
        except Exception:  # noqa: BLE001
            pass


def _status_of(exc: Exception) -> int:
    """The command_status smpp34 names in its error text, e.g. 'ESME_RSYSERR (0x00000008)'."""
    text = str(exc)
    if "(0x" in text:
        try:
            return int(text.split("(0x", 1)[1].split(")", 1)[0], 16)
        except ValueError:
            pass
    return 0x08
