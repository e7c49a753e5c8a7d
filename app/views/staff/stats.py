"""운영 발송통계 (07-dashboard-stats.md STA-05) for operators, finance staff and admins: the
customers' figures for the whole service, one price plan or one account, the daily trend,
the top accounts by volume and by failure rate, the revenue per type, and the Excel
export of all of it. The same figure objects as the customers' pages (stats/charts)."""
from __future__ import annotations

from flask import request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _

from app import clock
from app.security.roles import STATISTICS
from app.services.shared import xlsx
from app.services.stats import charts, reports, staff
from app.views.base import StaffView

GROUP_TITLES = {"sms": "문자발송 통계", "kakao": "카카오톡발송 통계", "all": "전체"}


def _choice(*, refusal_shown: bool = False):
    """(scope, group, period, the refused 조회날짜 or None); the export refuses a bad range,
    the page shows it beside the form with this month's figures."""
    args = request.args
    group = reports.group_of(args.get("group"), service_wide=True)
    scope = staff.scope(args.get("account"), args.get("plan"))
    if refusal_shown:
        return scope, group, *reports.period_or_refusal(args.get("period"), args.get("from"), args.get("to"),
                                                        now=clock.now())
    return scope, group, reports.period(args.get("period"), args.get("from"), args.get("to"), now=clock.now()), None


def _linker(scope, group: str, p: reports.Period):
    """link(**changes): this page (or its export) with the current choices and `changes`;
    dates=False drops the custom range (전월, 당월)."""
    current = {"group": group, "period": p.choice, "account": scope.account_id, "plan": scope.price_plan_id}
    if p.choice == "custom":
        current.update({"from": p.start.isoformat(), "to": p.end.isoformat()})

    def link(endpoint: str = "StaffStatsView.index", dates: bool = True, **changes) -> str:
        values = {**current, **changes}
        if not dates:
            values.pop("from", None), values.pop("to", None)
        return url_for(endpoint, **values)
    return link


class StaffStatsView(StaffView):
    route_base = "/staff/stats"
    class_permission_name = STATISTICS

    @expose("/")
    @has_access
    def index(self):
        scope, group, p, refusal = _choice(refusal_shown=True)
        report = reports.type_report(scope, group, p)
        revenue = reports.type_report(scope, reports.ALL, p)
        trend = reports.trend(scope, group, p)
        names = {code: _(reports.label(code)) for code in trend.codes}
        figure = charts.to_json(charts.trend(trend, names=names, rate_label=_("실패율(%)")))
        return self.render_template(
            "staff/stats.html", report=report, revenue=revenue, trend=trend, names=names, figures=[figure],
            scope=scope, covering=staff.describe(scope), plans=staff.plans(), titles=GROUP_TITLES,
            by_volume=staff.top_by_volume(scope, group, p), by_failure=staff.top_by_failure_rate(scope, group, p),
            matches=staff.search_accounts(request.args.get("q")), q=request.args.get("q", ""),
            min_for_rate=staff.MIN_FOR_FAILURE_RATE, link=_linker(scope, group, p),
            today=clock.to_kst(clock.now()).date(), refusal=refusal, asked=request.args), 422 if refusal else 200

    @expose("/export.xlsx")
    @has_access
    def export(self):
        scope, group, p, _refusal = _choice()
        return xlsx.workbook_response(filename=staff.filename(group, p),
                                      sheets=staff.workbook_sheets(scope, group, p, gettext=_))
