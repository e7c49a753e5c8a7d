"""RQ entry point for a long-range statistics PDF (07-dashboard-stats.md STA-03)."""
from __future__ import annotations

from app.jobs import job
from app.services.stats import pdf


@job
def build_pdf(job_id: int):
    return pdf.build(job_id)
