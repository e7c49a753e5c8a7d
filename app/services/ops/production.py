"""Production mode (SEC-09): `MEGABIRD_ENV=production` refuses to start unsafe.

`problems()` lists, one clear line each naming the setting, what production mode refuses:
a sandbox carrier, sandbox payments or a sandbox tax adapter not allowed by name in
MEGABIRD_ALLOW_SANDBOX, a sandbox Kakao at all (it cannot be allowed by name: GATEWAY_KAKAO
is a real dealer, `nhn`, or `none` for no Kakao, issue 20), an SMPP gateway without its SMSC's address and login or with an
unreadable SMPP_RESULT_MAP, Popbill without its keys or on its test bed, the 공급자 of the tax
invoices (SUPPLIER_*) missing or with a wrong BRN, a SECRET_KEY that was not set (the one
development generates in instance/ does not count), and demo data in the database. The web app, the workers and the
scheduler call `refuse_unsafe()` as they start (app/__init__.py); `flask megabird
check-config` prints the same lines in any mode."""
from __future__ import annotations

import sys

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from app.domain.environment import is_production  # noqa: F401 - production.is_production is its callers' name
from app.domain.korean import josa
from app.extensions import db
from app.gateways import tax_invoices
from app.gateways.nhn_kakao import gateway as nhn_kakao
from app.gateways.smpp import gateway as smpp_gateway
from app.services.ops import demo

#: settings whose value "sandbox" means that nothing leaves the building
SANDBOX_SETTINGS = {
    "GATEWAY_SMS": "문자(SMS/LMS/MMS) 발송 게이트웨이",
    "GATEWAY_KAKAO": "카카오 알림톡·친구톡 게이트웨이",
    "PAYMENT_GATEWAY": "카드 결제(PG)",
    "TAX_INVOICE_PROVIDER": "전자세금계산서 발행",
}
#: sandboxes that production refuses even when MEGABIRD_ALLOW_SANDBOX names them: a sandbox
#: Kakao would hold the customers' money for AlimTalk and 친구톡 that never reach a phone,
#: and `none` (no Kakao: its features refuse, app/gateways kakao_available) says so honestly
NEVER_ALLOWED = {"GATEWAY_KAKAO"}


def allowed_sandboxes(config) -> set[str]:
    return {name.strip().upper() for name in str(config.get("MEGABIRD_ALLOW_SANDBOX") or "").split(",") if name.strip()}


def config_problems(config) -> list[str]:
    """What production mode refuses in the configuration alone."""
    found = []
    allowed = allowed_sandboxes(config)
    for setting, what in SANDBOX_SETTINGS.items():
        value = config.get(setting)
        if value is None or str(value).strip().lower() != "sandbox":
            continue
        if setting in NEVER_ALLOWED:
            found.append(f"{setting}=sandbox: {josa(what, '이/가')} 샌드박스입니다. 샌드박스 카카오는 운영에서 쓸 수 없으며 "
                         f"MEGABIRD_ALLOW_SANDBOX에 적어도 허용되지 않습니다. NHN Cloud 비즈메시지로 보내려면 {setting}=nhn, "
                         f"카카오 없이 운영하려면 {setting}=none으로 설정해주세요.")
        elif setting not in allowed:
            found.append(f"{setting}=sandbox: {josa(what, '이/가')} 샌드박스입니다. 실제 서비스를 설정하거나, 샌드박스를 "
                         f"쓰려면 MEGABIRD_ALLOW_SANDBOX에 {josa(setting, '을/를')} 적어주세요.")
    unknown = allowed - set(SANDBOX_SETTINGS)
    if unknown:
        found.append(f"MEGABIRD_ALLOW_SANDBOX: 알 수 없는 설정 이름 {', '.join(sorted(unknown))}")
    if not config.get("SECRET_KEY_FROM_ENV"):
        found.append("SECRET_KEY: 환경 변수로 설정되지 않았습니다 (instance/ 에 만든 개발용 키는 운영에 쓰지 않습니다).")
    if float(config.get("CLOCK_OFFSET_SECONDS") or 0):
        found.append("CLOCK_OFFSET_SECONDS: 운영에서는 시계를 옮길 수 없습니다 (개발·벤치마크 전용).")
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append("SESSION_COOKIE_SECURE: 운영에서는 세션 쿠키를 HTTPS로만 보내야 합니다.")
    found.extend(tax_invoices.config_problems(config))
    found.extend(smpp_gateway.config_problems(config))
    found.extend(nhn_kakao.config_problems(config, production=is_production(config)))
    return found


def demo_problems() -> list[str]:
    """Demo logins present in the database (in an app context)."""
    from flask_appbuilder.security.sqla.models import User
    try:
        present = list(db.session.scalars(select(User.username).where(User.username.in_(demo.LOGINS))))
        db.session.rollback()
    except DBAPIError:            # no schema yet (before the first `flask db upgrade`)
        db.session.rollback()
        return []
    if not present:
        return []
    return [f"데모 데이터: 데모 로그인({', '.join(sorted(present))})이 데이터베이스에 있습니다. 운영 데이터베이스에서 "
            "지우거나 새 데이터베이스로 시작해주세요."]


def problems(config) -> list[str]:
    return config_problems(config) + demo_problems()


class UnsafeConfiguration(SystemExit):
    """Raised as a process starts in production mode with problems: exit code 2."""


def refuse_unsafe(app) -> None:
    """In production mode, print each problem on its own line and stop the process."""
    if not is_production(app.config):
        return
    with app.app_context():
        found = problems(app.config)
    if found:
        for line in found:
            print(f"megabird: 운영 모드(MEGABIRD_ENV=production)에서 시작할 수 없습니다 — {line}", file=sys.stderr)
        raise UnsafeConfiguration(2)
