"""RQ entry point for the monthly usage and revenue report over 10,000 rows (TAX-07)."""
from __future__ import annotations

from app.jobs import job
from app.services.billing import reports


@job
def build_report(job_id: int):
    return reports.build(job_id)
