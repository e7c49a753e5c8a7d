"""The compose page's live byte counter and automatic type in a real browser
(SMS-01, SMS-02, SMS-06, SMS-10, SMS-14): the page's counter (app/static/js/bytecount.js)
agrees with the server (app/domain/sms.py) on every case of the shared table; typing
Korean or ASCII switches SMS → LMS exactly at the 91st byte; an attached JPEG makes an
MMS; the 광고 wording counts and shows in the preview."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.domain import sms
from app.extensions import db
from app.models import Account
from tests.e2e.compose_support import (BYTE_CASES, OPTOUT, counter, jpeg_file, msg_type, open_compose,
                                       png_file)

pytestmark = pytest.mark.e2e


def test_browser_counter_agrees_with_the_server_on_every_case(app, browser_page):
    page = browser_page
    open_compose(app, page)
    answers = page.evaluate("""cases => cases.map(c => {
        const B = window.MB.bytes, text = B.normalize(c.text);
        return {normalized: text, bytes: B.byteLength(text), unsupported: B.unsupported(text)};
    })""", BYTE_CASES)
    assert len(answers) == len(BYTE_CASES) > 20
    for case, answer in zip(BYTE_CASES, answers):
        server_text = sms.normalize_text(case["text"])
        server_bad = [{"position": p, "char": c} for p, c in sms.unsupported_characters(server_text)]
        assert answer["normalized"] == server_text, case["note"]
        assert answer["bytes"] == case["bytes"] == sms.byte_length(server_text), case["note"]
        assert answer["unsupported"] == case["unsupported"] == server_bad, case["note"]


def test_browser_knows_every_character_cp949_can_carry(app, browser_page):
    """Beyond the table: for every code point of the BMP, the page and Python's cp949
    codec agree whether a message may carry it (the table is generated, not hand-kept)."""
    page = browser_page
    open_compose(app, page)
    refused = page.evaluate("""() => {
        const B = window.MB.bytes, out = [];
        for (let cp = 0x80; cp <= 0xFFFF; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            if (B.unsupported(String.fromCodePoint(cp)).length) out.push(cp);
        }
        return out;
    }""")
    expected = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        try:
            chr(cp).encode("cp949")
        except UnicodeEncodeError:
            expected.append(cp)
    assert refused == expected


def test_live_counter_and_warning_for_every_case_typed_into_the_body(app, browser_page):
    """Each case put into #body: the counter shows its bytes against the type's limit,
    and characters the carriers cannot take are named with their positions."""
    page = browser_page
    open_compose(app, page)
    for case in BYTE_CASES:
        page.fill("#body", case["text"])
        n = case["bytes"]
        expect(counter(page)).to_have_text(f"{n}/{90 if n <= 90 else 2000} byte")
        expect(msg_type(page)).to_have_text("SMS" if n <= 90 else "LMS")
        warning = page.locator("#char-warning")
        if case["unsupported"]:
            expect(warning).to_be_visible()
            for bad in case["unsupported"][:5]:
                expect(warning).to_contain_text(f"{bad['position']}번째 '{bad['char']}'")
        else:
            expect(warning).to_be_hidden()


@pytest.mark.parametrize("char,width", [("가", 2), ("a", 1)], ids=["korean", "ascii"])
def test_typing_switches_sms_to_lms_exactly_at_the_91st_byte(app, browser_page, char, width):
    page = browser_page
    open_compose(app, page)
    body = page.locator("#body")
    expect(counter(page)).to_have_text("0/90 byte")
    expect(page.locator("#title-note")).to_be_visible()      # SMS 발송 시, 제목이 포함되지 않습니다.
    body.press_sequentially(char * (90 // width - 1))
    expect(counter(page)).to_have_text(f"{90 - width}/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    body.press_sequentially(char)
    expect(counter(page)).to_have_text("90/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    body.press_sequentially("b")                              # the 91st byte
    expect(counter(page)).to_have_text("91/2000 byte")
    expect(msg_type(page)).to_have_text("LMS")
    expect(page.locator("#title-note")).to_be_hidden()        # LMS carries the title
    body.press("Backspace")
    expect(counter(page)).to_have_text("90/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    body.press("Enter")                                       # a line break is one byte
    expect(counter(page)).to_have_text("91/2000 byte")
    expect(msg_type(page)).to_have_text("LMS")


def test_title_counter_and_its_preview(app, browser_page):
    page = browser_page
    open_compose(app, page)
    page.locator("#title").press_sequentially("공지 notice")
    expect(page.locator("#title-bytes")).to_have_text("11/30 byte")
    page.fill("#body", "짧은 본문")
    expect(page.locator("#preview-title")).to_be_hidden()    # SMS carries no title
    page.fill("#body", "긴 본문" * 20)
    expect(msg_type(page)).to_have_text("LMS")
    expect(page.locator("#preview-title")).to_have_text("공지 notice")
    page.fill("#title", "가" * 16)
    expect(page.locator("#title-bytes")).to_have_text("32/30 byte")
    expect(page.locator("#title-bytes")).to_have_class("mb-counter over")


def test_a_jpeg_makes_an_mms_and_bad_images_are_refused(app, browser_page, tmp_path):
    page = browser_page
    open_compose(app, page)
    page.fill("#body", "사진 보내요")
    expect(msg_type(page)).to_have_text("SMS")

    page.set_input_files("#image-input", str(jpeg_file(tmp_path / "photo.jpg")))
    thumbs = page.locator("#image-thumbs img")
    expect(thumbs).to_have_count(1)
    expect(msg_type(page)).to_have_text("MMS")
    expect(counter(page)).to_have_text("11/2000 byte")
    expect(page.locator("#preview-images img")).to_have_count(1)
    # the thumbnail is the stored image, served back to its owner
    page.wait_for_function("() => { const i = document.querySelector('#image-thumbs img');"
                           " return i && i.complete && i.naturalWidth === 120; }")

    page.set_input_files("#image-input", str(png_file(tmp_path / "photo.png")))
    expect(page.locator("#compose-error")).to_have_text("jpg/jpeg 파일만 첨부 가능합니다.")
    expect(thumbs).to_have_count(1)

    big = jpeg_file(tmp_path / "big.jpg", size=(700, 700), noise=True, quality=95)
    assert big.stat().st_size > 300 * 1024
    page.set_input_files("#image-input", str(big))
    expect(page.locator("#compose-error")).to_contain_text("이미지는 각 300KB 이하만 첨부 가능합니다")
    expect(thumbs).to_have_count(1)

    # a good one clears the message; three at most
    page.set_input_files("#image-input", str(jpeg_file(tmp_path / "two.jpg")))
    expect(thumbs).to_have_count(2)
    expect(page.locator("#compose-error")).to_be_hidden()
    page.set_input_files("#image-input", str(jpeg_file(tmp_path / "three.jpg")))
    expect(thumbs).to_have_count(3)
    page.click("#add-image")
    expect(page.locator("#compose-error")).to_have_text("이미지는 최대 3장까지 첨부할 수 있습니다.")

    # removing every image goes back to SMS, or LMS for a long body
    for _ in range(3):
        page.locator("#image-thumbs button").first.click()
    expect(thumbs).to_have_count(0)
    expect(page.locator("#preview-images img")).to_have_count(0)
    expect(msg_type(page)).to_have_text("SMS")
    expect(counter(page)).to_have_text("11/90 byte")
    page.set_input_files("#image-input", str(jpeg_file(tmp_path / "again.jpg")))
    expect(msg_type(page)).to_have_text("MMS")
    page.fill("#body", "가" * 50)
    expect(counter(page)).to_have_text("100/2000 byte")
    page.locator("#image-thumbs button").click()
    expect(msg_type(page)).to_have_text("LMS")
    expect(counter(page)).to_have_text("100/2000 byte")


def test_ad_wording_is_counted_and_previewed(app, browser_page):
    page = browser_page
    open_compose(app, page, optout=OPTOUT)
    expect(page.locator("#ad-company")).to_be_hidden()
    expect(page.locator("#ad-optout-line")).to_be_hidden()
    page.fill("#body", "본문")
    expect(counter(page)).to_have_text("4/90 byte")
    expect(page.locator("#preview-body")).to_have_js_property("textContent", "본문")

    page.check("#is-ad")
    expect(page.locator("#ad-company")).to_be_visible()
    expect(page.locator("#ad-optout-line")).to_be_visible()
    expect(page.locator("#ad-optout-line")).to_contain_text("무료거부")
    expect(page.locator("#ad-optout")).to_have_value(OPTOUT)   # the account's 080 number
    page.fill("#ad-company", "메가버드")
    wrapped = "(광고)메가버드\n본문\n무료거부 080-123-4567"
    expect(page.locator("#preview-body")).to_have_js_property("textContent", wrapped)
    assert sms.byte_length(wrapped) == 41
    expect(counter(page)).to_have_text("41/90 byte")

    # the added wording alone pushes a 50-byte body past 90 bytes
    page.fill("#body", "a" * 50)
    expect(counter(page)).to_have_text("87/90 byte")
    page.locator("#body").press_sequentially("bcd")
    expect(counter(page)).to_have_text("90/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    page.locator("#body").press_sequentially("e")
    expect(counter(page)).to_have_text("91/2000 byte")
    expect(msg_type(page)).to_have_text("LMS")
    expect(page.locator("#preview-body")).to_have_js_property(
        "textContent", "(광고)메가버드\n" + "a" * 50 + "bcde\n무료거부 080-123-4567")

    page.fill("#ad-optout", "080-555-0001")
    expect(page.locator("#preview-body")).to_contain_text("무료거부 080-555-0001")
    page.uncheck("#is-ad")
    expect(page.locator("#ad-company")).to_be_hidden()
    expect(counter(page)).to_have_text("54/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    expect(page.locator("#preview-body")).to_have_js_property("textContent", "a" * 50 + "bcde")


def test_ad_line_is_the_shared_number_with_the_code_without_an_account_080_number(app, browser_page):
    """SND-09: the shared 무료거부 080 number and the account's 인증코드, as the manual's
    compose page shows them, counted in the bytes; an own number carries no code."""
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        code = db.session.get(Account, customer.account_id).optout_code
    expect(page.locator("#ad-optout-code")).to_be_hidden()
    page.check("#is-ad")
    expect(page.locator("#ad-optout")).to_have_value("0801231234")
    expect(page.locator("#ad-optout-code")).to_be_visible()
    expect(page.locator("#ad-optout-line")).to_contain_text(f"인증코드 {code}")
    page.fill("#ad-company", "메가버드")
    page.fill("#body", "본문")
    wrapped = f"(광고)메가버드\n본문\n무료거부 080-123-1234 인증코드 {code}"
    expect(page.locator("#preview-body")).to_have_js_property("textContent", wrapped)
    assert sms.byte_length(wrapped) == 57
    expect(counter(page)).to_have_text("57/90 byte")
    page.fill("#ad-optout", "080-555-0001")
    expect(page.locator("#ad-optout-code")).to_be_hidden()
    expect(page.locator("#preview-body")).to_have_js_property(
        "textContent", "(광고)메가버드\n본문\n무료거부 080-555-0001")
    expect(counter(page)).to_have_text("41/90 byte")
