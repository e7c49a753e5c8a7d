"""The plan of an SMS/LMS/MMS send (04-sms.md): every rule that decides whether a request
can be sent and what each recipient reads, before anything is written — characters and
bytes (SMS-01), the type by the longest rendered message (SMS-02), variables (SMS-05), ad
wording and the night window (SMS-06), the schedule window (SMS-07), images (SMS-14),
recipients cleaned and deduplicated with the rejected rows reported (SMS-04). Pure: the
accept service reads what the plan needs from the database (the 080 numbers the account
may name, SND-09) and passes it in."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from app.domain import recipients as recipient_rules
from app.domain import sms
from app.domain.images import check_image_count, check_mms_image
from app.domain.optout080 import OptoutChoices
from app.domain.recipients import Recipient, Rejected
from app.errors import ValidationError

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


def _rows(rows: list[int], label: str = "{}행") -> str:
    shown = ", ".join(label.format(r) for r in rows[:MAX_SHOWN_ROWS])
    return shown + (f" 외 {len(rows) - MAX_SHOWN_ROWS}건" if len(rows) > MAX_SHOWN_ROWS else "")


def check_values(plan_recipients: list[Recipient], used: set[str], label: str) -> None:
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


def plan(request: SmsRequest, now: dt.datetime, *, optouts: OptoutChoices | None = None) -> Plan:
    """Every rule of SMS-01..07, SMS-14; raises with the field (and rows) named.
    `optouts` are the 080 numbers the account may name in an ad (SND-09): the shared one
    with the account's code, its approved own ones, its 마이페이지 default (used when an ad
    names none). Without them (a rule checked on its own) any 080 number passes."""
    body = sms.normalize_text(request.body)
    if not body.strip():
        raise ValidationError("내용을 입력해주세요.", field="내용", code="required")
    sms.check_characters(body, "내용")
    ad = None
    if request.is_ad:
        company = sms.ad_company(request.ad_company)
        # a blank 080 number is the account's default, for the page and the API alike
        number, code = optouts.choose(request.ad_optout) if optouts else (request.ad_optout, None)
        ad = sms.ad_settings(company, number, code)
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
        check_values(cleaned.recipients, used, request.row_label)
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
        check_values(cleaned.recipients, title_used, request.row_label)
        size, row = max((sms.byte_length(sms.render(title, r.values())), r.row) for r in cleaned.recipients)
        if size > sms.TITLE_LIMIT:
            raise ValidationError(f"제목은 {sms.TITLE_LIMIT} byte 이하로 입력해주세요 (현재 {size} byte, "
                                  f"{request.row_label.format(row)} 수신자의 변수를 넣은 제목 기준).",
                                  field="제목", code="byte_limit")
    return Plan(msg_type, body, title, ad, cleaned.recipients, cleaned.rejected, cleaned.duplicates,
                bool(used or title_used), images, longest)


# --- what each recipient reads, as a fingerprint (SMS-15) ---------------------------------------------------

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
