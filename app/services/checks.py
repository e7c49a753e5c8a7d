"""The money invariant (REL-05), composed above the capabilities that each own a part of
it: every account's balances are the sums of its ledger (wallet), and every settled send
has hold − refund = Σ charged of its messages (sending), and a Kakao send's fallbacks
replace failed Kakao messages once each, counted and charged as their rows (sending), and
its open cash lots add up to its cash (wallet/lots), and a settled send's billing usage adds up
to what it was charged, in cash and in all (billing/usage), and a month's issued tax invoices
add up to its invoiced usage (billing/invoices). `flask megabird ledger-check`
and the nightly tick run it; later capabilities add their part to INVARIANTS here."""
from __future__ import annotations

from typing import Callable

from app.services.billing import invoices as tax_invoices
from app.services.billing import usage as billing_usage
from app.services.sending import fallback, lifecycle
from app.services.wallet import ledger, lots

#: each takes the number of problems still wanted and returns what it found
INVARIANTS: tuple[Callable[[int], list[str]], ...] = (ledger.balance_violations, lots.violations,
                                                     lifecycle.completed_send_violations, fallback.violations,
                                                     billing_usage.violations, tax_invoices.violations)


def invariant_violations(limit: int = 1) -> list[str]:
    problems: list[str] = []
    for check in INVARIANTS:
        problems.extend(check(limit - len(problems)))
        if len(problems) >= limit:
            break
    return problems[:limit]
