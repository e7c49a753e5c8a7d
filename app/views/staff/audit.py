"""The audit log (ACC-08): listable and filterable; nobody edits or deletes it. Actions,
objects and before/after read as names (app/services/shared/audit.py has the table)."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import AuditLog
from app.security.roles import AUDIT
from app.services.shared import audit
from app.views.base import StaffModelView
from app.views.staff import cells


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
    formatters_columns = {"created_at": cells.kst_seconds, "action": audit.action_label,
                          "object_type": audit.object_label, "before": audit.describe, "after": audit.describe,
                          "actor_login": lambda v: "시스템" if v == "system" else v}
