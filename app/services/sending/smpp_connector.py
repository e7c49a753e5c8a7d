"""The SMPP connector process (`flask megabird smpp-connector`, 10-gateway.md GW-03).

It holds SMPP_BINDS transceiver binds to the SMSC and keeps each busy: a bound link claims
a batch (handover.Claimer: the in-progress sends in turn, shared with every other connector
through the database), records the next window of messages as possibly written before
their PDUs go (`mark_written`), writes them with at most SMPP_WINDOW submit_sm awaiting
their responses, and writes the answers back (`submitted` with the SMSC's ids, refused,
`unknown`, or back to `pending` when the link was gone before they were tried). The PDUs
per second of all connectors together stay within SMPP_THROUGHPUT (a counter in Redis);
ESME_RTHROTTLED or a full queue pauses the bind and sends the same PDU again; a lost link
is bound again with backoff (0.5 s doubling to 30 s, with jitter). Every deliver_sm goes to
`smpp_receipt` within RECEIPT_FLUSH seconds, where the report jobs read it (the SMPP
gateway's poll_reports): receipts reach messages through the same SQL as the sandbox's.

The batches' SQL runs in one thread with the app context (`Database`), one call at a
time, the receipts' in another (so that they are stored within RECEIPT_FLUSH seconds
whatever a batch is doing); the event loop only moves PDUs. smpp34 acknowledges a deliver_sm itself when it arrives, before
the receipt is committed: a connector killed in those milliseconds loses that receipt, and
its message ends by the 49-hour timeout, free."""
from __future__ import annotations

import asyncio
import logging
import random
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from app import clock, processes
from app.extensions import db
from app.gateways import OutboundMessage
from app.gateways.smpp import encoding, receipts
from app.gateways.smpp.gateway import USER_REFERENCE_MODULO, receipt_row, store_receipts
from app.gateways.smpp.session import Answer, BindFailed, Link, Settings
from app.services.sending import handover
from app.services.shared.throughput import SharedRate

log = logging.getLogger(__name__)

GATEWAY = "sms"
IDLE = 0.2                    # seconds between looks for work when there is none
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
PAUSE_FIRST, PAUSE_MAX = 0.2, 5.0      # after ESME_RTHROTTLED
RECEIPT_FLUSH = 0.05
HEARTBEAT = 30.0
DRAIN_TIMEOUT = 10.0          # seconds a link's last receipts may take after its end              # seconds between a held batch's signs of life
RECEIPT_ESM = 0x04 | 0x20     # esm_class: an SMSC delivery receipt, or an intermediate notification


TEXT_REFUSED = "SMPP-TEXT"     # a text no SMPP message can carry (more than 255 segments)


def code_of(status: int) -> str:
    """megabird's result code for an SMSC's refusal (app/domain/results.py knows a few)."""
    return f"SMPP-{status:04X}"


class Database:
    """Every SQL call of the connector, one at a time, in one thread holding the app context."""

    def __init__(self, app):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="smpp-db", initializer=self._enter, initargs=(app,))

    @staticmethod
    def _enter(app) -> None:
        app.app_context().push()

    @staticmethod
    def _run(fn, args):
        try:
            return fn(*args)
        except BaseException:
            db.session.rollback()
            raise

    async def __call__(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._run, fn, args)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class Connector:
    def __init__(self, app, settings: Settings, *, redis_url: str | None, stop: asyncio.Event | None = None):
        self.settings = settings
        self.db = Database(app)
        self.receipts_db = Database(app)     # receipts never wait behind a batch's SQL
        self.claimer = handover.Claimer(GATEWAY, settings.batch_size, owner=processes.current())
        self.rate = SharedRate(redis_url, f"megabird:smpp:{settings.system_id}:pdus", settings.throughput,
                               block=min(settings.window, 50))
        self.inbox: list[dict] = []
        self.stats: Counter = Counter()
        self.stop = stop or asyncio.Event()
        self.bound = 0

    # --- the process ---------------------------------------------------------------------------------------

    async def run(self) -> Counter:
        flusher = asyncio.create_task(self._flush_forever())
        try:
            await asyncio.gather(*(self._bind(n) for n in range(self.settings.binds)))
        finally:
            flusher.cancel()
            await self._flush()
            await self.rate.close()
            self.db.close()
            self.receipts_db.close()
        return self.stats

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _bind(self, number: int) -> None:
        backoff = BACKOFF_FIRST
        s = self.settings
        while not self.stop.is_set():
            link = Link(s)
            try:
                await link.open()
            except BindFailed as exc:
                self.stats["bind_failures"] += 1
                log.warning("SMPP bind %d to %s:%d as %s failed (%s); again in %.1f s", number, s.host, s.port,
                            s.system_id, exc, backoff)
                await self._pause(backoff * (1 + random.random() / 5))
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            self.stats["binds"] += 1
            self.bound += 1
            log.warning("SMPP bind %d to %s:%d as %s is up", number, s.host, s.port, s.system_id)
            backoff = BACKOFF_FIRST
            receiver = asyncio.create_task(self._receive(link))
            try:
                await self._serve(link)
            finally:
                self.bound -= 1
                await self._drain(link, receiver)
            if not self.stop.is_set():
                self.stats["links_lost"] += 1
                log.warning("SMPP bind %d lost its link; binding again", number)
                await self._pause(backoff * random.random())

    async def _drain(self, link: Link, receiver: asyncio.Task) -> None:
        """End a link without losing what it brought: smpp34 has acknowledged every deliver_sm
        it queued, so the receiver reads on until the session says it ended."""
        if not link.closed:
            await link.unbind()
        try:
            await asyncio.wait_for(receiver, DRAIN_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("SMPP: the link did not end within %.0f s of its unbind", DRAIN_TIMEOUT)
        await link.close()

    async def _serve(self, link: Link) -> None:
        """Batches one after the other, pipelined: the next one is claimed (and its first
        window recorded) while the last window of this one awaits its answers, and a
        batch's answers are written while the next one goes out."""
        closing: set[asyncio.Task] = set()
        ahead: asyncio.Task | None = None
        window = asyncio.Semaphore(self.settings.window)       # the link's, shared by its batches
        try:
            while not self.stop.is_set() and not link.closed:
                batch = await ahead if ahead is not None else None
                ahead = None
                if batch is None:
                    system = await self.db(handover.system_messages_due, clock.now())
                    if system:      # verification codes first; claimed at most once, like the gateway's
                        await self._send_system(link, system, window)
                        continue
                    batch = await self.db(self._claim, clock.now())
                if batch is None:
                    await self._pause(IDLE)
                    continue
                ahead = await self._send_batch(link, batch, closing, window)
        finally:
            if ahead is not None:       # claimed for a link that is gone: nothing of it was written
                batch = await ahead
                if batch is not None:
                    await self.db(self._close, batch, [], [], [], [int(m.ref) for m in batch.messages])
            if closing:
                await asyncio.gather(*closing, return_exceptions=True)

    def _claim(self, now) -> handover.Batch | None:
        """(database thread) The next batch, its first window already recorded as written."""
        batch = self.claimer.claim(now)
        if batch is not None and batch.messages:
            batch.messages.sort(key=lambda m: int(m.ref))
            batch.covered = min(self.settings.window, len(batch.messages))
            handover.mark_written(batch.token, int(batch.messages[batch.covered - 1].ref), now)
        return batch

    def _close(self, batch: handover.Batch, accepted, refused, unknown, unwritten) -> None:
        """(database thread)"""
        handover.close_batch(batch.token, batch.send_id, accepted=accepted, refused=refused, unknown=unknown,
                             unwritten=unwritten, now=clock.now())

    # --- receipts ------------------------------------------------------------------------------------------

    async def _receive(self, link: Link) -> None:
        while True:
            event = await link.next_deliver()
            if event is None:
                return
            self.inbox.append(self._receipt(event))
            self.stats["receipts"] += 1

    def _receipt(self, event) -> dict:
        tlvs = {t.tag: t.value for t in event.tlvs}
        is_receipt = bool(event.esm_class & RECEIPT_ESM)
        if is_receipt:
            parsed = receipts.parse(event.short_message, tlvs)
            text = event.short_message.decode("ascii", "replace")
        else:       # a mobile-originated message: kept for staff, in its own coding
            parsed = receipts.Receipt(None, None, None, None, None, None, None)
            try:
                text = encoding.decode(event.short_message, event.data_coding)
            except ValueError:
                text = event.short_message.decode("utf-8", "replace")
        return receipt_row(parsed, kind="receipt" if is_receipt else "mo", system_id=self.settings.system_id,
                           source=event.source_addr, destination=event.destination_addr,
                           received_at=clock.now(), text=text[:2000])

    async def _flush(self) -> None:
        """The receipts received so far into `smpp_receipt`; kept here until that commits."""
        if self.inbox:
            rows = self.inbox[:]
            await self.receipts_db(store_receipts, rows)
            del self.inbox[:len(rows)]

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(RECEIPT_FLUSH)
            try:
                await self._flush()
            except Exception:  # noqa: BLE001 - the database is away: keep them and try again
                log.exception("SMPP receipts not stored yet")

    # --- one batch -----------------------------------------------------------------------------------------

    async def _mark(self, token: str, ids: list[int], start: int) -> int:
        """Record the window from `start` as possibly written; returns what it covers."""
        covered = min(start + self.settings.window, len(ids))
        await self.db(handover.mark_written, token, ids[covered - 1], clock.now())
        return covered

    async def _send_batch(self, link: Link, batch: handover.Batch, closing: set,
                          window: asyncio.Semaphore) -> asyncio.Task | None:
        """Write one batch's PDUs; returns once all are written (their answers are awaited
        and written by a task added to `closing`, while the next batch goes out in the same
        window) with the claim of the next batch, made meanwhile (None when stopping or the
        link is gone)."""
        messages = sorted(batch.messages, key=lambda m: int(m.ref))
        ids = [int(m.ref) for m in messages]
        beat = asyncio.create_task(self._heartbeat(batch.token))
        tasks: list[asyncio.Task] = []
        covered, marking = batch.covered, None      # the record comes before the PDUs it covers
        started = 0
        ahead = None
        try:
            for i, message in enumerate(messages):
                await window.acquire()
                if link.closed or self.stop.is_set():
                    window.release()
                    break
                if i >= covered:
                    covered = await (marking or self._mark(batch.token, ids, i))
                    marking = None
                if marking is None and covered < len(ids) and i >= covered - self.settings.window // 2:
                    marking = asyncio.create_task(self._mark(batch.token, ids, covered))     # the next, ahead
                tasks.append(asyncio.create_task(self._message(link, message, window)))
                started += 1
            if marking is not None:
                await marking
            if not (link.closed or self.stop.is_set()):
                ahead = asyncio.create_task(self.db(self._claim, clock.now()))
        except BaseException:
            beat.cancel()
            raise
        finisher = asyncio.create_task(self._finish(batch, ids, tasks, started, beat))
        closing.add(finisher)
        finisher.add_done_callback(self._closed(closing, batch.token))
        return ahead

    async def _finish(self, batch: handover.Batch, ids: list[int], tasks: list[asyncio.Task], started: int,
                      beat: asyncio.Task) -> None:
        """A batch's answers, once all have come, written in one transaction."""
        try:
            answers = await asyncio.gather(*tasks)
        finally:
            beat.cancel()
        accepted, refused, unknown = [], [], []
        unwritten = ids[started:]
        for message_id, (outcome, data) in zip(ids, answers):
            if outcome == "accepted":
                accepted.append((message_id, data))
            elif outcome == "refused":
                refused.append((message_id, data))
            elif outcome == "unwritten":
                unwritten.append(message_id)
            else:
                unknown.append(message_id)
        self.stats.update(accepted=len(accepted), refused=len(refused), unknown=len(unknown),
                          released=len(unwritten), batches=1)
        if unknown:
            log.warning("SMPP: %d messages written without an answer are now unknown (batch %s)", len(unknown),
                        batch.token)
        await self.db(self._close, batch, accepted, refused, unknown, unwritten)

    @staticmethod
    def _closed(closing: set, token: str):
        def done(task: asyncio.Task) -> None:
            closing.discard(task)
            if not task.cancelled() and task.exception() is not None:     # the tick's recovery takes it
                log.error("SMPP: the answers of batch %s were not written (%s)", token, task.exception())
        return done

    async def _send_system(self, link: Link, messages: list[OutboundMessage], window: asyncio.Semaphore) -> None:
        tasks = []
        for message in messages:
            await window.acquire()
            tasks.append(asyncio.create_task(self._message(link, message, window)))
        answers = await asyncio.gather(*tasks)
        accepted = [(int(m.ref), data) for m, (outcome, data) in zip(messages, answers) if outcome == "accepted"]
        await self.db(handover.record_system, accepted, clock.now())
        lost = len(messages) - len(accepted)
        self.stats.update(system=len(accepted), system_lost=lost)
        if lost:
            log.warning("SMPP: %d of megabird's own messages (verification codes) did not reach the SMSC", lost)

    async def _heartbeat(self, token: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.db(handover.heartbeat, token, clock.now())

    async def _message(self, link: Link, message: OutboundMessage, window: asyncio.Semaphore):
        """One message's PDUs, in order (the first one's window slot is already taken):
        ("accepted", SMSC ids) | ("refused", code) | ("unknown", None) | ("unwritten", None)."""
        try:
            segments = encoding.segments(encoding.wire_text(message.text, message.title), ref=int(message.ref) & 0xFF)
        except ValueError:              # more than 255 segments: nothing was written
            window.release()
            return "refused", TEXT_REFUSED
        reference = int(message.ref) % USER_REFERENCE_MODULO
        smsc_ids: list[str] = []
        for n, segment in enumerate(segments):
            if n:
                await window.acquire()
            try:
                answer = await self._submit(link, segment, message, reference)
            finally:
                window.release()
            if answer.outcome == "accepted":
                smsc_ids.append(answer.smsc_id or "")
            elif answer.outcome == "refused":
                return "refused", code_of(answer.status or 0)
            elif answer.outcome == "unwritten" and not smsc_ids:
                return "unwritten", None
            else:                       # unanswered, or cut off after some of its segments left
                return "unknown", None
        return "accepted", smsc_ids

    async def _submit(self, link: Link, segment: encoding.Segment, message: OutboundMessage,
                      reference: int) -> Answer:
        """One PDU, sent again after a pause while the SMSC says it is throttled."""
        loop = asyncio.get_running_loop()
        pause = PAUSE_FIRST
        while True:
            wait = link.pause_until - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.rate.acquire(1)
            answer = await link.submit(segment, source=message.sender, destination=message.recipient,
                                       user_reference=reference)
            self.stats["pdus"] += answer.outcome != "unwritten"
            if answer.outcome != "throttled":
                return answer
            self.stats["throttled"] += 1
            link.pause_until = max(link.pause_until, loop.time() + pause)
            pause = min(pause * 2, PAUSE_MAX)


def main(app) -> None:
    """Run the connector until SIGTERM or SIGINT; the batch in hand is finished first."""
    settings = Settings.from_config(app.config)

    async def run():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        connector = Connector(app, settings, redis_url=app.config.get("REDIS_URL"), stop=stop)
        stats = await connector.run()
        log.warning("SMPP connector stopped: %s", dict(stats))

    asyncio.run(run())
