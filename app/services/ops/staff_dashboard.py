"""The staff dashboard's figures (07-dashboard-stats.md): today's volume and failure
rate per type from the rollups, the gateway backlog, money held by unsettled sends,
and the RQ queue depths."""
from __future__ import annotations

import datetime as dt

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app import clock
from app.domain import message_types
from app.extensions import all_queues, db
from app.models import KakaoDealerRequest, Message, Send, SmppReceipt, UsageRollup
from app.models.sending import OPEN_STATES
from app.services.ops import rq_queues


def today_by_type(now: dt.datetime) -> list[dict]:
    day = clock.to_kst(now).date()
    rows = db.session.execute(
        select(UsageRollup.msg_type, func.sum(UsageRollup.requested), func.sum(UsageRollup.delivered),
               func.sum(UsageRollup.failed), func.sum(UsageRollup.charged))
        .where(UsageRollup.day == day).group_by(UsageRollup.msg_type).order_by(UsageRollup.msg_type)).all()
    out = []
    for msg_type, requested, delivered, failed, charged in rows:
        done = int(delivered or 0) + int(failed or 0)
        out.append({"type": message_types.label(msg_type), "requested": int(requested or 0),
                    "delivered": int(delivered or 0), "failed": int(failed or 0), "charged": int(charged or 0),
                    "failure_rate": (int(failed or 0) / done) if done else 0.0})
    return out


def backlog() -> dict:
    """Messages of in-progress sends not yet handed over, and handed over without result."""
    in_progress = select(Send.id).where(Send.status == "in_progress").scalar_subquery()
    rows = db.session.execute(select(Message.state, func.count()).where(
        Message.send_id.in_(in_progress), Message.state.in_(OPEN_STATES))
        .group_by(Message.state)).all()
    counts = {state: int(n) for state, n in rows}
    sends = db.session.execute(select(Send.status, func.count(), func.coalesce(func.sum(Send.hold_amount), 0))
                               .where(Send.status.in_(("scheduled", "in_progress"))).group_by(Send.status)).all()
    held = {status: {"sends": int(n), "held": int(amount)} for status, n, amount in sends}
    unmatched = db.session.scalar(select(func.count()).select_from(SmppReceipt).where(
        SmppReceipt.status == "unmatched"))
    # the Kakao dealer's requests whose end is not known yet (issue 20): looked up before resending
    unclear = db.session.execute(select(func.count(), func.coalesce(func.sum(KakaoDealerRequest.size), 0)).where(
        KakaoDealerRequest.state == "unclear")).one()
    return {"unmatched_receipts": int(unmatched or 0), "pending": counts.get("pending", 0),
            "kakao_unclear_requests": int(unclear[0] or 0), "kakao_unclear_messages": int(unclear[1] or 0),
            "submitting": counts.get("submitting", 0),
            "submitted": counts.get("submitted", 0), "unknown": counts.get("unknown", 0), "held": held}


def queue_depths() -> dict[str, int] | None:
    """Jobs waiting per RQ queue, by the queue's Korean name; None when Redis is down."""
    try:
        return {rq_queues.queue_label(q.name): q.count for q in all_queues()}
    except RedisError:
        return None
