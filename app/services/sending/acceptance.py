"""Accepting SMS/LMS/MMS sends (04-sms.md) — used by the compose page and the API
alike — and cancelling scheduled ones (SMS-07).

`accept()` validates everything first (nothing is written for a refused send), then in
one transaction: locks the account, checks suspension and the daily cap (ACC-10),
freezes the prices (WAL-05), writes the send and bulk-inserts its messages, holds the
money (WAL-06) and commits. The caller then enqueues dispatch (`enqueue_dispatch`);
if that is lost, the tick's relay finds the committed work."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from app import clock
from app.domain import recipients as recipient_rules
from app.domain import sms
from app.domain.images import check_image_count, check_mms_image
from app.domain.numbers import digits_only
from app.domain.recipients import Recipient, Rejected
from app.errors import InvalidState, ValidationError
from app.extensions import db
from app.models import Account, DailyUsage, Message, PricePlan, Send, SendImage, SenderNumber
from app.security.tenancy import get_owned
from app import bulk
from app.services.contacts import optouts
from app.services.shared import files
from app.services.wallet import ledger
from app.services.shared.idempotency import record as idempotency_record
from app.services.sending.rollups import Deltas
from app.services.shared.uow import transaction

PRICE_FIELD = {"SMS": "sms", "LMS": "lms", "MMS": "mms", "ALIMTALK": "alimtalk",
               "FRIENDTALK_TEXT": "friendtalk_text", "FRIENDTALK_IMAGE": "friendtalk_image"}
MAX_SHOWN_ROWS = 20


@dataclass
class SmsRequest:
    account_id: int
    sender: str
    body: str
    recipients: list[Recipient]
    title: str | None = None
    is_ad: bool = False
    ad_company: str | None = None
    ad_optout: str | None = None
    scheduled_at: dt.datetime | None = None           # naive UTC
    images: list[tuple[str, bytes]] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    template_id: int | None = None
    source: str = "web"
    api_key_id: int | None = None
    max_recipients: int = sms.MAX_RECIPIENTS
    row_label: str = "{}행"         # how refusals name a recipient's row ("to[{}]" in the API)


@dataclass
class Plan:
    """What validation decided, before anything is written."""
    msg_type: str
    body: str
    title: str | None
    ad: sms.AdSettings | None
    recipients: list[Recipient]
    rejected: list[Rejected]
    duplicates: int
    uses_variables: bool
    images: list[tuple[str, bytes]]
    longest_bytes: int


@dataclass
class AcceptResult:
    send: Send
    rejected: list[Rejected]
    duplicates: int          # repeated numbers inside the request, kept once (SMS-04)
    optouts: int             # opted-out numbers of an ad (SMS-13)
    resent: int = 0          # same text to the same number within the hour (SMS-15)

    def to_api(self) -> dict:
        s = self.send
        return {"send_id": str(s.id), "type": s.msg_type, "status": s.status, "recipients": s.recipient_count,
                "unit_price": s.unit_price, "hold": s.hold_amount,
                "scheduled_at": clock.to_kst(s.scheduled_at).isoformat() if s.scheduled_at else None,
                "rejected": [r.to_dict() for r in self.rejected], "duplicates": self.duplicates,
                "optouts": self.optouts, "duplicate_sends": self.resent}


def _rows(rows: list[int], label: str = "{}행") -> str:
    shown = ", ".join(label.format(r) for r in rows[:MAX_SHOWN_ROWS])
    return shown + (f" 외 {len(rows) - MAX_SHOWN_ROWS}건" if len(rows) > MAX_SHOWN_ROWS else "")


def _check_values(plan_recipients: list[Recipient], used: set[str], label: str) -> None:
    missing_rows, bad_rows = [], []
    checked: dict[str, bool] = {}
    for r in plan_recipients:
        values = r.values()
        if any(key not in values for key in used):
            missing_rows.append(r.row)
            continue
        for key in used:
            value = values[key]
            if value not in checked:
                checked[value] = not sms.unsupported_characters(value)
            if not checked[value]:
                bad_rows.append(r.row)
                break
    if missing_rows:
        names = ", ".join(f"#[{k}]" for k in sorted(used))
        raise ValidationError(f"가변문자({names}) 값이 없는 수신자가 있습니다: {_rows(missing_rows, label)}.",
                              field="수신자", code="missing_variable", details={"rows": missing_rows[:1000]})
    if bad_rows:
        raise ValidationError(f"가변문자 값에 문자 메시지로 보낼 수 없는 문자가 있습니다: {_rows(bad_rows, label)}.",
                              field="수신자", code="unsupported_character", details={"rows": bad_rows[:1000]})


def plan(request: SmsRequest, now: dt.datetime) -> Plan:
    """Every rule of SMS-01..07, SMS-14; raises with the field (and rows) named."""
    body = sms.normalize_text(request.body)
    if not body.strip():
        raise ValidationError("내용을 입력해주세요.", field="내용", code="required")
    sms.check_characters(body, "내용")
    ad = None
    if request.is_ad:
        # a blank 080 number is the account's default (마이페이지), for the page and the API alike
        optout = request.ad_optout or db.session.scalar(select(Account.optout_number)
                                                        .where(Account.id == request.account_id))
        ad = sms.ad_settings(request.ad_company, optout)
        sms.check_ad_time(scheduled_at=request.scheduled_at, now=now)
    if request.scheduled_at is not None:
        sms.check_schedule(request.scheduled_at, now)
    check_image_count(len(request.images))
    images = [(name or f"image{i}.jpg", check_mms_image(data, index=i).data)
              for i, (name, data) in enumerate(request.images, start=1)]
    cleaned = recipient_rules.clean(request.recipients, limit=request.max_recipients)
    if not cleaned.recipients:
        if cleaned.rejected:
            raise ValidationError(f"보낼 수 있는 수신자가 없습니다: {request.row_label.format(cleaned.rejected[0].row)} "
                                  f"{cleaned.rejected[0].phone} — {cleaned.rejected[0].reason}",
                                  field="수신자", code="invalid_number",
                                  details=[r.to_dict() for r in cleaned.rejected[:1000]])
        raise ValidationError("수신자를 입력해주세요.", field="수신자", code="required")
    used = sms.variables_in(body)        # the title's count only when it is kept (not SMS), below
    wrap = ad.wrap if ad else (lambda text: text)
    if used:
        _check_values(cleaned.recipients, used, request.row_label)
        longest, longest_row = 0, 0
        for r in cleaned.recipients:
            size = sms.byte_length(wrap(sms.render(body, r.values())))
            if size > longest:
                longest, longest_row = size, r.row
    else:
        longest, longest_row = sms.byte_length(wrap(body)), 0
    msg_type = sms.message_type(longest, bool(images))
    if longest > sms.LONG_LIMIT:
        where = f" ({request.row_label.format(longest_row)} 수신자 기준)" if used else ""
        raise ValidationError(f"내용은 최대 {sms.LONG_LIMIT:,} byte까지 보낼 수 있습니다 (현재 {longest:,} byte{where})."
                              + (" 광고 문구도 포함됩니다." if ad else ""), field="내용", code="byte_limit")
    title = sms.clean_title(request.title, msg_type)
    title_used = sms.variables_in(title or "")
    if title_used:
        _check_values(cleaned.recipients, title_used, request.row_label)
        size, row = max((sms.byte_length(sms.render(title, r.values())), r.row) for r in cleaned.recipients)
        if size > sms.TITLE_LIMIT:
            raise ValidationError(f"제목은 {sms.TITLE_LIMIT} byte 이하로 입력해주세요 (현재 {size} byte, "
                                  f"{request.row_label.format(row)} 수신자의 변수를 넣은 제목 기준).",
                                  field="제목", code="byte_limit")
    return Plan(msg_type, body, title, ad, cleaned.recipients, cleaned.rejected, cleaned.duplicates,
                bool(used or title_used), images, longest)


def approved_sender(account_id: int, sender: str) -> str:
    digits = digits_only(sender or "")
    if not digits:
        raise ValidationError("발신번호를 선택해주세요.", field="발신번호", code="required")
    ok = db.session.scalar(select(SenderNumber.id).where(SenderNumber.account_id == account_id,
                                                         SenderNumber.number == digits,
                                                         SenderNumber.status == "approved"))
    if ok is None:
        raise ValidationError("등록완료된 발신번호만 사용할 수 있습니다. 발신정보관리에서 발신번호를 등록해주세요.",
                              field="발신번호", code="sender_not_approved")
    return digits


def kst_day(moment: dt.datetime) -> dt.date:
    return clock.to_kst(moment).date()


def sent_today(account_id: int, now: dt.datetime) -> int:
    """Recipients accepted today (KST) for the daily cap, cancelled sends excluded.
    Counted apart from the sends: deleting history gives no allowance back."""
    return int(db.session.scalar(select(DailyUsage.messages).where(
        DailyUsage.account_id == account_id, DailyUsage.day == kst_day(now))) or 0)


def count_usage(account_id: int, day: dt.date, messages: int) -> None:
    """Add to (or, for a cancelled send, take from) the day's usage; the caller holds the
    account's lock (ledger.lock_account), so the cap check and this write do not race."""
    row = db.session.get(DailyUsage, (account_id, day))
    if row is None:
        db.session.add(DailyUsage(account_id=account_id, day=day, messages=max(messages, 0)))
    else:
        row.messages = max(row.messages + messages, 0)


def check_daily_cap(account, count: int, now: dt.datetime) -> None:
    used = sent_today(account.id, now)
    left = max(account.daily_cap - used, 0)
    if count > left:
        raise ValidationError(f"일일 발송 한도({account.daily_cap:,}건)를 초과합니다. 오늘 남은 발송 가능 건수는 "
                              f"{left:,}건입니다 (요청 {count:,}건).", field="수신자", code="daily_cap_exceeded",
                              details={"daily_cap": account.daily_cap, "remaining": left})


@dataclass(frozen=True)
class Pricing:
    """What a plan costs an account: the frozen unit price (WAL-05), the recipients that
    end failed at once and cost nothing (opted out of an ad, the same text within the
    hour), the content fingerprint, and the hold (WAL-06)."""
    unit: int
    blocked: set[str]
    repeated: set[str]
    hashes: object
    hold: int


def price(account, p: Plan, now: dt.datetime) -> Pricing:
    """The checks and figures that accept() applies and the confirmation dialog shows
    (SMS-11): suspension, the daily cap, the price, the free recipients, the hold."""
    ledger.check_can_spend(account)
    check_daily_cap(account, len(p.recipients), now)
    unit = int(getattr(db.session.get(PricePlan, account.price_plan_id), PRICE_FIELD[p.msg_type]))
    blocked = optouts.numbers_in(account.id, (r.phone for r in p.recipients)) if p.ad else set()
    hashes = content_hashes(p)
    repeated = (recently_sent(account.id, p.recipients, hashes, now) - blocked
                if account.duplicate_protection else set())
    return Pricing(unit, blocked, repeated, hashes, unit * (len(p.recipients) - len(blocked) - len(repeated)))


def accept(request: SmsRequest, *, now: dt.datetime,
           idempotency: tuple[str, str] | None = None) -> AcceptResult:
    """Validate, then write the send, its messages and the hold in one transaction."""
    p = plan(request, now)
    stored = []
    try:
        with transaction():
            sender = approved_sender(request.account_id, request.sender)
            account = ledger.lock_account(request.account_id)
            pricing = price(account, p, now)
            count_usage(account.id, kst_day(now), len(p.recipients))
            unit, blocked, repeated, hashes = pricing.unit, pricing.blocked, pricing.repeated, pricing.hashes
            starts_at = request.scheduled_at or now
            send = Send(account_id=account.id, source=request.source, channel="sms", msg_type=p.msg_type,
                        status="scheduled" if request.scheduled_at else "in_progress", sender_number=sender,
                        title=p.title, body=p.body, is_ad=bool(p.ad),
                        ad_company=p.ad.company if p.ad else None, ad_optout=p.ad.optout if p.ad else None,
                        uses_variables=p.uses_variables,
                        group_names=", ".join(request.group_names) or None, unit_price=unit,
                        hold_amount=pricing.hold, recipient_count=len(p.recipients),
                        failed_count=len(blocked) + len(repeated), rejected_count=len(p.rejected),
                        duplicate_count=p.duplicates, created_at=now, scheduled_at=request.scheduled_at,
                        started_at=None if request.scheduled_at else now, last_progress_at=now,
                        day=kst_day(starts_at), template_id=request.template_id, api_key_id=request.api_key_id)
            db.session.add(send)
            db.session.flush()
            for position, (name, data) in enumerate(p.images, start=1):
                from app.domain.files import CheckedFile
                row = files.store(account_id=account.id, kind="mms_image", filename=name, data=data,
                                  checked=CheckedFile("image/jpeg", "jpg"), now=now)
                stored.append(row)
                db.session.flush()
                db.session.add(SendImage(send_id=send.id, file_id=row.id, position=position))
            _insert_messages(send, p, blocked, repeated, hashes, now)
            deltas = Deltas()
            deltas.add(account_id=account.id, day=send.day, msg_type=send.msg_type, source=send.source,
                       requested=send.recipient_count, failed=len(blocked) + len(repeated))
            for category, numbers in (("optout_080", blocked), ("duplicate", repeated)):
                if numbers:
                    deltas.add_category(account_id=account.id, day=send.day, msg_type=send.msg_type,
                                        category=category, count=len(numbers))
                    deltas.add_send_category(send_id=send.id, category=category, count=len(numbers))
            deltas.flush()
            ledger.hold(account.id, send.id, send.hold_amount, now=now)
            result = AcceptResult(send, p.rejected, p.duplicates, len(blocked), len(repeated))
            idempotency_record(account.id, idempotency, 201, result.to_api(), send_id=send.id, now=now)
    except Exception:
        files.discard(stored)
        raise
    return result


MESSAGE_COLUMNS = ("send_id", "account_id", "msg_type", "recipient", "name", "vars", "state", "result_code",
                   "category", "reported_at", "content_hash", "charge")


def _insert_messages(send: Send, p: Plan, blocked: set[str], repeated: set[str], hashes, now: dt.datetime) -> None:
    """One executemany for all recipients (100,000 rows in about a second). Opted-out
    numbers of an ad and numbers sent the same text within the hour end failed, free."""
    conn = db.session.connection()
    reported = bulk.time_binder(conn)(now)
    rows = []
    for r in p.recipients:
        values = None
        if p.uses_variables:
            values = json.dumps({k: v for k, v in r.vars.items() if v not in (None, "")}, ensure_ascii=False)
        name = str(r.name)[:100] if r.name else None
        digest = hashes(r)
        if r.phone in blocked:
            state, code, category, at = "failed", "OPTOUT", "optout_080", reported
        elif r.phone in repeated:
            state, code, category, at = "failed", "DUPLICATE", "duplicate", reported
        else:
            state, code, category, at = "pending", None, None, None
        rows.append((send.id, send.account_id, send.msg_type, r.phone, name, values, state, code, category, at, digest,
                     0))
    bulk.insert(conn, "message", MESSAGE_COLUMNS, rows)


# --- duplicate-send protection (SMS-15) -------------------------------------------------------------------

DUPLICATE_WINDOW = dt.timedelta(hours=1)


def _digest(title: str | None, text: str) -> str:
    return hashlib.sha256(f"{title or ''}\x1f{text}".encode()).hexdigest()[:16]


def content_hashes(p: Plan):
    """recipient -> a fingerprint of what that recipient reads (title and full text)."""
    wrap = p.ad.wrap if p.ad else (lambda text: text)
    if not p.uses_variables:
        same = _digest(p.title, wrap(p.body))
        return lambda recipient: same
    return lambda r: _digest(sms.render(p.title, r.values()) if p.title else None,
                             wrap(sms.render(p.body, r.values())))


def recently_sent(account_id: int, recipients: list[Recipient], hashes, now: dt.datetime) -> set[str]:
    """Numbers that got the same text from this account within the last hour (any send
    accepted and not cancelled); looked up through (account, number, send)."""
    recent = list(db.session.scalars(select(Send.id).where(
        Send.account_id == account_id, Send.created_at >= now - DUPLICATE_WINDOW, Send.status != "cancelled")))
    if not recent:
        return set()
    wanted = {r.phone: hashes(r) for r in recipients}
    numbers = list(wanted)
    found: set[str] = set()
    message = Message.__table__.c
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        for phone, digest in db.session.execute(select(message.recipient, message.content_hash).where(
                message.account_id == account_id, message.recipient.in_(chunk), message.send_id.in_(recent))):
            if digest is not None and wanted.get(phone) == digest:
                found.add(phone)
    return found


def enqueue_dispatch(send: Send) -> None:
    if send.status == "in_progress":
        from app.jobs import enqueue
        from app.jobs.sending import JOB_TIMEOUT, dispatch_send
        enqueue("dispatch", dispatch_send, send.id, job_timeout=JOB_TIMEOUT)


# --- cancel (SMS-07) -------------------------------------------------------------------------------------

def cancel(*, account_id: int, send_id, now: dt.datetime, idempotency: tuple[str, str] | None = None,
           answer=None) -> Send:
    """A scheduled send is cancelled until it starts; its whole hold comes back at once,
    and it leaves the statistics. With an idempotency key, `answer(send)` is stored with
    the cancel in one transaction (API-03)."""
    with transaction():
        send = get_owned(Send, send_id, account_id, for_update=True)
        if send.status != "scheduled":
            raise InvalidState("예약 발송만 취소할 수 있습니다. 이미 발송이 시작되었거나 취소된 발송입니다.",
                               code="not_cancellable")
        ledger.lock_account(account_id)
        count_usage(account_id, kst_day(send.created_at), -send.recipient_count)
        send.status = "cancelled"
        send.cancelled_at = now
        refund = ledger.refund(account_id, send.id, 0, now=now)
        send.refunded_amount = refund.cash_delta + refund.points_delta
        deltas = Deltas()
        deltas.add(account_id=account_id, day=send.day, msg_type=send.msg_type, source=send.source,
                   requested=-send.recipient_count, failed=-send.failed_count)
        from app.models import SendCategoryCount
        for category, count in db.session.execute(select(SendCategoryCount.category, SendCategoryCount.count)
                                                  .where(SendCategoryCount.send_id == send.id)):
            deltas.add_category(account_id=account_id, day=send.day, msg_type=send.msg_type, category=category,
                                count=-count)
        deltas.flush()
        if idempotency:
            idempotency_record(account_id, idempotency, 200, answer(send), send_id=send.id, now=now)
    return send


def scheduled_send_using(sender: SenderNumber) -> str | None:
    """SND-06 delete guard: a number used by a scheduled send stays until it is cancelled."""
    used = db.session.scalar(select(Send.id).where(Send.account_id == sender.account_id,
                                                   Send.sender_number == sender.number,
                                                   Send.status == "scheduled").limit(1))
    if used is not None:
        return "예약 발송에 사용 중인 발신번호는 삭제할 수 없습니다. 예약 발송을 먼저 취소해주세요."
    return None
