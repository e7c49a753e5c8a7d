"""The audit log (ACC-08): listable and filterable; nobody edits or deletes it."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import AuditLog
from app.security.roles import AUDIT
from app.views.base import StaffModelView
from app.web import app_filters


class AuditLogView(StaffModelView):
    route_base = "/staff/audit"
    class_permission_name = AUDIT
    datamodel = SQLAInterface(AuditLog)
    list_title = show_title = "감사 로그"
    can_add = False
    can_edit = False
    can_delete = False
    base_order = ("created_at", "desc")
    list_columns = ["created_at", "actor_login", "action", "object_type", "object_id", "account_id",
                    "reason"]
    show_columns = ["created_at", "actor_login", "action", "object_type", "object_id", "account_id",
                    "before", "after", "reason"]
    search_columns = ["actor_login", "action", "object_type", "object_id", "account_id", "created_at"]
    label_columns = {"created_at": "일시", "actor_login": "처리자", "action": "작업", "object_type": "대상",
                     "object_id": "대상 ID", "account_id": "계정 ID", "before": "변경 전", "after": "변경 후",
                     "reason": "사유"}
    formatters_columns = {"created_at": lambda v: app_filters("kst")(v, "%Y-%m-%d %H:%M:%S")}
