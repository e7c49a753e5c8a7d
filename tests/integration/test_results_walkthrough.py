"""What a first walk through the results pages found (issue 12, 05-results.md RES-03):
재발송하기 with nothing ticked, more than 1,000 recipients resent on the send's own data,
엑셀 다운로드 with nothing selected, the confirmation after 발송하기, what a send in progress
has charged and holds, and the failure categories drawn under 발송실패."""
import json
import re

import pytest

from app.domain.recipients import Recipient
from app.extensions import db
from app.models import Account, Send
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    NOW, breakdown, client, pinned, quote, send, sent, table_rows)
from tests.support.factories import make_customer
from tests.support.foundation import flashed, follow
from tests.support import pipeline as pl
from tests.support.web import text_of


@pytest.fixture
def customer(app):
    return make_customer(app, cash=100_000)


def prefilled_resend(html: str):
    return json.loads(re.search(r"prefillResend: (.*?)\n", html).group(1))


def prefilled(html: str) -> list:
    return json.loads(re.search(r"prefillRecipients: (\[.*?\]),\n", html, re.S).group(1))


def test_resend_with_nothing_ticked_brings_the_failed_ones_and_says_so(app, client, customer):
    numbers = pl.phones(0, 1, 90, 91)
    send_id = sent(client, customer, [{"phone": n, "name": f"고객{i}"} for i, n in enumerate(numbers)])
    pl.run_to_completion(app, NOW)
    html = client.get(f"/sms/?resend={send_id}").get_data(as_text=True)
    assert sorted(r["phone"] for r in prefilled(html)) == sorted(numbers[2:])
    assert "선택한 결과가 없어 발송실패 수신자를 불러왔습니다." in html
    ticked = client.get(f"/sms/?resend={send_id}&status=delivered").get_data(as_text=True)
    assert sorted(r["phone"] for r in prefilled(ticked)) == sorted(numbers[:2])
    assert "resend-notice" not in ticked
    nothing = client.get(f"/sms/?resend={send_id}&status=pending").get_data(as_text=True)
    assert prefilled(nothing) == [] and "결과확인중 수신자가 없습니다." in nothing


def test_more_than_a_thousand_recipients_are_resent_from_the_sends_own_data(app, client, customer):
    failing = [f"01023{i:04d}90" for i in range(1, 1006)]             # ending 90: 3001, failed
    with app.app_context():
        db.session.get(Account, customer.account_id).daily_cap = 5000
        db.session.commit()
    entries = [Recipient(n, "고객", {"1": "VIP"}, i) for i, n in enumerate(failing + pl.phones(0), start=1)]
    send_id = pl.accept(app, customer, None, entries=entries, body="#[이름]님 #[1] 혜택 안내").send_id
    pl.run_to_completion(app, NOW)
    html = client.get(f"/sms/?resend={send_id}&status=failed").get_data(as_text=True)
    source = prefilled_resend(html)
    assert prefilled(html) == []
    assert (source["send_id"], source["count"], source["status"], source["label"]) == \
        (send_id, 1005, ["failed"], "발송실패")
    assert source["preview"][0] == {"phone": failing[0], "name": "고객", "vars": {"1": "VIP"}}
    later = {"resend": {"send_id": send_id, "status": ["failed"], "category": []}, "body": "#[이름]님 #[1] 혜택 안내"}
    q = quote(client, customer, **later).get_json()
    assert q["recipients"] == 1005
    again = sent(client, customer, **later)
    with app.app_context():
        resent = db.session.get(Send, again)
        assert (resent.recipient_count, resent.uses_variables) == (1005, True)
    bad = send(client, customer, resend={"send_id": send_id, "status": []})
    assert bad.status_code == 422 and "재발송할 결과를 선택해주세요" in bad.get_json()["error"]["message"]
    bad = send(client, customer, resend={"send_id": send_id, "status": ["lost"]})
    assert bad.status_code == 422


def test_excel_download_of_nothing_stays_on_the_list_with_a_message(app, client, customer):
    sent(client, customer, pl.phones(0))
    response = client.post("/history/export.xlsx", data={})
    assert response.status_code == 422
    page = text_of(response)
    assert "엑셀로 내려받을 발송내역을 선택해주세요." in page and "발송내역" in page
    assert response.mimetype == "text/html"
    assert 'data-needs-checked=".send-check"' in client.get("/history/").get_data(as_text=True)


def test_after_sending_the_detail_page_says_what_was_accepted(app, client, customer):
    response = send(client, customer, pl.phones(0, 1, 2))
    assert response.status_code == 201
    detail = client.get(response.get_json()["redirect"])
    unit = response.get_json()["unit_price"]
    assert f"SMS 3건을 접수했습니다. 발송 금액 {3 * unit:,}원을 선차감했으며" in flashed(detail)


def test_a_send_in_progress_shows_what_it_has_charged_and_holds(app, client, customer):
    send_id = sent(client, customer, pl.phones(0, 1, 89))         # 89: the slow report
    pl.work(app, NOW)
    pl.tick(app, NOW + pl.dt.timedelta(seconds=10))
    summary = dict((r[0], r[1]) for r in table_rows(client.get(f"/history/{send_id}").get_data(as_text=True),
                                                  "send-summary"))
    assert summary["상태"] == "진행중"
    assert summary["발송요금"] == "40원 (현재까지 · 선차감 60원, 발송 완료 후 실패 건 환불)"


def test_the_failure_categories_stand_under_failed_not_under_pending(app, client, customer):
    send_id = sent(client, customer, pl.phones(90))
    pl.run_to_completion(app, NOW)
    html = client.get(f"/history/{send_id}").get_data(as_text=True)
    keys = list(breakdown(html))
    assert keys[0:2] == ["delivered", "failed"] and keys[-1] == "pending"
    assert keys.index("power_off") > keys.index("failed")
