"""마이페이지 > 연동 API > 웹훅 in a real browser (API-06): a customer adds an endpoint, sees
its secret once, sends a test event that a local receiver verifies, and deletes it after
the page's own Korean confirmation (never the browser's confirm())."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support.jobs import run_worker
from tests.support.pipeline import api_customer
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.e2e


def test_a_customer_adds_tests_and_deletes_an_endpoint(app, browser_page):
    customer, _key = api_customer(app)
    receiver = Receiver().start()
    page = browser_page
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    try:
        login(page, customer.login, customer.password)
        page.goto("/mypage/api")
        page.get_by_role("link", name="웹훅 관리").click()
        expect(page.locator("h1")).to_have_text("웹훅")
        page.fill("#url", receiver.url)
        page.check("input[name=events][value='message.reported']")
        page.get_by_role("button", name="엔드포인트 추가").click()
        expect(page.locator("body")).to_contain_text("웹훅 엔드포인트를 추가했습니다")
        secret = page.locator("#new-webhook-secret code").inner_text()
        assert secret.startswith("whsec_")

        page.get_by_role("button", name="테스트 전송").click()
        expect(page.locator("body")).to_contain_text("테스트 이벤트(webhook.test)를 보냈습니다")
        expect(page.locator("body")).not_to_contain_text(secret)          # shown once
        run_worker(app)                                 # the real worker, on the real clock: due at once
        [received] = receiver.received
        assert received.verifies_with(secret) and received.event["type"] == "webhook.test"
        page.reload()
        expect(page.locator("#webhook-deliveries")).to_contain_text("성공")

        page.get_by_role("button", name="삭제", exact=True).click()
        dialog = page.locator("#mb-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#mb-dialog-message")).to_have_text("이 엔드포인트를 삭제할까요? 되돌릴 수 없습니다.")
        dialog.locator("#mb-dialog-cancel").click()                      # 취소 keeps it
        expect(dialog).to_be_hidden()
        expect(page.locator("#endpoint-status")).to_have_text("사용 중")
        page.get_by_role("button", name="삭제", exact=True).click()
        expect(dialog.locator("#mb-dialog-ok")).to_have_text("삭제")
        dialog.locator("#mb-dialog-ok").click()
        expect(page).to_have_url(re.compile(r"/mypage/api/webhooks/$"))
        expect(page.locator("body")).to_contain_text("웹훅 엔드포인트를 삭제했습니다.")
        expect(page.locator("#webhook-endpoints")).to_contain_text("등록된 엔드포인트가 없습니다.")
        assert opened == []
    finally:
        receiver.stop()
