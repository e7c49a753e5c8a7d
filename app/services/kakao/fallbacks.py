"""When a Kakao message's fallback goes (06-kakao.md KAT-07a, KFT-04), for every Kakao
type: registered at start-up as a step after each final outcome, it sees the Kakao
messages that failed in that transaction and gives each the fallback SMS/LMS/MMS of its
send (sending/fallback writes it) — or none, or one failed `NIGHT_AD` at once, free:

- no fallback after `duplicate`, `optout_080`, a suspended account, a sender-number error
  or Kakao's silence for 49 hours (`TIMEOUT`);
- an ad fallback (an AD/MI AlimTalk template's) that would go out 21:00–08:00 KST (SMS-06);
- a Brand Message's fallback (always an ad) outside the Brand Message hours, 08:00–20:50,
  which hold the night window with a ten-minute margin: an ad created at 20:59 could
  still reach the carrier after 21:00."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.domain import friendtalk, sms
from app.domain.results import FAILED
from app.extensions import db
from app.models import Send
from app.services.sending import dispatch, fallback, outcomes
from app.services.sending.outcomes import Outcome

NO_FALLBACK_CODES = frozenset({"DUPLICATE", "OPTOUT", dispatch.ACCOUNT_SUSPENDED_CODE,
                               dispatch.SENDER_NOT_APPROVED_CODE, "TIMEOUT"})
NIGHT_AD_CODE = "NIGHT_AD"


def create_fallbacks(moved: list[Outcome], facts: dict, layers: dict[int, str]) -> None:
    """In the transaction that failed the Kakao messages: each failed Kakao message of a
    send with 대체문자 gets its fallback. Runs once per failure: only messages that moved to
    failed in this transaction come here."""
    wanted = [o for o in moved if o.state == FAILED and layers.get(o.message_id) == "primary"
              and facts[o.send_id].has_fallback and o.code not in NO_FALLBACK_CODES]
    if not wanted:
        return
    ads = _ad_sends({o.send_id for o in wanted})
    fallback.add([fallback.Replacement(o.message_id, o.send_id, o.at,
                                       (NIGHT_AD_CODE, "other") if _too_late(ads.get(o.send_id), o.at) else None)
                  for o in wanted], facts)


def _too_late(channel: str | None, at) -> bool:
    if channel is None:                 # not an ad: AlimTalk is informational (KAT-09)
        return False
    if channel == "friendtalk":
        return not friendtalk.in_hours(at)
    return sms.in_night_window(at)


def _ad_sends(send_ids: set[int]) -> dict[int, str]:
    """Which of these sends' fallbacks are ads, with their channel."""
    ads = {}
    for send_id, channel, kakao in db.session.execute(select(Send.id, Send.channel, Send.kakao)
                                                      .where(Send.id.in_(sorted(send_ids)))):
        if ((json.loads(kakao) if kakao else {}).get("fallback") or {}).get("ad"):
            ads[send_id] = channel
    return ads


def register() -> None:
    """Plug the step into the pipeline (idempotent; at start-up)."""
    outcomes.AFTER_FINALIZE.add("kakao_fallback", create_fallbacks)
