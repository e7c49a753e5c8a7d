"""재발송하기 (05-results.md RES-03): the compose page opened with the content of a past
send and the recipients chosen by result. With nothing chosen, the failed ones come (and
the page says so). Up to 1,000 arrive as recipient chips the customer can edit; more are
sent straight from the send's own data (compose reads them, app/services/sending/selections.py)."""
from __future__ import annotations

import json
import re

from app.security.tenancy import get_owned
from app.models import Send
from app.services.sending import selections

KAKAO_VARIABLE = re.compile(r"#\{([^{}#\n]*)\}")
SMS_VARIABLES = ("1", "2", "3", "4")
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
    names: list[str] = []
    if kakao:       # 문자로 재발송하기 (KRS-03): the fallback's text, or the Kakao message's
        content, names = _as_sms(send, content)
    if total == 0:
        content["notice"] = f"{flt.label()} 수신자가 없습니다. 수신자를 추가해주세요."
    elif total <= MAX_RESEND_PREFILL:
        content["recipients"] = [_chip(r, names) for r in selections.recipients(account_id, send.id, flt)]
    else:
        content["resend"] = dict(flt.to_dict(), send_id=send.id, count=total, label=flt.label(),
                                 preview=[_chip(r, names) for r in selections.recipients(account_id, send.id, flt,
                                                                                         limit=PREVIEW_ROWS)])
    return content


def _as_sms(send: Send, content: dict) -> tuple[dict, list[str]]:
    """A Kakao send's content as an SMS: its fallback's text (or the template's), with up
    to four `#{변수}` turned into the compose page's #[1]..#[4] and each recipient's values
    moved along; more variables stay as written, and the page says so. A Brand Message's
    text already has the SMS variables, and its image comes when its fallback was an MMS."""
    facts = json.loads(send.kakao) if send.kakao else {}
    fallback = facts.get("fallback") or {}
    body = fallback.get("body") or send.body
    names = list(dict.fromkeys(m.group(1) for m in KAKAO_VARIABLE.finditer(body)))
    notices = [content["notice"]] if content["notice"] else []
    if len(names) > len(SMS_VARIABLES):
        notices.append("변수가 4개보다 많아 그대로 두었습니다. 내용을 확인해주세요.")
        names = []
    for name, key in zip(names, SMS_VARIABLES):
        body = body.replace(f"#{{{name}}}", f"#[{key}]")
    ad = fallback.get("ad") or {}
    # a Brand Message's image goes along when its fallback is an MMS with it (KFT-04)
    images = content["images"] if fallback.get("msg_type") == "MMS" else []
    content.update(title=fallback.get("title") or "", body=body, is_ad=bool(ad), ad_company=ad.get("company") or "",
                   ad_optout=ad.get("optout") or "", images=images,
                   notice=" ".join(notices) or None)
    return content, names


def _chip(r, names=()) -> dict:
    values = r.vars
    if names:       # a Kakao recipient's values by variable name -> #[1]..#[4]
        values = {key: r.vars.get(name, "") for name, key in zip(names, SMS_VARIABLES)}
    return {"phone": r.phone, "name": r.name, "vars": values}
