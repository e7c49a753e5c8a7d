"""The 친구톡 발송 page's server side (06-kakao.md KFT-01..04, KAT-07/08; manual "친구톡
작성하기", "친구톡 발송하기"). Kakao ended FriendTalk on 2025-12-31: what this page sends is
a Brand Message (친구톡 텍스트, or 친구톡 포토 with an image, WIDE included).

What the page offers (approved channels with the targeting each may use, the saved 친구톡
contents, sender numbers, the 080 numbers an ad may name, the company its ad fallback
names), an attached image checked by the Brand Message rules and kept as a draft until
the send keeps its own copy, a saved content read back for the page, and the page's JSON
turned into one `FriendtalkRequest` for the accept service (kakao/friendtalk_sends), which
owns every rule. Recipients are the SMS page's (typed, address book, file, with #[이름],
#[1]..#[4] values: sending/compose.listed_recipients); the 대체문자 block and the confirm
dialog's figures are the AlimTalk page's (kakao/compose_parts)."""
from __future__ import annotations

import datetime as dt

from app.domain import friendtalk, jsonbody, message_types
from app.domain.files import CheckedFile
from app.domain.friendtalk import Image
from app.domain.friendtalk_plan import FriendtalkRequest
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Account, StoredFile
from app.security.tenancy import get_owned
from app.services.accounts import access, optout_codes
from app.services.kakao import compose_parts, friendtalk_sends, friendtalk_templates
from app.services.senders import kakao_channels, sender_numbers
from app.services.sending import compose
from app.services.shared import files
from app.services.shared.uow import transaction

#: an image attached on the page before its send (purged with the SMS page's drafts)
DRAFT_KIND = "friendtalk_draft"
#: what a send may take its image from: a draft of this page, or a saved content's image
IMAGE_KINDS = (DRAFT_KIND, "friendtalk_image")
#: the saved contents the 템플릿 list offers at most (newest first)
MAX_TEMPLATES = 500
ROW_LABEL = "{}번째 수신자"


# --- what the page offers ------------------------------------------------------------------------------------

def blocked_reason(account_id: int) -> str | None:
    """Why the page cannot compose yet: 'kakao_unavailable' (no Kakao gateway, issue 20),
    'individual' (기업전환 first), 'no_channel' (발신정보관리), or None. A saved content is
    optional."""
    if not access.kakao_available():
        return "kakao_unavailable"
    if not db.session.get(Account, account_id).is_corporate:
        return "individual"
    return None if kakao_channels.approved_channels(account_id) else "no_channel"


def offers(account_id: int) -> dict:
    """The page's choices. Each channel carries the targeting it may use now
    (friendtalk_sends.targeting_choices: `I`, and `M`/`N` once an operator approved them),
    so that the page offers M/N only for such a channel. Reads only."""
    account = db.session.get(Account, account_id)
    saved, _total = friendtalk_templates.list_templates(account_id, per_page=MAX_TEMPLATES)
    return {"channels": [{"id": c.id, "search_id": c.search_id,
                          "targeting": list(friendtalk_sends.targeting_choices(account_id, c))}
                         for c in kakao_channels.approved_channels(account_id)],
            "templates": [{"id": t.id, "name": t.name, "type": message_types.label(t.msg_type)} for t in saved],
            "senders": sender_numbers.approved_numbers(account_id), "optouts": optout_codes.choices(account_id),
            "company": account.company_name or ""}


def _image_info(file_id: int, name: str, image: Image) -> dict:
    """An image as the page draws it: its size, and whether the fallback can be an MMS with
    it (SMS-14; else the fallback of a 포토 is an LMS without it, KFT-04)."""
    return {"image_id": file_id, "name": name, "width": image.width, "height": image.height,
            "size": len(image.data), "format": image.format, "meets_mms": image.meets_mms()}


def store_image(*, account_id: int, filename: str, data: bytes, wide: bool, now: dt.datetime) -> dict:
    """이미지첨부: the image checked by the Brand Message rules (jpg/png by content, ≤ 5 MB,
    ≥ 500 px wide, the ratio of 포토 or of 와이드형; the refusal names the rule) and kept as
    a draft of this page. The send checks it again with the content."""
    access.check_kakao_allowed(account_id, field="이미지")
    image = friendtalk.check_image(data, wide=wide, field="이미지")
    with transaction():
        row = files.store(account_id=account_id, kind=DRAFT_KIND, filename=filename or f"image.{image.extension}",
                          data=data, checked=CheckedFile(image.mime, image.extension, image.width, image.height),
                          now=now)
        db.session.flush()
    return _image_info(row.id, row.original_name, image)


def saved_content(account_id: int, template_id) -> dict:
    """A saved 친구톡 content as the page fills 내용, 이미지 (와이드형) and 버튼 from it,
    checked again as a send's (friendtalk_templates.content_of). Another account's is
    NotFound."""
    template = friendtalk_templates.get_template(account_id, template_id)
    content = friendtalk_templates.content_of(template)
    image = _image_info(template.image_file_id, template.image_file.original_name, content.image) \
        if content.image is not None else None
    return {"id": template.id, "name": template.name, "content": content.text, "wide": content.wide,
            "buttons": [b.as_dict() for b in content.buttons], "image": image}


# --- the request ---------------------------------------------------------------------------------------------

def _image(account_id: int, image_id) -> bytes | None:
    if image_id in (None, ""):
        return None
    missing = ValidationError("첨부한 이미지를 찾을 수 없습니다. 이미지를 다시 첨부해주세요.", field="이미지",
                              code="invalid_image")
    if isinstance(image_id, bool) or not isinstance(image_id, (int, str)):
        raise missing
    try:
        row = get_owned(StoredFile, image_id, account_id)
    except NotFound:
        raise missing from None
    if row.kind not in IMAGE_KINDS:
        raise missing
    return files.path_of(row).read_bytes()


def _template_id(account_id: int, value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError("템플릿을 목록에서 선택해주세요.", field="템플릿", code="invalid_choice")
    return friendtalk_templates.get_template(account_id, value).id


def build_request(account_id: int, payload: dict) -> FriendtalkRequest:
    """The page's JSON (static/js/friendtalk_compose.js payload()) as the accept service
    takes it; the content is checked here by the Brand Message rules (friendtalk.check_content),
    the rest by the service."""
    if not isinstance(payload, dict):
        raise ValidationError("요청 형식이 올바르지 않습니다.", field="요청", code="invalid_json")
    template_id = _template_id(account_id, payload.get("template_id"))
    text = jsonbody.field(payload, "content", str, name="내용", label="내용")
    buttons = jsonbody.field(payload, "buttons", list, name="buttons", label="버튼")
    content = friendtalk.check_content(text, buttons, _image(account_id, payload.get("image_id")),
                                       wide=payload.get("wide") is True)
    recipients, _groups = compose.listed_recipients(account_id, payload)
    channel = payload.get("channel")
    return FriendtalkRequest(account_id=account_id, channel=str(channel) if channel not in (None, "") else None,
                             content=content, recipients=recipients,
                             targeting=jsonbody.field(payload, "targeting", str, name="발송 대상", label="발송 대상"),
                             fallback=compose_parts.fallback_request(payload),
                             scheduled_at=compose.schedule_of(payload), template_id=template_id, source="web",
                             row_label=ROW_LABEL)


def quote(account_id: int, payload: dict, now: dt.datetime) -> dict:
    """The two-column confirm dialog (KAT-08): 친구톡 텍스트 or 포토 beside the fallback's
    SMS/LMS/MMS, their prices, the hold at the higher one; validated as accept() validates,
    nothing written."""
    request = build_request(account_id, payload)
    return compose_parts.confirm(account_id, request, friendtalk_sends.quote, now=now,
                                 kakao_type=message_types.label(request.content.msg_type))


def send(account_id: int, payload: dict, now: dt.datetime):
    """Send once per compose token, as the SMS and AlimTalk pages do (a double click gets
    the first answer back, a dict)."""
    return compose.once_per_token(account_id, payload, now, scope="web:friendtalk",
                                  accept=lambda: friendtalk_sends.accept(build_request(account_id, payload), now=now))


accepted_message = compose.accepted_message
