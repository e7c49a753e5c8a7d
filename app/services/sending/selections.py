"""Some of a send's messages chosen by their result (05-results.md RES-03): 발송성공,
발송실패, 결과확인중 and the failure categories. The results page lists, exports and
resends them; compose builds a resend's recipients from them, on the send's own data,
however many there are — a Kakao send's as SMS (KRS-03), each recipient's values moved
to the SMS text's #[1]..#[4] as they are read (`sms_text`)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from app.domain import alimtalk, message_types
from app.domain.moments import check_choice
from app.domain.recipients import Recipient
from app.domain.results import CATEGORY_LABELS
from app.errors import ValidationError
from app.extensions import db
from app.models import Message, Send
from app.models.sending import OPEN_STATES
from app.security.tenancy import get_owned

STATE_LABELS = {"delivered": "발송성공", "failed": "발송실패", "pending": "결과확인중"}
CHUNK = 5000
#: a Kakao send's fallback layer is chosen by prefixed values ("fallback:failed",
#: "fallback:power_off"), so that a choice travels through the compose page's resend
#: (status/category lists only) with its layer (06-kakao.md KRS-03)
LAYER_PREFIX = "fallback:"
LAYER_LABELS = {"primary": "", "fallback": "대체문자 "}


@dataclass(frozen=True)
class MessageFilter:
    states: tuple[str, ...] = ()          # delivered | failed | pending (= every open state)
    categories: tuple[str, ...] = ()
    layer: str | None = "primary"         # a Kakao send's own messages, their fallbacks, or None: both

    def apply(self, stmt):
        """The chosen messages of the filter's layer (every message of an SMS send is primary)."""
        if self.layer is not None:
            stmt = stmt.where(Message.layer == self.layer)
        conditions = []
        for state in self.states:
            if state == "pending":
                conditions.append(Message.state.in_(OPEN_STATES))
            elif state == "failed" and self.categories:
                continue            # narrowed by the categories below
            else:
                conditions.append(Message.state == state)
        if self.categories:
            # categories belong to failed messages: naming the state lets the (send_id, state)
            # index narrow a large send to its failures before the category is checked
            conditions.append(and_(Message.state == "failed", Message.category.in_(self.categories)))
        return stmt.where(or_(*conditions)) if conditions else stmt

    @property
    def chosen(self) -> bool:
        return bool(self.states or self.categories)

    def label(self) -> str:
        """What was chosen, as the results page names it: "발송실패", "전원꺼짐, 음영지역"."""
        names = [STATE_LABELS[s] for s in self.states if not (s == "failed" and self.categories)]
        names += [CATEGORY_LABELS[c] for c in self.categories]
        return LAYER_LABELS.get(self.layer, "") + (", ".join(names) or "전체")

    def to_dict(self) -> dict:
        prefix = LAYER_PREFIX if self.layer == "fallback" else ""
        return {"status": [prefix + s for s in self.states], "category": [prefix + c for c in self.categories]}


def _layer_of(values) -> str:
    fallback = [v.startswith(LAYER_PREFIX) for v in values if v]
    if any(fallback) and not all(fallback):
        raise ValidationError("카카오톡과 대체문자 결과는 함께 선택할 수 없습니다.", field="분류", code="invalid_filter")
    return "fallback" if any(fallback) else "primary"


def parse_message_filter(states, categories_) -> MessageFilter:
    allowed_states = {"delivered", "failed", "pending"}
    layer = _layer_of([*states, *categories_])
    states = tuple(s.removeprefix(LAYER_PREFIX) for s in states if s)
    cats = tuple(c.removeprefix(LAYER_PREFIX) for c in categories_ if c)
    for s in states:
        check_choice(s, allowed_states, "상태")
    for c in cats:
        check_choice(c, CATEGORY_LABELS, "분류")
    return MessageFilter(states, cats, layer)


def count(send_id: int, flt: MessageFilter) -> int:
    return int(db.session.scalar(flt.apply(select(func.count()).select_from(Message)
                                           .where(Message.send_id == send_id))) or 0)


KAKAO_CHANNELS = message_types.channels_of_group("kakao")


def sms_text(send: Send) -> alimtalk.SmsText:
    """The text 문자로 재발송하기 sends a Kakao send's recipients (KRS-03): its 대체문자, or the
    template's text, with its variables as the SMS compose page's #[1]..#[4]."""
    facts = json.loads(send.kakao) if send.kakao else {}
    return alimtalk.as_sms_text((facts.get("fallback") or {}).get("body") or send.body)


def recipients(account_id: int, send_id, flt: MessageFilter, *, limit: int | None = None,
               as_sms: bool = False) -> Iterator[Recipient]:
    """The chosen messages of an own send as recipients (number, name, values), in the
    send's order, read in chunks by id. `as_sms`: a Kakao send's values come by the
    SMS text's variables (`sms_text`), for every recipient however many."""
    send = get_owned(Send, send_id, account_id)
    moved = sms_text(send).values if as_sms and send.channel in KAKAO_CHANNELS else dict
    after, given = 0, 0
    while True:
        size = CHUNK if limit is None else min(CHUNK, limit - given)
        if size <= 0:
            return
        rows = db.session.execute(flt.apply(select(Message.id, Message.recipient, Message.name, Message.vars)
                                            .where(Message.send_id == send.id, Message.id > after))
                                  .order_by(Message.id).limit(size)).all()
        for row in rows:
            given += 1
            yield Recipient(row.recipient, row.name, moved(json.loads(row.vars)) if row.vars else {}, given)
        if len(rows) < size:
            return
        after = rows[-1].id
