"""Jobs of Kakao templates (app/services/kakao/templates.py)."""
from __future__ import annotations

from app import clock
from app.jobs import job
from app.services.kakao import templates


@job
def submit_templates():
    """Requested templates (and customers' comments on rejected ones, at a dealer) to the
    Kakao gateway; safe to run twice (each is taken once)."""
    now = clock.now()
    return templates.submit_requested(now) + templates.forward_comments(now)
