"""The sandbox carrier (10-gateway.md): deterministic, no sleeps. The last two digits
of the recipient decide the result (GW-02); reports become available at a simulated
time that the tick's `now` reaches. It keeps its own tables (sandbox_message) and
talks to them on its own connection, as a remote system would."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from app import bulk
from app.extensions import db
from app.gateways.base import Gateway, OutboundMessage, Receipt, Report
from app.models import SandboxMessage, SenderNumber

REPORT_DELAY = dt.timedelta(seconds=5)
SLOW_REPORT_DELAY = dt.timedelta(minutes=30)
KAKAO_CHANNELS = ("alimtalk", "friendtalk")

_SMS_FAILURES = {90: "3001", 91: "3002", 92: "3003", 93: "3004", 94: "3005", 95: "3006",
                 96: "3007", 97: "3099"}
_KAKAO_FAILURES = {80: "K101", 81: "K102", 82: "K103", 83: "K104", 84: "K105", 85: "K106",
                   86: "K107", 87: "K108", 88: "K199", 93: "K102", 97: "K199"}
SENDER_NOT_APPROVED = "3010"


def magic_result(channel: str, recipient: str) -> tuple[str | None, dt.timedelta | None]:
    """(raw code, report delay) for a recipient; (None, None) when never reported."""
    last_two = int(recipient[-2:]) if recipient[-2:].isdigit() else 0
    if last_two == 98:
        return None, None
    delay = SLOW_REPORT_DELAY if last_two == 89 else REPORT_DELAY
    if channel in KAKAO_CHANNELS:
        if last_two in _KAKAO_FAILURES:
            return _KAKAO_FAILURES[last_two], delay
        if 90 <= last_two <= 96:
            return "K103", delay
        return "K000", delay
    if last_two in _SMS_FAILURES:
        return _SMS_FAILURES[last_two], delay
    return "0000", delay


class SandboxGateway(Gateway):
    name = "sandbox"

    def __init__(self, throughput_limit: int = 0):
        self.throughput_limit = throughput_limit

    # One bulk write for the whole batch: a repeated client reference is the same message,
    # counted in submit_count (a defect if ever > 1).
    COLUMNS = {"client_ref": "varchar(64)", "channel": "varchar(16)", "account_id": "integer",
               "sender": "varchar(40)", "recipient": "varchar(20)", "title": "varchar(200)", "text": "text",
               "image_count": "integer", "submitted_at": "timestamp", "submit_count": "integer",
               "result_code": "varchar(16)", "optout_number": "varchar(20)", "report_due_at": "timestamp"}

    def _approved_senders(self, conn, messages: list[OutboundMessage]) -> set[tuple[int, str]]:
        pairs = {(m.account_id, m.sender) for m in messages
                 if m.account_id is not None and m.channel not in KAKAO_CHANNELS}
        if not pairs:
            return set()
        accounts = {a for a, _ in pairs}
        rows = conn.execute(select(SenderNumber.account_id, SenderNumber.number).where(
            SenderNumber.account_id.in_(accounts), SenderNumber.status == "approved"))
        return {(r.account_id, r.number) for r in rows}

    def submit(self, messages: list[OutboundMessage], now: dt.datetime) -> list[Receipt]:
        if not messages:
            return []
        with db.engine.begin() as conn:
            stamp = bulk.time_binder(conn)
            approved = self._approved_senders(conn, messages)
            submitted_at = stamp(now)
            due = {delay: stamp(now + delay) for delay in (REPORT_DELAY, SLOW_REPORT_DELAY)}
            rows = []
            for m in messages:
                code, delay = magic_result(m.channel, m.recipient)
                if (m.account_id is not None and m.channel not in KAKAO_CHANNELS
                        and (m.account_id, m.sender) not in approved):
                    code, delay = SENDER_NOT_APPROVED, REPORT_DELAY
                rows.append((m.ref, m.channel, m.account_id, m.sender, m.recipient, m.title, m.text,
                             len(m.images), submitted_at, 1, code, m.recipient if code == "3005" else None,
                             due[delay] if delay is not None else None))
            bulk.upsert_counting(conn, "sandbox_message", self.COLUMNS, rows, conflict="client_ref",
                                 on_conflict="submit_count = sandbox_message.submit_count + 1")
        return [Receipt(ref=m.ref, accepted=True, gateway_ref=f"SBX-{m.ref}") for m in messages]

    def poll_reports(self, now: dt.datetime, limit: int) -> list[Report]:
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(SandboxMessage.id, SandboxMessage.client_ref, SandboxMessage.result_code,
                       SandboxMessage.report_due_at, SandboxMessage.optout_number)
                .where(SandboxMessage.acked_at.is_(None), SandboxMessage.report_due_at <= now)
                .order_by(SandboxMessage.report_due_at, SandboxMessage.id)
                .limit(limit)).all()
        return [Report(ref=r.client_ref, code=r.result_code, at=r.report_due_at,
                       report_id=str(r.id), optout_number=r.optout_number) for r in rows]

    def ack_reports(self, reports: list[Report], now: dt.datetime) -> None:
        ids = [int(r.report_id) for r in reports if r.report_id]
        if not ids:
            return
        with db.engine.begin() as conn:
            for start in range(0, len(ids), 5000):
                conn.execute(update(SandboxMessage).where(SandboxMessage.id.in_(ids[start:start + 5000]))
                             .values(acked_at=now))

    def lookup(self, refs: list[str]) -> set[str]:
        found: set[str] = set()
        with db.engine.connect() as conn:
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
