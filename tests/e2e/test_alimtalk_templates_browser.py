"""알림톡 템플릿 등록 in a real browser (KAT-01..03): the live preview while typing (the
counters, the emphasis, the buttons and quick replies), 저장 및 등록 요청, then the
server's bubble on the template's page reads exactly as the live preview did, and
검수 이력 shows 등록요청. A refusal comes back with its message and what was typed."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support.factories import approve_channel, make_customer

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(app):
    customer = make_customer(app, kind="corporate")
    approve_channel(app, customer.account_id, "@shop")
    return customer


def test_the_live_preview_is_what_the_server_draws_after_saving(customer, browser_page):
    page = browser_page
    login(page, customer.login, customer.password)
    page.goto("/alimtalk/templates/")
    page.click("#register-template")
    preview = page.locator("#preview .mb-kakao")
    expect(preview.locator(".mb-kakao-channel")).to_have_text("@shop")

    page.fill("#name", "주문 완료 안내")
    expect(page.locator("#name-count")).to_have_text("8")
    # 채널추가형: 1,260 characters and the 채널 추가 button first; back to 기본형 without it
    page.select_option("#message_type", "AD")
    expect(page.locator("#content-limit")).to_have_text("1260")
    expect(page.locator("#buttons-0-name")).to_have_value("채널 추가")
    expect(preview.locator(".mb-kakao-ad")).to_have_count(1)
    page.select_option("#message_type", "BA")
    expect(page.locator("#content-limit")).to_have_text("1300")
    expect(page.locator("#button-rows .mb-at-row")).to_have_count(0)

    page.select_option("#emphasis_type", "TEXT")
    expect(page.locator("#emphasis-text")).to_be_visible()
    expect(page.locator("#emphasis-items")).to_be_hidden()
    page.fill("#emphasis_title", "주문 완료")
    page.fill("#emphasis_subtitle", "주문번호 #{주문번호}")
    content = "#{고객명}님, 주문이 완료되었습니다.\n배송이 시작되면 다시 알려드리겠습니다."
    page.fill("#content", content)
    expect(page.locator("#content-count")).to_have_text(str(len(content)))
    expect(page.locator("#variables .mb-chip")).to_have_text(["#{고객명}", "#{주문번호}"])

    page.select_option("#new-button-type", "WL")
    page.click("#add-button")
    page.fill("#buttons-0-name", "주문 확인")
    page.fill("#buttons-0-url_mobile", "https://shop.example.com/o/#{주문번호}")
    page.select_option("#new-button-type", "TN")
    page.click("#add-button")
    page.fill("#buttons-1-name", "전화 문의")
    page.fill("#buttons-1-phone", "02-1588-0000")
    page.select_option("#new-reply-type", "BK")
    page.click("#add-reply")
    page.fill("#quick_replies-0-name", "상담원 연결")

    expect(preview.locator(".mb-kakao-subtitle")).to_have_text("주문번호 #{주문번호}")
    expect(preview.locator(".mb-kakao-title")).to_have_text("주문 완료")
    expect(preview.locator(".mb-kakao-content")).to_have_text(content)
    expect(preview.locator(".mb-kakao-button")).to_have_text(["주문 확인", "전화 문의"])
    expect(preview.locator(".mb-kakao-reply")).to_have_text(["상담원 연결"])
    live = preview.inner_text()

    page.click("#save-request")
    expect(page).to_have_url(re.compile(r"/alimtalk/templates/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("템플릿을 저장하고 등록을 요청했습니다.")
    expect(page.locator("#template-status")).to_have_text("등록요청")
    assert page.locator(".mb-kakao").inner_text() == live

    expect(page.locator("#history-table")).to_be_hidden()
    page.click("#show-history")
    expect(page.locator("#history-table")).to_be_visible()
    expect(page.locator("#history-table .history-row")).to_have_count(2)
    expect(page.locator("#history-table .history-row").last).to_contain_text("등록요청")


def test_a_refusal_shows_its_message_and_keeps_what_was_typed(customer, browser_page):
    page = browser_page
    login(page, customer.login, customer.password)
    page.goto("/alimtalk/templates/new")
    content = "<b>안내</b> #{이름 님, 예약이 확정되었습니다."
    page.fill("#name", "예약 확정")
    page.fill("#content", content)
    # typed text is shown as text, never as markup
    expect(page.locator("#preview .mb-kakao-content")).to_have_text(content)
    expect(page.locator("#preview .mb-kakao-content b")).to_have_count(0)
    expect(page.locator("#variable-warning")).to_contain_text("11번째 글자에서 시작하는 변수가 올바르지 않습니다")

    page.click("#save")
    expect(page.locator("#form-error")).to_have_text(
        "내용의 11번째 글자에서 시작하는 변수가 올바르지 않습니다. 변수는 #{변수명} 형식으로 입력해주세요.")
    expect(page.locator("#content")).to_have_value(content)
    expect(page.locator("#content")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#content")).to_be_focused()
    expect(page.locator("#name")).to_have_value("예약 확정")
    expect(page.locator("#preview .mb-kakao-content")).to_have_text(content)
