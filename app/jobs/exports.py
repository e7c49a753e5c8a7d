"""RQ entry point for large exports (RES-05)."""
from __future__ import annotations

from app.jobs import job


@job
def build_export(job_id: int):
    from app.services import export_jobs
    return export_jobs.build(job_id)
