"""Crash points for the fault tests (REL-02). With MEGABIRD_CRASH_AT="name:n[,name:n]"
the process SIGKILLs itself the n-th time it passes `point(name)`. Without it (always,
in production) a point costs one dict lookup."""
from __future__ import annotations

import os
import signal

POINTS = (
    "dispatch.after_claim",     # a batch is claimed and committed; the gateway has not seen it
    "dispatch.after_submit",    # the gateway accepted the batch; it is not marked submitted
    "dispatch.after_mark",      # marked submitted; progress not yet recorded
    "reports.after_apply",      # reports applied and committed; not acknowledged
    "settle.before_commit",     # completion and refund written, not committed
    "settle.after_commit",
)


def _parse(text: str | None) -> dict[str, int]:
    plan = {}
    for part in (text or "").split(","):
        if ":" in part:
            name, count = part.rsplit(":", 1)
            plan[name.strip()] = int(count)
    return plan


_plan = _parse(os.environ.get("MEGABIRD_CRASH_AT"))
_seen: dict[str, int] = {}


def point(name: str) -> None:
    if not _plan or name not in _plan:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == _plan[name]:
        os.kill(os.getpid(), signal.SIGKILL)
