"""재발송하기 (05-results.md RES-03): the compose page opened with the content of a past
send and the recipients chosen by result. With nothing chosen, the failed ones come (and
the page says so). Up to 1,000 arrive as recipient chips the customer can edit; more are
sent straight from the send's own data (compose reads them, app/services/sending/selections.py)."""
from __future__ import annotations

from app.security.tenancy import get_owned
from app.models import Send
from app.services.sending import selections

MAX_RESEND_PREFILL = 1000
PREVIEW_ROWS = 5


def prefill(account_id: int, send_id, states, categories) -> dict:
    send = get_owned(Send, send_id, account_id)
    flt = selections.parse_message_filter(states, categories)
    notice = None
    if not flt.chosen:
        flt = selections.MessageFilter(("failed",))
        notice = "선택한 결과가 없어 발송실패 수신자를 불러왔습니다."
    total = selections.count(send.id, flt)
    content = {"title": send.title or "", "body": send.body, "is_ad": send.is_ad, "ad_company": send.ad_company or "",
               "ad_optout": send.ad_optout or "",
               "images": [{"image_id": image.file.id, "name": image.file.original_name, "size": image.file.size}
                          for image in send.images],
               "recipients": [], "resend": None, "notice": notice}
    if total == 0:
        content["notice"] = f"{flt.label()} 수신자가 없습니다. 수신자를 추가해주세요."
    elif total <= MAX_RESEND_PREFILL:
        content["recipients"] = [_chip(r) for r in selections.recipients(account_id, send.id, flt)]
    else:
        content["resend"] = dict(flt.to_dict(), send_id=send.id, count=total, label=flt.label(),
                                 preview=[_chip(r) for r in selections.recipients(account_id, send.id, flt,
                                                                                  limit=PREVIEW_ROWS)])
    return content


def _chip(r) -> dict:
    return {"phone": r.phone, "name": r.name, "vars": r.vars}
