"""대시보드 (07-dashboard-stats.md): the customer's landing page."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app import clock
from app.security.tenancy import current_account
from app.services.accounts import accounts
from app.services.history import kakao as kakao_history
from app.services.shared import notices
from app.services.stats import dashboard
from app.views.base import PortalView


class DashboardView(PortalView):
    route_base = "/dashboard"

    @expose("/")
    @has_access
    def index(self):
        account = current_account()
        recent = dashboard.recent(account.id)
        # the Kakao tab's rows: per recipient, with the channel (KRS-01)
        recent["kakao_rows"] = kakao_history.recent(account.id, recent["kakao"])
        return self.render_template(
            "portal/dashboard.html", account=account,
            conversion=accounts.pending_conversion(account.id),
            api_application=accounts.latest_api_application(account.id),
            usage=dashboard.monthly_usage(account.id, clock.now()), reservations=dashboard.reservations(account.id),
            recent=recent, notices=notices.recent(account.id, 3))
