"""The bodies of NHN's requests, built from what megabird hands a gateway — pure functions,
each field named as NHN's guide names it (docs/research/nhn-bizmessage.md cites the lines):

- AlimTalk: `raw-messages` (전문 발송, AT:203): megabird renders the text and the buttons' links
  itself (dispatch), so each recipient carries its `content`; NHN's own SMS fallback is always
  off (`resendParameter.isResend: false`) since megabird sends its own 대체문자 (KAT-07);
- Brand Message (what 친구톡 is since 2026): `freestyle-messages` (BM:154), one content per
  request;
- AlimTalk templates: the registration body (AT:1678–1797).

`recipientGroupingKey` is megabird's message id and `senderGroupingKey` the request's key:
both come back in NHN's queries and webhook, which is how results and look-ups find their
messages."""
from __future__ import annotations

from app.gateways.base import OutboundMessage, TemplateSubmission

MAX_RECIPIENTS = 1000            # recipientList "최대 1000명" (AT:113, BM:262)
NO_RESEND = {"isResend": False}
#: megabird's button fields -> NHN's (KAT-02 -> AT:1770–1785 / BM buttons)
BUTTON_FIELDS = {"type": "type", "name": "name", "url_mobile": "linkMo", "url_pc": "linkPc",
                 "scheme_ios": "schemeIos", "scheme_android": "schemeAndroid", "phone": "telNumber"}


def buttons(items, *, ordered: bool = True) -> list[dict]:
    out = []
    for position, button in enumerate(items or (), start=1):
        entry = {NHN: button[ours] for ours, NHN in BUTTON_FIELDS.items() if button.get(ours)}
        if ordered:
            entry["ordering"] = position
        out.append(entry)
    return out


def quick_replies(items) -> list[dict]:
    return buttons(items)


def alimtalk_recipient(message: OutboundMessage) -> dict:
    """One recipient of a raw-messages request: the rendered content and what the template
    draws around it (emphasis title, item list, buttons with the recipient's links)."""
    kakao = message.kakao or {}
    entry = {"recipientNo": message.recipient, "content": message.text}
    if kakao.get("emphasis_type") == "TEXT" and kakao.get("emphasis_title"):
        entry["templateTitle"] = kakao["emphasis_title"]
    if kakao.get("emphasis_type") == "ITEM_LIST" and kakao.get("items"):
        entry["templateItem"] = {"list": [{"title": i.get("title"), "description": i.get("description")}
                                          for i in kakao["items"]]}
    if kakao.get("buttons"):
        entry["buttons"] = buttons(kakao["buttons"])
    if kakao.get("quick_replies"):
        entry["quickReplies"] = quick_replies(kakao["quick_replies"])
    entry["resendParameter"] = dict(NO_RESEND)
    entry["recipientGroupingKey"] = message.ref
    return entry


def alimtalk_request(sender_key: str, template_code: str, messages: list[OutboundMessage], group_key: str) -> dict:
    return {"senderKey": sender_key, "templateCode": template_code, "senderGroupingKey": group_key,
            "createUser": "megabird", "recipientList": [alimtalk_recipient(m) for m in messages]}


def alimtalk_group(message: OutboundMessage) -> tuple:
    """What one AlimTalk request shares: the sender key and the template."""
    return ("alimtalk", message.sender, (message.kakao or {}).get("template_code"))


def bubble_type(message: OutboundMessage) -> str:
    """친구톡 텍스트 = TEXT, 친구톡 포토 = IMAGE, a wide image = WIDE (06-kakao.md)."""
    if not message.images:
        return "TEXT"
    return "WIDE" if (message.kakao or {}).get("wide") else "IMAGE"


def brand_group(message: OutboundMessage) -> tuple:
    """What one Brand Message request shares: everything but the recipient (a freestyle
    request has one content, one image and one set of buttons)."""
    kakao = message.kakao or {}
    return ("brand", message.sender, message.text, bubble_type(message),
            tuple(tuple(sorted(b.items())) for b in kakao.get("buttons") or ()),
            message.images[0] if message.images else None)


def brand_request(first: OutboundMessage, messages: list[OutboundMessage], group_key: str,
                  image_url: str | None) -> dict:
    kakao = first.kakao or {}
    targeting = kakao.get("targeting") or "I"
    body = {"senderKey": first.sender, "chatBubbleType": bubble_type(first), "pushAlarm": True, "adult": False,
            "content": first.text,
            "recipientList": [{"recipientNo": m.recipient, "targeting": targeting,
                               "resendParameter": dict(NO_RESEND), "recipientGroupingKey": m.ref}
                              for m in messages],
            "senderGroupingKey": group_key, "createUser": "megabird"}
    if kakao.get("buttons"):
        body["buttons"] = buttons(kakao["buttons"], ordered=False)
    if image_url:
        body["image"] = {"imageUrl": image_url}
    return body


def template_body(t: TemplateSubmission, *, image: dict | None = None) -> dict:
    """An AlimTalk template's registration (= its review request, AT:1655)."""
    body = {"templateCode": t.code, "templateName": t.name, "templateContent": t.content,
            "templateMessageType": t.message_type or "BA", "templateEmphasizeType": t.emphasis_type or "NONE",
            "securityFlag": bool(t.security), "categoryCode": t.category or "999999"}
    if t.extra:
        body["templateExtra"] = t.extra
    if t.emphasis_type == "TEXT":
        body["templateTitle"] = t.emphasis_title
        body["templateSubtitle"] = t.emphasis_subtitle
    if t.emphasis_type == "ITEM_LIST":
        if t.item_header:
            body["templateHeader"] = t.item_header
        body["templateItem"] = {"list": [{"title": i.get("title"), "description": i.get("description")}
                                         for i in t.items]}
    if image:
        body["templateImageName"] = image.get("templateImageName")
        body["templateImageUrl"] = image.get("templateImageUrl")
    if t.buttons:
        body["buttons"] = buttons(t.buttons)
    if t.quick_replies:
        body["quickReplies"] = quick_replies(t.quick_replies)
    return body
