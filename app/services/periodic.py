"""The tick: the single entry point for periodic work (`flask megabird tick [--now]`,
and the RQ scheduler every few seconds). Each task says how often it runs; the
tick runs the tasks that are due at `now` and records when each ran.

This module sits above every capability and names their tasks in `TASKS`; a later
capability adds its own there. Every task must be safe to run twice and at any time:
the tick may be repeated, late, or run by two processes."""
from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass
from typing import Callable

from flask import current_app

from app import clock
from app.extensions import db
from app.models import PeriodicRun
from app.services import checks
from app.services.billing import documents as tax_documents
from app.services.billing import invoices
from app.services.history import retention
from app.services.stats import totals
from app.services.kakao import templates as alimtalk_templates
from app.services.sending import compose, dispatch, handover, lifecycle, reports
from app.services.shared import export_jobs, notices, system_messages
from app.services.webhooks import delivery as webhooks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[dt.datetime], object]
    every: dt.timedelta = dt.timedelta(0)      # 0: at every tick
    daily_at_kst: int | None = None            # hour of the day (KST) for nightly tasks

    def is_due(self, last_run: dt.datetime | None, now: dt.datetime) -> bool:
        if self.daily_at_kst is not None:
            local = clock.to_kst(now)
            if local.hour < self.daily_at_kst:
                return False
            return last_run is None or clock.to_kst(last_run).date() < local.date()
        return last_run is None or now - last_run >= self.every or now < last_run


def _purge_login_attempts(now):
    return current_app.appbuilder.sm.purge_login_attempts(now)


def _ledger_check(now):
    """REL-05 nightly: a violation fails the task (recorded in periodic_run, logged)."""
    problems = checks.invariant_violations(limit=10)
    if problems:
        raise RuntimeError("ledger invariant violated: " + "; ".join(problems))
    return "ok"


def _start_scheduled(now):
    started = lifecycle.start_due_scheduled(now)
    dispatch.enqueue(started)
    return len(started)


def _relay(now):
    relayed = dispatch.sends_to_relay(now)
    dispatch.enqueue(relayed)
    return len(relayed)


TASKS: list[Task] = [
    Task("system_messages", system_messages.deliver_pending),
    Task("notice_mail", notices.deliver_pending),      # e-mails of notices whose enqueue was lost
    # the send pipeline (design/send-pipeline.md): the tick finds what is due; reports,
    # timeouts and settlement are jobs that any worker takes
    Task("start_scheduled", _start_scheduled),
    Task("recover_claims", dispatch.recover_stale_claims),
    Task("recover_connector_claims", handover.recover_stale),    # an SMSC connector that died (GW-03)
    Task("relay", _relay),
    Task("reports", reports.enqueue_due),
    Task("timeouts", reports.enqueue_timeouts, every=dt.timedelta(minutes=1)),
    Task("settle", lifecycle.enqueue_settlement),
    Task("webhooks", webhooks.enqueue_due),         # deliveries due: new, to retry, or of a job that died
    Task("relay_exports", export_jobs.relay, every=dt.timedelta(minutes=1)),
    Task("usage_day_totals", totals.refresh, every=dt.timedelta(minutes=1)),    # staff statistics (STA-05)
    # AlimTalk templates: requests whose enqueue was lost, a dealer's review results,
    # and the nightly dormancy of templates unused for a year (KAT-03)
    Task("submit_templates", alimtalk_templates.submit_requested, every=dt.timedelta(minutes=1)),
    Task("forward_template_comments", alimtalk_templates.forward_comments, every=dt.timedelta(minutes=1)),
    Task("sync_template_reviews", alimtalk_templates.sync_reviews, every=dt.timedelta(minutes=5)),
    Task("dormant_templates", alimtalk_templates.mark_dormant, daily_at_kst=3),
    Task("purge_login_attempts", _purge_login_attempts, daily_at_kst=3),
    Task("ledger_check", _ledger_check, daily_at_kst=4),
    # 세금계산서: the monthly run from the 5th (or the next business day) on, hourly so that a
    # late start still makes it; it makes each invoice once (TAX-03)
    Task("tax_invoices_monthly", invoices.prepare_month, every=dt.timedelta(hours=1)),
    Task("tax_invoices_filed", invoices.refresh_filed, every=dt.timedelta(minutes=30)),
    Task("tax_invoice_copies", tax_documents.make_missing, every=dt.timedelta(minutes=5)),
    Task("purge_history", retention.purge_expired, daily_at_kst=2),
    Task("purge_webhooks", webhooks.purge_expired, daily_at_kst=2),     # the webhook log after 90 days
    Task("purge_drafts", compose.purge_drafts, daily_at_kst=2),
]


def tick(now: dt.datetime, only: set[str] | None = None) -> dict[str, object]:
    """Run every due task with this `now`. One failing task does not stop the others."""
    results: dict[str, object] = {}
    for task in TASKS:
        if only and task.name not in only:
            continue
        run = db.session.get(PeriodicRun, task.name) or PeriodicRun(name=task.name)
        if not only and not task.is_due(run.last_run_at, now):
            continue
        db.session.commit()
        try:
            results[task.name] = task.run(now)
            db.session.commit()
            error = None
        except Exception as exc:  # logged and recorded; the next tick tries again
            db.session.rollback()
            log.exception("periodic task %s failed", task.name)
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
            results[task.name] = f"error: {error}"
        run = db.session.get(PeriodicRun, task.name) or PeriodicRun(name=task.name)
        run.last_run_at = now
        if error is None:
            run.last_ok_at = now
        run.last_error = error
        db.session.add(run)
        db.session.commit()
    return results
