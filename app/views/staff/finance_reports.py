"""월별 이용·매출 보고서 (08-tax-invoice.md TAX-07) for finance staff and admins (FinanceArea): the
month to report on, its figures at a glance, the Excel workbook — during the request up to
10,000 account × type rows, else built by a job whose progress and download live here, staff's
own routes for a file that no customer owns — and the month's PDF summary."""
from __future__ import annotations

import io

from flask import flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.errors import ValidationError
from app.security.roles import FINANCE_AREA
from app.services.billing import reports
from app.services.shared import xlsx
from app.views.base import StaffView, no_cache
from app.views.portal.files import stored_file_response


class FinanceReportView(StaffView):
    route_base = "/staff/finance/reports"
    class_permission_name = FINANCE_AREA

    @expose("/")
    @has_access
    def index(self):
        now = clock.now()
        asked = request.args.get("month", "")
        try:
            month, refusal = reports.parse_month(asked, now=now), None
        except ValidationError as error:
            month, refusal = reports.parse_month("", now=now), error
        return self.render_template(
            "staff/finance_reports/index.html", s=reports.summary(month), month=month, refusal=refusal,
            asked=asked, inline_limit=reports.INLINE_LIMIT, jobs=reports.recent_jobs(),
            this_month=clock.to_kst(now).date().replace(day=1)), 422 if refusal else 200

    @expose("/usage.xlsx")
    @has_access
    def export(self):
        month = reports.parse_month(request.args.get("month"), now=clock.now())
        result = reports.export(month, actor_id=getattr(g.user, "id", None), now=clock.now())
        if isinstance(result, reports.InlineWorkbook):
            return xlsx.workbook_response(filename=result.filename, sheets=result.sheets)
        return redirect(url_for("FinanceReportView.job", job_id=result.id))

    @expose("/summary.pdf")
    @has_access
    def pdf(self):
        month = reports.parse_month(request.args.get("month"), now=clock.now())
        data = reports.summary_pdf(month, now=clock.now())
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=reports.pdf_filename(month), max_age=0)

    @expose("/jobs/<int:job_id>")
    @has_access
    @no_cache
    def job(self, job_id):
        job = reports.get_job(job_id)
        if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
            return jsonify(reports.as_dict(job))
        return self.render_template("staff/finance_reports/job.html", job=job)

    @expose("/jobs/<int:job_id>/download")
    @has_access
    def download(self, job_id):
        job = reports.get_job(job_id)
        if job.status != "done" or job.file is None:
            flash("아직 만들고 있습니다. 잠시 후 다시 시도해주세요.", "info")
            return redirect(url_for("FinanceReportView.job", job_id=job.id))
        return stored_file_response(job.file, download_name=job.filename, attachment=True)
