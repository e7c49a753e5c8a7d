"""문자 발송내역 (RES-02), the detail with its breakdown, recipient list, per-recipient Excel
file and resend (RES-03) — including the issue's send to every SMS result category —,
예약 메시징 현황 with cancel (RES-07), deletion and the 12-month retention (RES-06)."""
import io
import json
import re

import pytest
from sqlalchemy import select

from app import clock
from app.domain.recipients import Recipient
from app.domain.results import SMS_CATEGORIES
from app.extensions import db
from app.gateways import Report
from app.models import (LedgerEntry, Message, SandboxMessage, Send, SendCategoryCount, SendImage, UsageCategoryRollup,
                        UsageRollup)
from app.services.sending import acceptance, reports
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    DAY,
    HOUR,
    JSON,
    MINUTE,
    NOW,
    PRICES,
    SECOND,
    add_sender_number,
    balance,
    breakdown,
    client,
    complete,
    count,
    html_unescape,
    hyphenated,
    kst,
    one,
    phones,
    pinned,
    prefilled_recipients,
    read_xlsx,
    revoke_sender_number,
    rows,
    sent,
    table_rows,
    tick,
    work,
)
from tests.support.factories import approve_optout_number, make_customer
from tests.support.foundation import flashed, follow
from tests.support.uploads import jpeg
from tests.support.web import text_of


@pytest.fixture
def customer(app):
    return make_customer(app, cash=100_000)


def finish(app, start):
    """Dispatch at `start` and apply the 5-second reports (no slow or silent numbers)."""
    work(app, start)
    tick(app, start + 10 * SECOND)


def send_at(app, client, customer, moment, recipients, **changes) -> int:
    with clock.frozen(moment):
        return sent(client, customer, recipients, **changes)


def listed(client, query=""):
    """(id, cells) of each send row of the list page."""
    html = client.get(f"/history/{query}").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<tr class="send-row" data-id="(\d+)">', html)]
    cells = [r for r in table_rows(html, "sends")[1:] if len(r) > 1]
    assert len(ids) == len(cells)
    return list(zip(ids, cells))


def period_line(client, query="") -> str:
    html = client.get(f"/history/{query}").get_data(as_text=True)
    return re.search(r'<p id="period-sentence"><strong>(.*?)</strong></p>', html).group(1)


# --- the list (RES-02) --------------------------------------------------------------------------------------

@pytest.fixture
def five_periods(app, client, customer):
    """Sends spread over the periods, of each type and status; NOW is 12:00 KST, 27 Nov."""
    image = client.post("/sms/images", data={"image": (io.BytesIO(jpeg()), "a.jpg")},
                        content_type="multipart/form-data", headers=JSON).get_json()["image_id"]
    ids = {}
    for key, moment, changes in (
            ("old", kst(2026, 10, 20, 10, 0), {"body": "10월 배송 안내"}),
            ("month", kst(2026, 11, 5, 10, 0), {"body": "11월 배송 안내"}),
            ("week", kst(2026, 11, 23, 10, 0), {"body": "주간 소식"}),
            ("today", kst(2026, 11, 27, 9, 0), {"body": "오늘의 사진", "title": "사진 소식", "image_ids": [image]})):
        ids[key] = send_at(app, client, customer, moment, phones(1, 2), **changes)
        finish(app, moment)
    ids["hour"] = send_at(app, client, customer, kst(2026, 11, 27, 11, 30), phones(1, 2, 3), title="연말 공지",
                          body="가" * 50 + " 영업시간 안내")                         # LMS, left in progress
    ids["scheduled"] = send_at(app, client, customer, kst(2026, 11, 27, 11, 45), phones(4), body="내일 아침 배송",
                               use_schedule=True, scheduled_at="2026-11-28T09:00")
    return ids


def test_the_period_filters_and_their_sentence(app, client, five_periods):
    ids = five_periods
    cases = [("?period=1h", "2026년 11월 27일 ~ 2026년 11월 27일의 발송건수는 2건 입니다.", {"hour", "scheduled"}),
             ("?period=today", "2026년 11월 27일 ~ 2026년 11월 27일의 발송건수는 3건 입니다.",
              {"today", "hour", "scheduled"}),
             ("?period=7d", "2026년 11월 21일 ~ 2026년 11월 27일의 발송건수는 4건 입니다.",
              {"week", "today", "hour", "scheduled"}),
             ("?period=1m", "2026년 10월 29일 ~ 2026년 11월 27일의 발송건수는 5건 입니다.",
              {"month", "week", "today", "hour", "scheduled"}),
             ("", "2026년 10월 29일 ~ 2026년 11월 27일의 발송건수는 5건 입니다.",
              {"month", "week", "today", "hour", "scheduled"}),
             ("?period=custom&from=2026-10-01&to=2026-10-31", "2026년 10월 1일 ~ 2026년 10월 31일의 발송건수는 1건 입니다.",
              {"old"}),
             ("?period=custom&from=2026-10-20&to=2026-11-23", "2026년 10월 20일 ~ 2026년 11월 23일의 발송건수는 3건 입니다.",
              {"old", "month", "week"})]
    for query, line, keys in cases:
        assert period_line(client, query) == line, query
        assert {i for i, _ in listed(client, query)} == {ids[k] for k in keys}, query
    # just after midnight the last hour spans two days
    with clock.frozen(kst(2026, 11, 28, 0, 30)):
        assert period_line(client, "?period=1h") == "2026년 11월 27일 ~ 2026년 11월 28일의 발송건수는 0건 입니다."
        assert period_line(client, "?period=today") == "2026년 11월 28일 ~ 2026년 11월 28일의 발송건수는 0건 입니다."


def test_type_status_and_search_filters_and_the_reset_link(app, client, five_periods):
    ids = five_periods

    def found(query):
        return {k for k, v in ids.items() if v in {i for i, _ in listed(client, query)}}
    assert found("?type=LMS") == {"hour"}
    assert found("?type=MMS") == {"today"}
    assert found("?type=SMS") == {"month", "week", "scheduled"}
    assert found("?status=scheduled") == {"scheduled"}
    assert found("?status=in_progress") == {"hour"}
    assert found("?status=completed") == {"month", "week", "today"}
    assert found("?q=배송") == {"month", "scheduled"}             # the body
    assert found("?q=연말") == {"hour"}                             # the title
    assert found("?q=사진") == {"today"}
    assert found("?type=SMS&status=completed&period=7d") == {"week"}
    assert found("?period=custom&from=2026-10-01&to=2026-11-27&q=배송") == {"old", "month", "scheduled"}
    assert period_line(client, "?type=SMS&status=completed&period=7d").endswith("발송건수는 1건 입니다.")
    html = client.get("/history/?type=LMS&q=연말").get_data(as_text=True)
    assert re.search(r'<a class="btn btn-link btn-sm" href="/history/">필터초기화</a>', html)
    assert '<option selected>LMS</option>' in html and 'value="연말"' in html
    for query, words in (("?type=XMS", "유형 값이 올바르지 않습니다"), ("?status=lost", "상태 값이 올바르지 않습니다"),
                         ("?period=2y", "발송일시 값이 올바르지 않습니다"),
                         ("?period=custom&from=2026-11-20&to=2026-11-01", "시작일이 종료일보다 늦습니다"),
                         ("?period=custom&from=2025-01-01&to=2026-11-27", "최대 1년"),
                         ("?period=custom&from=2026-13-01", "시작일은 YYYY-MM-DD")):
        response = client.get(f"/history/{query}")
        assert response.status_code == 422, query
        assert words in html_unescape(re.search(r'id="form-error">(.*?)</div>', response.get_data(as_text=True))
                                      .group(1)), query


def test_columns_statuses_and_api_sends_marked(app, client, customer, five_periods):
    ids = five_periods
    with app.app_context():
        api = acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone,
                                                body="API로 보낸 문자", recipients=[Recipient(p, None, {}, 1)
                                                                               for p in phones(7)],
                                                source="api"), now=NOW)
        api_id = api.send.id
    sender = hyphenated(customer.phone)
    by_id = dict(listed(client))
    assert by_id[ids["hour"]] == ["", "LMS", "연말 공지", sender, "3", "0", "0", "3", "진행중", "2026-11-27 11:30",
                                  "저장하기"]
    assert by_id[ids["today"]] == ["", "MMS", "사진 소식", sender, "2", "2", "0", "0", "완료", "2026-11-27 09:00",
                                   "저장하기"]
    assert by_id[ids["scheduled"]] == ["", "SMS", "내일 아침 배송", sender, "1", "0", "0", "1", "예약",
                                       "2026-11-28 09:00", "저장하기"]
    assert by_id[api_id][1] == "SMS API" and by_id[ids["week"]][1] == "SMS"
    assert "(연동API)" in text_of(client.get(f"/history/{api_id}"))
    # newest first
    assert [i for i, _ in listed(client)][:3] == [api_id, ids["scheduled"], ids["hour"]]
    with clock.frozen(NOW + HOUR):      # the scheduled send once cancelled
        client.post(f"/history/{ids['scheduled']}/cancel")
        assert dict(listed(client))[ids["scheduled"]][7:9] == ["-", "취소"]
    # the content column is cut
    long_id = send_at(app, client, customer, NOW, phones(8), body="아주 긴 내용이 들어 있는 문자입니다 끝까지 보이지 않아요")
    cut = dict(listed(client))[long_id][2]
    assert cut.endswith("...") and "아주 긴 내용이 들어 있는 문자입니다 끝까지 보이지 않아요".startswith(cut[:-3]) and len(cut) <= 24


def test_the_list_is_paginated_keeping_the_filters(app, client, customer):
    made = [send_at(app, client, customer, NOW - i * MINUTE, phones(1), body=f"공지 {i:02d}") for i in range(25)]
    first, second = listed(client, "?q=공지"), listed(client, "?q=공지&page=2")
    assert [i for i, _ in first] == made[:20] and [i for i, _ in second] == made[20:]
    html = client.get("/history/?q=공지").get_data(as_text=True)
    assert re.search(r'href="/history/\?page=2&amp;q=%EA%B3%B5%EC%A7%80"', html)
    assert listed(client, "?q=공지&page=3") == []


# --- delete (RES-06: permanent, statistics follow, money stays) ------------------------------------------------

def rollups(app, account_id):
    with app.app_context():
        usage = {(u.day, u.msg_type): (u.requested, u.delivered, u.failed, u.charged)
                 for u in db.session.scalars(select(UsageRollup).where(UsageRollup.account_id == account_id))}
        cats = {(c.day, c.category): c.count
                for c in db.session.scalars(select(UsageCategoryRollup).where(UsageCategoryRollup.account_id ==
                                                                             account_id))}
        db.session.commit()
    return usage, cats


def test_selected_and_all_delete_permanently_except_in_progress_and_scheduled(app, client, customer):
    a = send_at(app, client, customer, NOW, phones(0, 90, 42), body="첫 번째")
    b = send_at(app, client, customer, NOW, phones(1), body="두 번째")
    finish(app, NOW)
    busy = send_at(app, client, customer, NOW + MINUTE, phones(2), body="진행 중")
    later = send_at(app, client, customer, NOW + MINUTE, phones(3), body="예약", use_schedule=True,
                    scheduled_at="2026-11-28T09:00")
    ledger_before = rows(app, LedgerEntry)
    usage, cats = rollups(app, customer.account_id)
    day = NOW.date()
    assert usage[(day, "SMS")] == (5, 3, 1, 60) and cats[(day, "power_off")] == 1

    # 선택삭제 with a busy send among them: refused, nothing deleted
    response = client.post("/history/delete", data={"send_id": [str(a), str(busy)]}, headers=JSON)
    assert response.status_code == 409
    assert count(app, Send) == 4
    response = client.post("/history/delete", data={"send_id": [str(a)]})
    assert response.status_code == 302 and "발송내역 1건을 삭제했습니다" in flashed(follow(client, response))
    assert count(app, Send, Send.id == a) == 0 and count(app, Message, Message.send_id == a) == 0
    assert count(app, SendCategoryCount, SendCategoryCount.send_id == a) == 0
    assert client.get(f"/history/{a}").status_code == 404
    # the statistics lose its counts; the won it cost and the ledger stay
    usage, cats = rollups(app, customer.account_id)
    assert usage[(day, "SMS")] == (2, 1, 0, 60) and cats[(day, "power_off")] == 0
    assert rows(app, LedgerEntry) == ledger_before

    # 전체삭제 of what the filter shows: the completed one goes, in progress and scheduled stay
    response = client.post("/history/delete", data={"all": "1", "period": "today"})
    assert "발송내역 1건을 삭제했습니다. 진행중이거나 예약된 발송은 삭제되지 않습니다." in flashed(follow(client, response))
    assert sorted(s["id"] for s in rows(app, Send)) == sorted([busy, later])        # b is gone
    assert rows(app, LedgerEntry) == ledger_before
    response = client.post("/history/delete", data={"send_id": []}, headers=JSON)
    assert response.status_code == 422


def test_the_selected_sends_export_to_excel_with_formula_injection_neutralised(app, client, customer):
    a = send_at(app, client, customer, NOW, phones(0, 90), body="=HYPERLINK(\"http://evil\",\"클릭\")")
    b = send_at(app, client, customer, NOW + MINUTE, phones(1), title="@제목", body="-" + "가" * 50)
    finish(app, NOW + MINUTE)
    send_at(app, client, customer, NOW + MINUTE, phones(2), body="고르지 않은 발송")
    response = client.post("/history/export.xlsx", data={"send_id": [str(a), str(b)]})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = read_xlsx(response.data)
    assert sheet[0] == ["발송일시(KST)", "유형", "제목", "내용", "발신번호", "발송건수", "성공", "실패", "대기", "상태",
                        "발송요금", "출처"]
    assert sheet[1] == ["2026-11-27 12:00", "SMS", None, "'=HYPERLINK(\"http://evil\",\"클릭\")", customer.phone,
                        2, 1, 1, 0, "완료", 20, "웹"]
    assert sheet[2][:4] == ["2026-11-27 12:01", "LMS", "'@제목", "'-" + "가" * 50]
    assert len(sheet) == 3 and "고르지 않은 발송" not in {r[3] for r in sheet}     # `other` was not chosen


# --- the detail and its breakdown (RES-03), every SMS category (issue 7) ------------------------------------------

#: last two digits -> category the sandbox gives an SMS (10-gateway.md GW-02); None = delivered
MAGIC = {90: "power_off", 91: "shadow_area", 92: "spam_rejected", 93: "wrong_number", 94: "optout_080",
         95: "network_or_device", 96: "message_error", 97: "other", 98: "other",
         0: None, 42: None, 89: None, 99: None}
SECOND_SENDER = "0212345678"


@pytest.fixture
def every_category(app, client, customer):
    """An ad to one number of every ending and one opted-out number, and a send whose
    sender number loses its approval before dispatch; run to the end (98 times out)."""
    numbers = phones(*MAGIC)
    listed_number = phones(10)[0]
    client.post("/optouts/add", data={"numbers": listed_number})
    approve_optout_number(app, customer.account_id, "0801234567")
    recipients = [{"phone": n, "name": f"수신자{i:02d}"} for i, n in enumerate(numbers + [listed_number])]
    ad = sent(client, customer, recipients, body="겨울 세일", is_ad=True, ad_company="메가마트",
              ad_optout="0801234567")
    add_sender_number(app, customer.account_id, SECOND_SENDER)
    revoked_numbers = phones(1, 2, 3)
    revoked = sent(client, customer, revoked_numbers, sender="02-1234-5678", body="대표번호 안내")
    revoke_sender_number(app, customer.account_id, SECOND_SENDER)
    complete(app)
    expected = {n: MAGIC[e] for n, e in zip(numbers, MAGIC)}
    expected[listed_number] = "optout_080"
    return {"ad": ad, "revoked": revoked, "expected": expected, "revoked_numbers": revoked_numbers,
            "by_ending": dict(zip(MAGIC, numbers)), "listed": listed_number}


def numbers_in_list(client, send_id, query) -> tuple[int, list[str]]:
    html = client.get(f"/history/{send_id}?show=1&{query}").get_data(as_text=True)
    total = int(re.search(r"<p>총 ([\d,]+)건</p>", html).group(1).replace(",", ""))
    listed_rows = [r for r in table_rows(html, "recipients")[1:] if len(r) == 8]
    return total, sorted(r[0] for r in listed_rows)


def numbers_in_export(client, send_id, query) -> list[list]:
    response = client.get(f"/history/{send_id}/export.xlsx?{query}")
    assert response.status_code == 200, query
    return read_xlsx(response.data)


def test_every_sms_category_shows_the_same_counts_in_breakdown_list_and_excel(app, client, every_category):
    ad, expected = every_category["ad"], every_category["expected"]
    failed = {n: c for n, c in expected.items() if c}
    delivered = sorted(n for n, c in expected.items() if c is None)
    counts = {code: sum(1 for c in failed.values() if c == code) for code in SMS_CATEGORIES}
    assert counts == {"power_off": 1, "shadow_area": 1, "spam_rejected": 1, "wrong_number": 1, "optout_080": 2,
                      "network_or_device": 1, "message_error": 1, "other": 2, "sender_number_error": 0,
                      "duplicate": 0}

    html = client.get(f"/history/{ad}").get_data(as_text=True)
    assert breakdown(html) == {"delivered": 4, "failed": 10, "pending": 0, **counts}
    assert breakdown(client.get(f"/history/{every_category['revoked']}").get_data(as_text=True)) == {
        "delivered": 0, "failed": 3, "pending": 0, **{c: 0 for c in SMS_CATEGORIES}, "sender_number_error": 3}

    for code, label in SMS_CATEGORIES.items():
        want = sorted(n for n, c in failed.items() if c == code)
        total, shown = numbers_in_list(client, ad, f"category={code}")
        assert (total, shown) == (len(want), [hyphenated(n) for n in want]), code
        sheet = numbers_in_export(client, ad, f"category={code}")
        assert sorted(r[0] for r in sheet[1:]) == want, code
        assert all(r[3] == "발송실패" and r[4] == label and r[8] == 0 for r in sheet[1:]), code
    total, shown = numbers_in_list(client, every_category["revoked"], "category=sender_number_error")
    assert (total, shown) == (3, [hyphenated(n) for n in sorted(every_category["revoked_numbers"])])
    sheet = numbers_in_export(client, every_category["revoked"], "category=sender_number_error")
    assert sorted(r[0] for r in sheet[1:]) == sorted(every_category["revoked_numbers"])
    assert {(r[4], r[8]) for r in sheet[1:]} == {("발신번호 오류", 0)}

    assert numbers_in_list(client, ad, "status=delivered") == (4, [hyphenated(n) for n in delivered])
    assert numbers_in_list(client, ad, "status=failed")[0] == 10
    assert numbers_in_list(client, ad, "status=pending") == (0, [])
    assert "선택한 결과에 해당하는 수신자가 없습니다" in text_of(client.get(f"/history/{ad}?show=1&status=pending"))
    union = sorted(delivered + [every_category["by_ending"][90]])
    assert numbers_in_list(client, ad, "status=delivered&category=power_off") == (5, [hyphenated(n) for n in union])
    assert len(numbers_in_export(client, ad, "status=delivered&category=power_off")) == 6
    assert len(numbers_in_export(client, ad, "")) == 15
    assert client.get(f"/history/{ad}?show=1&category=nonsense").status_code == 422


def test_the_per_recipient_excel_rows_carry_every_column(app, client, every_category):
    ad, ending = every_category["ad"], every_category["by_ending"]
    sheet = numbers_in_export(client, ad, "")
    assert sheet[0] == ["수신번호", "이름", "유형", "상태", "실패 분류", "결과 코드", "발송 시각(KST)", "결과 수신 시각(KST)",
                        "요금", "늦게 도착한 결과 코드", "늦게 도착한 결과 수신 시각(KST)"]
    by_number = {r[0]: r for r in sheet[1:]}
    assert by_number[ending[90]][1:] == ["수신자00", "SMS", "발송실패", "단말기 전원 꺼짐", "3001", "2026-11-27 12:00:00",
                                         "2026-11-27 12:00:05", 0, None, None]
    assert by_number[ending[42]][2:] == ["SMS", "발송성공", None, "0000", "2026-11-27 12:00:00",
                                         "2026-11-27 12:00:05", 20, None, None]
    assert by_number[ending[89]][7:9] == ["2026-11-27 12:30:00", 20]
    timeout = by_number[ending[98]]
    assert timeout[3:6] == ["발송실패", "기타", "TIMEOUT"] and timeout[8] == 0
    assert by_number[every_category["listed"]][3:7] == ["발송실패", "080 ARS 수신거부", "OPTOUT", None]


def test_the_detail_header_fields_and_preview(app, client, customer, every_category):
    ad = every_category["ad"]
    summary = dict((r[0], r[1]) for r in table_rows(client.get(f"/history/{ad}").get_data(as_text=True),
                                                  "send-summary"))
    assert summary == {"제목": "-", "발송일시": "2026-11-27 12:00", "발신번호": hyphenated(customer.phone),
                       "수신그룹": "-", "유형": "SMS", "상태": "완료", "발송요청건": "14건", "성공건수": "4건",
                       "실패건수": "10건", "대기건수": "0건", "발송요금": "80원 (실패 180원 환불)"}
    html = client.get(f"/history/{ad}").get_data(as_text=True)
    preview = html_unescape(re.search(r'id="send-preview">(.*?)</div>', html, re.S).group(1))
    assert preview == "(광고)메가마트\n겨울 세일\n무료거부 080-123-4567"

    lms = sent(client, customer, [{"phone": phones(5)[0], "name": "홍길동"}], title="연말 공지",
               body="#[이름]님, " + "가" * 50)
    html = client.get(f"/history/{lms}").get_data(as_text=True)
    summary = dict((r[0], r[1]) for r in table_rows(html, "send-summary"))
    assert (summary["제목"], summary["유형"], summary["상태"], summary["대기건수"], summary["발송요금"]) == \
        ("연말 공지", "LMS", "진행중", "1건", "0원 (현재까지 · 선차감 50원, 발송 완료 후 실패 건 환불)")
    assert breakdown(html)["pending"] == 1
    preview = html_unescape(re.search(r'id="send-preview">(.*?)</div>', html, re.S).group(1))
    assert preview.startswith("<strong>연말 공지</strong>\n") and "가" * 50 in preview


def test_resend_prefills_the_compose_page_with_the_content_and_the_checked_recipients(app, client, every_category):
    ad, expected = every_category["ad"], every_category["expected"]
    html = client.get(f"/sms/?resend={ad}&status=failed").get_data(as_text=True)
    assert "겨울 세일</textarea>" in html and 'value="메가마트"' in html and re.search(r'id="is-ad"\s+checked', html)
    prefill = prefilled_recipients(html)
    assert sorted(r["phone"] for r in prefill) == sorted(n for n, c in expected.items() if c)
    assert all(r["name"].startswith("수신자") for r in prefill)
    prefill = prefilled_recipients(client.get(f"/sms/?resend={ad}&category=power_off&category=shadow_area")
                                   .get_data(as_text=True))
    assert sorted(r["phone"] for r in prefill) == sorted([every_category["by_ending"][90],
                                                          every_category["by_ending"][91]])
    prefill = prefilled_recipients(client.get(f"/sms/?resend={ad}&status=delivered").get_data(as_text=True))
    assert len(prefill) == 4
    # the breakdown form's 재발송하기 button is a GET of that page with the checked boxes
    assert f'<input type="hidden" name="resend" value="{ad}">' in client.get(f"/history/{ad}").get_data(as_text=True)


def test_the_recipient_list_is_paginated_keeping_every_checked_category(app, client, customer):
    numbers = phones(*([90] * 30 + [91] * 30 + [0] * 5))
    send_id = sent(client, customer, numbers)
    finish(app, NOW)
    query = "category=power_off&category=shadow_area"
    total, first = numbers_in_list(client, send_id, query)
    assert (total, len(first)) == (60, 50)
    html = client.get(f"/history/{send_id}?show=1&{query}").get_data(as_text=True)
    link = html_unescape(re.search(r'<a href="([^"]*page=2[^"]*)">2</a>', html).group(1))
    assert "category=power_off" in link and "category=shadow_area" in link
    page2 = client.get(link).get_data(as_text=True)
    assert "<p>총 60건</p>" in page2
    shown = [r for r in table_rows(page2, "recipients")[1:] if len(r) == 8]
    assert len(shown) == 10 and not set(r[0] for r in shown) & set(first)


# --- reservations (RES-07) ------------------------------------------------------------------------------------

def test_reservations_list_scheduled_sends_and_cancel_refunds_at_once(app, client, customer):
    before = balance(app, customer.account_id)
    numbers = phones(1, 2, 3)
    send_id = sent(client, customer, numbers, body="내일 오픈합니다", use_schedule=True, scheduled_at="2026-11-28T09:00")
    now_numbers = phones(4)
    now_id = sent(client, customer, now_numbers, body="지금 보냅니다")
    assert balance(app, customer.account_id) == (before[0] - 4 * PRICES["SMS"], 0)
    table = table_rows(client.get("/history/reservations").get_data(as_text=True), "reservations")
    assert table[1:] == [["2026-11-28 09:00", "SMS", "내일 오픈합니다", hyphenated(customer.phone), "3명", "60원", "취소"]]
    assert f'action="/history/{send_id}/cancel"' in client.get("/history/reservations").get_data(as_text=True)

    response = client.post(f"/history/{send_id}/cancel", headers={"Referer": "/history/reservations"})
    assert response.status_code == 302
    assert "예약 발송을 취소했습니다" in flashed(follow(client, response))
    assert balance(app, customer.account_id) == (before[0] - PRICES["SMS"], 0)
    row = one(app, Send, Send.id == send_id)
    assert (row["status"], row["refunded_amount"], row["cancelled_at"]) == ("cancelled", 60, NOW)
    assert "예약된 문자 발송이 없습니다" in text_of(client.get("/history/reservations"))
    for target in (send_id, now_id):
        response = client.post(f"/history/{target}/cancel", headers=JSON)
        assert response.status_code == 409 and "예약 발송만 취소할 수 있습니다" in response.get_json()["error"]["message"]
    # its time comes and nothing is sent
    tick(app, kst(2026, 11, 28, 9, 0, 5))
    work(app, kst(2026, 11, 28, 9, 0, 5))
    assert {r["recipient"] for r in rows(app, SandboxMessage)} == set(now_numbers)
    assert one(app, Send, Send.id == send_id)["status"] == "cancelled"


# --- retention (RES-06) ---------------------------------------------------------------------------------------

def test_the_nightly_tick_purges_history_older_than_12_months_and_keeps_the_money(app, client, customer):
    old_time, recent_time = NOW - 400 * DAY, NOW - 300 * DAY
    old = send_at(app, client, customer, old_time, phones(0, 90, 98), body="작년 공지")
    complete(app, old_time)
    cancelled = send_at(app, client, customer, old_time + HOUR, phones(1), body="작년 예약",
                        use_schedule=True, scheduled_at=(clock.to_kst(old_time) + DAY).strftime("%Y-%m-%dT%H:%M"))
    with clock.frozen(old_time + 2 * HOUR):
        client.post(f"/history/{cancelled}/cancel")
    recent = send_at(app, client, customer, recent_time, phones(0, 91), body="올해 공지")
    complete(app, recent_time)
    old_day, recent_day = clock.to_kst(old_time).date(), clock.to_kst(recent_time).date()
    usage, cats = rollups(app, customer.account_id)
    assert usage[(old_day, "SMS")] == (3, 1, 2, 20) and cats[(old_day, "other")] == 1
    assert usage[(recent_day, "SMS")] == (2, 1, 1, 20)
    ledger_before = rows(app, LedgerEntry)
    money_before = balance(app, customer.account_id)

    result = tick(app, NOW)
    assert "purge_history" in result
    assert [s["id"] for s in rows(app, Send)] == [recent]
    assert count(app, Message, Message.send_id.in_([old, cancelled])) == 0
    assert count(app, SendCategoryCount, SendCategoryCount.send_id == old) == 0
    usage, cats = rollups(app, customer.account_id)
    assert usage[(old_day, "SMS")] == (0, 0, 0, 20)      # the counts leave the statistics, the won stay
    assert cats[(old_day, "other")] == 0 and cats[(old_day, "power_off")] == 0
    assert usage[(recent_day, "SMS")] == (2, 1, 1, 20)
    assert rows(app, LedgerEntry) == ledger_before and balance(app, customer.account_id) == money_before
    assert client.get(f"/history/{old}").status_code == 404
    assert client.get("/history/?period=custom&from=2025-11-27&to=2026-11-27").status_code == 200


def test_deleting_a_send_deletes_its_exports_and_images_for_good(app, client, customer):
    """RES-06: permanent means the job-built export file and the MMS image go too; their
    download URLs answer 404 and the bytes leave the disk."""
    from app.models import ExportJob, StoredFile
    from app.services.history import exports
    from app.services.shared import files as stored_files
    picture = client.post("/sms/images", data={"image": (io.BytesIO(jpeg((200, 100))), "p.jpg")},
                          content_type="multipart/form-data", headers=JSON).get_json()
    send_id = sent(client, customer, phones(1, 2), body="사진 안내", title="사진", image_ids=[picture["image_id"]])
    complete(app)
    with app.app_context():
        job = exports.start_messages_export(account_id=customer.account_id, send_id=send_id, states=[],
                                                categories=[], now=NOW)
        job_id = job.id
    work(app, NOW)
    [export] = rows(app, ExportJob)
    assert (export["status"], export["send_id"]) == ("done", send_id)
    download = client.get(f"/exports/{job_id}/download")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "private, no-store"
    kept = rows(app, StoredFile, StoredFile.kind.in_(["export", "mms_image"]))
    assert {f["kind"] for f in kept} == {"export", "mms_image"}
    with app.app_context():
        paths = [stored_files._upload_dir() / f["stored_name"] for f in kept]
    assert all(p.exists() for p in paths)

    response = client.post("/history/delete", data={"send_id": [str(send_id)]})
    assert response.status_code == 302
    assert client.get(f"/exports/{job_id}/download").status_code == 404
    assert client.get(f"/exports/{job_id}").status_code == 404
    assert count(app, ExportJob) == 0 and count(app, StoredFile, StoredFile.kind.in_(["export", "mms_image"])) == 0
    assert not any(p.exists() for p in paths)
    assert count(app, StoredFile, StoredFile.kind == "mms_draft") == 1      # the draft upload stays


def test_resend_of_an_mms_ad_brings_its_images_and_its_080_number(app, client, customer):
    approve_optout_number(app, customer.account_id, "0809998888")
    picture = client.post("/sms/images", data={"image": (io.BytesIO(jpeg((200, 100))), "p.jpg")},
                          content_type="multipart/form-data", headers=JSON).get_json()
    send_id = sent(client, customer, phones(1), body="겨울 세일", title="사진", image_ids=[picture["image_id"]],
                   is_ad=True, ad_company="메가마트", ad_optout="0809998888")
    complete(app)
    html = client.get(f"/sms/?resend={send_id}").get_data(as_text=True)
    assert 'value="0809998888"' in html
    images = json.loads(re.search(r"prefillImages: (\[.*?\]),?\n", html).group(1))
    [sent_image] = rows(app, SendImage)
    assert [i["image_id"] for i in images] == [sent_image["file_id"]]
    assert client.get(f"/files/{sent_image['file_id']}").status_code == 200
    # and sending it again makes an MMS with a copy of the picture
    again = sent(client, customer, phones(3), body="겨울 세일", title="사진", image_ids=[sent_image["file_id"]],
                 is_ad=True, ad_company="메가마트", ad_optout="0809998888")
    assert one(app, Send, Send.id == again)["msg_type"] == "MMS"


def test_a_late_result_shows_its_code_and_time_in_the_detail_and_the_excel_file(app, client, customer):
    """RES-01: a result arriving after the 49-hour timeout is kept, code and time shown."""
    send_id = sent(client, customer, phones(98), body="늦은 결과")      # ...98: never reported, times out
    complete(app)
    late = NOW + 60 * HOUR
    with app.app_context():                     # the carrier's report arrives after all, as the tick applies it
        [message_id] = db.session.scalars(select(Message.id).where(Message.send_id == send_id)).all()
        assert reports.apply_reports([Report(str(message_id), "0000", late)], late)["late"] == 1
        db.session.commit()
    shown = clock.to_kst(late).strftime("%Y-%m-%d %H:%M:%S")
    html = text_of(client.get(f"/history/{send_id}?show=1"))
    assert f"늦은 결과 0000, {shown} 수신" in html
    sheet = numbers_in_export(client, send_id, "")
    assert sheet[0][-2:] == ["늦게 도착한 결과 코드", "늦게 도착한 결과 수신 시각(KST)"]
    assert sheet[1][-2:] == ["0000", shown]


def test_the_retention_purge_goes_on_until_nothing_old_is_left(app, client, customer):
    old_time = NOW - 400 * DAY
    ids = [send_at(app, client, customer, old_time + i * MINUTE, phones(i), body=f"작년 {i}") for i in range(5)]
    complete(app, old_time + 5 * MINUTE)
    with app.app_context():
        from app.services.history import retention
        assert retention.purge_expired(NOW, batch=2) == 5
        assert retention.purge_expired(NOW, batch=2) == 0
    assert count(app, Send, Send.id.in_(ids)) == 0
