"""발송통계 (07-dashboard-stats.md STA-01..04, STA-06): 문자발송 통계 and 카카오톡발송 통계 for
the account over 조회날짜, the same figure objects drawn on the page (plotly.js from the
package at /vendor/plotly.min.js, no CDN) and into the PDF; the page carries every number without the script."""
from __future__ import annotations

import io

from flask import redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _

from app import clock
from app.security.tenancy import current_account
from app.services.stats import charts, reports
from app.services.stats import pdf as stats_pdf
from app.views.base import PortalView


def _report(account_id: int):
    p = reports.period(request.args.get("period"), request.args.get("from"), request.args.get("to"), now=clock.now())
    return reports.type_report(account_id, reports.group_of(request.args.get("group")), p)


class StatsView(PortalView):
    route_base = "/stats"

    @expose("/")
    @has_access
    def index(self):
        account_id = current_account().id
        group = reports.group_of(request.args.get("group"))
        p, refusal = reports.period_or_refusal(request.args.get("period"), request.args.get("from"),
                                               request.args.get("to"), now=clock.now())
        report = reports.type_report(account_id, group, p)
        trend = reports.trend(account_id, report.group, report.period)
        names = {code: _(reports.label(code)) for code in trend.codes}
        figures = [charts.to_json(charts.pie(_(row.label), row.delivered, row.failed, labels=(_("성공"), _("실패"))))
                   for row in report.rows]
        figures.append(charts.to_json(charts.trend(trend, names=names, rate_label=_("실패율(%)"))))
        return self.render_template("portal/stats/index.html", report=report, figures=figures, trend=trend,
                                    names=names, titles=stats_pdf.TITLES, long_range=stats_pdf.is_long(report.period),
                                    today=clock.to_kst(clock.now()).date(), refusal=refusal,
                                    asked=request.args), 422 if refusal else 200

    @expose("/pdf")
    @has_access
    def pdf(self):
        account = current_account()
        report = _report(account.id)
        if stats_pdf.is_long(report.period):       # built by a job; the person watches its progress
            job = stats_pdf.start_job(account_id=account.id, report=report, now=clock.now())
            return redirect(url_for("ExportView.show", job_id=job.id))
        trend = reports.trend(account.id, report.group, report.period)
        data = stats_pdf.report_pdf(report, trend, company=stats_pdf.company_of(account), now=clock.now())
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=stats_pdf.filename(report), max_age=0)