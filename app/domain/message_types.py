"""The one catalogue of message types and channels (02-wallet.md prices, 05-results.md,
06-kakao.md, 07-dashboard-stats.md). Models, prices, history, the dashboard, statistics
and dispatch read it; a new type (친구톡 as Brand Message, say) is a new row here.

- `channel`: what a send is (Send.channel) — 문자 (sms), 알림톡 (alimtalk), 친구톡 (friendtalk).
- `gateway`: which configured gateway carries the message (GATEWAY_SMS / GATEWAY_KAKAO).
- `wire`: the kind of message the gateway is handed (OutboundMessage.channel).
- `price_column`: the PricePlan column with its unit price; `price_label` names it.
- `stats_group`: 문자발송 통계 (sms) or 카카오톡발송 통계 (kakao).
- `categories`: the result categories its failures are shown in."""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.korean import N_
from app.domain.results import KAKAO_CATEGORIES, SMS_CATEGORIES

SMS_GATEWAY, KAKAO_GATEWAY = "sms", "kakao"


@dataclass(frozen=True)
class MessageType:
    code: str
    label: str
    channel: str
    gateway: str
    wire: str
    price_column: str
    price_label: str
    stats_group: str
    categories: dict[str, str]


TYPES: tuple[MessageType, ...] = (
    MessageType("SMS", "SMS", "sms", SMS_GATEWAY, "sms", "sms", "SMS", "sms", SMS_CATEGORIES),
    MessageType("LMS", "LMS", "sms", SMS_GATEWAY, "lms", "lms", "LMS", "sms", SMS_CATEGORIES),
    MessageType("MMS", "MMS", "sms", SMS_GATEWAY, "mms", "mms", "MMS", "sms", SMS_CATEGORIES),
    MessageType("ALIMTALK", N_("알림톡"), "alimtalk", KAKAO_GATEWAY, "alimtalk", "alimtalk", N_("알림톡"), "kakao",
                KAKAO_CATEGORIES),
    MessageType("FRIENDTALK_TEXT", N_("친구톡 텍스트"), "friendtalk", KAKAO_GATEWAY, "friendtalk", "friendtalk_text",
                N_("친구톡 텍스트"), "kakao", KAKAO_CATEGORIES),
    MessageType("FRIENDTALK_IMAGE", N_("친구톡 포토"), "friendtalk", KAKAO_GATEWAY, "friendtalk", "friendtalk_image",
                N_("친구톡 포토"), "kakao", KAKAO_CATEGORIES),
)
BY_CODE: dict[str, MessageType] = {t.code: t for t in TYPES}

CODES: tuple[str, ...] = tuple(t.code for t in TYPES)
LABELS: dict[str, str] = {t.code: t.label for t in TYPES}
CHANNELS: tuple[str, ...] = tuple(dict.fromkeys(t.channel for t in TYPES))
GATEWAYS: tuple[str, ...] = tuple(dict.fromkeys(t.gateway for t in TYPES))
PRICE_COLUMNS: tuple[str, ...] = tuple(t.price_column for t in TYPES)
PRICE_LABELS: dict[str, str] = {t.price_column: t.price_label for t in TYPES}


def get(code: str) -> MessageType:
    return BY_CODE[code]


def label(code: str) -> str:
    """The Korean label, or the code itself for one this catalogue does not know."""
    known = BY_CODE.get(code)
    return known.label if known else code


def of_channel(channel: str) -> tuple[MessageType, ...]:
    return tuple(t for t in TYPES if t.channel == channel)


def channels_of_group(group: str) -> tuple[str, ...]:
    """The send channels a statistics group covers (sms: 문자; kakao: 알림톡 and 친구톡)."""
    return tuple(dict.fromkeys(t.channel for t in TYPES if t.stats_group == group))
