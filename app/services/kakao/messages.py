"""The messages of a Kakao send as its accept writes them, for every Kakao type: one per
recipient the plan kept (KAT-07b), with its values and the fingerprint of what it reads;
a number on the account's opt-out list (when the send is an ad) and, for an immediate send
of an account with duplicate protection, the same message to the same number within the
hour (SMS-15) end failed at once and cost nothing. Runs in the accept's transaction."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app import clock
from app.domain.alimtalk_plan import KakaoRecipient, content_hash
from app.domain.recipients import Rejected
from app.models import Account, Send
from app.services.contacts import optouts
from app.services.sending import acceptance, duplicates


@dataclass
class KakaoMessages:
    rows: list[acceptance.NewMessage]
    blocked: set[str]           # opted out (an ad)
    repeated: set[str]          # sent the same within the hour

    @property
    def charged(self) -> int:
        """How many the hold is for: those that will go."""
        return sum(1 for row in self.rows if row.outcome is None)


def message_rows(account: Account, kept: list[KakaoRecipient], *, is_ad: bool, uses_variables: bool,
                 scheduled_at: dt.datetime | None, now: dt.datetime) -> KakaoMessages:
    blocked = optouts.numbers_in(account.id, (k.recipient.phone for k in kept)) if is_ad else set()
    hashes = {id(k.recipient): content_hash(k.text) for k in kept}
    repeated: set[str] = set()
    if account.duplicate_protection and scheduled_at is None:
        repeated = duplicates.recently_sent(account.id, [k.recipient for k in kept], lambda r: hashes[id(r)],
                                            now) - blocked
    rows = []
    for k in kept:
        r = k.recipient
        outcome = "optout_080" if r.phone in blocked else "duplicate" if r.phone in repeated else None
        rows.append(acceptance.NewMessage(r.phone, str(r.name)[:100] if r.name else None,
                                          acceptance.values_json(r.vars) if uses_variables else None,
                                          hashes[id(r)], outcome))
    return KakaoMessages(rows, blocked, repeated)


@dataclass
class KakaoAccepted:
    """What accepting a Kakao send gives the page and the API: the send, its plan (with
    the refused rows and repeats), how many recipients were opted out or repeated."""
    send: Send
    plan: object                # AlimtalkPlan | FriendtalkPlan
    optouts: int
    resent: int

    @property
    def rejected(self) -> list[Rejected]:
        return self.plan.rejected

    def api_extra(self) -> dict:
        return {}

    def to_api(self) -> dict:
        s = self.send
        return {"send_id": str(s.id), "channel": s.channel, "type": s.msg_type, "status": s.status,
                "recipients": s.recipient_count, "unit_price": s.unit_price, **self.api_extra(),
                "fallback_unit_price": s.fallback_unit_price, "fallback_type": s.fallback_msg_type,
                "hold": s.hold_amount,
                "scheduled_at": clock.to_kst(s.scheduled_at).isoformat() if s.scheduled_at else None,
                "rejected": [r.to_dict() for r in self.plan.rejected], "duplicates": self.plan.duplicates,
                "optouts": self.optouts, "duplicate_sends": self.resent}
