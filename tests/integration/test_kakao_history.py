"""카카오톡 발송내역 (06-kakao.md KRS-01..03, 05-results.md RES-04, RES-07): the list with its
filters and per-recipient counts, the detail's 카카오톡 and 대체문자 tabs (counts, fees,
breakdowns, raw codes) after the sandbox's magic endings, the per-recipient Excel file of
both layers, 문자로 재발송하기, 선택삭제 and 전체삭제 as the SMS list has them, and a scheduled
AlimTalk send in 예약 메시징 현황 with its cancel; the SMS list keeps to SMS; the dashboard's
Kakao rows."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
from app.domain.recipients import Recipient
from app.extensions import db
from app.models import LedgerEntry, Message, Send, SendCategoryCount, UsageRollup
from app.services.kakao import alimtalk_sends
from app.services.sending import acceptance
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    JSON,
    NOW,
    balance,
    client,
    complete,
    count,
    error_of,
    html_unescape,
    phones,
    pinned,
    prefilled_recipients,
    quote,
    read_xlsx,
    rows,
    sent,
    table_rows,
)
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support import pipeline as pl
from tests.support.foundation import flashed, follow
from tests.support.pipeline import send_row, work

KAKAO, SMS = 13, 20      # the default price plan
ENDINGS = (0, 80, 83, 86, 90, 93, 97, 98)


@pytest.fixture
def customer(app):
    return make_customer(app, kind="corporate", cash=100_000)


@pytest.fixture
def template_id(app, customer):
    channel_id = approve_channel(app, customer.account_id, "@shop")
    return make_template(app, customer.account_id, channel_id, status="approved")


def alimtalk(app, customer, template_id, numbers, *, fallback=True, scheduled_at=None, now=NOW) -> int:
    with app.app_context():
        people = [Recipient(n, f"고객{i}", {"고객명": "홍길동", "주문번호": f"A-{i}"}, i)
                  for i, n in enumerate(numbers, start=1)]
        request = AlimtalkRequest(account_id=customer.account_id, channel=None, template=template_id,
                                  recipients=people, scheduled_at=scheduled_at,
                                  fallback=FallbackRequest(customer.phone, text="#{고객명}님 주문 #{주문번호} 발송")
                                  if fallback else None)
        accepted = alimtalk_sends.accept(request, now=now)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


@pytest.fixture
def magic(app, customer, template_id):
    """An AlimTalk send with 대체문자 to every magic ending, run to completion."""
    numbers = phones(*ENDINGS)
    send_id = alimtalk(app, customer, template_id, numbers)
    complete(app)
    return send_id, numbers


def listed(client, query=""):
    html = client.get(f"/history/kakao/{query}").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<tr class="send-row" data-id="(\d+)">', html)]
    cells = [r[1:] for r in table_rows(html, "kakao-sends")[1:] if len(r) > 1]     # after the checkbox
    assert len(ids) == len(cells)
    return dict(zip(ids, cells))


def counts(html: str, table: str = "result-breakdown") -> dict[str, str]:
    match = re.search(rf'<table[^>]*id="{table}"[^>]*>(.*?)</table>', html, flags=re.S)
    return dict(re.findall(r'data-key="([^"]+)">([^<]+)<', match.group(1)))


def cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</td>', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_krs01_the_list_counts_per_recipient_and_filters(app, client, customer, template_id, magic):
    send_id, _ = magic
    rows = listed(client)
    # 8 recipients: Kakao delivered 1, fallbacks delivered 3 → 4 succeeded; 3 fallbacks failed and
    # the timeout (98) got none → 4 failed; none waiting
    assert rows[send_id] == ["알림톡", "주문 안내", "@shop", "8", "4", "4", "0", "완료",
                             rows[send_id][-1]]
    assert rows[send_id][-1].startswith("2026-11-27 12:00")
    # a send in progress and one of another channel of the same account
    other_channel = approve_channel(app, customer.account_id, "@other_shop")
    other_template = make_template(app, customer.account_id, other_channel, status="approved", name="다른 안내",
                                   content="다른 안내 #{고객명} #{주문번호}")
    waiting = alimtalk(app, customer, other_template, phones(0, 1))
    rows = listed(client)
    assert rows[waiting][2:8] == ["@other_shop", "2", "0", "0", "2", "진행중"]
    assert set(listed(client, "?channel=@shop")) == {send_id}
    assert set(listed(client, "?channel=@other_shop")) == {waiting}
    assert set(listed(client, "?channel=@other%25")) == set()          # LIKE wildcards are literal
    assert set(listed(client, "?type=ALIMTALK")) == {send_id, waiting}
    assert set(listed(client, "?type=FRIENDTALK_TEXT")) == set()
    assert set(listed(client, "?status=in_progress")) == {waiting}
    assert set(listed(client, "?status=completed")) == {send_id}
    assert set(listed(client, "?q=다른")) == {waiting}
    assert set(listed(client, "?period=1h")) == {send_id, waiting}
    assert set(listed(client, "?period=custom&from=2026-11-01&to=2026-11-26")) == set()
    html = client.get("/history/kakao/").get_data(as_text=True)
    assert "2026년 10월 29일 ~ 2026년 11월 27일의 발송건수는 2건 입니다." in html
    refused = client.get("/history/kakao/?type=SMS")
    assert refused.status_code == 422 and "유형" in refused.get_data(as_text=True)
    # 문자 발송내역 is SMS only (the manual's two menus)
    assert "send-row" not in client.get("/history/").get_data(as_text=True)
    # the SMS detail of a Kakao send is its Kakao detail
    response = client.get(f"/history/{send_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/history/kakao/{send_id}")


def test_krs02_both_tabs_show_their_counts_fees_breakdowns_and_raw_codes(app, client, magic):
    send_id, numbers = magic
    html = client.get(f"/history/kakao/{send_id}").get_data(as_text=True)
    assert [cell(html, k) for k in ("count-requested", "count-delivered", "count-failed", "count-pending")] == \
        ["8건", "4건", "4건", "0건"]
    row = send_row(app, send_id)
    assert cell(html, "charged").startswith(f"{KAKAO + 3 * SMS}원")
    assert f"(실패 {row['refunded_amount']:,}원 환불)" in cell(html, "charged")
    assert cell(html, "send-channel") == "@shop"
    # 카카오톡: its own messages
    assert [cell(html, k) for k in ("layer-type", "layer-requested", "layer-delivered", "layer-failed",
                                    "layer-pending", "layer-fee")] == ["알림톡", "8건", "1건", "7건", "0건", "13원"]
    assert counts(html) == {"delivered": "1건", "failed": "7건", "invalid_parameter": "0건", "channel_error": "1건",
                            "yellow_id_error": "0건", "send_failed": "1건", "template_error": "1건",
                            "not_deliverable": "1건", "recipient_error": "1건", "image_error": "0건", "other": "2건",
                            "pending": "0건"}
    assert 'id="tab-fallback"' in html
    # 대체문자: the six fallbacks
    html = client.get(f"/history/kakao/{send_id}?tab=fallback").get_data(as_text=True)
    assert [cell(html, k) for k in ("layer-type", "layer-requested", "layer-delivered", "layer-failed",
                                    "layer-pending", "layer-fee")] == ["SMS", "6건", "3건", "3건", "0건", "60원"]
    fallback_counts = counts(html)
    assert (fallback_counts["power_off"], fallback_counts["wrong_number"], fallback_counts["other"],
            fallback_counts["message_error"]) == ("1건", "1건", "1건", "0건")
    assert 'value="fallback:power_off"' in html
    # 선택한 리스트보기 of each layer, with the raw code next to the category
    html = client.get(f"/history/kakao/{send_id}?show=1&tab=primary&category=not_deliverable"
                      "&category=other").get_data(as_text=True)
    listed_rows = table_rows(html, "recipients")[1:]
    assert sorted((r[0][-2:], r[3], r[4]) for r in listed_rows) == [
        ("80", "메시지 수신 확인 불가", "3019"), ("97", "기타", "3000"), ("98", "기타", "TIMEOUT")]
    html = client.get(f"/history/kakao/{send_id}?show=1&tab=fallback&status=fallback:delivered").get_data(as_text=True)
    assert sorted((r[0][-2:], r[2], r[4], r[7]) for r in table_rows(html, "recipients")[1:]) == [
        ("80", "발송성공", "0000", "20"), ("83", "발송성공", "0000", "20"), ("86", "발송성공", "0000", "20")]
    # a category of the other layer is refused
    assert client.get(f"/history/kakao/{send_id}?show=1&category=fallback:not_deliverable").status_code == 422


def test_krs03_the_excel_file_has_both_layers_per_recipient(app, client, magic):
    send_id, numbers = magic
    response = client.get(f"/history/kakao/{send_id}/export.xlsx")
    assert response.status_code == 200
    header, *rows = read_xlsx(response.data)
    assert header[:3] == ["수신번호", "이름", "카카오톡 상태"] and header[-1] == "요금"
    by_end = {r[0][-2:]: r for r in rows}
    assert len(rows) == 8
    assert by_end["00"][2:5] == ["발송성공", None, "1000"] and by_end["00"][6:10] == [None, None, None, None]
    assert by_end["00"][-1] == KAKAO
    assert by_end["80"][2:5] == ["발송실패", "메시지 수신 확인 불가", "3019"]
    assert by_end["80"][6:10] == ["SMS", "발송성공", None, "0000"] and by_end["80"][-1] == SMS
    assert by_end["90"][6:10] == ["SMS", "발송실패", "단말기 전원 꺼짐", "3001"] and by_end["90"][-1] == 0
    assert by_end["98"][4] == "TIMEOUT" and by_end["98"][6] is None
    assert by_end["80"][1] == "고객2"
    # the chosen results of the 대체문자 tab choose the recipients
    response = client.get(f"/history/kakao/{send_id}/export.xlsx?tab=fallback&status=fallback:failed")
    assert sorted(r[0][-2:] for r in read_xlsx(response.data)[1:]) == ["90", "93", "97"]


def test_krs03_a_large_export_goes_to_a_job(app, client, magic, monkeypatch):
    from app.services.history import exports
    send_id, _ = magic
    monkeypatch.setattr(exports, "INLINE_LIMIT", 2)
    response = client.get(f"/history/kakao/{send_id}/export.xlsx")
    assert response.status_code == 302 and "/exports/" in response.headers["Location"]
    work(app, NOW)
    job_url = response.headers["Location"]
    download = client.get(job_url.rstrip("/") + "/download")
    assert download.status_code == 200
    header, *rows = read_xlsx(download.data)
    assert header[2] == "카카오톡 상태" and len(rows) == 8


def test_krs03_resend_as_sms_brings_the_fallback_text_and_the_chosen_recipients(app, client, magic):
    send_id, numbers = magic
    html = html_unescape(client.get(f"/sms/?resend={send_id}&status=fallback:failed").get_data(as_text=True))
    assert sorted(n["phone"][-2:] for n in prefilled_recipients(html)) == ["90", "93", "97"]
    assert "#[1]님 주문 #[2] 발송" in html
    html = html_unescape(client.get(f"/sms/?resend={send_id}&category=not_deliverable").get_data(as_text=True))
    assert [n["phone"][-2:] for n in prefilled_recipients(html)] == ["80"]
    # nothing chosen: the recipients whose fallback failed
    html = html_unescape(client.get(f"/sms/?resend={send_id}").get_data(as_text=True))
    assert sorted(n["phone"][-2:] for n in prefilled_recipients(html)) == ["90", "93", "97"]
    assert "대체문자 발송실패 수신자를 불러왔습니다" in html


def test_krs03_resend_as_sms_of_more_than_the_page_lists_moves_every_recipients_values(app, client, customer,
                                                                                       template_id):
    """More chosen recipients than the page lists as chips are sent from the send's own data:
    each of them gets its values by the SMS text's #[1]..#[4], not only the first 1,000."""
    from app.services.history.resend import MAX_RESEND_PREFILL
    total = MAX_RESEND_PREFILL + 5
    numbers = [f"01023{i:04d}00" for i in range(1, total + 1)]          # ending 00: Kakao delivers
    pl.set_daily_cap(app, customer.account_id, 5_000)
    with app.app_context():
        people = [Recipient(n, None, {"고객명": f"고객{i}", "주문번호": f"A-{i}"}, i)
                  for i, n in enumerate(numbers, start=1)]
        accepted = alimtalk_sends.accept(AlimtalkRequest(
            account_id=customer.account_id, channel=None, template=template_id, recipients=people,
            fallback=FallbackRequest(customer.phone, text="#{고객명}님 주문 #{주문번호} 발송")), now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    complete(app)
    html = html_unescape(client.get(f"/sms/?resend={send_id}&status=delivered").get_data(as_text=True))
    assert prefilled_recipients(html) == []
    source = json.loads(re.search(r"prefillResend: (.*?)\n", html).group(1))
    assert (source["count"], source["status"], source["category"]) == (total, ["delivered"], [])
    assert source["preview"][0] == {"phone": numbers[0], "name": None, "vars": {"1": "고객1", "2": "A-1"}}
    assert "#[1]님 주문 #[2] 발송" in html
    later = {"resend": {"send_id": send_id, "status": source["status"], "category": source["category"]},
             "body": "#[1]님 주문 #[2] 발송"}
    q = quote(client, customer, **later)
    assert q.status_code == 200 and q.get_json()["recipients"] == total, q.get_json()
    again = sent(client, customer, **later)
    with app.app_context():
        got = {m.recipient: json.loads(m.vars) for m in db.session.scalars(select(Message).where(
            Message.send_id == again))}
        db.session.commit()
    assert len(got) == total
    assert all(got[n] == {"1": f"고객{i}", "2": f"A-{i}"} for i, n in enumerate(numbers, start=1))


# --- 선택삭제 / 전체삭제 (RES-02, RES-06: permanent, statistics follow, money stays) -------------------------------

def usage(app, account_id) -> dict:
    with app.app_context():
        found = {u.msg_type: (u.requested, u.delivered, u.failed) for u in
                 db.session.scalars(select(UsageRollup).where(UsageRollup.account_id == account_id))}
        db.session.commit()
    return found


def test_krs01_selected_and_all_delete_as_the_sms_list_does(app, client, customer, template_id, magic):
    done, _ = magic
    sms = pl.accept(app, customer, phones(0)).send_id          # the 문자 list's
    finished = alimtalk(app, customer, template_id, phones(0))
    complete(app)
    busy = alimtalk(app, customer, template_id, phones(0, 1))    # 진행중 (no worker runs it here)
    ledger_before = rows(app, LedgerEntry)
    assert usage(app, customer.account_id)["ALIMTALK"][0] == 8 + 1 + 2
    html = client.get("/history/kakao/").get_data(as_text=True)
    assert 'data-confirm="선택한 발송내역을 삭제할까요? 삭제 시 복구가 불가능합니다."' in html
    assert 'data-confirm="조회된 발송내역을 모두 삭제할까요? 삭제 시 복구가 불가능합니다."' in html
    assert f'class="send-check" name="send_id" value="{done}"' in html

    # 선택삭제 with a send in progress among them: refused, nothing deleted
    response = client.post("/history/kakao/delete", data={"send_id": [str(done), str(busy)]}, headers=JSON)
    assert response.status_code == 409 and error_of(response)["code"] == "not_deletable"
    # an SMS send is not on this list: not found, and it stays
    assert client.post("/history/kakao/delete", data={"send_id": [str(sms)]}).status_code == 404
    assert client.post("/history/kakao/delete", data={"send_id": [str(done), str(sms)]}).status_code == 404
    # nothing chosen: the field is named
    response = client.post("/history/kakao/delete", data={"send_id": []}, headers=JSON)
    assert response.status_code == 422 and error_of(response)["field"] == "발송내역"
    assert count(app, Send) == 4

    response = client.post("/history/kakao/delete", data={"send_id": [str(done)]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/history/kakao/")
    assert "발송내역 1건을 삭제했습니다" in flashed(follow(client, response))
    assert count(app, Send, Send.id == done) == 0 and count(app, Message, Message.send_id == done) == 0
    assert count(app, SendCategoryCount, SendCategoryCount.send_id == done) == 0
    assert client.get(f"/history/kakao/{done}").status_code == 404
    # both layers leave the statistics (the fallbacks counted as SMS); the ledger stays
    after = usage(app, customer.account_id)
    assert after["ALIMTALK"][0] == 1 + 2 and after["SMS"] == (1, 1, 0)         # only the SMS send's one
    assert rows(app, LedgerEntry) == ledger_before

    # 전체삭제 of what the filters show: Kakao sends only, the one in progress stays
    response = client.post("/history/kakao/delete", data={"all": "1", "period": "today", "channel": "@shop"})
    assert "발송내역 1건을 삭제했습니다. 진행중이거나 예약된 발송은 삭제되지 않습니다." in flashed(follow(client, response))
    assert sorted(r["id"] for r in rows(app, Send)) == sorted([sms, busy])        # `finished` is gone
    # a filter the list refuses deletes nothing
    response = client.post("/history/kakao/delete", data={"all": "1", "type": "SMS"}, headers=JSON)
    assert response.status_code == 422 and error_of(response)["field"] == "유형"
    assert count(app, Send) == 2 and finished not in listed(client)
    # and the 문자 list's 선택삭제 does not reach a Kakao send either
    assert client.post("/history/delete", data={"send_id": [str(busy)]}).status_code == 404


def test_res07_a_scheduled_alimtalk_send_is_listed_and_cancelled_with_its_whole_hold(app, client, customer,
                                                                                       template_id):
    before = balance(app, customer.account_id)
    send_id = alimtalk(app, customer, template_id, phones(0, 1, 2), scheduled_at=NOW + dt.timedelta(hours=3))
    hold = send_row(app, send_id)["hold_amount"]
    assert hold == 3 * SMS and balance(app, customer.account_id)[0] == before[0] - hold
    html = client.get("/history/reservations?channel=kakao").get_data(as_text=True)
    assert f'data-id="{send_id}"' in html and "@shop" in html
    assert f'data-id="{send_id}"' not in client.get("/history/reservations").get_data(as_text=True)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "카카오톡 비즈니스메시지 1건" in dashboard and 'id="reserved-kakao"' in dashboard
    response = client.post(f"/history/{send_id}/cancel", headers={"Referer": "/history/reservations?channel=kakao"})
    assert response.status_code == 302
    assert "예약 발송을 취소했습니다" in follow(client, response).get_data(as_text=True)
    row = send_row(app, send_id)
    assert (row["status"], row["refunded_amount"]) == ("cancelled", hold)
    assert balance(app, customer.account_id) == before
    assert f'data-id="{send_id}"' not in client.get("/history/reservations?channel=kakao").get_data(as_text=True)


def test_dsh_the_dashboard_shows_alimtalk_usage_charges_and_recent_sends(app, client, magic):
    send_id, _ = magic
    html = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'data-type="ALIMTALK">1 건', html)
    assert re.search(r'data-type="SMS">3 건', html)          # the delivered fallbacks count as SMS
    assert re.search(r'data-charge="ALIMTALK">13 원', html)
    assert re.search(r'data-charge="SMS">60 원', html)
    recent = table_rows(html, "recent-kakao-table")
    assert recent[1][:8] == ["알림톡", "주문 안내", "@shop", "8", "4", "4", "0", "완료"]
    assert f'href="/history/kakao/{send_id}"' in html
    assert 'id="send-alimtalk" href="/alimtalk/"' in html
