"""문자 템플릿 (SMS-08): title, body and ad settings saved per account; chosen on the
compose page, saved from it ("템플릿으로 저장") and from a past send ("저장하기")."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from app.domain import sms
from app.domain import text as rules
from app.errors import ValidationError
from app.extensions import db
from app.models import MessageTemplate, Send
from app.security.tenancy import get_owned
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

PER_PAGE = 20


def _fields(name, title, body, is_ad, ad_company, ad_optout=None) -> dict:
    body = sms.normalize_text(body)
    if not body.strip():
        raise ValidationError("내용을 입력해주세요.", field="내용", code="required")
    sms.check_characters(body, "내용")
    if sms.byte_length(body) > sms.LONG_LIMIT:      # a template that could never be sent
        raise ValidationError(f"내용은 {sms.LONG_LIMIT:,} byte 이하로 입력해주세요 (현재 {sms.byte_length(body):,} byte).",
                              field="내용", code="byte_limit")
    title = rules.optional(sms.normalize_text(title), "제목", max_length=60)
    if title:
        sms.check_characters(title, "제목")
        if sms.byte_length(title) > sms.TITLE_LIMIT:
            raise ValidationError(f"제목은 {sms.TITLE_LIMIT} byte 이하로 입력해주세요 (현재 {sms.byte_length(title)} byte).",
                                  field="제목", code="byte_limit")
    return {"name": rules.required(name, "템플릿 이름", max_length=50), "title": title, "body": body,
            "is_ad": bool(is_ad), "ad_company": rules.optional(ad_company, "광고 업체명", max_length=30) if is_ad else None,
            "ad_optout": sms.optout_number(ad_optout) if is_ad else None}   # blank: the account's default


def listing(account_id: int, *, query: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    stmt = select(MessageTemplate).where(MessageTemplate.account_id == account_id)
    if query:
        stmt = stmt.where(or_(MessageTemplate.name.like(f"%{query}%"), MessageTemplate.body.like(f"%{query}%"),
                              MessageTemplate.title.like(f"%{query}%")))
    return paginate(stmt, MessageTemplate.updated_at.desc(), MessageTemplate.id.desc(), page=page, per_page=per_page)


def all_of(account_id: int) -> list[MessageTemplate]:
    return list(db.session.scalars(select(MessageTemplate).where(MessageTemplate.account_id == account_id)
                                   .order_by(MessageTemplate.name)))


def get(account_id: int, template_id) -> MessageTemplate:
    return get_owned(MessageTemplate, template_id, account_id)


def create(*, account_id: int, name, title, body, is_ad=False, ad_company=None, ad_optout=None,
           now: dt.datetime) -> MessageTemplate:
    fields = _fields(name, title, body, is_ad, ad_company, ad_optout)
    with transaction():
        template = MessageTemplate(account_id=account_id, created_at=now, updated_at=now, **fields)
        db.session.add(template)
    return template


def update(*, account_id: int, template_id, name, title, body, is_ad=False, ad_company=None, ad_optout=None,
           now: dt.datetime) -> MessageTemplate:
    fields = _fields(name, title, body, is_ad, ad_company, ad_optout)
    with transaction():
        template = get_owned(MessageTemplate, template_id, account_id, for_update=True)
        for key, value in fields.items():
            setattr(template, key, value)
        template.updated_at = now
    return template


def delete(*, account_id: int, template_id) -> None:
    with transaction():
        db.session.delete(get_owned(MessageTemplate, template_id, account_id, for_update=True))


def save_from_send(*, account_id: int, send_id, now: dt.datetime) -> MessageTemplate:
    """저장하기 in the history list: the send's content becomes a template."""
    send = get_owned(Send, send_id, account_id)
    name = (send.title or send.body.split("\n", 1)[0])[:40] or "발송 내용"
    return create(account_id=account_id, name=name, title=send.title, body=send.body, is_ad=send.is_ad,
                  ad_company=send.ad_company, ad_optout=send.ad_optout, now=now)


def as_dict(t: MessageTemplate) -> dict:
    return {"id": t.id, "name": t.name, "title": t.title or "", "body": t.body, "is_ad": t.is_ad,
            "ad_company": t.ad_company or "", "ad_optout": t.ad_optout or ""}
