"""KAT-03/05 in a real browser, customer and operator side by side: the customer registers a
template and requests its review; the operator opens it (nothing changes), presses 검수
시작, approves; the customer sees 등록완료. A second template is rejected with a reason,
which the customer reads in 검수 이력 and answers with a 문의 that the operator sees."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support.factories import approve_channel, make_customer, make_staff

pytestmark = pytest.mark.e2e


def _register(page, name: str, content: str) -> None:
    page.goto("/alimtalk/templates/")
    page.click("#register-template")
    page.fill("#name", name)
    page.fill("#content", content)
    page.select_option("#new-button-type", "WL")
    page.click("#add-button")
    page.fill("#buttons-0-name", "주문 확인")
    page.fill("#buttons-0-url_mobile", "https://shop.example.com/o/#{주문번호}")
    page.click("#save-request")
    expect(page.locator("#template-status")).to_have_text("등록요청")


def _open_in_queue(page, code: str) -> None:
    page.goto("/staff/queues/alimtalk-templates/")
    page.click(f"tr.queue-item[data-code='{code}'] a.review-link")
    expect(page.locator("#template-code")).to_have_text(code)


def test_register_request_review_approve_and_reject_with_a_reason(app, browser, live_server):
    customer = make_customer(app, kind="corporate")
    approve_channel(app, customer.account_id, "@shop")
    operator_login, operator_password = make_staff(app, "Operator")
    c_ctx = browser.new_context(base_url=live_server, locale="ko-KR", timezone_id="Asia/Seoul")
    o_ctx = browser.new_context(base_url=live_server, locale="ko-KR", timezone_id="Asia/Seoul")
    c, o = c_ctx.new_page(), o_ctx.new_page()
    try:
        login(c, customer.login, customer.password)
        _register(c, "주문 발송 안내", "#{고객명}님, 주문(#{주문번호})이 발송되었습니다.")
        approved_code = c.locator("#template-code").inner_text().strip()
        approved_url = c.url
        _register(c, "이벤트 안내", "#{고객명}님, 이번 주 특가 이벤트를 확인하세요!")
        rejected_code = c.locator("#template-code").inner_text().strip()
        rejected_url = c.url

        login(o, operator_login, operator_password)
        _open_in_queue(o, approved_code)
        # opening the page changed nothing; the preview is Kakao's bubble
        expect(o.locator("#template-status")).to_have_attribute("data-status", "requested")
        expect(o.locator("#template-preview .mb-kakao-button")).to_have_text(["주문 확인"])
        c.goto(approved_url)
        expect(c.locator("#template-status")).to_have_text("등록요청")
        o.click("#start-review")
        expect(o.locator("body")).to_contain_text("검수")
        expect(o.locator("#template-status")).to_have_attribute("data-status", "in_review")
        o.click("#approve")
        o.click("#mb-dialog-ok")
        expect(o.locator("#template-status")).to_have_attribute("data-status", "approved")

        c.goto(approved_url)
        expect(c.locator("#template-status")).to_have_text("등록완료")
        c.click("#show-history")
        expect(c.locator("#history-table .history-row")).to_have_count(4)
        expect(c.locator("#history-table")).to_contain_text("검수중")

        _open_in_queue(o, rejected_code)
        o.click("#start-review")
        expect(o.locator("#template-status")).to_have_attribute("data-status", "in_review")
        o.fill("#reject-reason", "광고성 문구(특가 이벤트)는 알림톡으로 보낼 수 없습니다.")
        o.click("#reject")
        o.click("#mb-dialog-ok")
        expect(o.locator("#template-status")).to_have_attribute("data-status", "rejected")

        c.goto(rejected_url)
        expect(c.locator("#template-status")).to_have_text("반려됨")
        expect(c.locator("#reject-reason")).to_have_text("광고성 문구(특가 이벤트)는 알림톡으로 보낼 수 없습니다.")
        c.click("#show-history")
        expect(c.locator("#history-table .history-row[data-status='rejected']")).to_contain_text("광고성 문구")
        c.fill("#comment", "주문 안내로 바꿔서 다시 요청드리겠습니다.")
        c.click("#send-comment")
        expect(c.locator("#history-table")).to_contain_text("주문 안내로 바꿔서")
        expect(c.locator("#edit-template")).to_be_visible()

        o.goto(re.sub(r"/queues/alimtalk-templates/show/", "/alimtalk-templates/show/", o.url))
        expect(o.locator("#template-comments")).to_contain_text("주문 안내로 바꿔서")
    finally:
        c_ctx.close()
        o_ctx.close()
