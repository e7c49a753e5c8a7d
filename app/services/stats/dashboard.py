"""대시보드 (07-dashboard-stats.md DSH-01..06): this month's usage from the rollups
(never from messages), reservations and the latest sends."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app import clock
from app.domain import message_types
from app.extensions import db
from app.models import Send, UsageRollup


def month_start(now: dt.datetime) -> dt.date:
    return clock.to_kst(now).date().replace(day=1)


def monthly_usage(account_id: int, now: dt.datetime) -> dict:
    """Delivered messages and won charged per type this month (KST); only delivered
    messages count (DSH-02), and won are what was charged (DSH-03)."""
    rows = db.session.execute(
        select(UsageRollup.msg_type, func.sum(UsageRollup.delivered), func.sum(UsageRollup.charged))
        .where(UsageRollup.account_id == account_id, UsageRollup.day >= month_start(now))
        .group_by(UsageRollup.msg_type)).all()
    delivered = dict.fromkeys(message_types.CODES, 0)
    charged = dict.fromkeys(message_types.CODES, 0)
    for msg_type, n, won in rows:
        delivered[msg_type] = int(n or 0)
        charged[msg_type] = int(won or 0)
    return {"delivered": delivered, "charged": charged, "total_delivered": sum(delivered.values()),
            "total_charged": sum(charged.values()), "labels": message_types.LABELS}


def reservations(account_id: int) -> dict:
    rows = db.session.execute(select(Send.channel, func.count(Send.id)).where(
        Send.account_id == account_id, Send.status == "scheduled").group_by(Send.channel)).all()
    counts = {channel: int(n) for channel, n in rows}
    return {group: sum(counts.get(channel, 0) for channel in message_types.channels_of_group(group))
            for group in ("sms", "kakao")}


def recent(account_id: int, limit: int = 5) -> dict:
    def latest(*conditions):
        return list(db.session.scalars(select(Send).where(Send.account_id == account_id, *conditions)
                                       .order_by(Send.created_at.desc(), Send.id.desc()).limit(limit)))
    kakao_channels = message_types.channels_of_group("kakao")
    kakao_sends = latest(Send.channel.in_(kakao_channels))
    return {"sms": latest(Send.channel.in_(message_types.channels_of_group("sms"))),
            "kakao": kakao_sends, "api": latest(Send.source == "api")}
