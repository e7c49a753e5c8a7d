"""The payment-gateway interface for card top-ups (WAL-03). The sandbox approves at
once; a real PG adapter (e.g. a Korean card PG) plugs in behind the same interface,
selected by PAYMENT_GATEWAY."""
from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class PaymentResult:
    approved: bool
    transaction_id: str | None
    message: str = ""


class PaymentGateway(abc.ABC):
    name = "abstract"

    @abc.abstractmethod
    def charge(self, *, amount: int, order_id: str, customer: str) -> PaymentResult:
        """Charge the card for `order_id` (idempotent per order id at the PG)."""


class SandboxPaymentGateway(PaymentGateway):
    name = "sandbox"

    def charge(self, *, amount: int, order_id: str, customer: str) -> PaymentResult:
        return PaymentResult(True, f"SBXPAY-{order_id}-{uuid.uuid5(uuid.NAMESPACE_URL, order_id).hex[:8]}")


def get_payment_gateway() -> PaymentGateway:
    name = current_app.config.get("PAYMENT_GATEWAY", "sandbox")
    if name == "sandbox":
        return SandboxPaymentGateway()
    raise RuntimeError(f"unknown payment gateway {name!r}")
