"""How /api/v1 shows a send and its messages (09-api.md API-05): the history service's
summary and message rows, with what a Kakao send adds — its fallback layer (대체문자,
KAT-07) as a block of its own, and each message's layer and the Kakao message a fallback
replaces (`parent_id`)."""
from __future__ import annotations

from app.models import Message, Send
from app.services.history import queries


def fallback_block(send: Send) -> dict | None:
    """The fallback layer's counts, breakdown, price and type; None for an SMS send and for
    a Kakao send without 대체문자."""
    if send.channel == "sms" or send.fallback_msg_type is None:
        return None
    return {"requested": send.fallback_count, "delivered": send.fallback_delivered_count,
            "failed": send.fallback_failed_count, "pending": send.fallback_pending_count,
            "categories": queries.categories(send.id, "fallback"),
            "unit_price": send.fallback_unit_price, "type": send.fallback_msg_type}


def send_body(send: Send) -> dict:
    """GET /sends/{id}: `counts` and `categories` are the send's own layer (for Kakao, the
    Kakao messages); `fallback` the fallback layer's."""
    return {**queries.send_summary(send), "fallback": fallback_block(send)}


def message_body(message: Message) -> dict:
    return {**queries.message_dict(message), "layer": message.layer,
            "parent_id": str(message.parent_id) if message.parent_id is not None else None}
