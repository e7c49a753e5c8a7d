"""웹훅 전송 기록 for operators (API-06): every account's deliveries, with each attempt,
to answer a customer who asks why an event did not arrive. Read-only: a replay is the
customer's (마이페이지 > 연동 API > 웹훅)."""
from __future__ import annotations

from flask import request
from flask_appbuilder import expose, has_access

from app.security.roles import OPERATIONS
from app.services.webhooks import delivery
from app.views.base import StaffView, page_arg


class StaffWebhookView(StaffView):
    route_base = "/staff/webhooks"
    class_permission_name = OPERATIONS

    @expose("/")
    @has_access
    def index(self):
        status = request.args.get("status") or None
        status = status if status in delivery.STATUSES else None
        account = request.args.get("account", "").strip()
        account_id = int(account) if account.isdigit() and len(account) < 10 else None
        rows, total = delivery.deliveries(account_id=account_id, status=status, page=page_arg(), per_page=20,
                                          staff=True)
        return self.render_template("staff/webhooks.html", deliveries=rows, total=total, page=page_arg(),
                                    per_page=20, status=status, account=account, statuses=delivery.STATUSES,
                                    status_labels=delivery.STATUS_LABELS)

    @expose("/deliveries/<int:delivery_id>")
    @has_access
    def delivery_page(self, delivery_id):
        found = delivery.get_delivery(None, delivery_id)
        return self.render_template("portal/webhooks/delivery.html", delivery=found,
                                    attempts=delivery.attempts_of(found), status_labels=delivery.STATUS_LABELS,
                                    outcome_labels=delivery.OUTCOME_LABELS, error=None, staff=True)
