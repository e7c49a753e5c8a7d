"""The plan of a 친구톡 (Brand Message) send (06-kakao.md KFT-01..04, KAT-07/07a/07b):
every rule that decides whether it can go and what each recipient reads, before anything
is written. Pure: the accept service reads the channel, the targeting it may use and the
account's 080 numbers and passes them in.

- The content (friendtalk.check_content) with the SMS variables `#[이름]`, `#[1]`…`#[4]`:
  a value left empty is refused naming the row; a rendered message over its limit (1,300,
  WIDE 76) too.
- The hours (KFT-03): an immediate send outside 08:00–20:50 KST is refused, and so is a
  schedule outside them; the schedule window of SMS-07 applies.
- Targeting (KFT-02): `I` unless the channel may use `M`/`N`.
- A number is kept once per rendered message (KAT-07b).
- The fallback (KFT-04) is an ad: (광고), the company, the 무료거부 080 line (SMS-06),
  checked as an SMS (characters CP949 cannot carry refused, ≤ 2,000 bytes); MMS with the
  image when it meets SMS-14, else LMS (or SMS/LMS by length for a text); whether it may
  go at night is decided when it is created (21:00–08:00 fails `NIGHT_AD`, free)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain import friendtalk, sms, sms_plan
from app.domain import recipients as recipient_rules
from app.domain.alimtalk_plan import FallbackPlan, FallbackRequest, KakaoRecipient, content_hash, settle_fallback
from app.domain.friendtalk import Content
from app.domain.optout080 import OptoutChoices
from app.domain.recipients import Recipient, Rejected
from app.errors import ValidationError

MAX_SHOWN_ROWS = 20
__all__ = ["FriendtalkRequest", "FriendtalkPlan", "FallbackRequest", "plan", "content_hash"]


@dataclass
class FriendtalkRequest:
    account_id: int
    channel: object                      # channel id or '@search id'
    content: Content                     # checked by friendtalk.check_content
    recipients: list[Recipient]
    targeting: str | None = None         # I (default), M, N
    fallback: FallbackRequest | None = None
    scheduled_at: dt.datetime | None = None
    template_id: int | None = None       # the 친구톡 template it started from, if any
    source: str = "web"
    api_key_id: int | None = None
    max_recipients: int = sms.MAX_RECIPIENTS
    row_label: str = "{}행"


@dataclass
class FriendtalkPlan:
    content: Content
    targeting: str
    recipients: list[KakaoRecipient]
    rejected: list[Rejected]
    duplicates: int
    fallback: FallbackPlan | None
    uses_variables: bool
    scheduled_at: dt.datetime | None = None

    @property
    def msg_type(self) -> str:
        return self.content.msg_type


def _rows(rows: list[int], label: str) -> str:
    shown = ", ".join(label.format(r) for r in rows[:MAX_SHOWN_ROWS])
    return shown + (f" 외 {len(rows) - MAX_SHOWN_ROWS}건" if len(rows) > MAX_SHOWN_ROWS else "")


def _fallback(request: FallbackRequest, content: Content, optouts: OptoutChoices | None) -> FallbackPlan:
    is_default = not (request.text or "").strip()
    body = sms.normalize_text(friendtalk.fallback_text(content) if is_default else request.text).strip()
    where = "기본 대체문자(친구톡 내용과 버튼 링크)" if is_default else "대체문자"
    bad = sms.unsupported_characters(body)
    if bad:
        shown = ", ".join(f"{pos}번째 {sms.describe_char(ch)}" for pos, ch in bad[:5])
        raise ValidationError(f"{where}에 문자 메시지로 보낼 수 없는 문자가 있습니다: {shown}. 대체문자 수정하기에서 "
                              "이모지나 일부 특수문자를 지워주세요.", field="대체문자", code="fallback_invalid",
                              details=[{"position": pos, "char": ch} for pos, ch in bad])
    company = sms.ad_company(request.ad_company)
    number, code = optouts.choose(request.ad_optout) if optouts else (request.ad_optout, None)
    ad = sms.ad_settings(company, number, code)
    title = sms.normalize_text(request.title).strip() or None
    return FallbackPlan(request.sender, sms.SMS, body, title, ad, 0, is_default)


def plan(request: FriendtalkRequest, now: dt.datetime, *, allowed_targeting: tuple[str, ...] = ("I",),
         optouts: OptoutChoices | None = None) -> FriendtalkPlan:
    """Every rule of KFT-01..04; raises with the field (and rows) named."""
    content = request.content
    targeting = friendtalk.check_targeting(request.targeting, allowed_targeting)
    if request.scheduled_at is not None:
        sms.check_schedule(request.scheduled_at, now)
    friendtalk.check_hours(scheduled_at=request.scheduled_at, now=now)
    cleaned = recipient_rules.clean(request.recipients, limit=request.max_recipients, by_number=False)
    if not cleaned.recipients:
        if cleaned.rejected:
            first = cleaned.rejected[0]
            raise ValidationError(f"보낼 수 있는 수신자가 없습니다: {request.row_label.format(first.row)} "
                                  f"{first.phone} — {first.reason}", field="수신자", code="invalid_number",
                                  details=[r.to_dict() for r in cleaned.rejected[:1000]])
        raise ValidationError("수신자를 입력해주세요.", field="수신자", code="required")

    fallback = _fallback(request.fallback, content, optouts) if request.fallback is not None else None
    used = content.variables | (sms.variables_in(fallback.body, fallback.title or "") if fallback else set())
    if fallback is not None and used:      # the values go by SMS too: CP949 only (SMS-01)
        sms_plan.check_values(cleaned.recipients, used, request.row_label)
    limit = content.limit
    missing, too_long, kept = [], [], []
    seen: set[tuple[str, str]] = set()
    duplicates = 0
    longest_fallback, longest_row = 0, 0
    for r in cleaned.recipients:
        values = r.values()
        if used and any(not values.get(name) for name in used):
            missing.append(r.row)
            continue
        text = sms.render(content.text, values) if used else content.text
        if len(text) > limit:
            too_long.append(r.row)
            continue
        if (r.phone, text) in seen:
            duplicates += 1
            continue
        seen.add((r.phone, text))
        fallback_text = fallback_title = None
        if fallback is not None:
            fallback_text = fallback.ad.wrap(sms.render(fallback.body, values) if used else fallback.body)
            size = sms.byte_length(fallback_text)
            if size > longest_fallback:
                longest_fallback, longest_row = size, r.row
            fallback_title = sms.render(fallback.title, values) if fallback.title else None
        kept.append(KakaoRecipient(r, text, fallback_text, fallback_title))
    if missing:
        names = ", ".join(f"#[{name}]" for name in sorted(used))
        raise ValidationError(f"가변문자({names}) 값이 없는 수신자가 있습니다: {_rows(missing, request.row_label)}.",
                              field="수신자", code="missing_variable", details={"rows": missing[:1000]})
    if too_long:
        raise ValidationError(f"가변문자를 넣은 친구톡 내용이 {limit:,}자를 넘는 수신자가 있습니다: "
                              f"{_rows(too_long, request.row_label)}.", field="수신자", code="content_too_long",
                              details={"rows": too_long[:1000]})
    if not kept:
        raise ValidationError("수신자를 입력해주세요.", field="수신자", code="required")
    if fallback is not None:
        if longest_fallback > sms.LONG_LIMIT:
            raise ValidationError(f"대체문자는 광고 문구를 포함해 최대 {sms.LONG_LIMIT:,} byte까지 보낼 수 있습니다 "
                                  f"(현재 {longest_fallback:,} byte, {request.row_label.format(longest_row)} 수신자 기준). "
                                  "대체문자 수정하기에서 줄여주세요.", field="대체문자", code="fallback_invalid")
        kept = settle_fallback(fallback, friendtalk.fallback_type(longest_fallback, content.image), longest_fallback,
                               kept)
    return FriendtalkPlan(content, targeting, kept, cleaned.rejected, cleaned.duplicates + duplicates, fallback,
                          bool(used), request.scheduled_at)
