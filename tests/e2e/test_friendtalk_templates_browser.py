"""친구톡 템플릿 in a real browser (KFT-01, issue 16): the counter (0/1300, 0/76 for 와이드형),
가변문자 inserted at the cursor, an image and a button drawn in the phone preview as they are
added, the template saved and listed as 친구톡 포토, then deleted through the page's own
dialog (never the browser's confirm())."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support.factories import make_customer
from tests.support.uploads import jpeg

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(app):
    return make_customer(app, kind="corporate")


def test_a_template_with_an_image_and_a_button_is_previewed_saved_and_deleted(customer, browser_page):
    page = browser_page
    native_dialogs = []
    page.on("dialog", lambda dialog: (native_dialogs.append(dialog.message), dialog.dismiss()))
    login(page, customer.login, customer.password)
    page.goto("/templates/friendtalk/")
    expect(page.locator("#no-templates")).to_contain_text("등록된 친구톡 템플릿이 없습니다.")
    page.click("#register-template")
    preview = page.locator("#preview .mb-kakao")
    expect(preview.locator(".mb-kakao-ad-mark")).to_have_text("(광고)")
    expect(preview.locator(".mb-kakao-head")).to_have_count(0)
    expect(page.locator("#content-count")).to_have_text("0")
    expect(page.locator("#content-limit")).to_have_text("1300")

    page.fill("#name", "겨울 세일")
    expect(page.locator("#name-count")).to_have_text("5")
    page.fill("#content", "님, 겨울 세일을 시작합니다.")
    page.locator("#content").evaluate("field => field.setSelectionRange(0, 0)")
    page.click('.var-btn[data-var="#[이름]"]')
    content = "#[이름]님, 겨울 세일을 시작합니다."
    expect(page.locator("#content")).to_have_value(content)
    expect(page.locator("#content-count")).to_have_text(str(len(content)))
    expect(preview.locator(".mb-kakao-content")).to_have_text(content)
    page.click("#toggle-specials")
    page.locator("#specials .special-btn", has_text="★").click()
    expect(page.locator("#content-count")).to_have_text(str(len(content) + 1))
    content += "★"

    # 와이드형: 0/76 and at most two buttons; back to 1300
    page.check("#wide")
    expect(page.locator("#content-limit")).to_have_text("76")
    expect(preview).to_have_attribute("data-brand", "wide")
    expect(preview.locator(".mb-kakao-image-empty")).to_have_text("와이드 이미지")
    page.fill("#content", "가" * 77)
    expect(page.locator("#content-counter")).to_have_class(re.compile(r"\bover\b"))
    page.select_option("#new-button-type", "BK")
    for _ in range(2):
        page.click("#add-button")
    expect(page.locator("#button-rows .mb-at-row")).to_have_count(2)
    page.click("#add-button")
    expect(page.locator("#mb-dialog-message")).to_have_text("와이드형 친구톡의 버튼은 최대 2개까지 추가할 수 있습니다.")
    page.click("#mb-dialog-ok")
    expect(page.locator("#button-rows .mb-at-row")).to_have_count(2)
    for _ in range(2):
        page.locator("#button-rows .mb-at-remove").first.click()
    expect(page.locator("#button-rows .mb-at-row")).to_have_count(0)
    page.fill("#content", content)
    page.uncheck("#wide")
    expect(page.locator("#content-limit")).to_have_text("1300")
    expect(page.locator("#content-counter")).not_to_have_class(re.compile(r"\bover\b"))

    # the image on top of the bubble, then a button under the text
    page.set_input_files("#image", files=[{"name": "winter.jpg", "mimeType": "image/jpeg", "buffer": jpeg((800, 600))}])
    expect(preview.locator("img.mb-kakao-image")).to_have_count(1)
    expect(preview).to_have_attribute("data-message-type", "FRIENDTALK_IMAGE")
    page.select_option("#new-button-type", "WL")
    page.click("#add-button")
    expect(page.locator("#buttons-0-name")).to_be_focused()
    page.fill("#buttons-0-name", "쿠폰 받기")
    page.fill("#buttons-0-url_mobile", "https://shop.example.com/c")
    expect(preview.locator(".mb-kakao-button")).to_have_text(["쿠폰 받기"])
    assert preview.locator(".mb-kakao-card > *").first.evaluate("n => n.tagName") == "IMG"
    live = preview.locator(".mb-kakao-body").inner_text()

    page.click("#save")
    expect(page).to_have_url(re.compile(r"/templates/friendtalk/$"))
    expect(page.locator(".alert-success")).to_contain_text("템플릿을 저장했습니다.")
    row = page.locator("#templates .template-row")
    expect(row).to_have_count(1)
    expect(row.locator(".template-type")).to_have_text("친구톡 포토")
    expect(row.locator(".template-buttons")).to_have_text("1")

    # the saved template reads as the live preview did, its image served from the server
    row.locator(".template-name").click()
    expect(page.locator("#preview .mb-kakao img.mb-kakao-image")).to_have_attribute("src", re.compile(r"^/files/\d+$"))
    assert page.locator("#preview .mb-kakao-body").inner_text() == live
    page.go_back()

    # 선택삭제: nothing ticked is said in the page's dialog; ticked, it asks first
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_have_text("삭제할 템플릿을 선택해주세요.")
    page.click("#mb-dialog-ok")
    page.check("#check-all")
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_contain_text("선택한 친구톡 템플릿을 삭제할까요?")
    page.click("#mb-dialog-cancel")
    expect(row).to_have_count(1)
    page.click("#delete-selected")
    page.click("#mb-dialog-ok")
    expect(page.locator(".alert-success")).to_contain_text("친구톡 템플릿 1개를 삭제했습니다.")
    expect(page.locator("#no-templates")).to_be_visible()
    assert native_dialogs == []
