"""The staff dashboard: what waits in each queue, today's volume, the backlog. Each role
sees the queues and shortcuts it may open (the template asks `may_open`), nothing that
would answer 403."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app import clock
from app.security.roles import STAFF_HOME
from app.services.ops import review_queues, staff_dashboard
from app.views.base import StaffView

#: (label, endpoint) of the pages a dashboard links to; each is shown to whoever may open it
SHORTCUTS = [("재무 대시보드", "FinanceDashboardView.index"), ("세금계산서 발행 대기열", "FinanceInvoiceView.list"),
             ("발송통계", "StaffStatsView.index"), ("고객 계정", "AccountAdminView.list"), ("발신번호 관리", "SenderNumberAdminView.list"),
             ("원장", "LedgerAdminView.list"), ("감사 로그", "AuditLogView.list"),
             ("샌드박스 발신함", "SandboxOutboxView.list"), ("SMPP 수신결과", "SmppReceiptView.list"),
             ("작업 큐", "JobsView.index"),
             ("요금제", "PricePlanView.list")]


class StaffHomeView(StaffView):
    route_base = "/staff"
    class_permission_name = STAFF_HOME

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("staff/home.html", queues=review_queues.definitions(), counts=review_queues.counts(),
                                    today=staff_dashboard.today_by_type(clock.now()), backlog=staff_dashboard.backlog(),
                                    depths=staff_dashboard.queue_depths(), shortcuts=SHORTCUTS)
