"""알림톡 발송 in a real browser (KAT-06..08): choose the template, type two recipients
with their values, the preview shows the first recipient's values with the buttons drawn,
대체문자 수정하기 opens with the default fallback and its byte counter, the two-column
confirm dialog shows the server's quote, and the send ends on the send's page with the
success message."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.compose_support import expect_kakao_confirm, quoted
from tests.e2e.conftest import login
from tests.support.factories import approve_channel, make_customer, make_template

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    channel_id = approve_channel(app, customer.account_id, "@shop")
    make_template(app, customer.account_id, channel_id, status="approved")
    return customer


def test_compose_preview_fallback_confirm_and_send(customer, browser_page):
    page = browser_page
    login(page, customer.login, customer.password)
    page.goto("/alimtalk/")
    page.select_option("#template", index=1)
    page.fill("#recipient-input", "010-2345-6701, 010-2345-6702")
    page.click("#add-recipient")
    rows = page.locator("#recipient-list .mb-at-recipient")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".mb-at-value span")).to_have_text(["#{고객명} :", "#{주문번호} :"])
    rows.nth(0).locator('[data-variable="고객명"]').fill("홍길동")
    rows.nth(0).locator('[data-variable="주문번호"]').fill("A-1001")
    rows.nth(1).locator('[data-variable="고객명"]').fill("김영희")
    rows.nth(1).locator('[data-variable="주문번호"]').fill("A-1002")

    bubble = page.locator("#preview .mb-kakao")
    expect(bubble.locator(".mb-kakao-content")).to_have_text("홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다.")
    expect(bubble.locator(".mb-kakao-button")).to_have_text(["배송 조회"])
    expect(bubble.locator(".mb-kakao-channel")).to_have_text("@shop")

    page.check("#use-fallback")
    expect(page.locator("#fallback-sender")).to_be_visible()
    page.click("#edit-fallback")
    expect(page.locator("#fallback-editor")).to_be_visible()
    expect(page.locator("#fallback-text")).to_have_value(
        "#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다.\n배송 조회: https://shop.example.com/o/#{주문번호}")
    expect(page.locator("#fallback-editor-type")).to_have_text("LMS")
    page.fill("#fallback-text", "#{고객명}님 주문 #{주문번호} 발송")
    expect(page.locator("#fallback-editor-type")).to_have_text("SMS")
    page.click("#fallback-done")
    expect(page.locator("#fallback-editor")).to_be_hidden()

    quote = quoted(page, "/alimtalk/quote")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    assert (quote["recipients"], quote["fallback_type"]) == (2, "SMS")
    assert quote["hold"] == 2 * max(quote["kakao_price"], quote["fallback_price"])
    expect_kakao_confirm(page, quote, "알림톡", "SMS")
    expect(page.locator("#confirm-note")).to_contain_text("대체문자를 기준으로 선차감 금액을 산정합니다")

    page.click("#confirm-send")
    expect(page.locator(".alert-success")).to_contain_text(
        f"알림톡 2건을 접수했습니다. 발송 금액 {quote['hold']:,}원을 선차감했으며")
