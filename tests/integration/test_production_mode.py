"""Production mode (SEC-09, issue 13): MEGABIRD_ENV=production refuses to start unsafe,
with one line per problem naming the setting; secure cookies, HSTS, a CSP with a
per-request nonce on every page, proxy headers believed only from TRUSTED_PROXIES."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import clock
from app.services.ops import demo, production
from tests.conftest import make_app
from tests.support.factories import make_customer
from tests.support.web import logged_in

ROOT = Path(__file__).resolve().parents[2]
SUPPLIER = {"SUPPLIER_BRN": "220-81-12341", "SUPPLIER_NAME": "(주)메가버드", "SUPPLIER_REPRESENTATIVE": "박대표",
            "SUPPLIER_ADDRESS": "서울특별시 중구 을지로 1", "SUPPLIER_BUSINESS_TYPE": "정보통신업",
            "SUPPLIER_BUSINESS_ITEM": "부가통신", "SUPPLIER_CONTACT_NAME": "정재무",
            "SUPPLIER_CONTACT_EMAIL": "tax@megabird.example", "SUPPLIER_CONTACT_PHONE": "02-555-0100"}
POPBILL = {"TAX_INVOICE_PROVIDER": "popbill", "POPBILL_LINK_ID": "MEGABIRD", "POPBILL_SECRET_KEY": "c2VjcmV0",
           "POPBILL_IS_TEST": False}
SMPP = {"SMPP_HOST": "smsc.carrier.example", "SMPP_SYSTEM_ID": "megabird", "SMPP_PASSWORD": "secret"}
NHN = {"NHN_KAKAO_APPKEY": "appkey", "NHN_KAKAO_SECRET": "secret"}
SAFE = {"MEGABIRD_ENV": "production", "SECRET_KEY_FROM_ENV": True, "SESSION_COOKIE_SECURE": True,
        "GATEWAY_SMS": "smpp", "GATEWAY_KAKAO": "nhn", "PAYMENT_GATEWAY": "toss", **SMPP, **NHN, **POPBILL, **SUPPLIER}


def test_sec09_the_nhn_kakao_dealer_needs_its_keys_and_https():
    found = production.config_problems({**SAFE, "NHN_KAKAO_APPKEY": "", "NHN_KAKAO_SECRET": " "})
    assert [line.split(":")[0] for line in found] == ["NHN_KAKAO_APPKEY", "NHN_KAKAO_SECRET"]
    assert production.config_problems({**SAFE, "NHN_KAKAO_URL": "http://127.0.0.1:8089"}) == [
        "NHN_KAKAO_URL: 운영에서는 https 주소여야 합니다 (http://127.0.0.1:8089)."]


def test_each_unsafe_setting_is_named_on_its_own_line():
    assert production.config_problems(SAFE) == []
    for setting in ("GATEWAY_SMS", "GATEWAY_KAKAO", "PAYMENT_GATEWAY", "TAX_INVOICE_PROVIDER"):
        found = production.config_problems({**SAFE, setting: "sandbox"})
        assert len(found) == 1 and found[0].startswith(f"{setting}=sandbox: ")
        assert "MEGABIRD_ALLOW_SANDBOX" in found[0]
    for setting in ("GATEWAY_SMS", "PAYMENT_GATEWAY", "TAX_INVOICE_PROVIDER"):       # allowable by name
        assert production.config_problems({**SAFE, setting: "sandbox", "MEGABIRD_ALLOW_SANDBOX": setting.lower()}) == []
    assert "발행이 샌드박스" in production.config_problems({**SAFE, "TAX_INVOICE_PROVIDER": "sandbox"})[0]
    assert production.config_problems({**SAFE, "SECRET_KEY_FROM_ENV": False})[0].startswith("SECRET_KEY: ")
    assert production.config_problems({**SAFE, "SESSION_COOKIE_SECURE": False})[0].startswith("SESSION_COOKIE_SECURE")
    assert "알 수 없는 설정 이름 GATEWAY_FAX" in production.config_problems({**SAFE, "MEGABIRD_ALLOW_SANDBOX": "GATEWAY_FAX"})[0]
    assert production.config_problems({**SAFE, "CLOCK_OFFSET_SECONDS": "3600"})[0].startswith("CLOCK_OFFSET_SECONDS")
    assert production.config_problems({**SAFE, "CLOCK_OFFSET_SECONDS": 0.0}) == []


def test_a_sandbox_kakao_cannot_be_allowed_by_name_and_none_is_accepted():
    """SEC-09, issue 20: a sandbox Kakao would hold the customers' money for AlimTalk and
    친구톡 that never reach a phone, so naming it in MEGABIRD_ALLOW_SANDBOX does not help;
    the line says what to set instead. `none` (no Kakao: its features refuse) is fine."""
    everything = "GATEWAY_SMS,GATEWAY_KAKAO,PAYMENT_GATEWAY,TAX_INVOICE_PROVIDER"
    for allowed in ("GATEWAY_KAKAO", "gateway_kakao", everything):
        [line] = production.config_problems({**SAFE, "GATEWAY_KAKAO": "sandbox", "MEGABIRD_ALLOW_SANDBOX": allowed})
        assert line == ("GATEWAY_KAKAO=sandbox: 카카오 알림톡·친구톡 게이트웨이가 샌드박스입니다. 샌드박스 카카오는 운영에서 쓸 수 "
                        "없으며 MEGABIRD_ALLOW_SANDBOX에 적어도 허용되지 않습니다. NHN Cloud 비즈메시지로 보내려면 "
                        "GATEWAY_KAKAO=nhn, 카카오 없이 운영하려면 GATEWAY_KAKAO=none으로 설정해주세요.")
    assert production.config_problems({**SAFE, "GATEWAY_KAKAO": " Sandbox "})[0].startswith("GATEWAY_KAKAO=sandbox: ")
    assert production.config_problems({**SAFE, "GATEWAY_KAKAO": "none"}) == []
    # the other sandboxes stay allowable by name beside it
    others = {"GATEWAY_SMS": "sandbox", "PAYMENT_GATEWAY": "sandbox", "TAX_INVOICE_PROVIDER": "sandbox",
              "MEGABIRD_ALLOW_SANDBOX": everything}
    assert production.config_problems({**SAFE, **others, "GATEWAY_KAKAO": "none"}) == []
    assert [line.split(":")[0] for line in production.config_problems({**SAFE, **others, "GATEWAY_KAKAO": "sandbox"})] \
        == ["GATEWAY_KAKAO=sandbox"]


def test_an_smpp_gateway_needs_its_smsc_and_a_readable_result_table():
    """GW-03: GATEWAY_SMS=smpp names the SMSC and its login; SMPP_RESULT_MAP must map to
    megabird's codes."""
    [password] = production.config_problems({**SAFE, "SMPP_PASSWORD": ""})
    assert password == "SMPP_PASSWORD: GATEWAY_SMS=smpp인데 비어 있습니다 (SMSC 접속 정보)."
    assert len(production.config_problems({**SAFE, "SMPP_HOST": " ", "SMPP_SYSTEM_ID": ""})) == 2
    [table] = production.config_problems({**SAFE, "SMPP_RESULT_MAP": '{"UNDELIV:027": "9999"}'})
    assert table.startswith("SMPP_RESULT_MAP: 수신결과 표를 읽을 수 없습니다") and "9999" in table
    assert production.config_problems({**SAFE, "SMPP_RESULT_MAP": '{"UNDELIV:027": "3001"}'}) == []
    assert production.config_problems({**SAFE, "GATEWAY_SMS": "sandbox", "SMPP_PASSWORD": "",
                                       "MEGABIRD_ALLOW_SANDBOX": "GATEWAY_SMS"}) == []


def test_tax_invoices_need_the_supplier_and_a_real_popbill():
    # the 공급자: every missing setting named on one line, a wrong BRN on its own
    [missing] = production.config_problems({**SAFE, "SUPPLIER_NAME": "", "SUPPLIER_CONTACT_EMAIL": " "})
    assert missing.startswith("SUPPLIER_NAME, SUPPLIER_CONTACT_EMAIL: 세금계산서의 공급자 정보가 설정되지 않았습니다")
    assert "상호(법인명), 담당자 이메일" in missing
    no_supplier = production.config_problems({k: v for k, v in SAFE.items() if not k.startswith("SUPPLIER_")})
    assert len(no_supplier) == 1 and all(setting in no_supplier[0] for setting in SUPPLIER)
    assert production.config_problems({**SAFE, "SUPPLIER_BRN": "220-81-12345"}) == [
        "SUPPLIER_BRN: 사업자등록번호가 올바르지 않습니다 (검증번호 불일치)."]
    # Popbill: its keys, and never its test bed unless the tax adapter is allowed by name
    [keys] = production.config_problems({**SAFE, "POPBILL_SECRET_KEY": ""})
    assert keys.startswith("POPBILL_SECRET_KEY: 팝빌 연동 정보가 없습니다")
    [test_bed] = production.config_problems({**SAFE, "POPBILL_IS_TEST": True})
    assert test_bed.startswith("POPBILL_IS_TEST=true: ") and "국세청에 신고되지 않습니다" in test_bed
    assert production.config_problems({**SAFE, "POPBILL_IS_TEST": True,
                                       "MEGABIRD_ALLOW_SANDBOX": "TAX_INVOICE_PROVIDER"}) == []
    assert production.config_problems({**SAFE, "TAX_INVOICE_PROVIDER": "barobill"})[0].startswith(
        "TAX_INVOICE_PROVIDER=barobill: 알 수 없는 세금계산서 발행 서비스입니다")
    # the sandbox allowed by name still needs the real 공급자: it is printed on the customers' copies
    allowed = {**SAFE, "TAX_INVOICE_PROVIDER": "sandbox", "MEGABIRD_ALLOW_SANDBOX": "TAX_INVOICE_PROVIDER"}
    assert production.config_problems(allowed) == []
    assert production.config_problems({**allowed, "SUPPLIER_BRN": ""})[0].startswith("SUPPLIER_BRN: ")


def test_demo_data_is_refused_and_the_process_stops(app, capsys):
    with app.app_context():
        assert production.demo_problems() == []
        demo.seed(clock.now())
        [line] = production.demo_problems()
        assert "admin" in line and "kim" in line
    app.config.update(SAFE)
    with pytest.raises(production.UnsafeConfiguration) as stopped:
        production.refuse_unsafe(app)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "운영 모드(MEGABIRD_ENV=production)에서 시작할 수 없습니다 — 데모 데이터" in lines[0]
    app.config["MEGABIRD_ENV"] = "development"
    production.refuse_unsafe(app)                 # development runs whatever the data


def test_check_config_prints_what_production_would_refuse(app):
    app.config.update(GATEWAY_SMS="sandbox", SECRET_KEY_FROM_ENV=False)
    result = app.test_cli_runner().invoke(args=["megabird", "check-config"])
    assert result.exit_code == 1
    assert "현재 모드: 개발(development)" in result.output
    assert "- GATEWAY_SMS=sandbox: " in result.output and "- SECRET_KEY: " in result.output


def _process(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MEGABIRD_", "SECRET_KEY"))}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_the_web_process_and_the_worker_refuse_to_start(database_url, tmp_path):
    env = {"MEGABIRD_ENV": "production", "DATABASE_URL": database_url, "MEGABIRD_INSTANCE": str(tmp_path),
           "REDIS_URL": "redis://127.0.0.1:1/0"}
    web = _process("import wsgi", **env)
    assert web.returncode == 2, web.stderr[-2000:]
    lines = [line for line in web.stderr.splitlines() if line.startswith("megabird: ")]
    assert any("GATEWAY_SMS=sandbox" in line for line in lines) and any("SECRET_KEY" in line for line in lines)
    assert any("TAX_INVOICE_PROVIDER=sandbox" in line for line in lines)
    assert any(line.endswith("GATEWAY_KAKAO=none으로 설정해주세요.") for line in lines)
    assert any(line.endswith("사업자등록증의 내용대로 설정해주세요.") and "SUPPLIER_BRN" in line for line in lines)
    worker = _process("from run import app; from click.testing import CliRunner; "
                      "r = app.test_cli_runner().invoke(args=['megabird', 'worker', '--burst']); "
                      "raise SystemExit(r.exit_code)", **env)
    assert worker.returncode == 2
    # a sandbox Kakao stops it even when named: GATEWAY_KAKAO is the one line
    allowed = {**env, **SUPPLIER, "SECRET_KEY": "x" * 40,
               "MEGABIRD_ALLOW_SANDBOX": "GATEWAY_SMS,GATEWAY_KAKAO,PAYMENT_GATEWAY,TAX_INVOICE_PROVIDER"}
    kakao = _process("import wsgi", **allowed)
    assert kakao.returncode == 2
    assert [line for line in kakao.stderr.splitlines() if line.startswith("megabird: ")] == [
        line for line in lines if "GATEWAY_KAKAO=sandbox" in line]
    # the others allowed by name, no Kakao, a secret key: it starts (a database with no demo data)
    ok = _process("import wsgi; print('started')", **allowed, GATEWAY_KAKAO="none")
    assert ok.returncode == 0 and "started" in ok.stdout, ok.stderr[-2000:]


def test_every_page_has_a_csp_whose_nonce_its_inline_scripts_carry(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    page = client.get("/sms/")
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy and "unsafe-inline' " not in \
        policy.split("style-src")[0]
    html = page.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert not re.search(r"\son[a-z]+=\"", html)                 # no inline handlers
    second = client.get("/sms/").headers["Content-Security-Policy"]
    assert second != policy                                       # a nonce per request
    assert "Strict-Transport-Security" not in page.headers        # development: no HSTS


def test_production_cookies_and_hsts(database_url):
    secure = make_app(database_url, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, HSTS_SECONDS=31536000)
    response = secure.test_client().get("/login/", base_url="https://megabird.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_proxy_headers_are_believed_only_from_trusted_proxies(database_url):
    proxied = make_app(database_url, TRUSTED_PROXIES="10.0.0.0/8")

    @proxied.route("/_whoami")
    def whoami():
        from flask import request
        return f"{request.remote_addr} {request.scheme}"

    client = proxied.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    via_proxy = client.get("/_whoami", headers=forwarded, environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert via_proxy.get_data(as_text=True) == "203.0.113.7 https"
    direct = client.get("/_whoami", headers=forwarded, environ_overrides={"REMOTE_ADDR": "198.51.100.9"})
    assert direct.get_data(as_text=True) == "198.51.100.9 http"
