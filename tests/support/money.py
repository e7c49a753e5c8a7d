"""Putting money on an account for tests, through the wallet service."""
from __future__ import annotations

import uuid

from app import clock
from app.services.wallet import ledger


def fund(app, account_id: int, *, cash: int = 0, points: int = 0) -> None:
    with app.app_context():
        if cash:
            ledger.topup(account_id, cash, key=f"test:{uuid.uuid4().hex}", now=clock.now(), memo="test")
        if points:
            ledger.grant_points(account_id, points, reason="test", key=f"test:{uuid.uuid4().hex}", now=clock.now())
