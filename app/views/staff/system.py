"""Admin tools: the sandbox carrier's outbox and the RQ queues with failed jobs."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.models import SandboxMessage
from app.security.roles import JOBS, SANDBOX
from app.services.ops import rq_queues
from app.views.base import StaffModelView, StaffView
from app.web import app_filters


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
    search_columns = ["recipient", "sender", "channel", "client_ref", "result_code"]
    label_columns = {"submitted_at": "접수 일시", "channel": "채널", "sender": "발신", "recipient": "수신",
                     "text": "내용", "result_code": "결과 코드", "submit_count": "접수 횟수",
                     "client_ref": "참조"}
    formatters_columns = {"submitted_at": lambda v: app_filters("kst")(v, "%Y-%m-%d %H:%M:%S"),
                          "recipient": lambda v: app_filters("phone")(v)}


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
