"""The 알림톡 발송 page's server side (06-kakao.md KAT-06..08, manual "알림톡 작성하기"):
what the page offers (channels, approved templates with their variables and default
fallback, sender numbers), the sample file with one column per template variable, the
recipients file read by those columns, and the page's JSON turned into one
`AlimtalkRequest` for the accept service, which owns every rule. Typed recipients carry
their values by variable name; address-book recipients get theirs through the page's
mapping of each variable to 이름 or 변수1–4."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.domain import alimtalk, jsonbody, sms
from app.domain.alimtalk_plan import AlimtalkRequest
from app.domain.recipients import Recipient
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, AlimtalkTemplate
from app.services.accounts import access, optout_codes
from app.services.contacts import address_book
from app.services.kakao import alimtalk_sends, compose_parts, templates
from app.services.senders import kakao_channels
from app.services.sending import compose

MAX_TYPED = compose.MAX_TYPED
#: what an address-book contact can give a template variable
SOURCES = ("이름", "1", "2", "3", "4")
ROW_LABEL = "{}번째 수신자"


# --- what the page offers ------------------------------------------------------------------------------------

def blocked_reason(account_id: int) -> str | None:
    """Why the page cannot compose yet: 'kakao_unavailable' (no Kakao gateway, issue 20),
    'individual' (기업전환 first), 'no_channel' (발신정보관리), 'no_template' (알림톡 템플릿
    관리), or None."""
    if not access.kakao_available():
        return "kakao_unavailable"
    if not db.session.get(Account, account_id).is_corporate:
        return "individual"
    if not kakao_channels.approved_channels(account_id):
        return "no_channel"
    if not approved(account_id):
        return "no_template"
    return None


def approved(account_id: int) -> list[AlimtalkTemplate]:
    """Approved templates whose channel is approved too (what accept() sends)."""
    return [t for t in templates.approved_templates(account_id)
            if t.channel is not None and t.channel.status == "approved"]


def fallback_problem(text: str) -> str | None:
    """A default fallback that breaks the SMS rules (KAT-07): the page flags it and opens
    대체문자 수정하기 before the confirm dialog. The send refuses it too (fallback_invalid)."""
    bad = sms.unsupported_characters(sms.normalize_text(text))
    if bad:
        shown = ", ".join(f"{pos}번째 {sms.describe_char(ch)}" for pos, ch in bad[:5])
        return f"기본 대체문자에 문자 메시지로 보낼 수 없는 문자가 있습니다: {shown}. 대체문자 수정하기에서 고쳐주세요."
    size = sms.byte_length(sms.normalize_text(text))
    if size > sms.LONG_LIMIT:
        return (f"기본 대체문자가 {sms.LONG_LIMIT:,} byte를 넘습니다 (현재 {size:,} byte). "
                "대체문자 수정하기에서 줄여주세요.")
    return None


def for_page(template: AlimtalkTemplate, image_url: str | None = None) -> dict:
    """A template as the page's script draws it: the bubble's fields, its variables, its
    default fallback (variables unrendered) and whether that breaks the SMS rules."""
    default = alimtalk.fallback_text(template.content, template.buttons)
    return {"id": template.id, "name": template.name, "code": template.code, "channel_id": template.channel_id,
            "channel": template.channel.search_id if template.channel else "", "variables": list(template.variables),
            "is_ad": template.message_type in ("AD", "MI"), "bubble": templates.as_form(template),
            "image_url": image_url, "default_fallback": default, "fallback_problem": fallback_problem(default)}


def sample_file(account_id: int, template_id) -> tuple[bytes, str]:
    """The sample recipients file of a template: 번호 and one column per `#{변수}`."""
    template = templates.get_template(account_id, template_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "수신자"
    names = list(template.variables)
    sheet.append(["번호"] + [f"#{{{name}}}" for name in names])
    sheet.append(["010-2345-6789"] + [f"{name} 값" for name in names])
    for index in range(len(names) + 1):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), f"alimtalk-{template.code}-sample.xlsx"


def store_upload(*, account_id: int, template_id, filename: str, data: bytes, now: dt.datetime) -> dict:
    """A recipients file read by the template's variables (the sample file's columns)."""
    access.check_kakao_available()
    template = templates.get_template(account_id, template_id)
    return compose.store_upload(account_id=account_id, filename=filename, data=data, now=now,
                                variables=tuple(template.variables))


# --- the request ---------------------------------------------------------------------------------------------

def _list(payload: dict, key: str, label: str) -> list:
    return jsonbody.field(payload, key, list, name=label, label=label) or []


def _typed(item, position: int) -> Recipient:
    """{"phone": "010…", "vars": {"변수명": "값"}} (or a bare number)."""
    if isinstance(item, str):
        return Recipient(item, None, {}, position)
    values = item.get("vars") if isinstance(item, dict) else None
    if not isinstance(item, dict) or not isinstance(item.get("phone"), str) or not isinstance(values or {}, dict) \
            or any(isinstance(v, bool) or not isinstance(v, (str, int, float, type(None)))
                   for v in (values or {}).values()):
        raise ValidationError(f"{position}번째 수신자의 형식이 올바르지 않습니다 (번호, 변수 값).", field="수신자",
                              code="invalid_type")
    return Recipient(item["phone"], None, {str(k): str(v) for k, v in (values or {}).items()
                                           if v is not None and str(v).strip()}, position)


def _mapping(payload: dict, variables: list[str]) -> dict[str, str]:
    raw = payload.get("mapping") or {}
    if not isinstance(raw, dict):
        raise ValidationError("주소록 변수 연결의 형식이 올바르지 않습니다.", field="주소록", code="invalid_type")
    out = {}
    for name in variables:
        source = raw.get(name) or ""
        if source not in ("",) + SOURCES:
            raise ValidationError(f"#{{{name}}}에 연결할 값은 이름 또는 변수1~변수4 중에서 골라주세요.", field="주소록",
                                  code="invalid_choice")
        if source:
            out[name] = source
    return out


def _mapped(r: Recipient, mapping: dict[str, str]) -> Recipient:
    """An address-book contact's values by the template's variable names."""
    values = {}
    for name, source in mapping.items():
        value = r.name if source == "이름" else (r.vars or {}).get(source)
        if value not in (None, ""):
            values[name] = str(value)
    return Recipient(r.phone, r.name, values, r.row)


def build_request(account_id: int, payload: dict) -> AlimtalkRequest:
    if not isinstance(payload, dict):
        raise ValidationError("요청 형식이 올바르지 않습니다.", field="요청", code="invalid_json")
    template_ref = payload.get("template_id")
    if template_ref in (None, ""):
        raise ValidationError("템플릿을 선택해주세요.", field="템플릿", code="required")
    if not isinstance(template_ref, (int, str)) or isinstance(template_ref, bool):
        raise ValidationError("템플릿을 목록에서 선택해주세요.", field="템플릿", code="invalid_choice")
    template = alimtalk_sends.sendable_template(account_id, template_ref)
    typed = _list(payload, "recipients", "수신자")
    if len(typed) > MAX_TYPED:
        raise ValidationError(f"직접 입력한 수신자는 {MAX_TYPED:,}명까지입니다. 더 많은 수신자는 파일로 불러와주세요.",
                              field="수신자", code="too_many_recipients")
    recipients = [_typed(item, position) for position, item in enumerate(typed, start=1)]
    book, _groups = address_book.recipients_from(account_id, group_ids=_list(payload, "group_ids", "주소록 그룹"),
                                                 contact_ids=_list(payload, "contact_ids", "주소록 연락처"))
    mapping = _mapping(payload, list(template.variables))
    recipients += [_mapped(r, mapping) for r in book]
    if payload.get("upload_id"):
        recipients += compose.upload_recipients(account_id, payload["upload_id"])
    recipients = [Recipient(r.phone, r.name, r.vars, i) for i, r in enumerate(recipients, start=1)]
    channel = payload.get("channel")
    return AlimtalkRequest(account_id=account_id, channel=str(channel) if channel not in (None, "") else None,
                           template=template.id, recipients=recipients,
                           fallback=compose_parts.fallback_request(payload), scheduled_at=compose.schedule_of(payload),
                           source="web", row_label=ROW_LABEL)


def quote(account_id: int, payload: dict, now: dt.datetime) -> dict:
    """The two-column confirm dialog (KAT-08): the service's quote, refused as accept()
    refuses (the fallback's sender number, suspension and the daily cap included), nothing
    written."""
    return compose_parts.confirm(account_id, build_request(account_id, payload), alimtalk_sends.quote, now=now,
                                 kakao_type="알림톡")


def send(account_id: int, payload: dict, now: dt.datetime):
    """Send once per compose token, as the SMS page does (a double click gets the first
    answer back, a dict)."""
    return compose.once_per_token(account_id, payload, now, scope="web:alimtalk",
                                  accept=lambda: alimtalk_sends.accept(build_request(account_id, payload), now=now))


accepted_message = compose.accepted_message


def optouts(account_id: int):
    return optout_codes.choices(account_id)
