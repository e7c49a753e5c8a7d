"""Operator queues for sender numbers (SND-05) and Kakao channels (SND-07)."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import KakaoChannel, SenderNumber
from app.services.senders import kakao_channels, sender_numbers
from app.views.staff.reviews import ReviewQueueView
from app.web import app_filters


class SenderNumberQueueView(ReviewQueueView):
    route_base = "/staff/queues/sender-numbers"
    datamodel = SQLAInterface(SenderNumber)
    list_title = show_title = "발신번호 심사"
    list_columns = ["account", "number", "owner_type", "requested_at"]
    show_columns = ["account", "number", "owner_type", "note", "requested_at"]
    label_columns = {"account": "계정", "number": "발신번호", "owner_type": "소유자", "note": "요청사항",
                     "requested_at": "요청 일시"}
    search_columns = ["number", "account"]
    formatters_columns = {**ReviewQueueView.formatters_columns,
                          "number": lambda v: app_filters("phone")(v),
                          "owner_type": lambda v: sender_numbers.OWNER_TYPES.get(v, v)}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return sender_numbers.decide_number(pk, approve=approve, actor=actor, now=now, reason=reason)

    def documents(self, item):
        return [(doc.label, doc.file) for doc in item.documents]


class KakaoChannelQueueView(ReviewQueueView):
    route_base = "/staff/queues/channels"
    datamodel = SQLAInterface(KakaoChannel)
    list_title = show_title = "카카오 채널 심사"
    list_columns = ["account", "search_id", "admin_phone", "verified_at", "requested_at"]
    show_columns = list_columns
    label_columns = {"account": "계정", "search_id": "채널 아이디", "admin_phone": "관리자 휴대전화번호",
                     "verified_at": "관리자 인증 일시", "requested_at": "요청 일시"}
    search_columns = ["search_id", "account"]
    formatters_columns = {**ReviewQueueView.formatters_columns,
                          "admin_phone": lambda v: app_filters("phone")(v),
                          "verified_at": lambda v: app_filters("kst")(v)}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return kakao_channels.decide_channel(pk, approve=approve, actor=actor, now=now, reason=reason)
