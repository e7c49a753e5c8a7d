"""Choosing the adapter by configuration (GATEWAY_SMS, GATEWAY_KAKAO)."""
from __future__ import annotations

from flask import current_app

from app.gateways.base import Gateway, OutboundMessage, Receipt, Report  # noqa: F401


def get_gateway(kind: str = "sms") -> Gateway:
    key = "GATEWAY_KAKAO" if kind == "kakao" else "GATEWAY_SMS"
    name = current_app.config.get(key, "sandbox")
    if name == "sandbox":
        from app.gateways.sandbox import SandboxGateway
        return SandboxGateway(throughput_limit=int(current_app.config.get("GATEWAY_SMS_THROUGHPUT", 0)))
    raise RuntimeError(f"unknown gateway adapter {name!r} for {key}")
