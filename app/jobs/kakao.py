"""Jobs of Kakao templates (app/services/kakao/templates.py)."""
from __future__ import annotations

from app import clock
from app.jobs import job
from app.services.kakao import templates


@job
def submit_templates():
    """Requested templates to the Kakao gateway; safe to run twice (each is taken once)."""
    return templates.submit_requested(clock.now())
