"""RQ entry point for large exports (RES-05)."""
from __future__ import annotations

from app.jobs import job
from app.services.history import exports


@job
def build_export(job_id: int):
    return exports.build(job_id)
