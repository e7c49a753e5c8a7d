"""The SMPP gateway as dispatch and the report jobs see it (GW-01, GW-03).

Its messages are not handed over by dispatch jobs: the connector process claims them and
holds the binds (`connector = True`; app/services/sending/handover.py). What this adapter
does is the report side: the connector keeps every deliver_sm in `smpp_receipt`, and a
report job polls them here like any gateway's reports — matched to their message by the
SMSC's id (`smpp_submission`, under every spelling of it that SMSCs use: hex or decimal,
case, leading zeros), or for a message that became `unknown` (no submit_sm_resp, so no id)
by its number and the user_message_reference the connector sent; the receipt's stat/err
become megabird's raw code through the configurable table. A receipt that names no message
is kept as `unmatched` for staff, never dropped."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, exists, or_, select, update

from app.extensions import db
from app.gateways.base import Gateway, OutboundMessage, Receipt, Report
from app.gateways.smpp import receipts
from app.models import Message, SmppReceipt, SmppSubmission

LEASE = dt.timedelta(seconds=60)
RETRY = dt.timedelta(seconds=2)     # a receipt that came before its submit_sm_resp was written
#: a receipt may arrive before the connector has written its submit_sm_resp: one that
#: names no message is tried again until it is this old, then kept as `unmatched`
UNMATCHED_AFTER = dt.timedelta(minutes=10)
#: submit_sm carries the message id modulo this as user_message_reference (2 octets)
USER_REFERENCE_MODULO = 1 << 16
OPTOUT_CODE = "3005"

RECEIPT = SmppReceipt.__table__


class SmppGateway(Gateway):
    name = "smpp"
    deduplicates = False
    connector = True
    carries_mms = False          # Korean MMS is a carrier product, not an SMPP message

    def __init__(self, *, throughput_limit: int = 0, result_map=None):
        self.throughput_limit = throughput_limit
        self.table = receipts.result_table(result_map)

    def submit(self, messages: list[OutboundMessage], now: dt.datetime) -> list[Receipt]:
        raise RuntimeError("SMPP messages are submitted by the connector process (flask megabird smpp-connector)")

    def has_reports(self, now: dt.datetime) -> bool:
        found = db.session.scalar(select(exists().where(RECEIPT.c.status == "new", _free(now))))
        db.session.commit()
        return bool(found)

    def poll_reports(self, now: dt.datetime, limit: int) -> list[Report]:
        pick = select(RECEIPT.c.id).where(RECEIPT.c.status == "new", _free(now)).order_by(RECEIPT.c.id).limit(limit)
        if db.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        rows = db.session.execute(update(RECEIPT).where(RECEIPT.c.id.in_(pick.scalar_subquery()))
                                  .values(lease_until=now + LEASE)
                                  .returning(RECEIPT.c.id, RECEIPT.c.kind, RECEIPT.c.smsc_id, RECEIPT.c.stat,
                                             RECEIPT.c.err, RECEIPT.c.source, RECEIPT.c.user_reference,
                                             RECEIPT.c.done_at, RECEIPT.c.received_at)).all()
        rows.sort(key=lambda r: r.id)
        by_smsc_id = _submissions([r.smsc_id for r in rows if r.kind == "receipt" and r.smsc_id])
        reports, intermediate, unmatched, retry, system = [], [], [], [], []
        unknown_candidates = _unknown_messages({r.source for r in rows if r.kind == "receipt" and r.source
                                                and _match(by_smsc_id, r.smsc_id) is None})
        for row in rows:
            if row.kind != "receipt":
                unmatched.append(row.id)            # a mobile-originated message: staff's to read
                continue
            code = receipts.result_code(receipts.Receipt(row.smsc_id, row.stat, row.err, row.done_at, None, None,
                                                         row.user_reference), self.table)
            message_id = _match(by_smsc_id, row.smsc_id)
            if message_id is None:
                message_id = _match_unknown(unknown_candidates.get(row.source, ()), row.user_reference)
            if message_id is None:
                (unmatched if row.received_at < now - UNMATCHED_AFTER else retry).append(row.id)
                continue
            if code is None:
                intermediate.append(row.id)
                continue
            if message_id < 0:                      # a system message's (verification code): no report
                system.append((row.id, message_id, code))
                continue
            reports.append(Report(str(message_id), code, row.done_at or row.received_at, report_id=str(row.id),
                                  optout_number=row.source if code == OPTOUT_CODE else None))
        for status, ids in (("intermediate", intermediate), ("unmatched", unmatched)):
            if ids:
                db.session.execute(update(RECEIPT).where(RECEIPT.c.id.in_(ids)).values(status=status))
        if system:
            db.session.execute(update(RECEIPT).where(RECEIPT.c.id == bindparam("rid")).values(
                status="applied", message_id=bindparam("mid"), code=bindparam("rcode")),
                [dict(rid=rid, mid=mid, rcode=code) for rid, mid, code in system],
                execution_options={"synchronize_session": False})
        if retry:
            db.session.execute(update(RECEIPT).where(RECEIPT.c.id.in_(retry)).values(lease_until=now + RETRY))
        return reports

    def ack_reports(self, reports: list[Report], now: dt.datetime) -> None:
        if not reports:
            return
        stmt = (update(RECEIPT).where(RECEIPT.c.id == bindparam("rid"))
                .values(status="applied", message_id=bindparam("mid"), code=bindparam("rcode")))
        db.session.execute(stmt, [dict(rid=int(r.report_id), mid=int(r.ref), rcode=r.code) for r in reports],
                           execution_options={"synchronize_session": False})
        db.session.commit()


def config_problems(config) -> list[str]:
    """What the SMPP gateway cannot run without (production mode refuses to start, and
    `flask megabird check-config` prints them in any mode)."""
    if str(config.get("GATEWAY_SMS") or "").strip().lower() != "smpp":
        return []
    found = [f"{setting}: GATEWAY_SMS=smpp인데 비어 있습니다 (SMSC 접속 정보)."
             for setting in ("SMPP_HOST", "SMPP_SYSTEM_ID", "SMPP_PASSWORD") if not str(config.get(setting) or "").strip()]
    try:
        receipts.result_table(config.get("SMPP_RESULT_MAP"))
    except ValueError as exc:
        found.append(f"SMPP_RESULT_MAP: 수신결과 표를 읽을 수 없습니다 ({exc}).")
    return found


def _free(now: dt.datetime):
    return or_(RECEIPT.c.lease_until.is_(None), RECEIPT.c.lease_until < now)


def _submissions(smsc_ids: list[str]) -> dict[str, int]:
    """{stored SMSC id: message id} for every key the given receipt ids may be stored under
    (the newest submission of an id wins)."""
    keys = sorted({key for smsc_id in smsc_ids for key in receipts.lookup_keys(smsc_id)})
    found: dict[str, int] = {}
    sub = SmppSubmission.__table__.c
    for start in range(0, len(keys), 1000):
        for smsc_id, message_id in db.session.execute(select(sub.smsc_id, sub.message_id).where(
                sub.smsc_id.in_(keys[start:start + 1000])).order_by(sub.id)):
            found[smsc_id] = message_id
    return found


def _match(found: dict[str, int], smsc_id: str | None) -> int | None:
    if not smsc_id:
        return None
    for key in receipts.lookup_keys(smsc_id):      # the exact spelling first
        if key in found:
            return found[key]
    return None


def _unknown_messages(numbers: set[str]) -> dict[str, list[int]]:
    """The `unknown` messages to these numbers (a few: the index holds only them)."""
    if not numbers:
        return {}
    out: dict[str, list[int]] = {}
    for recipient, message_id in db.session.execute(select(Message.recipient, Message.id).where(
            Message.state == "unknown", Message.recipient.in_(sorted(numbers)))):
        out.setdefault(recipient, []).append(message_id)
    return out


def _match_unknown(candidates, user_reference: int | None) -> int | None:
    """The unknown message a receipt without a known id reports: the one to its number with
    its user_message_reference, or the only one to its number when the SMSC sent none."""
    if user_reference is not None:
        hits = [m for m in candidates if m % USER_REFERENCE_MODULO == user_reference]
    else:
        hits = list(candidates)
    return hits[0] if len(hits) == 1 else None


def store_receipts(rows: list[dict]) -> None:
    """Keep deliver_sm PDUs as the connector received them (its database thread, one
    transaction): each a dict of SmppReceipt's columns."""
    if rows:
        db.session.execute(RECEIPT.insert(), rows)
    db.session.commit()


def receipt_row(receipt: receipts.Receipt, *, kind: str, system_id: str, source: str, destination: str,
                received_at: dt.datetime, text: str | None) -> dict:
    """One `smpp_receipt` row of a parsed deliver_sm."""
    def naive(moment):
        return moment.replace(tzinfo=None) if moment is not None and moment.tzinfo else moment
    return dict(kind=kind, status="new", received_at=received_at, system_id=system_id[:16],
                smsc_id=(receipt.message_id or None) and receipt.message_id[:64], stat=(receipt.stat or None)
                and receipt.stat[:8], err=(receipt.err or None) and receipt.err[:8], source=source[:21],
                destination=destination[:21], user_reference=receipt.user_reference, done_at=naive(receipt.done_at),
                text=text, lease_until=None, message_id=None, code=None)
