"""The results pages in a browser (issue 12): the page's own Korean dialogs instead of
the browser's confirm() boxes, and 엑셀 다운로드 with nothing selected."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.models import Send
from tests.e2e.conftest import login
from tests.support import pipeline as pl
from tests.support.factories import make_customer


def test_cancelling_a_reservation_asks_in_the_pages_own_dialog(app, browser_page):
    page = browser_page
    customer = make_customer(app, cash=10_000)
    scheduled = pl.accept(app, customer, pl.phones(0, 1), now=clock.now(),
                          scheduled_at=clock.now() + dt.timedelta(hours=2)).send_id
    browser_boxes, missing = [], []
    page.on("dialog", lambda d: (browser_boxes.append(d.message), d.dismiss()))
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    login(page, customer.login, customer.password)
    page.goto("/history/reservations")
    page.goto("/favicon.ico")                          # what a browser asks of every page
    page.goto("/history/reservations")
    page.click("#reservations button")
    expect(page.locator("#mb-dialog-message")).to_have_text("예약 발송을 취소할까요? 선차감 금액은 모두 돌려드립니다.")
    page.keyboard.press("Escape")                     # 취소: nothing happens
    expect(page.locator("#mb-dialog")).to_be_hidden()
    with app.app_context():
        assert db.session.get(Send, scheduled).status == "scheduled"
        db.session.commit()
    page.click("#reservations button")
    expect(page.locator("#mb-dialog-ok")).to_have_text("예약 취소")
    page.click("#mb-dialog-ok")
    expect(page.locator(".alert")).to_contain_text("예약 발송을 취소했습니다")
    with app.app_context():
        assert db.session.get(Send, scheduled).status == "cancelled"
        db.session.commit()
    assert browser_boxes == [] and missing == []


def test_excel_download_and_delete_with_nothing_selected_say_so_on_the_page(app, browser_page):
    page = browser_page
    customer = make_customer(app, cash=10_000)
    pl.accept(app, customer, pl.phones(0), now=clock.now())
    browser_boxes = []
    page.on("dialog", lambda d: (browser_boxes.append(d.message), d.dismiss()))
    login(page, customer.login, customer.password)
    page.goto("/history/")
    page.click("#export-selected")
    expect(page.locator("#mb-dialog-message")).to_have_text("엑셀로 내려받을 발송내역을 선택해주세요.")
    expect(page.locator("#mb-dialog-cancel")).to_be_hidden()
    page.click("#mb-dialog-ok")
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_have_text("삭제할 발송내역을 선택해주세요.")
    page.click("#mb-dialog-ok")
    page.check(".send-check")
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_contain_text("선택한 발송내역을 삭제할까요?")
    page.click("#mb-dialog-cancel")
    expect(page.locator("#sends .send-row")).to_have_count(1)
    assert browser_boxes == []


def test_the_kakao_list_deletes_the_selected_sends_after_the_pages_own_dialog(app, browser_page):
    """KRS-01 / RES-02: 선택삭제 on 카카오톡 발송내역 as on the SMS list — nothing chosen says so,
    the page's own dialog asks, 취소 keeps the send, 확인 deletes it and says so."""
    from app.domain.alimtalk_plan import AlimtalkRequest
    from app.domain.recipients import Recipient
    from app.services.kakao import alimtalk_sends
    from tests.support.factories import approve_channel, make_template
    page = browser_page
    customer = make_customer(app, kind="corporate", cash=10_000)
    template_id = make_template(app, customer.account_id, approve_channel(app, customer.account_id, "@shop"),
                                status="approved")
    with app.app_context():
        send_id = alimtalk_sends.accept(AlimtalkRequest(
            account_id=customer.account_id, channel=None, template=template_id,
            recipients=[Recipient(pl.phones(0)[0], None, {"고객명": "홍길동", "주문번호": "A-1"}, 1)]),
            now=clock.now()).send.id
    pl.run_to_completion(app, clock.now())
    browser_boxes = []
    page.on("dialog", lambda d: (browser_boxes.append(d.message), d.dismiss()))
    login(page, customer.login, customer.password)
    page.goto("/history/kakao/")
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_have_text("삭제할 발송내역을 선택해주세요.")
    page.click("#mb-dialog-ok")
    page.check(".send-check")
    page.click("#delete-selected")
    expect(page.locator("#mb-dialog-message")).to_have_text("선택한 발송내역을 삭제할까요? 삭제 시 복구가 불가능합니다.")
    page.click("#mb-dialog-cancel")
    expect(page.locator("#kakao-sends .send-row")).to_have_count(1)
    page.click("#delete-selected")
    page.click("#mb-dialog-ok")
    expect(page.locator(".alert")).to_contain_text("발송내역 1건을 삭제했습니다")
    expect(page).to_have_url(re.compile(r"/history/kakao/$"))
    expect(page.locator("#kakao-sends .send-row")).to_have_count(0)
    with app.app_context():
        assert db.session.get(Send, send_id) is None
        db.session.commit()
    assert browser_boxes == []
