"""The staff dashboard: what waits in each queue."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app import clock
from app.security.roles import STAFF_HOME
from app.services.ops import review_queues, staff_dashboard
from app.views.base import StaffView


class StaffHomeView(StaffView):
    route_base = "/staff"
    class_permission_name = STAFF_HOME

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("staff/home.html", queues=review_queues.definitions(), counts=review_queues.counts(),
                                    today=staff_dashboard.today_by_type(clock.now()), backlog=staff_dashboard.backlog(),
                                    depths=staff_dashboard.queue_depths())
