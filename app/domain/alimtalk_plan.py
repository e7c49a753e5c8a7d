"""The plan of an AlimTalk send (06-kakao.md KAT-06..09): every rule that decides whether
it can go and what each recipient reads, before anything is written. Pure: the accept
service reads the template, the channel and the account's 080 numbers and passes them in.

- Each recipient's values fill the template's `#{변수}`; a value left empty, or a rendered
  message over the template's limit (1,300; 1,260 for AD/MI), is refused naming the row.
- A number is kept once per rendered message (KAT-07b): two different order notices to the
  same number both go; the same notice twice is one.
- The fallback (KAT-07, 대체문자): the text typed (with `#{변수}`), or by default the rendered
  message and its web-link buttons as `버튼명: URL`. It is checked as an SMS (04-sms.md):
  characters CP949 cannot carry are refused (`fallback_invalid`), the type is SMS or LMS by
  the longest rendered fallback (≤ 2,000 bytes). An AD/MI template's fallback is an ad:
  (광고), the company, the 무료거부 080 line (SMS-06); whether it may go at night is decided
  when it is created (KAT-07a: 21:00–08:00 fails `NIGHT_AD`, free).
- AlimTalk is informational: the advertising night rule does not apply to it (KAT-09)."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from app.domain import alimtalk, sms
from app.domain import recipients as recipient_rules
from app.domain.optout080 import OptoutChoices
from app.domain.recipients import Recipient, Rejected
from app.errors import ValidationError

MAX_SHOWN_ROWS = 20


@dataclass(frozen=True)
class TemplateFacts:
    """What the plan needs of an approved template (services/kakao/templates.py gives it)."""
    id: int
    code: str
    name: str
    message_type: str
    content: str
    variables: tuple[str, ...]
    buttons: tuple[dict, ...] = ()
    emphasis_title: str | None = None

    @property
    def is_ad(self) -> bool:
        return self.message_type in ("AD", "MI")


@dataclass
class FallbackRequest:
    sender: str                          # an approved sender number of the account
    text: str | None = None              # None: the default (the rendered message and its web links)
    title: str | None = None             # LMS title
    ad_company: str | None = None        # an AD/MI template's fallback is an ad (SMS-06)
    ad_optout: str | None = None


@dataclass
class AlimtalkRequest:
    account_id: int
    channel: object                      # channel id or '@search id'
    template: object                     # template id or code
    recipients: list[Recipient]          # vars by template variable name
    fallback: FallbackRequest | None = None
    scheduled_at: dt.datetime | None = None
    source: str = "web"
    api_key_id: int | None = None
    max_recipients: int = sms.MAX_RECIPIENTS
    row_label: str = "{}행"


@dataclass(frozen=True)
class KakaoRecipient:
    recipient: Recipient
    text: str                            # the rendered AlimTalk message
    fallback_text: str | None = None     # the rendered fallback as it goes (ad wording included)
    fallback_title: str | None = None


@dataclass
class FallbackPlan:
    sender: str
    msg_type: str                        # SMS or LMS
    body: str                            # as typed or defaulted, variables unrendered
    title: str | None
    ad: sms.AdSettings | None
    longest_bytes: int
    is_default: bool


@dataclass
class AlimtalkPlan:
    template: TemplateFacts
    recipients: list[KakaoRecipient]
    rejected: list[Rejected]
    duplicates: int
    fallback: FallbackPlan | None
    scheduled_at: dt.datetime | None = None
    uses_variables: bool = field(default=False)


def _rows(rows: list[int], label: str) -> str:
    shown = ", ".join(label.format(r) for r in rows[:MAX_SHOWN_ROWS])
    return shown + (f" 외 {len(rows) - MAX_SHOWN_ROWS}건" if len(rows) > MAX_SHOWN_ROWS else "")


def values_of(recipient: Recipient) -> dict[str, str]:
    """A recipient's values by variable name (blank ones left out)."""
    return {str(k): str(v) for k, v in recipient.vars.items() if v not in (None, "")}


def render_fallback(body: str, values: dict[str, str], ad: sms.AdSettings | None) -> str:
    text = alimtalk.render(body, values)
    return ad.wrap(text) if ad else text


def _fallback_renderer(body: str, ad: sms.AdSettings | None):
    render = alimtalk.renderer(body)
    return (lambda values: ad.wrap(render(values))) if ad else render


def _fallback(request: FallbackRequest, template: TemplateFacts, optouts: OptoutChoices | None) -> tuple:
    """(body, title, ad, is_default) of the fallback, its own rules checked."""
    is_default = not (request.text or "").strip()
    body = sms.normalize_text(alimtalk.fallback_text(template.content, template.buttons, None)
                              if is_default else request.text)
    where = "기본 대체문자(템플릿 내용과 버튼 링크)" if is_default else "대체문자"
    bad = sms.unsupported_characters(body)
    if bad:
        shown = ", ".join(f"{pos}번째 {sms.describe_char(ch)}" for pos, ch in bad[:5])
        raise ValidationError(f"{where}에 문자 메시지로 보낼 수 없는 문자가 있습니다: {shown}. 대체문자 수정하기에서 "
                              "이모지나 일부 특수문자를 지워주세요.", field="대체문자", code="fallback_invalid",
                              details=[{"position": pos, "char": ch} for pos, ch in bad])
    alimtalk.variables(body, label="대체문자", field="대체문자")
    unknown = [v for v in alimtalk.variables(body) if v not in template.variables]
    if unknown:
        raise ValidationError(f"대체문자의 #{{{unknown[0]}}}: 템플릿에 없는 변수입니다. 템플릿의 변수만 쓸 수 있습니다.",
                              field="대체문자", code="fallback_invalid")
    ad = None
    if template.is_ad:
        company = sms.ad_company(request.ad_company)
        number, code = optouts.choose(request.ad_optout) if optouts else (request.ad_optout, None)
        ad = sms.ad_settings(company, number, code)
    title = sms.normalize_text(request.title).strip() or None
    return body, title, ad, is_default


def plan(request: AlimtalkRequest, template: TemplateFacts, now: dt.datetime, *,
         optouts: OptoutChoices | None = None) -> AlimtalkPlan:
    """Every rule of KAT-06..08; raises with the field (and rows) named."""
    if request.scheduled_at is not None:
        sms.check_schedule(request.scheduled_at, now)
    cleaned = recipient_rules.clean(request.recipients, limit=request.max_recipients, by_number=False)
    if not cleaned.recipients:
        if cleaned.rejected:
            first = cleaned.rejected[0]
            raise ValidationError(f"보낼 수 있는 수신자가 없습니다: {request.row_label.format(first.row)} "
                                  f"{first.phone} — {first.reason}", field="수신자", code="invalid_number",
                                  details=[r.to_dict() for r in cleaned.rejected[:1000]])
        raise ValidationError("수신자를 입력해주세요.", field="수신자", code="required")

    fallback = None
    if request.fallback is not None:
        body, title, ad, is_default = _fallback(request.fallback, template, optouts)
        fallback = FallbackPlan(request.fallback.sender, sms.SMS, body, title, ad, 0, is_default)

    limit = alimtalk.content_limit(template.message_type)
    used = template.variables
    missing, too_long, kept = [], [], []
    seen: set[tuple[str, str]] = set()
    duplicates = 0
    longest_fallback, longest_row = 0, 0
    rendered_cache: dict[tuple, str] = {}
    render_content = alimtalk.renderer(template.content)
    render_fallback_text = _fallback_renderer(fallback.body, fallback.ad) if fallback is not None else None
    # the default fallback of a template without web links is the message itself: rendered once
    fallback_is_text = fallback is not None and fallback.body == template.content
    wrap = fallback.ad.wrap if fallback is not None and fallback.ad else None
    render_title = alimtalk.renderer(fallback.title) if fallback is not None and fallback.title else None
    for r in cleaned.recipients:
        values = values_of(r)
        if any(name not in values for name in used):
            missing.append(r.row)
            continue
        key = tuple(values.get(name) for name in used)
        text = rendered_cache.get(key)
        if text is None:
            text = render_content(values)
            rendered_cache[key] = text
        if len(text) > limit:
            too_long.append(r.row)
            continue
        if (r.phone, text) in seen:
            duplicates += 1
            continue
        seen.add((r.phone, text))
        fallback_text = fallback_title = None
        if fallback is not None:
            fallback_text = (wrap(text) if wrap else text) if fallback_is_text else render_fallback_text(values)
            size = sms.byte_length(fallback_text)
            if size > longest_fallback:
                longest_fallback, longest_row = size, r.row
            fallback_title = render_title(values) if render_title else None
        kept.append(KakaoRecipient(r, text, fallback_text, fallback_title))
    if missing:
        names = ", ".join(f"#{{{name}}}" for name in used)
        raise ValidationError(f"템플릿 변수({names}) 값이 비어 있는 수신자가 있습니다: {_rows(missing, request.row_label)}.",
                              field="수신자", code="variable_missing", details={"rows": missing[:1000]})
    if too_long:
        raise ValidationError(f"변수를 넣은 알림톡 내용이 {limit:,}자를 넘는 수신자가 있습니다: "
                              f"{_rows(too_long, request.row_label)}.", field="수신자", code="content_too_long",
                              details={"rows": too_long[:1000]})
    if fallback is not None:
        if longest_fallback > sms.LONG_LIMIT:
            raise ValidationError(f"대체문자는 최대 {sms.LONG_LIMIT:,} byte까지 보낼 수 있습니다 "
                                  f"(현재 {longest_fallback:,} byte, {request.row_label.format(longest_row)} 수신자 기준). "
                                  "대체문자 수정하기에서 줄여주세요.", field="대체문자", code="fallback_invalid")
        kept = settle_fallback(fallback, sms.message_type(longest_fallback, False), longest_fallback, kept)
    return AlimtalkPlan(template, kept, cleaned.rejected, cleaned.duplicates + duplicates, fallback,
                        request.scheduled_at, bool(used))


def settle_fallback(fallback: FallbackPlan, msg_type: str, longest: int,
                    kept: list[KakaoRecipient]) -> list[KakaoRecipient]:
    """The fallback's type once every recipient's rendering is known (its longest decides,
    and for a Brand Message its image): an SMS carries no title; an LMS/MMS title is at
    most 30 bytes rendered. Returns the recipients as they go."""
    fallback.msg_type, fallback.longest_bytes = msg_type, longest
    if msg_type == sms.SMS:
        fallback.title = None
        return [KakaoRecipient(k.recipient, k.text, k.fallback_text, None) for k in kept]
    if fallback.title and max(sms.byte_length(k.fallback_title or "") for k in kept) > sms.TITLE_LIMIT:
        raise ValidationError(f"대체문자 제목은 {sms.TITLE_LIMIT} byte 이하로 입력해주세요.", field="대체문자 제목",
                              code="byte_limit")
    return kept


def content_hash(text: str) -> str:
    """What the recipient reads, as a fingerprint (SMS-15 across sends)."""
    return hashlib.sha256(f"\x1f{text}".encode()).hexdigest()[:16]
