"""The compose page's controls in a real browser: typed and pasted recipients as chips
with 총 N건 and 전체삭제 (SMS-04), address-book picks (SMS-12) and the file report, the
special-characters palette (SMS-09), templates chosen and saved (SMS-08), 초기화, and the
schedule picker's 10 min–30 days (SMS-07)."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import MessageTemplate
from app.services.contacts import address_book, sms_templates
from tests.e2e.compose_support import counter, goto_compose, msg_type, open_compose, recipients_xlsx

pytestmark = pytest.mark.e2e


def chips(page):
    return page.locator("#recipient-chips .mb-chip")


def test_typed_and_pasted_recipients_become_chips(app, browser_page, live_server):
    page = browser_page
    open_compose(app, page)
    total = page.locator("#recipient-total")
    expect(total).to_have_text("0")

    # one line with every separator; a number written with spaces stays one number
    page.fill("#recipient-input", "010-2345-6701, 01023456702;010 2345 6703 / 010-2345-6704|01023456705")
    page.click("#add-recipient")
    expect(chips(page)).to_have_text(["010-2345-6701×", "01023456702×", "01023456703×", "010-2345-6704×",
                                      "01023456705×"])
    expect(page.locator("#recipient-input")).to_have_value("")
    expect(total).to_have_text("5")

    # numbers already in the list are kept once, however they are written
    page.fill("#recipient-input", "01023456701, 010-2345-6702, +82 10-2345-6703, 010-2345-6706")
    page.press("#recipient-input", "Enter")
    expect(chips(page)).to_have_count(6)
    expect(total).to_have_text("6")
    expect(chips(page).last).to_have_text("010-2345-6706×")
    expect(page.locator("#recipient-note")).to_have_text("이미 추가된 번호 3건은 한 번만 넣었습니다.")

    # a column pasted from a spreadsheet: one number a line
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.evaluate("text => navigator.clipboard.writeText(text)", "010 3456 7801\r\n010 3456 7802\r\n010-2345-6701\r\n")
    page.focus("#recipient-input")
    page.keyboard.press("ControlOrMeta+V")
    expect(chips(page)).to_have_count(8)
    expect(chips(page).nth(6)).to_have_text("01034567801×")
    expect(chips(page).nth(7)).to_have_text("01034567802×")
    expect(total).to_have_text("8")
    expect(page.locator("#recipient-input")).to_have_value("")
    # the rest of a number pasted after its typed beginning completes it
    page.locator("#recipient-input").press_sequentially("010-3456-")
    page.evaluate("text => navigator.clipboard.writeText(text)", "7803")
    page.keyboard.press("ControlOrMeta+V")
    expect(chips(page)).to_have_count(9)
    expect(chips(page).last).to_have_text("010-3456-7803×")

    # × removes one chip, 전체삭제 all
    page.locator("#recipient-chips .mb-chip", has_text="01023456702").get_by_role("button", name="×").click()
    expect(chips(page)).to_have_count(8)
    expect(page.locator("#recipient-chips")).not_to_contain_text("01023456702")
    expect(total).to_have_text("8")
    page.click("#clear-recipients")
    expect(chips(page)).to_have_count(0)
    expect(total).to_have_text("0")


def test_address_book_picks_with_quotes_in_names_and_values(app, browser_page):
    """Contacts and groups chosen in 주소록 불러오기 become chips and sources; names and
    variables holding quotes arrive whole, and the preview uses the contact's values."""
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        now = clock.now()
        vip = address_book.create_group(account_id=customer.account_id, name="단골 'VIP'", now=now)
        address_book.add_contact(account_id=customer.account_id, group_id=vip.id, now=now,
                             form={"name": "O'Neil", "phone": "010-2345-6711", "var1": 'it\'s "gold"'})
        plain = address_book.create_group(account_id=customer.account_id, name="일반", now=now)
        address_book.add_contact(account_id=customer.account_id, group_id=plain.id, now=now,
                             form={"name": "김철수", "phone": "010-2345-6712"})
    page.click("#open-address-book")
    book = page.locator("#address-book")
    expect(book).to_be_visible()
    expect(page.locator("#ab-groups")).to_contain_text("단골 'VIP' (1)")
    page.locator("#ab-contacts label", has_text="O'Neil").locator("input").check()
    page.locator("#ab-groups label", has_text="단골 'VIP'").locator("input").check()
    page.click("#ab-add")
    expect(book).to_be_hidden()
    expect(chips(page)).to_have_text(["O'Neil 01023456711×"])
    expect(page.locator("#recipient-sources")).to_have_text("그룹 단골 'VIP' (1건)")
    expect(page.locator("#recipient-total")).to_have_text("2")
    expect(page.locator("#var-note")).to_be_hidden()
    page.fill("#body", "#[이름]님 #[1]")
    expect(page.locator("#preview-body")).to_have_text('O\'Neil님 it\'s "gold"')
    expect(page.locator("#var-note")).to_be_visible()        # the type is decided per recipient


def test_preview_follows_the_servers_order_of_recipients(app, browser_page, tmp_path):
    """The server sends to address-book contacts before the rows of a file: the preview
    shows the first of them, as it will be sent (SMS-10)."""
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        group = address_book.create_group(account_id=customer.account_id, name="고객", now=clock.now())
        address_book.add_contact(account_id=customer.account_id, group_id=group.id, now=clock.now(),
                             form={"name": "최주소", "phone": "010-2345-6721", "var1": "주소록"})
    upload = recipients_xlsx(tmp_path / "r.xlsx", [("박파일", "010-2345-6722", "파일")])
    page.set_input_files("#file-input", str(upload))
    expect(page.locator("#recipient-total")).to_have_text("1")
    page.click("#open-address-book")
    page.locator("#ab-contacts label", has_text="최주소").locator("input").check()
    page.click("#ab-add")
    expect(page.locator("#recipient-total")).to_have_text("2")
    page.fill("#body", "#[이름] #[1]")
    expect(page.locator("#preview-body")).to_have_text("최주소 주소록")


def test_preview_of_a_group_shows_its_first_member_before_chosen_contacts(app, browser_page):
    """A group's members are sent before contacts picked one by one (compose.build_request):
    with a group chosen, the preview shows the group's first member, not blanks (SMS-10)."""
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        now = clock.now()
        address_book.create_group(account_id=customer.account_id, name="가 빈 그룹", now=now)
        group = address_book.create_group(account_id=customer.account_id, name="나 단골", now=now)
        for name, phone, grade in (("첫째", "010-2345-6741", "골드"), ("둘째", "010-2345-6742", "실버")):
            address_book.add_contact(account_id=customer.account_id, group_id=group.id, now=now,
                                 form={"name": name, "phone": phone, "var1": grade})
        other = address_book.create_group(account_id=customer.account_id, name="다 기타", now=now)
        address_book.add_contact(account_id=customer.account_id, group_id=other.id, now=now,
                             form={"name": "낱개", "phone": "010-2345-6743", "var1": "브론즈"})
    page.click("#open-address-book")
    page.locator("#ab-contacts label", has_text="낱개").locator("input").check()
    page.locator("#ab-groups label", has_text="가 빈 그룹").locator("input").check()
    page.locator("#ab-groups label", has_text="나 단골").locator("input").check()
    page.click("#ab-add")
    expect(page.locator("#recipient-total")).to_have_text("3")
    page.fill("#body", "#[이름]님 #[1]")
    expect(page.locator("#preview-body")).to_have_text("첫째님 골드")


def test_upload_report_shows_the_file_name_as_text(app, browser_page, tmp_path):
    page = browser_page
    open_compose(app, page)
    data = recipients_xlsx(tmp_path / "r.xlsx", [("가", "010-2345-6731", ""), ("나", "12345", "")]).read_bytes()
    page.set_input_files("#file-input", files=[{"name": "<img src=x>고객.xlsx", "buffer": data,
                                                "mimeType": "application/octet-stream"}])
    report = page.locator("#upload-report")
    expect(report).to_contain_text("<img src=x>고객.xlsx: 전체 2행 중 1건 추가")
    expect(report.locator("img")).to_have_count(0)
    expect(page.locator("#upload-errors tr")).to_have_count(2)
    expect(page.locator("#recipient-total")).to_have_text("1")


def test_special_characters_go_in_at_the_cursor(app, browser_page):
    page = browser_page
    open_compose(app, page)
    specials = page.locator("#specials")
    expect(specials).to_be_hidden()
    page.click("#toggle-specials")
    expect(specials).to_be_visible()

    body = page.locator("#body")
    body.fill("가나")
    body.press("ArrowLeft")                                  # between 가 and 나
    page.locator(".special-btn", has_text="★").click()
    expect(body).to_have_value("가★나")
    body.press_sequentially("x")                             # the cursor stays after the inserted character
    expect(body).to_have_value("가★x나")
    expect(counter(page)).to_have_text("7/90 byte")
    expect(page.locator("#preview-body")).to_have_text("가★x나")
    page.click("#toggle-specials")
    expect(specials).to_be_hidden()


def test_every_special_character_can_be_sent(app, browser_page):
    page = browser_page
    open_compose(app, page)
    palette = page.locator(".special-btn").all_text_contents()
    assert len(palette) > 100
    refused = page.evaluate("chars => chars.filter(c => window.MB.bytes.unsupported(c).length)", palette)
    assert refused == []


def test_a_template_fills_the_form_and_the_form_saves_a_template(app, browser_page):
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        sms_templates.create(account_id=customer.account_id, name="배송 안내", title="배송 시작",
                                 body="#[이름]님, 주문하신 상품이 발송되었습니다.", now=clock.now())
        sms_templates.create(account_id=customer.account_id, name="가을 세일", title="",
                                 body="전 품목 20% 할인", is_ad=True, ad_company="메가샵", now=clock.now())
    goto_compose(page)

    page.select_option("#template", label="배송 안내")
    expect(page.locator("#title")).to_have_value("배송 시작")
    expect(page.locator("#body")).to_have_value("#[이름]님, 주문하신 상품이 발송되었습니다.")
    expect(counter(page)).to_have_text("42/90 byte")
    expect(page.locator("#is-ad")).not_to_be_checked()

    page.select_option("#template", label="가을 세일")
    expect(page.locator("#body")).to_have_value("전 품목 20% 할인")
    expect(page.locator("#is-ad")).to_be_checked()
    expect(page.locator("#ad-company")).to_be_visible()
    expect(page.locator("#ad-company")).to_have_value("메가샵")
    expect(page.locator("#preview-body")).to_contain_text("(광고)메가샵")

    # 템플릿으로 저장: asks a name in the page's own dialog (never the browser's), saves,
    # says so, and offers it in the list
    browser_boxes = []
    page.on("dialog", lambda d: (browser_boxes.append(d.message), d.dismiss()))
    page.fill("#title", "")
    page.fill("#body", "내일 휴무입니다.")
    page.click("#save-template")
    dialog = page.locator("#mb-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#mb-dialog-message")).to_have_text("템플릿 이름을 입력해주세요.")
    page.click("#mb-dialog-ok")                               # empty: refused in the dialog
    expect(page.locator("#mb-dialog-error")).to_have_text("템플릿 이름을 입력해주세요.")
    page.fill("#mb-dialog-input", "새 공지")
    page.press("#mb-dialog-input", "Enter")
    expect(page.locator("#template option", has_text="새 공지")).to_have_count(1)
    expect(page.locator("#mb-dialog-message")).to_have_text("'새 공지' 템플릿으로 저장했습니다.")
    page.click("#mb-dialog-ok")
    expect(dialog).to_be_hidden()
    assert browser_boxes == []
    with app.app_context():
        saved = db.session.scalars(select(MessageTemplate).where(MessageTemplate.account_id == customer.account_id,
                                                                 MessageTemplate.name == "새 공지")).one()
        assert (saved.body, saved.is_ad, saved.ad_company) == ("내일 휴무입니다.", True, "메가샵")
        db.session.commit()


def test_reset_clears_the_form_after_confirmation(app, browser_page):
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        sms_templates.create(account_id=customer.account_id, name="배송 안내", title="배송 시작",
                                 body="주문하신 상품이 발송되었습니다." * 3, now=clock.now())
    goto_compose(page)
    page.select_option("#template", label="배송 안내")
    expect(msg_type(page)).to_have_text("LMS")
    page.check("#is-ad")
    page.fill("#ad-company", "메가버드")
    page.fill("#recipient-input", "010-2345-6701 010-2345-6702")
    page.click("#add-recipient")
    expect(chips(page)).to_have_count(2)

    browser_boxes = []
    page.on("dialog", lambda d: (browser_boxes.append(d.message), d.dismiss()))
    page.click("#reset")
    expect(page.locator("#mb-dialog-message")).to_have_text("작성한 내용과 수신자를 모두 지울까요?")
    page.click("#mb-dialog-cancel")
    expect(page.locator("#mb-dialog")).to_be_hidden()
    expect(chips(page)).to_have_count(2)                     # 취소: nothing changes
    expect(page.locator("#title")).to_have_value("배송 시작")

    page.click("#reset")
    page.click("#mb-dialog-ok")
    expect(chips(page)).to_have_count(0)
    expect(page.locator("#recipient-total")).to_have_text("0")
    expect(page.locator("#title")).to_have_value("")
    expect(page.locator("#body")).to_have_value("")
    expect(page.locator("#is-ad")).not_to_be_checked()
    expect(page.locator("#ad-company")).to_be_hidden()
    expect(page.locator("#ad-company")).to_have_value("")
    assert browser_boxes == []
    expect(counter(page)).to_have_text("0/90 byte")
    expect(msg_type(page)).to_have_text("SMS")
    expect(page.locator("#preview-body")).to_have_text("")
    # the template list is back to its prompt, so the same template can be chosen again
    expect(page.locator("#template")).to_have_value("")
    page.select_option("#template", label="배송 안내")
    expect(page.locator("#title")).to_have_value("배송 시작")


def kst_minute(moment: dt.datetime) -> str:
    return clock.to_kst(moment).strftime("%Y-%m-%dT%H:%M")


def test_schedule_picker_is_limited_to_10_minutes_to_30_days(app, browser_page):
    page = browser_page
    open_compose(app, page)
    before = clock.now()
    page.reload()
    page.wait_for_function("window.MB_COMPOSE")
    after = clock.now()
    picker = page.locator("#scheduled-at")
    expect(picker).to_be_disabled()
    page.check("#use-schedule")
    expect(picker).to_be_enabled()
    page.uncheck("#use-schedule")
    expect(picker).to_be_disabled()

    # the limits are the server clock's now + 10 minutes (plus a minute to press the button,
    # rounded up: the server counts seconds) and + 30 days, in KST
    minimum, maximum = picker.get_attribute("min"), picker.get_attribute("max")
    def ceil_minute(moment):
        return kst_minute(moment + dt.timedelta(seconds=59, microseconds=999_999))
    assert minimum in {ceil_minute(before + dt.timedelta(minutes=11)), ceil_minute(after + dt.timedelta(minutes=11))}
    assert maximum in {kst_minute(before + dt.timedelta(days=30)), kst_minute(after + dt.timedelta(days=30))}

    # a time inside is quoted back as chosen (KST); a time too soon is refused by the server
    page.check("#use-schedule")
    page.fill("#body", "예약 문자입니다.")
    page.fill("#recipient-input", "010-2345-6701")
    page.click("#add-recipient")
    chosen = clock.to_kst(clock.now() + dt.timedelta(hours=2))
    picker.fill(chosen.strftime("%Y-%m-%dT%H:%M"))
    page.click("#send-open")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-schedule")).to_have_text(chosen.strftime("%Y-%m-%d %H:%M"))
    page.locator("#confirm-dialog [data-close]").click()
    expect(page.locator("#confirm-dialog")).to_be_hidden()

    picker.fill(kst_minute(clock.now() + dt.timedelta(minutes=5)))
    page.click("#send-open")
    expect(page.locator("#compose-error")).to_contain_text("10분후부터 최대 30일 이후까지")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    picker.fill(kst_minute(clock.now() + dt.timedelta(days=31)))
    page.click("#send-open")
    expect(page.locator("#compose-error")).to_contain_text("10분후부터 최대 30일 이후까지")


def test_the_address_book_shows_more_than_one_page_of_contacts(app, browser_page):
    """SMS-12: 주소록 불러오기 lists 20 contacts a page; 더 보기 brings the next ones."""
    page = browser_page
    customer = open_compose(app, page)
    with app.app_context():
        now = clock.now()
        group = address_book.create_group(account_id=customer.account_id, name="고객", now=now)
        for i in range(address_book.PER_PAGE + 5):
            address_book.add_contact(account_id=customer.account_id, group_id=group.id, now=now,
                                 form={"name": f"고객{i:02d}", "phone": f"010-2345-{6700 + i}"})
    page.click("#open-address-book")
    rows = page.locator("#ab-contacts .ab-contact")
    expect(rows).to_have_count(address_book.PER_PAGE)
    more = page.locator("#ab-more")
    expect(more).to_have_text(f"더 보기 ({address_book.PER_PAGE}/{address_book.PER_PAGE + 5})")
    more.click()
    expect(rows).to_have_count(address_book.PER_PAGE + 5)
    expect(more).to_be_hidden()
    page.locator("#ab-contacts label", has_text=f"고객{address_book.PER_PAGE + 4:02d}").locator("input").check()
    page.click("#ab-add")
    expect(page.locator("#recipient-total")).to_have_text("1")


def test_a_typed_number_that_cannot_be_sent_is_refused_where_it_is_typed(app, browser_page):
    """Issue 12: `12345` used to become a chip and be refused only in the confirm dialog."""
    page = browser_page
    open_compose(app, page, cash=1000)
    page.fill("#body", "안내")
    page.fill("#recipient-input", "12345, 010-2345-6701, 1023456789, 010-0123-4567")
    page.click("#add-recipient")
    expect(chips(page)).to_have_text(["010-2345-6701×"])
    expect(page.locator("#recipient-total")).to_have_text("1")
    refused = page.locator("#typed-rejected li")
    expect(refused).to_have_count(3)
    expect(refused.nth(0)).to_contain_text("12345: ")
    expect(refused.nth(1)).to_contain_text("앞자리 0이 빠진 번호입니다")
    expect(refused.nth(2)).to_contain_text("010-0123-4567: 존재하지 않는 번호 대역")
    # the refused ones stay in the input to be corrected, and never reach the dialog
    expect(page.locator("#recipient-input")).to_have_value("12345, 1023456789, 010-0123-4567")
    page.click("#send-open")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-recipients")).to_have_text("1명")
    expect(page.locator("#confirm-rejected li")).to_have_count(0)


def test_the_preview_shows_the_first_file_rows_values_and_names_unread_columns(app, browser_page, tmp_path):
    """Issue 12: after a recipients file the preview read "안녕하세요 님". A body written
    before the file, a name under a common header (고객명), and a column we do not read
    named in the upload report instead of dropped unseen."""
    page = browser_page
    open_compose(app, page)
    page.fill("#body", "안녕하세요 #[이름]님, #[1] 고객님")
    path = recipients_xlsx(tmp_path / "r.xlsx", [("홍길동", "010-2345-6701", "VIP", "메모")],
                           header=("고객명", "휴대폰번호", "변수1", "비고"))
    page.set_input_files("#file-input", str(path))
    expect(page.locator("#upload-report")).to_contain_text("1건 추가")
    expect(page.locator("#preview-body")).to_have_js_property("textContent", "안녕하세요 홍길동님, VIP 고객님")
    expect(page.locator("#upload-ignored")).to_contain_text("읽지 않은 열: 비고")
