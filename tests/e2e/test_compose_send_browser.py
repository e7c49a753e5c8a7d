"""A send from the compose page in a real browser (SMS-04, SMS-05, SMS-10, SMS-11):
recipients and variables from an uploaded xlsx with its row report, a body built with
the #[이름] / #[1] buttons, the preview filled for the first recipient, the
confirmation dialog's figures, 발송하기 double-clicked (one send), the history detail
in progress, then the real RQ worker and the tick, and the detail completed."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Account, PricePlan, SandboxMessage, Send
from tests.e2e.compose_support import counter, msg_type, open_compose, recipients_xlsx
from tests.support.jobs import run_worker
from tests.support.pipeline import tick

pytestmark = pytest.mark.e2e

ROWS = [("홍길동", "010-2345-6701", "VIP"),
        ("김영희", "010-3456-7802", "골드"),
        ("박철수", "010-0123-4567", "실버"),     # 010-0YYY does not exist: refused, row 4
        ("이민수", "01045678903", "실버")]
VALID = ["01023456701", "01034567802", "01045678903"]


def sms_price(app, account_id: int) -> int:
    with app.app_context():
        account = db.session.get(Account, account_id)
        price = db.session.get(PricePlan, account.price_plan_id).sms
        db.session.commit()
        return price


def sends_of(app, account_id: int) -> list[int]:
    with app.app_context():
        ids = db.session.scalars(select(Send.id).where(Send.account_id == account_id)).all()
        db.session.commit()
        return list(ids)


def test_variables_from_a_file_preview_confirm_send_once_and_complete(app, browser_page, tmp_path):
    page = browser_page
    customer = open_compose(app, page, cash=10_000, points=100)
    unit = sms_price(app, customer.account_id)

    # the recipients file, with its row report (SMS-04)
    page.set_input_files("#file-input", str(recipients_xlsx(tmp_path / "recipients.xlsx", ROWS)))
    report = page.locator("#upload-report")
    expect(report).to_contain_text("recipients.xlsx")
    expect(report).to_contain_text("전체 4행 중 3건 추가")
    expect(report).to_contain_text("오류 1건 제외")
    bad_row = page.locator("#upload-errors tr").nth(1)
    expect(bad_row.locator("td").nth(0)).to_have_text("4")
    expect(bad_row.locator("td").nth(1)).to_have_text("010-0123-4567")
    expect(bad_row.locator("td").nth(2)).not_to_be_empty()
    expect(page.locator("#recipient-total")).to_have_text("3")
    expect(page.locator("#recipient-sources")).to_contain_text("파일 recipients.xlsx (3건)")

    # a body with the variable buttons; the preview is the first recipient's message (SMS-05, SMS-10)
    body = page.locator("#body")
    body.press_sequentially("안녕하세요 ")
    page.click(".var-btn[data-var='#[이름]']")
    body.press_sequentially("님, 등급 ")
    page.click(".var-btn[data-var='#[1]']")
    expect(body).to_have_value("안녕하세요 #[이름]님, 등급 #[1]")
    expect(page.locator("#preview-body")).to_have_js_property("textContent", "안녕하세요 홍길동님, 등급 VIP")
    expect(msg_type(page)).to_have_text("SMS")
    expect(counter(page)).to_have_text("31/90 byte")

    # the confirmation dialog (SMS-11): figures from the server's quote
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_hidden()
    page.click("#send-open")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-type")).to_have_text("SMS")
    expect(page.locator("#confirm-price")).to_have_text(f"{unit:,}원")
    expect(page.locator("#confirm-schedule")).to_have_text("즉시 발송")
    expect(page.locator("#confirm-recipients")).to_have_text("3명")
    expect(page.locator("#confirm-hold")).to_have_text(f"{3 * unit:,}원")
    expect(page.locator("#confirm-remaining")).to_have_text(f"{10_100 - 3 * unit:,}")
    expect(page.locator("#confirm-cash")).to_have_text("10,000")
    expect(page.locator("#confirm-points")).to_have_text("100")
    expect(dialog).to_contain_text("포인트부터 우선 차감됩니다")
    assert sends_of(app, customer.account_id) == []      # the dialog alone sends nothing

    # 발송하기 twice quickly: one request, one send, and the page lands on its detail
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/sms/send") else None)
    page.locator("#confirm-send").dblclick()
    expect(page).to_have_url(re.compile(r"/history/\d+$"))
    assert len(posted) == 1
    send_ids = sends_of(app, customer.account_id)
    assert len(send_ids) == 1
    assert page.url.endswith(f"/history/{send_ids[0]}")
    expect(page.locator("#send-status")).to_have_text("진행중")
    expect(page.locator("#count-requested")).to_have_text("3건")
    expect(page.locator("#count-delivered")).to_have_text("0건")

    # the real worker dispatches to the sandbox carrier; the tick asks for its reports, a worker
    # applies them and settles
    run_worker(app)
    tick(app, clock.now() + dt.timedelta(seconds=10))
    with app.app_context():
        texts = dict(db.session.execute(select(SandboxMessage.recipient, SandboxMessage.text)
                                        .where(SandboxMessage.account_id == customer.account_id)).all())
        db.session.commit()
    assert texts == {"01023456701": "안녕하세요 홍길동님, 등급 VIP",
                     "01034567802": "안녕하세요 김영희님, 등급 골드",
                     "01045678903": "안녕하세요 이민수님, 등급 실버"}
    page.reload()
    expect(page.locator("#send-status")).to_have_text("완료")
    expect(page.locator("#count-requested")).to_have_text("3건")
    expect(page.locator("#count-delivered")).to_have_text("3건")
    expect(page.locator("#count-failed")).to_have_text("0건")
    expect(page.locator("#count-pending")).to_have_text("0건")
    expect(page.locator("#charged")).to_have_text(f"{3 * unit:,}원")
    assert sends_of(app, customer.account_id) == send_ids
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SandboxMessage)
                                 .where(SandboxMessage.account_id == customer.account_id)) == 3
        db.session.commit()


def test_confirmation_without_enough_money_cannot_send(app, browser_page):
    page = browser_page
    customer = open_compose(app, page, points=10)
    unit = sms_price(app, customer.account_id)
    assert unit > 10
    page.fill("#body", "잔액 확인")
    page.fill("#recipient-input", "010-2345-6701")
    page.click("#add-recipient")
    page.click("#send-open")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-hold")).to_have_text(f"{unit:,}원")
    expect(page.locator("#confirm-remaining")).to_have_text(f"{10 - unit:,}")
    expect(page.locator("#confirm-extra")).to_contain_text("잔액이 부족합니다")
    expect(page.locator("#confirm-send")).to_be_disabled()
    page.locator("#confirm-dialog [data-close]").click()
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    assert sends_of(app, customer.account_id) == []


def test_two_posts_of_one_page_at_once_make_one_send(app, browser_page):
    """The server's half of "a double click sends once": the page's own guard aside, two
    simultaneous posts of the same compose token get one send and the same answer."""
    page = browser_page
    customer = open_compose(app, page, cash=1_000)
    answers = page.evaluate("""async phone => {
        const payload = {sender: document.getElementById("sender").value, body: "동시 발송 확인",
                         recipients: [{phone: phone}], compose_token: document.getElementById("compose-token").value};
        const post = () => fetch(window.MB_COMPOSE.send, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "Accept": "application/json",
                      "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
            body: JSON.stringify(payload)}).then(async r => ({status: r.status, body: await r.json()}));
        return Promise.all([post(), post()]);
    }""", "010-2345-6701")
    assert [a["status"] for a in answers] == [201, 201], answers
    assert answers[0]["body"]["send_id"] == answers[1]["body"]["send_id"]
    assert sends_of(app, customer.account_id) == [int(answers[0]["body"]["send_id"])]
