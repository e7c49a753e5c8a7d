"""공급자: the service's own business data, as every invoice names it (TAX-05), from the
SUPPLIER_* settings. With none of them set, development and tests use a demo supplier that
no one could mistake for a real one; a partial configuration is an error in every mode,
and production mode requires all of them (app/services/ops/production.py)."""
from __future__ import annotations

from collections.abc import Mapping

from app.domain.brn import validate_brn
from app.domain.environment import is_production
from app.domain.tax_invoice import Party
from app.errors import ValidationError

#: setting → (Party field, what the invoice calls it)
SETTINGS = {
    "SUPPLIER_BRN": ("brn", "사업자등록번호"),
    "SUPPLIER_NAME": ("name", "상호(법인명)"),
    "SUPPLIER_REPRESENTATIVE": ("representative", "성명(대표자)"),
    "SUPPLIER_ADDRESS": ("address", "사업장주소"),
    "SUPPLIER_BUSINESS_TYPE": ("business_type", "업태"),
    "SUPPLIER_BUSINESS_ITEM": ("business_item", "종목"),
    "SUPPLIER_CONTACT_NAME": ("contact_name", "담당자 이름"),
    "SUPPLIER_CONTACT_EMAIL": ("contact_email", "담당자 이메일"),
    "SUPPLIER_CONTACT_PHONE": ("contact_phone", "담당자 연락처"),
}

#: development and tests only; its BRN passes the checksum (app/domain/brn.py) and says "demo"
DEMO_SUPPLIER = Party(
    brn="1234567891",
    name="메가버드 주식회사 (데모)",
    representative="홍길동 (데모)",
    address="서울특별시 중구 세종대로 110 (데모 주소)",
    business_type="정보통신업",
    business_item="문자메시지 발송 서비스",
    contact_name="재무 담당자 (데모)",
    contact_email="finance@megabird.invalid",
    contact_phone="02-0000-0000",
)


class SupplierNotConfigured(RuntimeError):
    """The SUPPLIER_* settings are partial or wrong: each line names a setting."""

    def __init__(self, problems: list[str]):
        super().__init__("공급자 설정을 확인해주세요 — " + " / ".join(problems))
        self.problems = problems


def _values(config: Mapping) -> dict[str, str]:
    return {setting: str(config.get(setting) or "").strip() for setting in SETTINGS}


def supplier_problems(config: Mapping) -> list[str]:
    """What production mode refuses in the SUPPLIER_* settings, one line each naming the
    setting (the demo supplier does not count: it is development's)."""
    values = _values(config)
    missing = [setting for setting, value in values.items() if not value]
    found = []
    if missing:
        found.append(f"{', '.join(missing)}: 세금계산서의 공급자 정보가 설정되지 않았습니다 "
                     f"({', '.join(SETTINGS[s][1] for s in missing)}). 사업자등록증의 내용대로 설정해주세요.")
    if values["SUPPLIER_BRN"]:
        try:
            validate_brn(values["SUPPLIER_BRN"])
        except ValidationError as error:
            found.append(f"SUPPLIER_BRN: {error.message}")
    return found


def supplier(config: Mapping) -> Party:
    """The 공급자 of every invoice. The demo supplier when no SUPPLIER_* setting is given
    outside production mode; otherwise the settings, which must be complete and valid."""
    values = _values(config)
    if not any(values.values()) and not is_production(config):
        return DEMO_SUPPLIER
    problems = supplier_problems(config)
    if problems:
        raise SupplierNotConfigured(problems)
    fields = {SETTINGS[setting][0]: value for setting, value in values.items()}
    fields["brn"] = validate_brn(fields["brn"])
    return Party(**fields)
