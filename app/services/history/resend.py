"""재발송하기 (05-results.md RES-03): the compose page opened with the content of a past
send and some of its recipients (by result), up to 1,000; more go by Excel and upload."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.models import Message, Send
from app.security.tenancy import get_owned
from app.services.history import queries

MAX_RESEND_PREFILL = 1000


def resend_recipients(account_id: int, send_id, flt: queries.MessageFilter) -> list[dict]:
    send = get_owned(Send, send_id, account_id)
    rows = db.session.execute(flt.apply(select(Message.recipient, Message.name, Message.vars)
                                        .where(Message.send_id == send.id)).order_by(Message.id)
                              .limit(MAX_RESEND_PREFILL + 1)).all()
    if len(rows) > MAX_RESEND_PREFILL:
        raise ValidationError(f"재발송은 한 번에 {MAX_RESEND_PREFILL:,}명까지 가능합니다. 엑셀로 내려받아 파일로 불러와주세요.",
                              field="재발송", code="too_many_recipients")
    return [{"phone": r.recipient, "name": r.name, "vars": json.loads(r.vars) if r.vars else {}} for r in rows]


def prefill(account_id: int, send_id, states, categories) -> dict:
    send = get_owned(Send, send_id, account_id)
    flt = queries.parse_message_filter(states, categories)
    return {"title": send.title or "", "body": send.body, "is_ad": send.is_ad, "ad_company": send.ad_company or "",
            "ad_optout": send.ad_optout or "",
            "images": [{"image_id": image.file.id, "name": image.file.original_name, "size": image.file.size}
                       for image in send.images],
            "recipients": resend_recipients(account_id, send_id, flt)}
