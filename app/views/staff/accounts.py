"""Customer care: accounts, their daily cap and suspension (ACC-10)."""
from __future__ import annotations

from flask import g, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.models import Account
from app.security.roles import OPERATIONS
from app.services.accounts import accounts
from app.views.base import StaffModelView, flash_outcome
from app.views.staff import cells


class AccountAdminView(StaffModelView):
    route_base = "/staff/accounts"
    class_permission_name = OPERATIONS
    datamodel = SQLAInterface(Account)
    list_title = show_title = "고객 계정"
    can_add = False
    can_edit = False
    can_delete = False
    show_template = "staff/account_show.html"
    list_columns = ["id", "display_name", "kind", "cash", "points", "daily_cap", "api_status",
                    "suspended_at", "created_at"]
    show_columns = ["id", "display_name", "kind", "cash", "points", "price_plan", "daily_cap",
                    "api_status", "suspended_at", "suspended_reason", "brn", "company_name",
                    "representative", "created_at"]
    search_columns = ["display_name", "kind", "api_status", "brn", "company_name"]
    label_columns = {"id": "ID", "display_name": "이름", "kind": "유형", "cash": "충전금", "points": "포인트",
                     "daily_cap": "일일 한도", "api_status": "API 사용", "suspended_at": "정지 일시",
                     "suspended_reason": "정지 사유", "created_at": "가입 일시", "price_plan": "요금제",
                     "brn": "사업자등록번호", "company_name": "상호", "representative": "대표자"}
    formatters_columns = {"cash": cells.won, "points": cells.points, "daily_cap": cells.count,
                          "created_at": cells.kst, "suspended_at": cells.kst, "brn": cells.brn,
                          "kind": cells.label(accounts.KIND_LABELS),
                          "api_status": cells.label(accounts.API_STATUS_LABELS)}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self.show_item_page(pk)

    def _act(self, pk, func, done: str):
        return flash_outcome(func, done, "AccountAdminView.show", pk=pk)

    @expose("/<int:pk>/cap", methods=["POST"])
    @has_access
    def set_cap(self, pk):
        return self._act(pk, lambda: accounts.set_daily_cap(
            account_id=pk, cap=request.form.get("daily_cap"), actor=g.user,
            reason=request.form.get("reason"), now=clock.now()), "일일 발송 한도를 변경했습니다.")

    @expose("/<int:pk>/suspend", methods=["POST"])
    @has_access
    def suspend(self, pk):
        return self._act(pk, lambda: accounts.suspend(
            account_id=pk, actor=g.user, reason=request.form.get("reason"), now=clock.now()),
            "계정을 이용 정지했습니다.")

    @expose("/<int:pk>/unsuspend", methods=["POST"])
    @has_access
    def unsuspend(self, pk):
        return self._act(pk, lambda: accounts.unsuspend(
            account_id=pk, actor=g.user, reason=request.form.get("reason"), now=clock.now()),
            "이용 정지를 해제했습니다.")
