"""친구톡 템플릿 (06-kakao.md KFT-01): an account's saved Brand Message contents — a name, the
text with its `#[…]` variables, an optional image (WIDE or not) and up to 5 buttons —
listed, created, edited and deleted, and read by the compose page to start from. Each is
checked by the rules a send's content obeys (domain/friendtalk.check_content), so what
is saved can be sent."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import or_

from app.domain import friendtalk
from app.domain.files import CheckedFile
from app.domain.friendtalk import Content
from app.domain.korean import josa
from app.errors import ValidationError
from app.extensions import db
from app.models import FriendtalkTemplate
from app.security.tenancy import get_owned, owned
from app.services.accounts import access
from app.services.shared import files
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

MAX_NAME = 100


def list_templates(account_id: int, *, query: str | None = None, page: int = 1,
                   per_page: int = 10) -> tuple[list[FriendtalkTemplate], int]:
    """The account's saved contents, newest first, searched by name and content."""
    stmt = owned(FriendtalkTemplate, account_id)
    words = " ".join(str(query or "").split())[:100]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(FriendtalkTemplate.name.ilike(pattern, escape="\\"),
                              FriendtalkTemplate.content.ilike(pattern, escape="\\")))
    return paginate(stmt, FriendtalkTemplate.updated_at.desc(), FriendtalkTemplate.id.desc(), page=page,
                    per_page=per_page)


def get_template(account_id: int, template_id, *, for_update: bool = False) -> FriendtalkTemplate:
    """One of the account's (another account's is NotFound, as everywhere)."""
    return get_owned(FriendtalkTemplate, template_id, account_id, for_update=for_update)


def image_bytes(template: FriendtalkTemplate) -> bytes | None:
    return files.path_of(template.image_file).read_bytes() if template.image_file is not None else None


def as_form(template: FriendtalkTemplate) -> dict:
    """The saved content as the 친구톡 템플릿 form shows it (and posts it back)."""
    return {"name": template.name, "content": template.content, "wide": template.wide,
            "buttons": template.buttons}


def content_of(template: FriendtalkTemplate) -> Content:
    """The saved content as a send would take it, checked again (rules may have changed)."""
    return friendtalk.check_content(template.content, template.buttons, image_bytes(template), wide=template.wide)


def _name(value) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError("템플릿 이름을 입력해주세요.", field="템플릿 이름", code="required")
    if len(name) > MAX_NAME:
        raise ValidationError(f"{josa('템플릿 이름', '은/는')} {MAX_NAME}자 이하로 입력해주세요.", field="템플릿 이름",
                              code="too_long")
    return name


def _keep(template: FriendtalkTemplate, *, account_id: int, name, text, buttons, image: tuple[str, bytes] | None,
          keep_image: bool, wide: bool, now: dt.datetime) -> None:
    """Check everything first, then write: a refusal changes nothing."""
    name = _name(name)
    current = image_bytes(template) if keep_image and image is None else None
    new_image = image[1] if image is not None and image[1] else None
    content = friendtalk.check_content(text, buttons, new_image or current, wide=wide)
    template.name, template.content, template.wide = name, content.text, content.wide
    template.buttons_json = json.dumps([b.as_dict() for b in content.buttons], ensure_ascii=False)
    template.updated_at = now
    old = template.image_file
    if new_image is not None:
        img = content.image
        template.image_file = files.store(account_id=account_id, kind="friendtalk_image",
                                          filename=(image[0] or f"image.{img.extension}")[:200], data=img.data,
                                          checked=CheckedFile(img.mime, img.extension, img.width, img.height), now=now)
    elif content.image is None:
        template.image_file = None
    if old is not None and template.image_file is not old:
        files.delete([old])


def create_template(*, account_id: int, name, text, buttons=None, image: tuple[str, bytes] | None = None,
                    wide: bool = False, now: dt.datetime) -> FriendtalkTemplate:
    """저장: a new saved content (corporate accounts only, as all Kakao)."""
    with transaction():
        access.check_kakao_allowed(account_id, field="템플릿 이름")
        template = FriendtalkTemplate(account_id=account_id, created_at=now)
        _keep(template, account_id=account_id, name=name, text=text, buttons=buttons, image=image, keep_image=False,
              wide=wide, now=now)
        db.session.add(template)
        db.session.flush()
    return template


def update_template(*, account_id: int, template_id, name, text, buttons=None, image: tuple[str, bytes] | None = None,
                    keep_image: bool = True, wide: bool = False, now: dt.datetime) -> FriendtalkTemplate:
    """수정: a new image replaces the old one; `keep_image=False` without one removes it.
    Refused, as 저장 is, without a Kakao gateway (issue 20)."""
    access.check_kakao_available()
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        _keep(template, account_id=account_id, name=name, text=text, buttons=buttons, image=image,
              keep_image=keep_image, wide=wide, now=now)
    return template


def delete_templates(*, account_id: int, template_ids, now: dt.datetime) -> int:
    """삭제 (one or the chosen ones): the account's only — one id of another account (or
    unknown) refuses them all —; sends made from them keep their copy."""
    ids = list(dict.fromkeys(str(template_id).strip() for template_id in template_ids or ()))
    if not ids:
        raise ValidationError("삭제할 템플릿을 선택해주세요.", field="템플릿", code="required")
    with transaction():
        rows = [get_template(account_id, template_id, for_update=True) for template_id in ids]
        images = [t.image_file for t in rows if t.image_file is not None]
        for template in rows:
            db.session.delete(template)
        db.session.flush()
        files.delete(images)
    return len(rows)
