"""ACC-01 in a real browser: a person fills the sign-up form, reads and agrees to the
terms (전체 동의 ticks every box; a required one left out is refused and named), the
verification SMS goes out through the real RQ worker to the sandbox carrier, and the code
read from the sandbox's outbox completes the sign-up and lands on the dashboard, with the
consents recorded."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import SandboxMessage, SystemMessage, User, UserConsent
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


def fill_form(page) -> None:
    page.goto("/signup/")
    page.fill("#name", "한지우")
    page.fill("#email", "jiwoo@example.com")
    page.fill("#password", "correct-horse-battery")
    page.fill("#password_confirm", "correct-horse-battery")
    page.fill("#phone", PHONE)


def consents_of(app, email: str) -> dict[str, bool]:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        return {c.kind: c.agreed for c in db.session.scalars(select(UserConsent).where(UserConsent.user_id == user_id))}


def test_a_person_signs_up_with_phone_verification_and_lands_on_the_dashboard(app, live_server, browser_page):
    page = browser_page
    fill_form(page)
    boxes = [page.locator(f"#agree_{kind}") for kind in ("terms", "privacy", "marketing")]
    # 전체 동의 ticks every box; clearing the optional one clears 전체 동의 but keeps the others
    page.check("#agree_all")
    for box in boxes:
        expect(box).to_be_checked()
    page.uncheck("#agree_marketing")
    expect(page.locator("#agree_all")).not_to_be_checked()
    expect(boxes[0]).to_be_checked()
    # each text opens in place
    expect(page.locator("#text-privacy")).to_be_hidden()
    page.click("#details-privacy summary")
    expect(page.locator("#text-privacy")).to_be_visible()
    expect(page.locator("#text-privacy")).to_contain_text("보유·이용 기간")
    page.click("#send-code")
    expect(page).to_have_url(re.compile(r"/signup/verify$"))
    expect(page.locator("body")).to_contain_text("인증번호를 보냈습니다")

    run_worker(app)  # the real RQ worker delivers the code to the sandbox carrier
    code = code_in_sandbox(app, PHONE.replace("-", ""))

    page.fill("#code", code)
    page.click("#verify-code")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("body")).to_contain_text("한지우님 안녕하세요!")
    assert consents_of(app, "jiwoo@example.com") == {"terms": True, "privacy": True, "marketing": False}


def test_a_required_consent_left_out_is_named_and_nothing_is_sent(app, live_server, browser_page):
    page = browser_page
    fill_form(page)
    page.check("#agree_terms")
    page.click("#send-code")
    expect(page).to_have_url(re.compile(r"/signup/$"))
    expect(page.locator("#form-error")).to_have_text(
        "개인정보 수집·이용 동의는 필수입니다. 개인정보 수집·이용을 읽고 동의해주세요.")
    expect(page.locator(".mb-consent.has-error #agree_privacy")).to_have_count(1)
    expect(page.locator("#agree_terms")).to_be_checked()          # what was ticked stays ticked
    expect(page.locator("#name")).to_have_value("한지우")
    with app.app_context():
        assert db.session.scalar(select(SystemMessage.id).limit(1)) is None      # no code queued
