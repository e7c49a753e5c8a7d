"""Choosing the adapter for each gateway by configuration: GATEWAY_SMS carries SMS, LMS
and MMS, GATEWAY_KAKAO carries AlimTalk and 친구톡 (app/domain/message_types.py says which
message goes where). The sandbox plays both; `smpp` (GW-03) is an SMSC for GATEWAY_SMS.
GATEWAY_KAKAO=none (issue 20) configures no Kakao gateway at all: `kakao_available()` is
then False and every Kakao feature refuses with `kakao_unavailable`."""
from __future__ import annotations

from flask import current_app

from app.domain.environment import is_production
from app.gateways.base import Gateway, OutboundMessage, Receipt, Report  # noqa: F401
from app.gateways.nhn_kakao.gateway import NhnKakaoGateway
from app.gateways.sandbox import SandboxGateway
from app.gateways.smpp.gateway import SmppGateway

SETTINGS = {"sms": "GATEWAY_SMS", "kakao": "GATEWAY_KAKAO"}
#: what a setting says when it configures no adapter (GATEWAY_KAKAO=none, or left empty)
NO_ADAPTER = ("none", "")


def _adapter_name(kind: str) -> str:
    if kind not in SETTINGS:
        raise ValueError(f"no gateway {kind!r}: one of {', '.join(SETTINGS)}")
    return current_app.config.get(SETTINGS[kind], "sandbox")


def _names_none(name) -> bool:
    return str(name or "").strip().lower() in NO_ADAPTER


def configured(kind: str) -> bool:
    """Whether the setting of this gateway names an adapter (not `none`)."""
    return not _names_none(_adapter_name(kind))


def kakao_available(config=None) -> bool:
    """Whether AlimTalk and 친구톡 can go anywhere: False for GATEWAY_KAKAO=none (or empty),
    and in production mode for the sandbox too (SEC-09: a sandbox Kakao would take the
    customers' money for messages that never leave the building)."""
    config = current_app.config if config is None else config
    name = config.get(SETTINGS["kakao"], "sandbox")
    if _names_none(name):
        return False
    return not (is_production(config) and str(name).strip().lower() == "sandbox")


def get_gateway(kind: str = "sms") -> Gateway:
    name = _adapter_name(kind)
    if _names_none(name):
        raise RuntimeError(f"{SETTINGS[kind]}=none: no {kind} gateway is configured; callers ask "
                           f"{'kakao_available()' if kind == 'kakao' else 'configured()'} first")
    if name == "sandbox":
        return SandboxGateway(throughput_limit=int(current_app.config.get(f"{SETTINGS[kind]}_THROUGHPUT", 0)),
                              deduplicates=bool(current_app.config.get("SANDBOX_DEDUPLICATES", True)),
                              operators_review=bool(current_app.config.get("SANDBOX_OPERATORS_REVIEW", True)))
    if name == "smpp" and kind == "sms":
        return SmppGateway(throughput_limit=int(current_app.config.get("SMPP_THROUGHPUT", 0)),
                           result_map=current_app.config.get("SMPP_RESULT_MAP"))
    if name == "nhn" and kind == "kakao":
        return nhn_kakao(current_app.config)
    raise RuntimeError(f"unknown gateway adapter {name!r} for {SETTINGS[kind]}")


def nhn_kakao(config) -> NhnKakaoGateway:
    """NHN Cloud's KakaoTalk Bizmessage API (GATEWAY_KAKAO=nhn; README lists the settings)."""
    keys = dict(pair.split("=", 1) for pair in str(config.get("NHN_KAKAO_SENDER_KEYS") or "").split(",") if "=" in pair)
    return NhnKakaoGateway(base_url=config.get("NHN_KAKAO_URL") or "", appkey=config.get("NHN_KAKAO_APPKEY") or "",
                           secret=config.get("NHN_KAKAO_SECRET") or "",
                           throughput_limit=int(config.get("NHN_KAKAO_THROUGHPUT") or 0),
                           timeout=float(config.get("NHN_KAKAO_TIMEOUT_SECONDS") or 10),
                           retries=int(config.get("NHN_KAKAO_RETRIES", 3)),
                           retry_pause=float(config.get("NHN_KAKAO_RETRY_PAUSE_SECONDS") or 1),
                           poll_seconds=float(config.get("NHN_KAKAO_POLL_SECONDS") or 5),
                           sender_category=config.get("NHN_KAKAO_SENDER_CATEGORY") or "",
                           sender_keys={k.strip(): v.strip() for k, v in keys.items()})


class NotConfigured(Gateway):
    """What dispatch meets for a gateway set to `none` (GATEWAY_KAKAO=none after Kakao sends
    were accepted): it received nothing, takes nothing (dispatch fails such messages before
    calling it, NO_GATEWAY, so that their fallback decides) and reports nothing."""
    name = "none"
    deduplicates = True

    def submit(self, messages, now):
        raise RuntimeError("no gateway is configured for these messages")

    def poll_reports(self, now, limit):
        return []

    def has_reports(self, now) -> bool:
        return False

    def ack_reports(self, reports, now) -> None:
        return None

    def lookup(self, refs, now=None) -> set[str]:
        return set()


def serving(kind: str) -> Gateway:
    """The gateway dispatch and recovery hand this kind's messages to: the configured
    adapter, or NotConfigured for `none`."""
    return get_gateway(kind) if configured(kind) else NotConfigured()


def adapters() -> dict[str, Gateway]:
    """Each configured adapter once, by the first gateway it serves, for what every
    gateway is asked in turn (reports): two gateways configured with the same adapter
    (the sandbox plays both) share it; a gateway set to `none` has none to ask."""
    seen: dict[str, str] = {}
    for kind in SETTINGS:
        if configured(kind):
            seen.setdefault(_adapter_name(kind), kind)
    return {kind: get_gateway(kind) for kind in seen.values()}
