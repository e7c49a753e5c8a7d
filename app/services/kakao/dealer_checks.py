"""Before each Kakao batch, the Kakao gateway's own word on the channel (issue 20): a dealer
knows when Kakao has blocked, deleted or put to sleep a sender profile, which megabird's
own channel row may not know yet. Such a batch fails 발신 채널 ID 에러 (1021) before it is
sent, and its recipients get their fallback (KAT-07a). The sandbox says nothing here."""
from __future__ import annotations

from app.gateways import configured, get_gateway
from app.services.sending import dispatch

CHANNEL_ERROR = ("1021", "channel_error")


def check_batch(content) -> tuple[str, str] | None:
    sender_key = (content.kakao or {}).get("sender_key")
    if not sender_key or not configured("kakao"):
        return None
    return CHANNEL_ERROR if get_gateway("kakao").channel_problem(sender_key) else None


def register() -> None:
    """Plug the check into the pipeline (idempotent; at start-up)."""
    dispatch.KAKAO_BATCH_CHECKS.add("dealer_channel", check_batch)
