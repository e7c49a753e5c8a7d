"""RQ entry point for large exports (RES-05)."""
from __future__ import annotations

from app.jobs import job


@job
def build_export(job_id: int):
    from app.services.history import exports
    return exports.build(job_id)
