"""알림톡 템플릿 검수 (06-kakao.md KAT-05): the operators' queue while the sandbox plays
Kakao's reviewer, and every template for staff to block and unblock."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app.security.roles import OPERATIONS
from app.views.base import StaffView


class AlimtalkTemplateQueueView(StaffView):
    route_base = "/staff/queues/alimtalk-templates"
    class_permission_name = OPERATIONS
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        return self.render_template("staff/alimtalk_queue.html")
