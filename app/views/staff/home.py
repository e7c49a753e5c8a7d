"""The staff dashboard: what waits in each queue."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app import clock
from app.security.roles import STAFF_HOME
from app.services import operations, queues
from app.views.base import StaffView


class StaffHomeView(StaffView):
    route_base = "/staff"
    class_permission_name = STAFF_HOME

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("staff/home.html", queues=queues.definitions(), counts=queues.counts(),
                                    today=operations.today_by_type(clock.now()), backlog=operations.backlog(),
                                    depths=operations.queue_depths())
