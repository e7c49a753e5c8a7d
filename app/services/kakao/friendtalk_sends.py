"""친구톡 발송, delivered as Brand Message (06-kakao.md KFT-01..04, KRS-04): one more message
type through the pipeline every channel shares — `sending/acceptance.write` (one
transaction, the hold, enqueue after commit), the Kakao gateway's batches, and the
fallback layer (kakao/fallbacks.py: a Kakao failure, 3022 outside the hours included,
gets its ad fallback, or `NIGHT_AD` free outside the Brand Message hours).

What is its own: the content (text, image, WIDE, buttons) rather than a template; the
hours (08:00–20:50 KST); targeting (`I`, or `M`/`N` for a channel an operator approved);
an ad fallback always (KFT-04); opt-out lists applied to the Kakao layer and the fallback
alike (a Brand Message is an ad)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.domain.files import CheckedFile
from app.domain.friendtalk_plan import FriendtalkPlan, FriendtalkRequest, plan as make_plan
from app.extensions import db
from app.models import Account, KakaoChannel, SendImage
from app.services.accounts import access, optout_codes
from app.services.kakao import messages
from app.services.senders import kakao_channels, kakao_targeting, sender_numbers
from app.services.sending import acceptance, dispatch
from app.services.shared import files
from app.services.shared.uow import transaction
from app.services.wallet import ledger

CHANNEL = "friendtalk"


class FriendtalkAccepted(messages.KakaoAccepted):
    plan: FriendtalkPlan

    def api_extra(self) -> dict:
        return {"targeting": self.plan.targeting, "wide": self.plan.content.wide}


def targeting_choices(account_id: int, channel: KakaoChannel) -> tuple[str, ...]:
    """What the channel may target (KFT-02): its friends (`I`), and M/N once an operator
    approved its application and the account has its own 080 number (senders/kakao_targeting)."""
    return kakao_targeting.targeting_choices(account_id, channel.id)


def _plan(request: FriendtalkRequest, now: dt.datetime) -> tuple[Account, KakaoChannel, FriendtalkPlan]:
    account = access.check_kakao_allowed(request.account_id, field="발신 채널 ID")
    channel = kakao_channels.approved_channel(request.account_id, request.channel)
    p = make_plan(request, now, allowed_targeting=targeting_choices(request.account_id, channel),
                  optouts=optout_codes.choices(request.account_id) if request.fallback else None)
    if p.fallback:
        acceptance.check_route(p.fallback.msg_type, field="대체문자")
    return account, channel, p


def quote(request: FriendtalkRequest, *, now: dt.datetime) -> dict:
    """What the confirm dialog shows (KAT-08), refused as accept() refuses — the channel,
    the plan, the fallback's sender number, then a suspended account or the daily cap, in
    accept()'s order —, nothing written; the refused numbers with their reasons as the SMS
    dialog shows them (the first 20, and how many)."""
    account, _channel, p = _plan(request, now)
    if p.fallback:
        sender_numbers.approved_number(request.account_id, p.fallback.sender)
    acceptance.admit(account, len(p.recipients), now)
    kakao, fallback = acceptance.unit_prices(account, p.msg_type, p.fallback.msg_type if p.fallback else None)
    unit = max(kakao, fallback or 0)
    return {"recipients": len(p.recipients), "type": p.msg_type, "kakao_price": kakao,
            "fallback_type": p.fallback.msg_type if p.fallback else None, "fallback_price": fallback,
            "hold": unit * len(p.recipients), "balance": ledger.balance(request.account_id).total,
            "rejected_count": len(p.rejected), "rejected": [r.to_dict() for r in p.rejected[:20]],
            "duplicates": p.duplicates}


def accept(request: FriendtalkRequest, *, now: dt.datetime) -> FriendtalkAccepted:
    """Validate (the channel, the plan), then in one transaction: the fallback's sender
    number, the account (suspension, daily cap), the prices, opt-outs and repeats, the
    send, its messages, its image and the hold."""
    _account, channel, p = _plan(request, now)
    content = p.content
    with transaction():
        sender = sender_numbers.approved_number(request.account_id, p.fallback.sender) if p.fallback else ""
        account = ledger.lock_account(request.account_id)
        acceptance.admit(account, len(p.recipients), now)
        kakao_price, fallback_price = acceptance.unit_prices(account, p.msg_type, p.fallback.msg_type if p.fallback else None)
        unit = max(kakao_price, fallback_price or 0)
        # an ad: a number on the opt-out list gets neither the Brand Message nor its fallback
        written = messages.message_rows(account, p.recipients, is_ad=True, uses_variables=p.uses_variables,
                                        scheduled_at=request.scheduled_at, now=now)
        charged = written.charged
        image = content.image
        kakao = {"channel_id": channel.id, "search_id": channel.search_id, "sender_key": channel.sender_key,
                 "targeting": p.targeting, "wide": content.wide, "buttons": [b.as_dict() for b in content.buttons],
                 "image": {"format": image.format, "width": image.width, "height": image.height} if image else None,
                 "friendtalk_template_id": request.template_id, "fallback": None}
        if p.fallback:
            f = p.fallback
            kakao["fallback"] = {"sender": sender, "msg_type": f.msg_type, "body": f.body, "title": f.title,
                                 "is_default": f.is_default, "ad": {"company": f.ad.company, "optout": f.ad.optout}}
        spec = acceptance.NewSend(msg_type=p.msg_type, sender_number=sender, body=content.text, title=None,
                                  unit_price=kakao_price, hold=unit * charged, source=request.source,
                                  uses_variables=p.uses_variables, rejected_count=len(p.rejected),
                                  duplicate_count=p.duplicates, scheduled_at=request.scheduled_at,
                                  api_key_id=request.api_key_id, fallback_unit_price=fallback_price,
                                  fallback_msg_type=p.fallback.msg_type if p.fallback else None,
                                  kakao=json.dumps(kakao, ensure_ascii=False))
        send = acceptance.write(account, spec, written.rows, now)
        if image is not None:
            stored = files.store(account_id=account.id, kind="friendtalk_image", filename=f"image.{image.extension}",
                                 data=image.data, checked=CheckedFile(image.mime, image.extension), now=now)
            db.session.flush()
            db.session.add(SendImage(send_id=send.id, file_id=stored.id, position=1))
    return FriendtalkAccepted(send, p, len(written.blocked), len(written.repeated))


# --- the pipeline's step (registered at start-up) ---------------------------------------------------------

def check_batch(content) -> tuple[str, str] | None:
    """Before each Brand Message batch: its channel must still be approved (a blocked one
    fails 발신 채널 ID 에러, and the recipients get their fallback)."""
    kakao = content.kakao or {}
    if "targeting" not in kakao:          # not a Brand Message
        return None
    status = db.session.scalar(select(KakaoChannel.status).where(KakaoChannel.id == kakao.get("channel_id")))
    if status != "approved":
        return "1021", "channel_error"
    return None


def register() -> None:
    """Plug the Brand Message step into the pipeline (idempotent; at start-up)."""
    dispatch.KAKAO_BATCH_CHECKS.add("friendtalk_channel", check_batch)
