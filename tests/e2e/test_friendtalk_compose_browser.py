"""친구톡 발송 in a real browser (KFT-01..04, KAT-08), sent as a Brand Message: type the
content with a 가변문자 and see the 0/1,300 counter (0/76 for 와이드형), attach an image and
add a web-link button and see them in the phone's bubble, add recipients from a file,
turn the ad fallback on and see its default in 대체문자 수정하기, meet a refusal under the
field it names, open the two-column confirm dialog with the server's quote, send, and land
on the send's page with the success message. The server's clock is pinned at 12:00 KST
(inside the Brand Message hours), as the live server runs in this process."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import clock
from tests.e2e.compose_support import expect_kakao_confirm, jpeg_file, quoted, recipients_xlsx
from tests.e2e.conftest import login
from tests.support.factories import approve_channel, make_customer
from tests.support.pipeline import NOW

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    approve_channel(app, customer.account_id, "@shop")
    return customer


@pytest.fixture(autouse=True)
def noon():
    with clock.frozen(NOW):
        yield


def open_page(page, customer):
    """The customer logged in through the real form, on /friendtalk/ with its script ready."""
    login(page, customer.login, customer.password)
    page.goto("/friendtalk/")
    expect(page.locator("h1")).to_have_text("친구톡 발송")
    page.wait_for_function("window.MB && window.MB.compose && window.MB_FRIENDTALK_COMPOSE")
    return page


def test_compose_content_image_button_recipients_confirm_and_send(customer, browser_page, tmp_path):
    page = open_page(browser_page, customer)
    bubble = page.locator("#preview .mb-kakao[data-brand]")
    expect(bubble.locator(".mb-kakao-channel")).to_have_text("@shop")

    # a refusal is shown under the field it names, not in a box of the browser's
    boxes = []
    page.on("dialog", lambda d: (boxes.append(d.message), d.dismiss()))
    page.click("#send-open")
    refusal = page.locator('[data-fields="내용"] .mb-field-error')
    expect(refusal).to_have_text("내용을 입력해주세요.")
    expect(page.locator("#compose-error")).to_be_hidden()

    # the content with a 가변문자 button; the counter counts characters (1,300; 76 for 와이드형)
    content = page.locator("#content")
    content.press_sequentially("안녕하세요 ")
    page.click(".var-btn[data-var='#[이름]']")
    content.press_sequentially("님, 쿠폰 도착")
    expect(content).to_have_value("안녕하세요 #[이름]님, 쿠폰 도착")
    expect(page.locator("#content-counter")).to_have_text("19/1,300 자")
    expect(refusal).to_be_hidden()
    page.check("#wide")
    expect(page.locator("#content-counter")).to_have_text("19/76 자")
    page.uncheck("#wide")

    # an image (checked by the server: jpg, ≥ 500 px wide, 0.5–1.333) drawn above the text
    page.set_input_files("#image-input", str(jpeg_file(tmp_path / "photo.jpg", size=(800, 600))))
    expect(page.locator("#image-thumb img")).to_have_count(1)
    expect(bubble.locator("img.mb-kakao-image")).to_have_count(1)
    # a web-link button from the AlimTalk template form's row editor
    page.select_option("#new-button-type", "WL")
    page.click("#add-button")
    page.fill("#buttons-0-name", "쿠폰 받기")
    page.fill("#buttons-0-url_mobile", "https://shop.example.com/c")
    expect(bubble.locator(".mb-kakao-button")).to_have_text(["쿠폰 받기"])

    # recipients from a file, as on the 문자 page; the bubble shows the first one's values
    path = recipients_xlsx(tmp_path / "r.xlsx", [("홍길동", "010-2345-6701", "C1"), ("김영희", "010-2345-6702", "C2")])
    page.set_input_files("#file-input", str(path))
    expect(page.locator("#upload-report")).to_contain_text("전체 2행 중 2건 추가")
    expect(page.locator("#recipient-total")).to_have_text("2")
    expect(bubble.locator(".mb-kakao-content")).to_have_text("안녕하세요 홍길동님, 쿠폰 도착")

    # the ad fallback: the company prefilled, the default text with the button as 버튼명: URL,
    # MMS because the image meets SMS-14
    page.check("#use-fallback")
    expect(page.locator("#ad-company")).not_to_have_value("")
    expect(page.locator("#fallback-type")).to_have_text("MMS")
    page.click("#edit-fallback")
    expect(page.locator("#fallback-editor")).to_be_visible()
    expect(page.locator("#fallback-text")).to_have_value("안녕하세요 #[이름]님, 쿠폰 도착\n쿠폰 받기: https://shop.example.com/c")
    page.click("#fallback-done")
    expect(page.locator("#fallback-editor")).to_be_hidden()

    # the two-column confirm dialog, from the server's quote
    quote = quoted(page, "/friendtalk/quote")
    assert (quote["recipients"], quote["kakao_type"], quote["fallback_type"]) == (2, "친구톡 포토", "MMS")
    assert quote["remaining"] == 100_000 - quote["hold"]
    expect_kakao_confirm(page, quote, "친구톡 포토", "MMS")
    expect(page.locator("#confirm-note")).to_contain_text("친구톡 요금보다 대체문자 요금이 더 크므로 대체문자를 기준으로")

    page.click("#confirm-send")
    expect(page.locator(".alert-success")).to_contain_text(
        f"친구톡 포토 2건을 접수했습니다. 발송 금액 {quote['hold']:,}원을 선차감했으며")
    assert boxes == []


def test_a_saved_content_fills_content_image_and_buttons_and_m_n_stay_hidden(app, customer, browser_page):
    from app.services.kakao import friendtalk_templates
    from tests.support.uploads import png
    with app.app_context():
        friendtalk_templates.create_template(
            account_id=customer.account_id, name="주말 특가", text="주말 특가 안내", wide=True,
            buttons=[{"type": "WL", "name": "보러 가기", "url_mobile": "https://shop.example.com/w"}],
            image=("wide.png", png((800, 400))), now=clock.now())
    page = open_page(browser_page, customer)
    expect(page.locator('[data-targeting="M"]')).to_be_hidden()          # the channel may target its friends only
    expect(page.locator('input[name="targeting"][value="I"]')).to_be_checked()
    page.select_option("#template", label="주말 특가 (친구톡 포토)")
    expect(page.locator("#content")).to_have_value("주말 특가 안내")
    expect(page.locator("#wide")).to_be_checked()
    expect(page.locator("#content-counter")).to_have_text("8/76 자")
    expect(page.locator("#buttons-0-name")).to_have_value("보러 가기")
    expect(page.locator("#buttons-0-url_mobile")).to_have_value("https://shop.example.com/w")
    bubble = page.locator("#preview .mb-kakao[data-brand]")
    expect(bubble).to_have_attribute("data-brand", "wide")
    expect(bubble.locator("img.mb-kakao-image")).to_have_count(1)
    expect(bubble.locator(".mb-kakao-button")).to_have_text(["보러 가기"])
    # 와이드형 takes two buttons: the third is refused in the page's own dialog
    page.select_option("#new-button-type", "WL")
    page.click("#add-button")
    page.click("#add-button")
    expect(page.locator("#mb-dialog-message")).to_have_text("와이드형 친구톡의 버튼은 최대 2개까지 추가할 수 있습니다.")
    page.click("#mb-dialog-ok")
    expect(page.locator("#button-rows .mb-at-row")).to_have_count(2)
