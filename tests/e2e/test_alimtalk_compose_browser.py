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


def test_the_address_book_pages_and_searches_the_whole_book(app, customer, browser_page):
    """KAT-06 / SMS-12: the picker is the SMS page's — 20 contacts a page, 더 보기 brings the
    next ones, 검색 finds one anywhere in the book — and a contact from the second page goes
    in with its values through the mapping (the preview and the quote show it)."""
    from app import clock
    from app.services.contacts import address_book
    page = browser_page
    more_than_a_page = address_book.PER_PAGE + 5
    with app.app_context():
        now = clock.now()
        group = address_book.create_group(account_id=customer.account_id, name="고객", now=now)
        for i in range(more_than_a_page):
            address_book.add_contact(account_id=customer.account_id, group_id=group.id, now=now,
                                     form={"name": f"고객{i:02d}", "phone": f"010-2345-{6700 + i}",
                                           "var1": f"B-{i:02d}"})
    login(page, customer.login, customer.password)
    page.goto("/alimtalk/")
    page.select_option("#template", index=1)
    page.click("#open-address-book")
    rows = page.locator("#ab-contacts .ab-contact")
    expect(rows).to_have_count(address_book.PER_PAGE)
    expect(page.locator("#ab-groups")).to_contain_text(f"고객 ({more_than_a_page})")
    more = page.locator("#ab-more")
    expect(more).to_have_text(f"더 보기 ({address_book.PER_PAGE}/{more_than_a_page})")
    more.click()
    expect(rows).to_have_count(more_than_a_page)
    expect(more).to_be_hidden()
    last = f"고객{more_than_a_page - 1:02d}"
    page.fill("#ab-query", last)
    page.click("#ab-search")
    expect(rows).to_have_count(1)
    page.locator("#ab-contacts label", has_text=last).locator("input").check()
    page.click("#ab-add")
    expect(page.locator("#address-book")).to_be_hidden()
    expect(page.locator("#recipient-total")).to_have_text("1")
    expect(page.locator("#recipient-list")).to_contain_text(last)
    page.select_option('#book-mapping [data-variable="고객명"]', "이름")
    page.select_option('#book-mapping [data-variable="주문번호"]', "1")
    expect(page.locator("#preview .mb-kakao-content")).to_have_text(
        f"{last}님, 주문하신 상품(주문번호 B-{more_than_a_page - 1:02d})이 발송되었습니다.")
    with page.expect_response("**/alimtalk/quote") as answer:
        page.click("#send-open")
    assert answer.value.json()["recipients"] == 1
    expect(page.locator("#confirm-recipients")).to_have_text("1명")


def test_the_confirm_dialog_names_the_refused_numbers_and_the_cap_keeps_it_closed(app, customer, browser_page):
    """KAT-08 as SMS-11: a typed number that cannot be sent is named in the dialog with its
    reason; over the daily cap (ACC-10) the dialog does not open and the page says why."""
    from tests.support.pipeline import set_daily_cap
    page = browser_page
    login(page, customer.login, customer.password)
    page.goto("/alimtalk/")
    page.select_option("#template", index=1)
    page.fill("#recipient-input", "12345, 010-2345-6701")
    page.click("#add-recipient")
    rows = page.locator("#recipient-list .mb-at-recipient")
    expect(rows).to_have_count(2)
    rows.nth(1).locator('[data-variable="고객명"]').fill("홍길동")
    rows.nth(1).locator('[data-variable="주문번호"]').fill("A-1001")
    page.click("#send-open")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-recipients")).to_have_text("1명")
    expect(page.locator("#confirm-extra")).to_have_text("잘못된 번호 1건은 제외됩니다.")
    expect(page.locator("#confirm-rejected li")).to_have_count(1)
    expect(page.locator("#confirm-rejected li")).to_contain_text("12345 — ")
    page.locator("#confirm-dialog [data-close]").click()

    set_daily_cap(app, customer.account_id, 0)
    page.click("#send-open")
    expect(page.locator("#compose-error")).to_contain_text("일일 발송 한도(0건)를 초과합니다")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
