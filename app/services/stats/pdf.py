"""발송통계 PDF 다운로드 (07-dashboard-stats.md STA-03): the report the page shows — each type's
pie, the table, the trend by day (or by month over a long range) and the notes — as a PDF
through shared/pdf.render_pdf, the charts drawn to SVG by this process's kaleido server
(stats/charts), Korean in NanumGothic, and a Korean file name with an ASCII fallback
(Werkzeug writes both, RFC 6266). A range longer than a month is built by an RQ job with
its progress, like a large export (shared/export_jobs); a shorter one answers at once."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext as _

from app import clock
from app.domain.files import CheckedFile
from app.domain.korean import N_
from app.extensions import db
from app.models import Account, ExportJob
from app.services.shared import export_jobs
from app.services.shared.pdf import render_pdf
from app.services.stats import charts, reports
from app.services.stats.reports import Period, Report, Trend

TITLES = {"sms": N_("문자발송 통계"), "kakao": N_("카카오톡발송 통계")}
#: a range of more days than this is built by a job (전월 and 당월 never are)
LONG_RANGE_DAYS = 31
JOB = "app.jobs.stats.build_pdf"
PDF = CheckedFile("application/pdf", "pdf")


def filename(report: Report) -> str:
    p = report.period
    return f"megabird_{TITLES[report.group].replace(' ', '')}_{p.start:%Y%m%d}-{p.end:%Y%m%d}.pdf"


def is_long(p: Period) -> bool:
    return p.days > LONG_RANGE_DAYS


def steps(report: Report) -> int:
    """What a job's progress counts: each chart, then the document."""
    return len(report.rows) + 2


def company_of(account: Account) -> str:
    return account.company_name or account.display_name


def report_pdf(report: Report, trend: Trend, *, company: str, now, progress=None) -> bytes:
    tick = progress or (lambda done: None)
    svgs = []
    for row in report.rows:
        svgs.append(charts.svg(charts.pie(_(row.label), row.delivered, row.failed, labels=(_("성공"), _("실패")))))
        tick(len(svgs))
    names = {code: _(reports.label(code)) for code in trend.codes}
    trend_svg = charts.svg(charts.trend(trend, names=names, rate_label=_("실패율(%)")))
    tick(len(svgs) + 1)
    html = render_template("pdf/stats.html", report=report, title=_(TITLES[report.group]), company=company,
                           charts=zip(report.rows, svgs), trend=trend, names=names, trend_svg=trend_svg,
                           printed_at=clock.to_kst(now), lang=str(get_locale() or "ko"))
    data = render_pdf(html)
    tick(steps(report))
    return data


# --- a long range: by a job ---------------------------------------------------------------------------------

def start_job(*, account_id: int, report: Report, now: dt.datetime) -> ExportJob:
    p = report.period
    return export_jobs.start(account_id=account_id, kind="stats_pdf", filename=filename(report),
                             params={"group": report.group, "start": p.start.isoformat(), "end": p.end.isoformat(),
                                     "choice": p.choice, "locale": str(get_locale() or "ko")},
                             total=steps(report), job=JOB, now=now)


def _write(job: ExportJob, params: dict, path: str, progress) -> int:
    p = Period(dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"]), params["choice"])
    report = reports.type_report(job.account_id, params["group"], p)
    trend = reports.trend(job.account_id, params["group"], p)
    company = company_of(db.session.get(Account, job.account_id))
    db.session.commit()      # nothing held while the charts are drawn
    with current_app.test_request_context(), force_locale(params.get("locale") or "ko"):
        Path(path).write_bytes(report_pdf(report, trend, company=company, now=clock.now(), progress=progress))
    return steps(report)


def build(job_id: int) -> str:
    return export_jobs.run(job_id, _write, checked=PDF, error="PDF를 만들지 못했습니다. 다시 시도해주세요.")
