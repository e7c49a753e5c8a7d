"""Issuing 전자세금계산서 (08-tax-invoice.md TAX-08): the adapter chosen by
TAX_INVOICE_PROVIDER — `sandbox` (the default: records what it would have sent, answers a
made-up approval number, fails when told) or `popbill` (Popbill's SDK) — and the 공급자
every invoice names (`supplier()`, from the SUPPLIER_* settings)."""
from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

from app.gateways.tax_invoices import popbill
from app.gateways.tax_invoices.base import (CANCELLED, FAILED, FILED, ISSUED, STATES, UNKNOWN,  # noqa: F401
                                            IssueRefused, IssueResult, IssueStatus, TaxInvoiceIssuer,
                                            format_approval, normalise_approval)
from app.gateways.tax_invoices.sandbox import SandboxIssuer
from app.gateways.tax_invoices.supplier import (DEMO_SUPPLIER, SupplierNotConfigured,  # noqa: F401
                                                supplier_problems)
from app.gateways.tax_invoices.supplier import supplier as _supplier

SETTING = "TAX_INVOICE_PROVIDER"
PROVIDERS = ("sandbox", "popbill")


def provider_name(config: Mapping | None = None) -> str:
    config = current_app.config if config is None else config
    return str(config.get(SETTING) or "sandbox").strip().lower()


def supplier(config: Mapping | None = None):
    """The 공급자 (a Party) from the configuration: the demo supplier in development when
    no SUPPLIER_* is set; raises SupplierNotConfigured naming what is missing or wrong."""
    return _supplier(current_app.config if config is None else config)


def get_issuer(config: Mapping | None = None) -> TaxInvoiceIssuer:
    config = current_app.config if config is None else config
    name = provider_name(config)
    if name == "sandbox":
        return SandboxIssuer(fail=str(config.get("SANDBOX_TAX_FAIL") or ""))
    if name == "popbill":
        return popbill.from_config(config, supplier(config).brn)
    raise RuntimeError(f"unknown {SETTING} {name!r}: one of {', '.join(PROVIDERS)}")


def config_problems(config: Mapping) -> list[str]:
    """What production mode refuses about issuing (beside TAX_INVOICE_PROVIDER=sandbox,
    which app/services/ops/production.py refuses with the other sandboxes): an unknown
    provider, Popbill without its keys or on its test bed, and the 공급자 settings."""
    found = []
    name = provider_name(config)
    allowed = {n.strip().upper() for n in str(config.get("MEGABIRD_ALLOW_SANDBOX") or "").split(",")}
    if name not in PROVIDERS:
        found.append(f"{SETTING}={name}: 알 수 없는 세금계산서 발행 서비스입니다 ({', '.join(PROVIDERS)} 중 하나).")
    if name == "popbill":
        missing = [key for key in ("POPBILL_LINK_ID", "POPBILL_SECRET_KEY") if not config.get(key)]
        if missing:
            found.append(f"{', '.join(missing)}: 팝빌 연동 정보가 없습니다. 팝빌(링크허브)에서 발급받은 값을 설정해주세요.")
        if popbill.is_test(config) and SETTING not in allowed:
            found.append("POPBILL_IS_TEST=true: 팝빌 테스트베드로 발행한 세금계산서는 국세청에 신고되지 않습니다. "
                         "POPBILL_IS_TEST=false로 설정하거나, 시험 운영이면 MEGABIRD_ALLOW_SANDBOX에 "
                         "TAX_INVOICE_PROVIDER를 적어주세요.")
    return found + supplier_problems(config)
