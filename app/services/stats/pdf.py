"""발송통계 PDF 다운로드 (07-dashboard-stats.md STA-03): the report the page shows, as a PDF
through shared/pdf.render_pdf, each type's chart drawn to SVG by this process's kaleido
server (stats/charts), Korean in NanumGothic, and a Korean file name with an ASCII
fallback (Werkzeug writes both, RFC 6266). Reads only."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale, gettext as _

from app import clock
from app.domain.korean import N_
from app.services.shared.pdf import render_pdf
from app.services.stats import charts
from app.services.stats.reports import Report

TITLES = {"sms": N_("문자발송 통계"), "kakao": N_("카카오톡발송 통계")}


def filename(report: Report) -> str:
    p = report.period
    return f"megabird_{TITLES[report.group].replace(' ', '')}_{p.start:%Y%m%d}-{p.end:%Y%m%d}.pdf"


def report_pdf(report: Report, *, company: str, now) -> bytes:
    svgs = [charts.svg(charts.pie(_(row.label), row.delivered, row.failed, labels=(_("성공"), _("실패"))))
            for row in report.rows]
    html = render_template("pdf/stats.html", report=report, title=_(TITLES[report.group]), company=company,
                           charts=zip(report.rows, svgs), printed_at=clock.to_kst(now), lang=str(get_locale() or "ko"))
    return render_pdf(html)
