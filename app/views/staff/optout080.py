"""무료거부 080 (SND-09) for operators: the review queue of customers' own 080 numbers,
and the page that records an opt-out call taken by hand (080 number, code, caller)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.domain.optout080 import OUTCOMES
from app.errors import MegabirdError
from app.models import OptoutNumber
from app.security.roles import OPERATIONS
from app.services.contacts import optout_calls
from app.services.senders import optout_numbers
from app.views.base import StaffView, page_arg
from app.views.staff.reviews import ReviewQueueView
from app.web import app_filters


class OptoutNumberQueueView(ReviewQueueView):
    route_base = "/staff/queues/optout-numbers"
    datamodel = SQLAInterface(OptoutNumber)
    list_title = show_title = "080 번호 심사"
    list_columns = ["account", "number", "requested_at"]
    show_columns = ["account", "number", "note", "requested_at"]
    label_columns = {"account": "계정", "number": "080 번호", "note": "요청사항", "requested_at": "요청 일시"}
    search_columns = ["number", "account"]
    formatters_columns = {**ReviewQueueView.formatters_columns,
                          "number": lambda v: app_filters("phone")(v),
                          "note": lambda v: v or ""}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return optout_numbers.decide_number(pk, approve=approve, actor=actor, now=now, reason=reason)

    def documents(self, item):
        return [(optout_numbers.DOCUMENT_LABEL, item.document)] if item.document is not None else []


class OptoutCallView(StaffView):
    """080 수신거부 접수: an operator records a call; the list shows every call, those
    the 080 provider reported that named no account too."""

    route_base = "/staff/optout-calls"
    class_permission_name = OPERATIONS

    def _page(self, error=None, status=200, form=None):
        page = page_arg()
        calls, total = optout_calls.recent(page=page)
        return self.render_template("staff/optout_calls.html", calls=calls, total=total, page=page,
                                    per_page=optout_calls.PER_PAGE, outcomes=OUTCOMES, error=error,
                                    form=form or {}), status

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/record", methods=["POST"])
    @has_access
    def record(self):
        form = request.form
        try:
            row = optout_calls.record_by_staff(called=form.get("called"), code=form.get("code"),
                                               caller=form.get("caller"), actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self._page(error, error.status, form)
        flash(optout_calls.describe(row), "success")
        return redirect(url_for("OptoutCallView.index"))
