"""Operator queues for sender numbers (SND-05), Kakao channels (SND-07) and their Brand
Message targeting applications (KFT-02), and every account's sender numbers, which staff
suspend, reinstate or revoke (발신번호 사전등록제)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.errors import MegabirdError
from app.models import KakaoChannel, KakaoTargetingApplication, SenderNumber
from app.security.roles import OPERATIONS
from app.services.accounts import optout_codes
from app.services.ops import sender_enforcement
from app.services.senders import kakao_channels, kakao_targeting, sender_numbers
from app.views.base import StaffModelView
from app.views.staff import cells
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



class KakaoTargetingQueueView(ReviewQueueView):
    """타겟팅(M/N) 신청 (KFT-02): the channel's friend count, its business-verification
    document and consent evidence inline, and whether the account has the registered 080
    number that M/N also need."""

    route_base = "/staff/queues/kakao-targeting"
    datamodel = SQLAInterface(KakaoTargetingApplication)
    list_title = show_title = "타겟팅(M/N) 심사"
    list_columns = ["account", "channel", "friend_count", "requested_at"]
    show_columns = list_columns
    label_columns = {"account": "계정", "channel": "채널 아이디", "friend_count": "친구 수", "requested_at": "요청 일시"}
    search_columns = ["account", "channel", "friend_count"]
    formatters_columns = {**ReviewQueueView.formatters_columns, "friend_count": cells.number}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return kakao_targeting.decide(pk, approve=approve, actor=actor, now=now, reason=reason)

    def documents(self, item):
        return [(label, document) for label, document in ((kakao_targeting.BUSINESS_LABEL, item.business_document),
                                                          (kakao_targeting.CONSENT_LABEL, item.consent_document))
                if document is not None]

    def facts(self, item):
        own = optout_codes.approved_own(item.account_id)
        return "M/N 발송 조건", [
            ("채널 상태", sender_numbers.STATUS_LABELS.get(item.channel.status, item.channel.status)),
            ("승인된 자체 080 수신거부 번호",
             ", ".join(cells.phone(number) for number in own) if own
             else "없음 (승인해도 고객이 080 번호를 등록할 때까지 M/N은 열리지 않습니다)"),
        ]


METHOD_LABELS = {"signup": "회원가입 인증", "phone": "휴대폰 본인 확인", "document": "서류심사"}


class SenderNumberAdminView(StaffModelView):
    """Every account's sender numbers; a number's page suspends, reinstates or revokes it."""

    route_base = "/staff/sender-numbers"
    class_permission_name = OPERATIONS
    datamodel = SQLAInterface(SenderNumber)
    list_title = show_title = "발신번호 관리"
    can_add = can_edit = can_delete = False
    show_template = "staff/sender_number_show.html"
    base_order = ("requested_at", "desc")
    list_columns = ["account", "number", "owner_type", "method", "status", "requested_at", "stopped_at"]
    show_columns = ["account", "number", "owner_name", "owner_type", "method", "status", "note", "requested_at",
                    "reviewed_at", "reject_reason", "stopped_at", "stop_reason"]
    search_columns = ["number", "account", "status"]
    label_columns = {"account": "계정", "number": "발신번호", "owner_name": "명의자", "owner_type": "소유자",
                     "method": "등록 방법", "status": "상태", "note": "요청사항", "requested_at": "요청 일시",
                     "reviewed_at": "심사 일시", "reject_reason": "반려 사유", "stopped_at": "정지/취소 일시",
                     "stop_reason": "정지/취소 사유"}
    formatters_columns = {"number": lambda v: app_filters("phone")(v),
                          "owner_type": lambda v: sender_numbers.OWNER_TYPES.get(v, v),
                          "method": lambda v: METHOD_LABELS.get(v, v),
                          "status": lambda v: sender_numbers.STATUS_LABELS.get(v, v),
                          "requested_at": lambda v: app_filters("kst")(v),
                          "reviewed_at": lambda v: app_filters("kst")(v) if v else "",
                          "stopped_at": lambda v: app_filters("kst")(v) if v else ""}

    def _page(self, pk, error=None, status=200):
        item = self.datamodel.get(pk)
        scheduled = sender_numbers.scheduled_sends(item) if item is not None else []
        return self.show_item_page(pk, error=error, scheduled=len(scheduled), form=request.form), status

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self._page(pk)

    def _act(self, pk, action):
        """Run a staff action: on a refusal the number's page again with the message
        (4xx, nothing changed); else back to it with what `action` says was done."""
        try:
            done = action()
        except MegabirdError as error:
            return self._page(pk, error, error.status)
        flash(done, "success")
        return redirect(url_for("SenderNumberAdminView.show", pk=pk))

    def _stop(self, pk, stop, label: str):
        def act():
            stopped = stop(pk, actor=g.user, reason=request.form.get("reason"), now=clock.now())
            cancelled = (f" 예약 발송 {len(stopped.cancelled_sends)}건을 취소하고 {stopped.refunded:,}원을 환급했습니다."
                         if stopped.cancelled_sends else "")
            return f"발신번호를 {label}했습니다.{cancelled}"
        return self._act(pk, act)

    @expose("/<int:pk>/suspend", methods=["POST"])
    @has_access
    def suspend(self, pk):
        return self._stop(pk, sender_enforcement.suspend, "이용정지")

    @expose("/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk):
        return self._stop(pk, sender_enforcement.revoke, "등록취소")

    @expose("/<int:pk>/reinstate", methods=["POST"])
    @has_access
    def reinstate(self, pk):
        def act():
            sender_enforcement.reinstate(pk, actor=g.user, reason=request.form.get("reason"), now=clock.now())
            return "이용정지를 해제했습니다. 이 발신번호로 다시 보낼 수 있습니다."
        return self._act(pk, act)
