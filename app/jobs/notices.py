"""Jobs for the e-mails of the portal's notices (app/services/shared/notices.py)."""
from __future__ import annotations

from app import clock
from app.jobs import job
from app.services.shared import notices


@job
def deliver_mail():
    """Safe to run twice or at once on two workers: each e-mail is claimed before it is sent."""
    return notices.deliver_pending(clock.now())
