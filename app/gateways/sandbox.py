"""The sandbox carrier (10-gateway.md): deterministic, no sleeps. The last two digits
of the recipient decide the result (GW-02); reports become available at a simulated
time that the tick's `now` reaches. It keeps its own database (app/models/sandbox.py,
SANDBOX_DATABASE_URL), as a remote system would, and deduplicates by client reference:
a reference submitted again is the same message (counted, a defect the tests look for).

It also plays the 080 provider (SND-09): the recipient of an ad whose number ends in 94
reads the ad's 무료거부 line and calls it — the report then carries that call (number
called, code entered, caller), which names the account as a real call would."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import case, func, select, update

from app import bulk
from app.domain import friendtalk
from app.domain.optout080 import parse_footer
from app.extensions import db
from app.gateways.base import Gateway, OutboundMessage, Receipt, Report
from app.models import SenderNumber
from app.models.sandbox import BIND, SandboxBase, SandboxMessage

REPORT_DELAY = dt.timedelta(seconds=5)      # SANDBOX_REPORT_DELAY_SECONDS sets it (the benchmarks: 0)
SLOW_REPORT_DELAY = dt.timedelta(minutes=30)
LEASE = dt.timedelta(minutes=2)       # a poller's hold on the reports it took, until it acks them
KAKAO_CHANNELS = ("alimtalk", "friendtalk")

_SMS_FAILURES = {90: "3001", 91: "3002", 92: "3003", 93: "3004", 94: "3005", 95: "3006",
                 96: "3007", 97: "3099"}
#: Kakao's raw codes (10-gateway.md): 80–88 fail on Kakao only, 90–97 on Kakao and SMS alike
_KAKAO_FAILURES = {80: "3019", 81: "3008", 82: "3018", 83: "3016", 84: "3024", 85: "1030",
                   86: "1021", 87: "1025", 88: "3000", 93: "3008", 97: "3000"}
SENDER_NOT_APPROVED = "3010"
BRAND_MESSAGE_HOURS = "3022"


def create_store(engine) -> None:
    """The sandbox's tables in its own database (idempotent; at start-up)."""
    SandboxBase.metadata.create_all(engine, checkfirst=True)


def _store():
    return db.engines[BIND]


def _reading():
    """A connection of the sandbox's store for a read (on SQLite a deferred transaction,
    which does not wait for the writers)."""
    return _store().connect().execution_options(megabird_read_only=True)


def report_delay() -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config.get("SANDBOX_REPORT_DELAY_SECONDS",
                                                             REPORT_DELAY.total_seconds())))


def magic_result(channel: str, recipient: str, delay: dt.timedelta = REPORT_DELAY
                 ) -> tuple[str | None, dt.timedelta | None]:
    """(raw code, report delay) for a recipient; (None, None) when never reported."""
    last_two = int(recipient[-2:]) if recipient[-2:].isdigit() else 0
    if last_two == 98:
        return None, None
    if last_two == 89:
        delay = SLOW_REPORT_DELAY
    if channel in KAKAO_CHANNELS:
        if last_two in _KAKAO_FAILURES:
            return _KAKAO_FAILURES[last_two], delay
        if 90 <= last_two <= 96:
            return "3018", delay
        return "1000", delay
    if last_two in _SMS_FAILURES:
        return _SMS_FAILURES[last_two], delay
    return "0000", delay


class SandboxGateway(Gateway):
    name = "sandbox"
    deduplicates = True

    def __init__(self, throughput_limit: int = 0, deduplicates: bool = True, operators_review: bool = True):
        self.throughput_limit = throughput_limit
        # SANDBOX_OPERATORS_REVIEW=0 makes it play a dealer that reviews templates itself
        # (the staff queue then decides nothing; the tests use it)
        self.reviews_templates_by_operators = operators_review
        # SANDBOX_DEDUPLICATES=0 makes it play an SMSC that must be told each message once:
        # dispatch then records every message before and after the call (the tests use it)
        self.deduplicates = deduplicates

    # One bulk write for the whole batch: a repeated client reference is the same message,
    # counted in submit_count (a defect if ever > 1).
    COLUMNS = {"client_ref": "varchar(64)", "channel": "varchar(16)", "account_id": "integer",
               "sender": "varchar(40)", "recipient": "varchar(20)", "title": "varchar(200)", "text": "text",
               "image_count": "integer", "submitted_at": "timestamp", "submit_count": "integer",
               "result_code": "varchar(16)", "optout_number": "varchar(20)", "report_due_at": "timestamp"}

    @staticmethod
    def _approved_senders(messages: list[OutboundMessage]) -> set[tuple[int, str]]:
        """The numbers the carrier accepts: our approved sender numbers (the sandbox plays
        the carrier's registry of them, read from our database)."""
        pairs = {(m.account_id, m.sender) for m in messages
                 if m.account_id is not None and m.channel not in KAKAO_CHANNELS}
        if not pairs:
            return set()
        accounts = {a for a, _ in pairs}
        with db.engine.connect().execution_options(megabird_read_only=True) as conn:
            rows = conn.execute(select(SenderNumber.account_id, SenderNumber.number).where(
                SenderNumber.account_id.in_(accounts), SenderNumber.status == "approved")).all()
        return {(r.account_id, r.number) for r in rows}

    def submit(self, messages: list[OutboundMessage], now: dt.datetime) -> list[Receipt]:
        if not messages:
            return []
        approved = self._approved_senders(messages)
        delay = report_delay()
        with _store().begin() as conn:
            stamp = bulk.time_binder(conn)
            submitted_at = stamp(now)
            due = {d: stamp(now + d) for d in (delay, SLOW_REPORT_DELAY)}
            rows = []
            for m in messages:
                code, wait = magic_result(m.channel, m.recipient, delay)
                if m.channel == "friendtalk" and not friendtalk.in_hours(now):
                    code, wait = BRAND_MESSAGE_HOURS, delay     # Kakao refuses a Brand Message outside 08:00–20:50
                if (m.account_id is not None and m.channel not in KAKAO_CHANNELS
                        and (m.account_id, m.sender) not in approved):
                    code, wait = SENDER_NOT_APPROVED, delay
                rows.append((m.ref, m.channel, m.account_id, m.sender, m.recipient, m.title, m.text,
                             len(m.images), submitted_at, 1, code, m.recipient if code == "3005" else None,
                             due[wait] if wait is not None else None))
            accepted = [Receipt(m.ref, True, "SBX-" + m.ref) for m in messages]
            bulk.upsert_counting(conn, "sandbox_message", self.COLUMNS, rows, conflict="client_ref",
                                 on_conflict="submit_count = sandbox_message.submit_count + 1")
        return accepted

    def _due(self, now: dt.datetime):
        table = SandboxMessage.__table__.c
        return ((table.acked_at.is_(None)) & (table.report_due_at <= now)
                & (table.leased_until.is_(None) | (table.leased_until <= now)))

    def has_reports(self, now: dt.datetime) -> bool:
        with _reading() as conn:
            return conn.scalar(select(SandboxMessage.id).where(self._due(now)).limit(1)) is not None

    def poll_reports(self, now: dt.datetime, limit: int) -> list[Report]:
        """Due reports, leased to this poller until `now + LEASE`: a second poller meanwhile
        gets others. Unacknowledged ones come again once the lease has run out."""
        table = SandboxMessage.__table__
        pick = (select(table.c.id).where(self._due(now))
                .order_by(table.c.report_due_at, table.c.id).limit(limit).scalar_subquery())
        # an opted-out recipient's text is read for the 무료거부 line it would call
        optout_text = case((table.c.optout_number.is_not(None), table.c.text), else_=None)
        with _store().begin() as conn:
            rows = conn.execute(update(table).where(table.c.id.in_(pick)).values(leased_until=now + LEASE)
                                .returning(table.c.id, table.c.client_ref, table.c.result_code,
                                           table.c.report_due_at, table.c.optout_number, optout_text)).all()
        return [self._report(*row) for row in rows]

    @staticmethod
    def _report(row_id, ref, code, at, optout, text) -> Report:
        """A report; for an opted-out recipient of an ad, with the call it makes to the ad's
        080 number (and code) — a message without a 무료거부 line gives only the number."""
        footer = parse_footer(text) if optout else None
        if footer is None:
            return Report(ref, code, at, str(row_id), optout)
        return Report(ref, code, at, str(row_id), optout, footer[0], footer[1])

    def ack_reports(self, reports: list[Report], now: dt.datetime) -> None:
        ids = [int(r.report_id) for r in reports if r.report_id]
        if not ids:
            return
        with _store().begin() as conn:
            stamp = bulk.time_binder(conn)(now)
            for start in range(0, len(ids), bulk.IN_LIST):
                chunk = ids[start:start + bulk.IN_LIST]
                conn.exec_driver_sql(f"UPDATE sandbox_message SET acked_at = {bulk.marks(conn, 1)} "
                                     f"WHERE id IN ({bulk.marks(conn, len(chunk))})", (stamp, *chunk))

    def lookup(self, refs: list[str], now: dt.datetime | None = None) -> set[str]:
        found: set[str] = set()
        with _reading() as conn:
            for start in range(0, len(refs), 5000):
                chunk = refs[start:start + 5000]
                found.update(conn.scalars(select(SandboxMessage.client_ref)
                                          .where(SandboxMessage.client_ref.in_(chunk))))
        return found

    # Kakao (SND-07): any mobile number but one ending in 93 is the channel's admin.
    def verify_channel_admin(self, channel_id: str, phone: str) -> bool:
        return not phone.endswith("93")

    def channel_sender_key(self, channel_id: str) -> str:
        return "SANDBOX-" + channel_id

    # AlimTalk review (10-gateway.md): megabird's operators play Kakao's reviewer, so a
    # submitted template simply waits in their queue and its state is the one they set.

    def submit_template(self, template) -> None:
        return None

    def template_status(self, code: str, *, account_id: int, sender_key: str | None = None):
        return None

    # What the sandbox "delivered", for people and tests.
    @staticmethod
    def outbox(*, to: str | None = None, last: int = 20) -> list[SandboxMessage]:
        stmt = select(SandboxMessage).order_by(SandboxMessage.id.desc()).limit(last)
        if to:
            stmt = stmt.where(SandboxMessage.recipient == to)
        return list(db.session.scalars(stmt))

    @staticmethod
    def duplicate_submissions() -> int:
        """References submitted more than once: must stay 0 (GW-02, REL-02)."""
        return db.session.scalar(select(func.count()).select_from(SandboxMessage)
                                 .where(SandboxMessage.submit_count > 1)) or 0
