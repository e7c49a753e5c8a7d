"""The money invariant (REL-05), composed above the capabilities that each own a part of
it: every account's balances are the sums of its ledger (wallet), and every settled send
has hold − refund = Σ charged of its messages (sending), and a Kakao send's fallbacks
replace failed Kakao messages once each, counted and charged as their rows (sending). `flask megabird ledger-check`
and the nightly tick run it; later capabilities add their part to INVARIANTS here."""
from __future__ import annotations

from typing import Callable

from app.services.sending import fallback, lifecycle
from app.services.wallet import ledger

#: each takes the number of problems still wanted and returns what it found
INVARIANTS: tuple[Callable[[int], list[str]], ...] = (ledger.balance_violations, lifecycle.completed_send_violations,
                                                     fallback.violations)


def invariant_violations(limit: int = 1) -> list[str]:
    problems: list[str] = []
    for check in INVARIANTS:
        problems.extend(check(limit - len(problems)))
        if len(problems) >= limit:
            break
    return problems[:limit]
