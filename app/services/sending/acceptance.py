"""Accepting sends (04-sms.md) — for the compose page and the API alike.

`accept()` validates everything first (the plan, app/domain/sms_plan.py: nothing is
written for a refused send), then in one transaction: locks the account, refuses a
suspended account or one over its daily cap (ACC-10), freezes the prices (WAL-05), writes
the send and bulk-inserts its messages, holds the money (WAL-06). The caller enqueues
dispatch after the commit (`enqueue_dispatch`); if that is lost, the tick's relay finds
the committed work."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from json.encoder import encode_basestring as _encode_text
from dataclasses import dataclass
from typing import NamedTuple


from app import bulk, clock
from app.domain import message_types, sms, sms_plan
from app.domain.files import CheckedFile
from app.domain.recipients import Rejected
from app.domain.sms_plan import Plan, SmsRequest
from app.extensions import db
from app.errors import ValidationError
from app.gateways import get_gateway
from app.models import Account, PricePlan, Send, SendImage
from app.services.accounts import access, optout_codes
from app.services.contacts import optouts
from app.services.senders import sender_numbers
from app.services.sending import daily_usage, dispatch, duplicates, lifecycle
from app.services.sending.rollups import Deltas
from app.services.shared import files
from app.services.shared.steps import Steps
from app.services.shared.uow import transaction
from app.services.wallet import ledger

__all__ = ["SmsRequest", "Plan", "AcceptResult", "Pricing", "NewSend", "NewMessage", "plan", "admit", "price",
           "accept", "write", "enqueue_dispatch", "unit_prices", "values_json"]


@dataclass
class AcceptResult:
    send: Send
    rejected: list[Rejected]
    duplicates: int          # repeated numbers inside the request, kept once (SMS-04)
    optouts: int             # opted-out numbers of an ad (SMS-13)
    resent: int = 0          # same text to the same number within the hour (SMS-15)
    expected_repeats: int = 0   # a scheduled send's forecast of them (checked when it starts)

    def to_api(self) -> dict:
        s = self.send
        return {"send_id": str(s.id), "type": s.msg_type, "status": s.status, "recipients": s.recipient_count,
                "unit_price": s.unit_price, "hold": s.hold_amount,
                "scheduled_at": clock.to_kst(s.scheduled_at).isoformat() if s.scheduled_at else None,
                "rejected": [r.to_dict() for r in self.rejected], "duplicates": self.duplicates,
                "optouts": self.optouts, "duplicate_sends": self.resent,
                "expected_duplicate_sends": self.expected_repeats}


def plan(request: SmsRequest, now: dt.datetime) -> Plan:
    """The rules of the plan (SMS-01..07, SMS-14), with the 080 numbers an ad of the
    account may name read for it (SND-09): the shared one with the account's code (the
    footer when nothing is typed and 마이페이지 names none), its approved own ones."""
    optouts = optout_codes.choices(request.account_id) if request.is_ad else None
    p = sms_plan.plan(request, now, optouts=optouts)
    check_route(p.msg_type)
    return p


def check_route(msg_type: str, field: str = "이미지") -> None:
    """An MMS cannot go over SMPP (GW-03): refused before anything is held, with the reason,
    when the SMS gateway cannot carry images (its `carries_mms`)."""
    if msg_type == sms.MMS and not get_gateway(message_types.SMS_GATEWAY).carries_mms:
        raise ValidationError("MMS를 보낼 수 없습니다: 이 서비스의 문자 발송 경로(SMPP)는 이미지를 실어 보내지 못합니다. "
                              "이미지를 빼면 LMS로 보낼 수 있습니다.", field=field, code="mms_unavailable")


def admit(account: Account, recipients: int, now: dt.datetime) -> None:
    """What no send may do, asked before the dialog opens and again at accept: a suspended
    account sends nothing; a day's recipients stay within the daily cap (ACC-10)."""
    access.check_not_suspended(account)
    daily_usage.check_cap(account, recipients, now)


@dataclass(frozen=True)
class Pricing:
    """What a plan costs an account: the frozen unit price (WAL-05), the recipients that
    end failed at once and cost nothing (opted out of an ad; for an immediate send, the
    same text within the hour before, SMS-15), the content fingerprint, and the hold
    (WAL-06). A scheduled send's duplicates are found when it starts: `expected_repeats`
    is the forecast the dialog shows, and they stay in the hold until settlement."""
    unit: int
    blocked: set[str]
    repeated: set[str]
    hashes: object
    hold: int
    expected_repeats: int = 0


def unit_prices(account: Account, msg_type: str, fallback_type: str | None = None) -> tuple[int, int | None]:
    """The unit prices frozen for a send (WAL-05): its type's, and its fallback layer's."""
    plan_row = db.session.get(PricePlan, account.price_plan_id)
    own = int(getattr(plan_row, message_types.get(msg_type).price_column))
    fallback = int(getattr(plan_row, message_types.get(fallback_type).price_column)) if fallback_type else None
    return own, fallback


def price(account: Account, p: Plan, now: dt.datetime, scheduled_at: dt.datetime | None = None) -> Pricing:
    """The figures accept() holds and the confirmation dialog shows (SMS-11)."""
    unit, _ = unit_prices(account, p.msg_type)
    blocked = optouts.numbers_in(account.id, (r.phone for r in p.recipients)) if p.ad else set()
    hashes = sms_plan.content_hashes(p)
    repeated: set[str] = set()
    expected = 0
    if account.duplicate_protection:
        found = duplicates.recently_sent(account.id, p.recipients, hashes, scheduled_at or now) - blocked
        if scheduled_at:
            expected = len(found)
        else:
            repeated = found
    return Pricing(unit, blocked, repeated, hashes, unit * (len(p.recipients) - len(blocked) - len(repeated)),
                   expected)


def accept(request: SmsRequest, *, now: dt.datetime) -> AcceptResult:
    """Validate, then write the send, its messages and the hold in one transaction (or in
    the caller's: an idempotent request wraps it, app/services/shared/idempotency.py)."""
    p = plan(request, now)
    with transaction():
        sender = sender_numbers.approved_number(request.account_id, request.sender)
        account = ledger.lock_account(request.account_id)
        admit(account, len(p.recipients), now)
        pricing = price(account, p, now, request.scheduled_at)
        blocked, repeated, hashes = pricing.blocked, pricing.repeated, pricing.hashes
        spec = NewSend(source=request.source, msg_type=p.msg_type, sender_number=sender, title=p.title, body=p.body,
                       is_ad=bool(p.ad), ad_company=p.ad.company if p.ad else None,
                       ad_optout=p.ad.optout if p.ad else None, uses_variables=p.uses_variables,
                       group_names=", ".join(request.group_names) or None, unit_price=pricing.unit,
                       hold=pricing.hold, rejected_count=len(p.rejected), duplicate_count=p.duplicates,
                       scheduled_at=request.scheduled_at, template_id=request.template_id,
                       api_key_id=request.api_key_id)
        rows = []
        for r in p.recipients:
            values = values_json(r.vars) if p.uses_variables else None
            outcome = ("optout_080" if r.phone in blocked else "duplicate" if r.phone in repeated else None)
            rows.append(NewMessage(r.phone, str(r.name)[:100] if r.name else None, values, hashes(r), outcome))
        send = write(account, spec, rows, now)
        for position, (name, data) in enumerate(p.images, start=1):
            row = files.store(account_id=account.id, kind="mms_image", filename=name, data=data,
                              checked=CheckedFile("image/jpeg", "jpg"), now=now)
            db.session.flush()
            db.session.add(SendImage(send_id=send.id, file_id=row.id, position=position))
    return AcceptResult(send, p.rejected, p.duplicates, len(blocked), len(repeated), pricing.expected_repeats)


# --- writing an accepted send, for every channel ------------------------------------------------------------

@dataclass
class NewSend:
    """What a channel's accept decided about a send (its plan and its prices)."""
    msg_type: str
    sender_number: str
    body: str
    unit_price: int
    hold: int
    source: str = "web"
    title: str | None = None
    is_ad: bool = False
    ad_company: str | None = None
    ad_optout: str | None = None
    uses_variables: bool = False
    group_names: str | None = None
    rejected_count: int = 0
    duplicate_count: int = 0
    scheduled_at: dt.datetime | None = None
    template_id: int | None = None
    api_key_id: int | None = None
    fallback_unit_price: int | None = None
    fallback_msg_type: str | None = None
    kakao: str | None = None          # JSON: what a Kakao send's messages share (channel, template, fallback)


def values_json(values: dict) -> str:
    """A recipient's values as its message keeps them (blank ones left out): the text
    json.dumps(…, ensure_ascii=False) writes, built from the C string encoder for the usual
    all-text values (a send writes it 100,000 times; json.dumps with options builds an
    encoder per call)."""
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    if all(type(k) is str and type(v) is str for k, v in kept.items()):
        return "{" + ", ".join(f"{_encode_text(k)}: {_encode_text(v)}" for k, v in kept.items()) + "}"
    return json.dumps(kept, ensure_ascii=False)


class NewMessage(NamedTuple):
    recipient: str
    name: str | None
    vars: str | None                  # JSON of the recipient's values, or None
    content_hash: str | None
    outcome: str | None = None        # optout_080 | duplicate: failed at once, free


OUTCOME_CODES = {"optout_080": "OPTOUT", "duplicate": "DUPLICATE"}


def write(account: Account, spec: NewSend, rows: list[NewMessage], now: dt.datetime) -> Send:
    """The send, its messages (one executemany), the day's usage, the rollups and the hold,
    in the caller's transaction (which has locked the account and admitted the send).
    Messages with an outcome end failed at once and cost nothing."""
    starts_at = spec.scheduled_at or now
    failed_now = Counter(r.outcome for r in rows if r.outcome)
    daily_usage.count(account.id, daily_usage.kst_day(now), len(rows))
    send = Send(account_id=account.id, source=spec.source, channel=message_types.get(spec.msg_type).channel,
                msg_type=spec.msg_type, status=lifecycle.initial_status(spec.scheduled_at),
                sender_number=spec.sender_number, title=spec.title, body=spec.body, is_ad=spec.is_ad,
                ad_company=spec.ad_company, ad_optout=spec.ad_optout, uses_variables=spec.uses_variables,
                group_names=spec.group_names, unit_price=spec.unit_price,
                fallback_unit_price=spec.fallback_unit_price, fallback_msg_type=spec.fallback_msg_type,
                hold_amount=spec.hold, recipient_count=len(rows), failed_count=sum(failed_now.values()),
                rejected_count=spec.rejected_count, duplicate_count=spec.duplicate_count, created_at=now,
                scheduled_at=spec.scheduled_at, started_at=None if spec.scheduled_at else now,
                last_progress_at=now, day=daily_usage.kst_day(starts_at), template_id=spec.template_id,
                api_key_id=spec.api_key_id, kakao=spec.kakao)
    db.session.add(send)
    db.session.flush()
    _insert_messages(send, rows, now)
    deltas = Deltas()
    deltas.add(account_id=account.id, day=send.day, msg_type=send.msg_type, source=send.source,
               requested=send.recipient_count, failed=send.failed_count)
    for category, count in sorted(failed_now.items()):
        deltas.add_category(account_id=account.id, day=send.day, msg_type=send.msg_type, category=category,
                            count=count)
        deltas.add_send_category(send_id=send.id, category=category, count=count)
    deltas.flush()
    ledger.hold(account.id, send.id, send.hold_amount, now=now)
    if send.failed_count:
        AFTER_WRITE(send, now)
    return send


#: steps of higher capabilities run in the transaction that writes a send with messages
#: already final (수신거부, 중복): (send, now) — their message.reported webhook
AFTER_WRITE = Steps("a send was written with messages already final")

MESSAGE_COLUMNS = ("send_id", "account_id", "msg_type", "recipient", "name", "vars", "state", "result_code",
                   "category", "reported_at", "content_hash", "charge")


def _insert_messages(send: Send, rows: list[NewMessage], now: dt.datetime) -> None:
    """One executemany for all recipients (100,000 rows in about a second)."""
    conn = db.session.connection()
    reported = bulk.time_binder(conn)(now)
    values = []
    for r in rows:
        if r.outcome:
            state, code, category, at = "failed", OUTCOME_CODES[r.outcome], r.outcome, reported
        else:
            state, code, category, at = "pending", None, None, None
        values.append((send.id, send.account_id, send.msg_type, r.recipient, r.name, r.vars, state, code, category,
                       at, r.content_hash, 0))
    bulk.insert(conn, "message", MESSAGE_COLUMNS, values)


def enqueue_dispatch(send: Send) -> None:
    """After the commit: a send that goes now is handed to a worker."""
    if send.status == "in_progress":
        dispatch.enqueue([send.id], jobs=dispatch.jobs_for(send.recipient_count))
