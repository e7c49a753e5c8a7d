"""재발송하기 (05-results.md RES-03): the compose page opened with the content of a past
send and the recipients chosen by result. With nothing chosen, the failed ones come (and
the page says so). Up to 1,000 arrive as recipient chips the customer can edit; more are
sent straight from the send's own data (compose reads them, app/services/sending/selections.py).
A Kakao send is resent as SMS (KRS-03): both ways, each recipient's values move to the SMS
text's #[1]..#[4] in `selections.recipients`, however many recipients were chosen."""
from __future__ import annotations

import json

from app.security.tenancy import get_owned
from app.models import Send
from app.services.sending import selections

MAX_RESEND_PREFILL = 1000
PREVIEW_ROWS = 5


def prefill(account_id: int, send_id, states, categories) -> dict:
    send = get_owned(Send, send_id, account_id)
    flt = selections.parse_message_filter(states, categories)
    notice = None
    kakao = send.channel != "sms"
    if not flt.chosen:
        # a Kakao send's recipient failed when its fallback failed (or it had none)
        flt = selections.MessageFilter(("failed",), layer="fallback" if kakao and send.fallback_msg_type else "primary")
        notice = f"선택한 결과가 없어 {flt.label()} 수신자를 불러왔습니다."
    total = selections.count(send.id, flt)
    content = {"title": send.title or "", "body": send.body, "is_ad": send.is_ad, "ad_company": send.ad_company or "",
               "ad_optout": send.ad_optout or "",
               "images": [{"image_id": image.file.id, "name": image.file.original_name, "size": image.file.size}
                          for image in send.images],
               "recipients": [], "resend": None, "notice": notice}
    if kakao:       # 문자로 재발송하기 (KRS-03): the fallback's text, or the Kakao message's
        content = _as_sms(send, content)
    if total == 0:
        content["notice"] = f"{flt.label()} 수신자가 없습니다. 수신자를 추가해주세요."
    elif total <= MAX_RESEND_PREFILL:
        content["recipients"] = [_chip(r) for r in selections.recipients(account_id, send.id, flt, as_sms=True)]
    else:
        content["resend"] = dict(flt.to_dict(), send_id=send.id, count=total, label=flt.label(),
                                 preview=[_chip(r) for r in selections.recipients(account_id, send.id, flt,
                                                                                  limit=PREVIEW_ROWS, as_sms=True)])
    return content


def _as_sms(send: Send, content: dict) -> dict:
    """A Kakao send's content as an SMS: its fallback's text (or the template's), with up
    to four `#{변수}` as the compose page's #[1]..#[4] (selections.sms_text); more
    variables stay as written, and the page says so. A Brand Message's text already has
    the SMS variables, and its image comes when its fallback was an MMS."""
    fallback = (json.loads(send.kakao) if send.kakao else {}).get("fallback") or {}
    text = selections.sms_text(send)
    notices = [content["notice"]] if content["notice"] else []
    if text.kept:
        notices.append("변수가 4개보다 많아 그대로 두었습니다. 내용을 확인해주세요.")
    ad = fallback.get("ad") or {}
    # a Brand Message's image goes along when its fallback is an MMS with it (KFT-04)
    images = content["images"] if fallback.get("msg_type") == "MMS" else []
    content.update(title=fallback.get("title") or "", body=text.body, is_ad=bool(ad),
                   ad_company=ad.get("company") or "", ad_optout=ad.get("optout") or "", images=images,
                   notice=" ".join(notices) or None)
    return content


def _chip(r) -> dict:
    return {"phone": r.phone, "name": r.name, "vars": r.vars}
