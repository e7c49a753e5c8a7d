"""ACC-01 in a real browser: a person fills the sign-up form, the verification SMS
goes out through the real RQ worker to the sandbox carrier, and the code read from
the sandbox's outbox completes the sign-up and lands on the dashboard."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import SandboxMessage
from tests.support.jobs import run_worker

pytestmark = pytest.mark.e2e

PHONE = "010-2113-3451"


def code_in_sandbox(app, recipient: str) -> str:
    with app.app_context():
        message = db.session.scalars(select(SandboxMessage).where(SandboxMessage.recipient == recipient)
                                     .order_by(SandboxMessage.id.desc())).first()
        assert message is not None, f"no SMS to {recipient} reached the sandbox"
        found = re.search(r"\[(\d{6})\]", message.text)
        assert found, f"no [6-digit code] in {message.text!r}"
        return found.group(1)


def test_a_person_signs_up_with_phone_verification_and_lands_on_the_dashboard(app, live_server, browser_page):
    page = browser_page
    page.goto("/signup/")
    page.fill("#name", "한지우")
    page.fill("#email", "jiwoo@example.com")
    page.fill("#password", "correct-horse-battery")
    page.fill("#password_confirm", "correct-horse-battery")
    page.fill("#phone", PHONE)
    page.click("#send-code")
    expect(page).to_have_url(re.compile(r"/signup/verify$"))
    expect(page.locator("body")).to_contain_text("인증번호를 보냈습니다")

    run_worker(app)  # the real RQ worker delivers the code to the sandbox carrier
    code = code_in_sandbox(app, PHONE.replace("-", ""))

    page.fill("#code", code)
    page.click("#verify-code")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("body")).to_contain_text("한지우님 안녕하세요!")
