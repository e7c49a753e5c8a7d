"""Admin tools: the sandbox carrier's outbox, the SMSC's receipts (GW-03) and the RQ queues
with failed jobs."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.domain import message_types, results
from app.models import SandboxMessage, SmppReceipt
from app.security.roles import JOBS, SANDBOX
from app.services.ops import rq_queues
from app.views.base import StaffModelView, StaffView
from app.views.staff import cells


#: the sandbox's channel is the type's wire name (친구톡 text and photo share one)
WIRE_LABELS = {**{t.wire: t.label for t in message_types.TYPES}, "friendtalk": "친구톡"}


def result_label(code):
    """3001 -> 단말기 전원 꺼짐 (3001); 0000 -> 성공 (0000)."""
    if code is None:
        return ""
    state, category = results.classify(code)
    name = "성공" if state == results.DELIVERED else results.CATEGORY_LABELS.get(category, category)
    return f"{name} ({code})"


class SandboxOutboxView(StaffModelView):
    route_base = "/staff/sandbox"
    class_permission_name = SANDBOX
    datamodel = SQLAInterface(SandboxMessage)
    list_title = show_title = "샌드박스 발신함"
    can_add = False
    can_edit = False
    can_delete = False
    base_order = ("id", "desc")
    list_columns = ["submitted_at", "channel", "sender", "recipient", "text", "result_code", "submit_count"]
    show_columns = ["client_ref", "channel", "account_id", "sender", "recipient", "title", "text", "image_count",
                    "submitted_at", "submit_count", "result_code", "optout_number", "report_due_at",
                    "leased_until", "acked_at"]
    search_columns = ["recipient", "sender", "channel", "client_ref", "result_code"]
    label_columns = {"submitted_at": "접수 일시", "channel": "유형", "sender": "발신", "recipient": "수신",
                     "text": "내용", "result_code": "결과", "submit_count": "접수 횟수", "client_ref": "참조",
                     "account_id": "계정 ID", "title": "제목", "image_count": "이미지 수",
                     "optout_number": "080 수신거부 번호", "report_due_at": "결과 예정 일시",
                     "leased_until": "결과 수신 대기 기한", "acked_at": "결과 확인 일시"}
    formatters_columns = {"submitted_at": cells.kst_seconds, "report_due_at": cells.kst_seconds,
                          "leased_until": cells.kst_seconds, "acked_at": cells.kst_seconds,
                          "channel": cells.label(WIRE_LABELS),
                          "sender": cells.phone, "recipient": cells.phone, "optout_number": cells.phone,
                          "result_code": result_label}


RECEIPT_STATUS_LABELS = {"new": "적용 대기", "applied": "적용됨", "intermediate": "중간 상태",
                         "unmatched": "대상 없음"}
RECEIPT_KIND_LABELS = {"receipt": "수신결과", "mo": "수신 메시지(MO)"}


class SmppReceiptView(StaffModelView):
    """What the SMSC sent back (GW-03), kept as received: those naming no message of
    megabird (`대상 없음`) stay here for staff instead of being dropped."""

    route_base = "/staff/smpp-receipts"
    class_permission_name = SANDBOX
    datamodel = SQLAInterface(SmppReceipt)
    list_title = show_title = "SMPP 수신결과"
    can_add = False
    can_edit = False
    can_delete = False
    base_order = ("id", "desc")
    list_columns = ["received_at", "kind", "status", "smsc_id", "stat", "err", "source", "destination",
                    "message_id", "code"]
    show_columns = ["received_at", "kind", "status", "system_id", "smsc_id", "stat", "err", "source",
                    "destination", "user_reference", "done_at", "text", "message_id", "code"]
    search_columns = ["status", "kind", "smsc_id", "source", "stat", "message_id"]
    label_columns = {"received_at": "수신 일시", "kind": "종류", "status": "상태", "system_id": "바인드 ID",
                     "smsc_id": "SMSC 메시지 ID", "stat": "stat", "err": "err", "source": "수신번호",
                     "destination": "발신번호", "user_reference": "참조 번호", "done_at": "완료 일시",
                     "text": "원문", "message_id": "메시지 ID", "code": "결과"}
    formatters_columns = {"received_at": cells.kst_seconds, "done_at": cells.kst_seconds,
                          "status": cells.label(RECEIPT_STATUS_LABELS), "kind": cells.label(RECEIPT_KIND_LABELS),
                          "source": cells.phone, "destination": cells.phone, "code": result_label}


class JobsView(StaffView):
    """RQ queues, workers and failed jobs (requeue or delete)."""

    route_base = "/staff/jobs"
    class_permission_name = JOBS

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("staff/jobs.html", overview=rq_queues.overview())

    @expose("/failed/<job_id>/requeue", methods=["POST"])
    @has_access
    def requeue(self, job_id):
        rq_queues.requeue_failed(request.form.get("queue", ""), job_id, actor=g.user, now=clock.now())
        flash("작업을 다시 대기열에 넣었습니다.", "success")
        return redirect(url_for("JobsView.index"))

    @expose("/failed/<job_id>/delete", methods=["POST"])
    @has_access
    def delete(self, job_id):
        rq_queues.delete_failed(request.form.get("queue", ""), job_id, actor=g.user, now=clock.now())
        flash("실패한 작업을 삭제했습니다.", "info")
        return redirect(url_for("JobsView.index"))
