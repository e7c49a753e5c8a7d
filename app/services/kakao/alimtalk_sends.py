"""알림톡 발송 (06-kakao.md KAT-06..09, KRS-04): accepting an AlimTalk send through the
pipeline every channel shares (`sending/acceptance.write`: one transaction, the hold,
enqueue after commit), and the Kakao parts of the pipeline, registered at start-up:

- before each Kakao batch, dispatch asks whether the template is still approved and its
  channel too (`check_batch`): if not, the batch fails `TEMPLATE` (템플릿 오류) and the
  recipients get their fallback;
- when Kakao messages reach a final failure, their fallback SMS/LMS is created in the same
  transaction (kakao/fallbacks.py, KAT-07a), `pending` for the same dispatch loop — or
  failed `NIGHT_AD` at once when it is an ad and it is 21:00–08:00 KST.

Charging per recipient (KRS-04) falls out of the messages: a delivered Kakao message costs
the Kakao price, a delivered fallback the fallback's, a failure nothing; the hold is
recipients × max(Kakao price, fallback price) (WAL-06), the refund hold − Σ charges."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.domain.alimtalk_plan import AlimtalkPlan, AlimtalkRequest, TemplateFacts, plan as make_plan
from app.domain.results import TEMPLATE_CODE
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import AlimtalkTemplate, KakaoChannel
from app.services.accounts import access, optout_codes
from app.services.kakao import messages, templates
from app.services.senders import sender_numbers
from app.services.sending import acceptance, dispatch
from app.services.shared.uow import transaction
from app.services.wallet import ledger

MSG_TYPE = "ALIMTALK"


class AlimtalkAccepted(messages.KakaoAccepted):
    plan: AlimtalkPlan


def template_facts(template: AlimtalkTemplate) -> TemplateFacts:
    return TemplateFacts(template.id, template.code, template.name, template.message_type, template.content,
                         tuple(template.variables), tuple(template.buttons), template.emphasis_title)


def sendable_template(account_id: int, template_ref) -> AlimtalkTemplate:
    """An approved template of the account, by id or code, with an approved channel."""
    try:
        if isinstance(template_ref, int) or (isinstance(template_ref, str) and template_ref.isdigit()):
            template = templates.get_template(account_id, template_ref)
        else:
            template = templates.get_by_code(account_id, template_ref)
    except NotFound:             # another account's or an unknown one: the same refusal
        raise ValidationError("템플릿을 선택해주세요. 등록완료된 알림톡 템플릿만 보낼 수 있습니다.", field="템플릿",
                              code="template_not_approved") from None
    if not templates.sendable(template):
        raise ValidationError(f"{templates.STATUS_LABELS[template.status]} 상태의 템플릿은 보낼 수 없습니다. "
                              "등록완료된 템플릿만 보낼 수 있습니다.", field="템플릿", code="template_not_approved")
    if template.channel is None or template.channel.status != "approved":
        raise ValidationError("템플릿의 발신 채널이 등록완료 상태가 아닙니다.", field="발신 채널 ID", code="channel_not_approved")
    return template


def _unit_prices(account, fallback_type: str | None) -> tuple[int, int | None]:
    return acceptance.unit_prices(account, MSG_TYPE, fallback_type)


def _template_of(request: AlimtalkRequest) -> AlimtalkTemplate:
    """The request's sendable template, on the channel it names (when it names one)."""
    template = sendable_template(request.account_id, request.template)
    if request.channel not in (None, "") and str(request.channel) not in (str(template.channel_id),
                                                                          template.channel.search_id):
        raise ValidationError("템플릿의 발신 채널과 선택한 발신 채널 ID가 다릅니다.", field="발신 채널 ID",
                              code="channel_mismatch")
    return template


def quote(request: AlimtalkRequest, *, now: dt.datetime) -> dict:
    """What the confirm dialog shows (KAT-08), refused as accept() refuses — the template,
    the plan, the fallback's sender number, then a suspended account or the daily cap
    (acceptance.admit, ACC-10), in accept()'s order —, nothing written; the refused
    numbers with their reasons as the SMS dialog shows them (the first 20, and how many)."""
    account = access.check_kakao_allowed(request.account_id, field="발신 채널 ID")
    facts = template_facts(_template_of(request))
    p = make_plan(request, facts, now, optouts=optout_codes.choices(request.account_id) if facts.is_ad else None)
    if p.fallback:
        sender_numbers.approved_number(request.account_id, p.fallback.sender)
    acceptance.admit(account, len(p.recipients), now)
    kakao, fallback = _unit_prices(account, p.fallback.msg_type if p.fallback else None)
    unit = max(kakao, fallback or 0)
    return {"recipients": len(p.recipients), "kakao_price": kakao, "fallback_type": p.fallback.msg_type if p.fallback
            else None, "fallback_price": fallback, "hold": unit * len(p.recipients),
            "balance": ledger.balance(request.account_id).total,
            "rejected_count": len(p.rejected), "rejected": [r.to_dict() for r in p.rejected[:20]]}


def accept(request: AlimtalkRequest, *, now: dt.datetime) -> AlimtalkAccepted:
    """Validate (the template, the plan), then in one transaction: the fallback's sender
    number, the account (suspension, daily cap), the prices, repeats and opt-outs, the send,
    its messages and the hold."""
    access.check_kakao_allowed(request.account_id, field="발신 채널 ID")
    template = _template_of(request)
    facts = template_facts(template)
    p = make_plan(request, facts, now, optouts=optout_codes.choices(request.account_id) if facts.is_ad else None)
    with transaction():
        sender = sender_numbers.approved_number(request.account_id, p.fallback.sender) if p.fallback else ""
        account = ledger.lock_account(request.account_id)
        acceptance.admit(account, len(p.recipients), now)
        kakao_price, fallback_price = _unit_prices(account, p.fallback.msg_type if p.fallback else None)
        unit = max(kakao_price, fallback_price or 0)
        # an ad's fallback never goes to a number on the opt-out list: the recipient is left out
        written = messages.message_rows(account, p.recipients, is_ad=bool(facts.is_ad and p.fallback),
                                        uses_variables=p.uses_variables, scheduled_at=request.scheduled_at, now=now)
        charged = written.charged
        channel = template.channel
        kakao = {"channel_id": channel.id, "search_id": channel.search_id, "sender_key": channel.sender_key,
                 "template_id": template.id, "template_code": template.code, "message_type": template.message_type,
                 "emphasis_type": template.emphasis_type, "emphasis_title": template.emphasis_title,
                 "emphasis_subtitle": template.emphasis_subtitle, "extra": template.extra,
                 "items": template.items, "buttons": template.buttons, "quick_replies": template.quick_replies,
                 "security": template.security, "image_file_id": template.image_file_id,
                 "fallback": None}
        if p.fallback:
            f = p.fallback
            kakao["fallback"] = {"sender": sender, "msg_type": f.msg_type, "body": f.body, "title": f.title,
                                 "is_default": f.is_default,
                                 "ad": {"company": f.ad.company, "optout": f.ad.optout} if f.ad else None}
        spec = acceptance.NewSend(msg_type=MSG_TYPE, sender_number=sender, body=template.content,
                                  title=template.name, unit_price=kakao_price, hold=unit * charged,
                                  source=request.source, uses_variables=p.uses_variables,
                                  rejected_count=len(p.rejected), duplicate_count=p.duplicates,
                                  scheduled_at=request.scheduled_at, template_id=template.id,
                                  api_key_id=request.api_key_id, fallback_unit_price=fallback_price,
                                  fallback_msg_type=p.fallback.msg_type if p.fallback else None,
                                  kakao=json.dumps(kakao, ensure_ascii=False))
        send = acceptance.write(account, spec, written.rows, now)
        templates.mark_used(template.id, now)
    return AlimtalkAccepted(send, p, len(written.blocked), len(written.repeated))


# --- the pipeline's Kakao steps (registered at start-up) ------------------------------------------------------

def check_batch(content) -> tuple[str, str] | None:
    """Before each Kakao batch: the template must still be approved and its channel too."""
    kakao = content.kakao or {}
    template_id = kakao.get("template_id")
    if template_id is None:
        return None
    row = db.session.execute(select(AlimtalkTemplate.status, KakaoChannel.status)
                             .join(KakaoChannel, KakaoChannel.id == AlimtalkTemplate.channel_id)
                             .where(AlimtalkTemplate.id == template_id)).first()
    if row is None or row[0] != "approved" or row[1] != "approved":
        return TEMPLATE_CODE, "template_error"
    return None


def register() -> None:
    """Plug the Kakao steps into the pipeline (idempotent; at start-up)."""
    dispatch.KAKAO_BATCH_CHECKS.add("alimtalk_template", check_batch)
