"""Staff confirmations in a real browser (issue 12): the bulk approve of an operator queue
asks in the page's own dialog, in Korean (FAB's dialog had English buttons and its
"No row selected"), never through the browser's confirm()/alert(); revoking a sender
number asks the same way before anything changes."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import clock
from app.models import SenderNumber
from app.services.senders import sender_numbers
from tests.e2e.conftest import login
from tests.support.factories import make_customer, make_staff
from tests.support.foundation import rows
from tests.support.uploads import png

pytestmark = pytest.mark.e2e


def _requests(app, account_id: int, *numbers: str) -> list[int]:
    with app.app_context():
        return [sender_numbers.request_by_documents(account_id=account_id, number=number, owner_type=None,
                                                    telecom=("이용증명원.png", png()), employment=None, note=None,
                                                    now=clock.now()).id
                for number in numbers]


def _no_browser_dialogs(page) -> list[str]:
    opened: list[str] = []

    def refuse(dialog):
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()
    page.on("dialog", refuse)
    return opened


def _statuses(app, ids) -> list[str]:
    return [row["status"] for row in rows(app, SenderNumber, SenderNumber.id.in_(ids))]


def test_bulk_approve_asks_in_the_pages_own_korean_dialog(app, browser_page):
    customer = make_customer(app)
    first, second = _requests(app, customer.account_id, "02-1234-5678", "031-123-4567")
    operator, password = make_staff(app, "Operator")
    page = browser_page
    browser_dialogs = _no_browser_dialogs(page)
    login(page, operator, password)
    page.goto("/staff/queues/sender-numbers/list/")
    expect(page.locator("body")).to_contain_text("전체 건수")
    actions = page.get_by_role("button", name="선택 항목 처리")

    # nothing ticked: the page's alert says so in Korean
    actions.click()
    page.click("a.approve_selected_menu_item")
    alert = page.locator("#modal-alert")
    expect(alert).to_be_visible()
    expect(alert.locator(".modal-text")).to_have_text("선택한 항목이 없습니다. 처리할 항목을 먼저 선택해주세요.")
    alert.locator("#modal-alert-ok").click()
    expect(alert).to_be_hidden()

    # one ticked: the confirmation, 취소 leaves everything as it was
    page.check(f"input.action_check[value='{first}']")
    actions.click()
    page.click("a.approve_selected_menu_item")
    confirm = page.locator("#modal-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.locator(".modal-title")).to_have_text("확인해주세요")
    expect(confirm.locator(".modal-text")).to_have_text("선택한 요청을 모두 승인할까요?")
    expect(confirm.locator("#modal-confirm-cancel")).to_have_text("취소")
    expect(confirm.locator("#modal-confirm-ok")).to_have_text("확인")
    confirm.locator("#modal-confirm-cancel").click()
    expect(confirm).to_be_hidden()
    assert _statuses(app, [first, second]) == ["requested", "requested"]

    # 확인 approves the ticked one only
    actions.click()
    page.click("a.approve_selected_menu_item")
    expect(confirm).to_be_visible()
    confirm.locator("#modal-confirm-ok").click()
    expect(page.locator("body")).to_contain_text("1건을 승인했습니다.")
    assert _statuses(app, [first, second]) == ["approved", "requested"]
    assert browser_dialogs == []


def test_revoking_a_sender_number_asks_first(app, browser_page):
    customer = make_customer(app)
    [sender_id] = _requests(app, customer.account_id, "02-1234-5678")
    with app.app_context():
        sender_numbers.decide_number(sender_id, approve=True, actor=None, now=clock.now())
    operator, password = make_staff(app, "Operator")
    page = browser_page
    browser_dialogs = _no_browser_dialogs(page)
    login(page, operator, password)
    page.goto(f"/staff/sender-numbers/show/{sender_id}")
    page.fill("#stop-reason", "스미싱 신고 접수")
    page.click("#revoke")
    confirm = page.locator("#mb-dialog")
    expect(confirm).to_be_visible()
    expect(confirm.locator("#mb-dialog-message")).to_have_text(
        "발신번호 02-1234-5678을 등록취소할까요? 등록취소는 되돌릴 수 없습니다.")
    expect(confirm.locator("#mb-dialog-ok")).to_have_text("등록취소")
    confirm.locator("#mb-dialog-cancel").click()
    expect(confirm).to_be_hidden()
    assert _statuses(app, [sender_id]) == ["approved"]

    page.click("#revoke")
    expect(confirm).to_be_visible()
    confirm.locator("#mb-dialog-ok").click()
    expect(page).to_have_url(re.compile(rf"/staff/sender-numbers/show/{sender_id}$"))
    expect(page.locator("body")).to_contain_text("발신번호를 등록취소했습니다.")
    expect(page.locator("#stopped-state")).to_contain_text("등록취소됨 — 스미싱 신고 접수")
    assert _statuses(app, [sender_id]) == ["revoked"]
    assert browser_dialogs == []


def test_a_customer_deleting_a_sender_number_is_asked_in_the_pages_dialog(app, browser_page):
    customer = make_customer(app)
    [sender_id] = _requests(app, customer.account_id, "02-1234-5678")
    page = browser_page
    browser_dialogs = _no_browser_dialogs(page)
    login(page, customer.login, customer.password)
    page.goto("/senders/")
    row = page.locator(f"tr.sender-row[data-id='{sender_id}']")
    row.get_by_role("button", name="삭제").click()
    confirm = page.locator("#mb-dialog")
    expect(confirm.locator("#mb-dialog-message")).to_have_text("02-1234-5678을 삭제할까요?")
    confirm.locator("#mb-dialog-ok").click()
    expect(page.locator("body")).to_contain_text("발신정보를 삭제했습니다.")
    expect(page.locator(f"tr.sender-row[data-id='{sender_id}']")).to_have_count(0)
    assert browser_dialogs == []
