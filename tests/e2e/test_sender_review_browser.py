"""SND-03/05 in a real browser: a corporate customer registers an employee's number
with two documents; an operator rejects it with a reason; the customer reads the
reason by clicking the row, re-submits; the operator approves."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support.factories import make_customer, make_staff
from tests.support.uploads import PDF, png

pytestmark = pytest.mark.e2e


def test_employee_number_rejected_then_resubmitted_and_approved(app, browser, live_server, tmp_path):
    customer = make_customer(app, kind="corporate")
    operator_login, operator_password = make_staff(app, "Operator")
    telecom, employment = tmp_path / "telecom.png", tmp_path / "employment.pdf"
    telecom.write_bytes(png())
    employment.write_bytes(PDF)

    c_ctx = browser.new_context(base_url=live_server, locale="ko-KR")
    o_ctx = browser.new_context(base_url=live_server, locale="ko-KR")
    c, o = c_ctx.new_page(), o_ctx.new_page()
    try:
        login(c, customer.login, customer.password)
        c.goto("/senders/")
        c.click("#register-sender")
        c.click("#choose-number")
        expect(c.locator("#allowed-numbers")).to_contain_text("등록 가능한 발신 번호")
        c.check("#owner-employee")
        c.fill("#number", "010-3456-7890")
        c.set_input_files("#telecom_certificate", str(telecom))
        c.set_input_files("#employment_certificate", str(employment))
        c.fill("#note", "영업팀 김대리 번호")
        expect(c.locator("#note-count")).to_have_text("10")
        c.click("#submit-number")
        expect(c).to_have_url(re.compile(r"/senders/$"))
        expect(c.locator("#senders")).to_contain_text("010-3456-7890")
        expect(c.locator("#senders")).to_contain_text("등록요청")

        login(o, operator_login, operator_password)
        o.goto("/staff/queues/sender-numbers/list/")
        o.click("text=010-3456-7890 >> xpath=ancestor::tr >> a[href*='/show/']")
        expect(o.locator("img.mb-doc-image")).to_have_count(1)
        expect(o.locator("iframe.mb-doc-frame")).to_have_count(1)
        o.fill("#reject-reason", "재직증명서가 3개월 이내 발급분이 아닙니다.")
        o.click("#reject")
        expect(o.locator("body")).to_contain_text("반려했습니다")

        c.goto("/senders/")
        c.click("#senders >> text=반려됨")
        expect(c.locator("#reject-reason")).to_have_text("재직증명서가 3개월 이내 발급분이 아닙니다.")
        c.set_input_files("#telecom_certificate", str(telecom))
        c.set_input_files("#employment_certificate", str(employment))
        c.click("#resubmit")
        expect(c.locator("#senders")).to_contain_text("등록요청")

        o.goto("/staff/queues/sender-numbers/list/")
        o.click("text=010-3456-7890 >> xpath=ancestor::tr >> a[href*='/show/']")
        o.click("#approve")
        expect(o.locator("body")).to_contain_text("승인했습니다")

        c.goto("/senders/")
        expect(c.locator("#senders tr", has_text="010-3456-7890")).to_contain_text("등록완료")
    finally:
        c_ctx.close()
        o_ctx.close()
