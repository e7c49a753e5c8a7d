"""The compose page's server side (SMS-02..07, SMS-11, SMS-12, SMS-14): the quote the
confirmation dialog shows, refusals as 4xx JSON naming the field, address-book groups
and contacts as recipients, MMS images, and exactly one send per compose token."""
import io
import os
import threading

import pytest
from PIL import Image
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import ApiRequest, LedgerEntry, Message, SandboxMessage, Send, SendImage
from app.services.contacts import address_book
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    JSON,
    NOW,
    PRICES,
    client,
    complete,
    count,
    error_of,
    kst,
    one,
    payload,
    phones,
    pinned,
    quote,
    raise_daily_cap,
    rows,
    send,
    sent,
)
from tests.support.factories import approve_optout_number, make_customer
from tests.support.uploads import jpeg, png
from tests.support.web import logged_in, text_of


@pytest.fixture
def customer(app):
    return make_customer(app, cash=1_000, points=300)


def image(client, data: bytes, name: str = "photo.jpg"):
    return client.post("/sms/images", data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                       headers=JSON)


def noise_jpeg(size, quality=95) -> bytes:
    """A JPEG that does not compress well (random pixels)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# --- the quote (SMS-02, SMS-11) --------------------------------------------------------------------------

def test_quote_shows_type_unit_price_recipients_hold_and_what_remains(app, client, customer):
    numbers = phones(1, 2, 3)
    response = quote(client, customer, [numbers[0], f"{numbers[1][:3]}-{numbers[1][3:7]}-{numbers[1][7:]}",
                                        numbers[2], numbers[0], "02-123-4567"], title="제목은 빠집니다")
    assert response.status_code == 200, response.get_json()
    q = response.get_json()
    assert (q["type"], q["unit_price"], q["recipients"], q["hold"]) == ("SMS", 20, 3, 60)
    assert (q["cash"], q["points"], q["remaining"], q["enough"]) == (1_000, 300, 1_000 + 300 - 60, True)
    assert (q["duplicates"], q["rejected_count"], q["title_dropped"], q["scheduled_at"]) == (1, 1, True, None)
    assert q["rejected"][0]["phone"] == "02-123-4567"
    # over 90 bytes: LMS at its price; the quote writes nothing
    q = quote(client, customer, numbers, body="가" * 46, title="안내").get_json()
    assert (q["type"], q["unit_price"], q["hold"], q["remaining"], q["bytes"]) == ("LMS", 50, 150, 1_150, 92)
    assert q["title_dropped"] is False
    assert count(app, Send) == 0 and count(app, LedgerEntry, LedgerEntry.kind == "hold") == 0


def test_quote_says_when_the_balance_is_short_and_the_send_is_refused_naming_the_shortfall(app):
    poor = make_customer(app, cash=30, points=10)
    client = logged_in(app, poor.login, poor.password)
    q = quote(client, poor, phones(1, 2, 3)).get_json()
    assert (q["hold"], q["remaining"], q["enough"]) == (60, -20, False)
    response = send(client, poor, phones(1, 2, 3))
    assert response.status_code == 422
    assert "부족 20원" in error_of(response)["message"]
    assert count(app, Send) == 0


def test_an_ad_is_wrapped_counted_and_refused_at_night(app, client, customer):
    approve_optout_number(app, customer.account_id, "080-123-4567")      # an own 080 number: no code (SND-09)
    body = "겨울 세일 50%"
    q = quote(client, customer, phones(1), body=body, is_ad=True, ad_company="메가마트",
              ad_optout="080-123-4567").get_json()
    wrapped = f"(광고)메가마트\n{body}\n무료거부 080-123-4567"
    assert q["type"] == "SMS" and q["bytes"] == len(wrapped.encode("cp949"))
    send_id = sent(client, customer, phones(1), body=body, is_ad=True, ad_company="메가마트", ad_optout="0801234567")
    complete(app)
    with app.app_context():
        assert db.session.scalar(select(SandboxMessage.text)) == wrapped
    with clock.frozen(kst(2026, 11, 27, 21, 30)):
        response = send(client, customer, phones(2), body=body, is_ad=True, ad_company="메가마트",
                        ad_optout="0801234567")
    assert response.status_code == 422 and "심야(21시~08시)" in error_of(response)["message"]
    assert [s["id"] for s in rows(app, Send)] == [send_id]        # the night one was not written


def test_a_schedule_from_10_minutes_to_30_days_ahead(app, client, customer):
    for at, ok in (("2026-11-27T12:05", False), ("2026-11-27T12:11", True), ("2026-12-27T11:59", True),
                   ("2026-12-27T12:01", False)):
        response = quote(client, customer, phones(1), use_schedule=True, scheduled_at=at)
        if ok:
            assert response.get_json()["scheduled_at"] == at.replace("T", " "), at
        else:
            assert response.status_code == 422 and error_of(response)["field"] == "예약시간", at
    send_id = sent(client, customer, phones(1), use_schedule=True, scheduled_at="2026-11-28T09:00")
    row = one(app, Send, Send.id == send_id)
    assert (row["status"], row["scheduled_at"]) == ("scheduled", kst(2026, 11, 28, 9, 0))
    # a time that names its offset is read as the API reads it, not as KST wall time
    q = quote(client, customer, phones(2), use_schedule=True, scheduled_at="2026-11-28T00:00:00Z").get_json()
    assert q["scheduled_at"] == "2026-11-28 09:00"


def test_an_ad_without_a_080_number_takes_the_accounts_default_as_the_api_does(app, client, customer):
    """SMS-06/SMS-08/SND-09: a blank 무료거부 number is the 마이페이지 default, on the page
    too; without one, the shared number with the account's code."""
    ad = dict(body="겨울 세일", is_ad=True, ad_company="메가마트", ad_optout="")
    first = sent(client, customer, phones(1), **ad)
    assert one(app, Send, Send.id == first)["ad_optout"] == "0801231234"
    approve_optout_number(app, customer.account_id, "080-222-3333")
    with app.app_context():
        from app.services.accounts import accounts
        accounts.update_sending_settings(account_id=customer.account_id, duplicate_protection=True,
                                         optout_number="080-222-3333")
    send_id = sent(client, customer, phones(2), **ad)
    assert one(app, Send, Send.id == send_id)["ad_optout"] == "0802223333"


REFUSALS = [
    ({"body": "   "}, "내용", "required"),
    ({"body": "안녕하세요 😀"}, "내용", "unsupported_character"),
    ({"body": "가" * 1001}, "내용", "byte_limit"),
    ({"recipients": []}, "수신자", "required"),
    ({"recipients": [{"phone": "02-123-4567"}]}, "수신자", "invalid_number"),
    ({"recipients": [{"phone": f"0102{i:07d}"} for i in range(1001)]}, "수신자", "too_many_recipients"),
    ({"sender": ""}, "발신번호", "required"),
    ({"sender": "010-9999-0000"}, "발신번호", "sender_not_approved"),
    ({"is_ad": True, "ad_company": "", "ad_optout": "0801234567"}, "광고 업체명", "ad_company_required"),
    ({"is_ad": True, "ad_company": "메가", "ad_optout": "02-123-4567"}, "무료거부 번호", "invalid_optout"),
    ({"use_schedule": True, "scheduled_at": ""}, "예약시간", "required"),
    ({"use_schedule": True, "scheduled_at": "내일 아침"}, "예약시간", "invalid_date"),
    ({"use_schedule": True, "scheduled_at": "0001-01-01T00:00"}, "예약시간", "invalid_date"),   # no 500
    ({"use_schedule": True, "scheduled_at": ["2026-11-28T09:00"]}, "예약시간", "invalid_type"),
    # wrongly typed JSON from a script: 422 naming the field, never a 500
    ({"body": ["안녕하세요"]}, "내용", "invalid_type"),
    ({"title": 5, "body": "가" * 50}, "제목", "invalid_type"),
    ({"is_ad": True, "ad_company": 123, "ad_optout": "0801234567"}, "업체명", "invalid_type"),
    ({"is_ad": True, "ad_company": "메가", "ad_optout": 801234567}, "무료거부 번호", "invalid_type"),
    ({"image_ids": 5}, "이미지첨부", "invalid_type"),
    ({"recipients": "01023450001"}, "수신자", "invalid_type"),
    ({"recipients": [{"phone": "01023450001", "vars": "abc"}]}, "수신자", "invalid_type"),
    ({"recipients": [{"phone": "01023450001", "name": 5}], "body": "#[이름]님"}, "수신자", "invalid_type"),
    ({"recipients": [["01023450001"]]}, "수신자", "invalid_type"),
    ({"group_ids": 7}, "주소록 그룹", "invalid_type"),
    ({"title": "#[이름]님 안내", "body": "가" * 50,
      "recipients": [{"phone": "01023450001", "name": "가" * 20}]}, "제목", "byte_limit"),
    ({"title": "가" * 16, "body": "가" * 50}, "제목", "byte_limit"),
    ({"group_ids": ["abc"]}, "주소록", "invalid"),
    ({"compose_token": "short"}, "요청", "missing_token"),
]


@pytest.mark.parametrize("changes,field,code", REFUSALS, ids=[f"{r[1]}-{r[2]}" for r in REFUSALS])
def test_refusals_are_4xx_json_naming_the_field_and_write_nothing(app, client, customer, changes, field, code):
    base = {"recipients": [{"phone": p} for p in phones(1)]}
    for url in ("/sms/quote", "/sms/send"):
        if url == "/sms/quote" and code == "missing_token":
            continue
        response = client.post(url, json={**payload(customer), **base, **changes}, headers=JSON)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        error = error_of(response)
        assert (error["field"], error["code"]) == (field, code), (url, error)
        assert error["message"]
    assert count(app, Send) == 0 and count(app, ApiRequest) == 0


def test_the_quote_refuses_what_the_send_would_refuse_before_the_dialog_opens(app, client, customer):
    """SMS-11: the dialog opens on a quote; a send it would refuse (daily cap, ACC-10)
    is refused there already, naming the remaining allowance."""
    raise_daily_cap(app, customer.account_id, 2)
    for response in (quote(client, customer, phones(1, 2, 3)), send(client, customer, phones(1, 2, 3))):
        assert response.status_code == 422
        error = error_of(response)
        assert (error["code"], error["field"]) == ("daily_cap_exceeded", "수신자") and "2건" in error["message"]
    assert quote(client, customer, phones(1, 2)).status_code == 200
    assert count(app, Send) == 0


def test_the_hold_quoted_is_the_hold_taken_opted_out_and_repeated_numbers_free(app, client, customer):
    """SMS-11 / WAL-06: the dialog's 선차감 counts only the recipients that will be
    sent, as accept() does: numbers on the opt-out list (an ad) and numbers that got the
    same text within the hour cost nothing and are named."""
    numbers = phones(1, 2, 3)
    client.post("/optouts/add", data={"numbers": numbers[0]})
    approve_optout_number(app, customer.account_id, "0801234567")
    ad = dict(is_ad=True, ad_company="메가마트", ad_optout="0801234567", body="겨울 세일")
    sent(client, customer, [numbers[1]], **ad)
    q = quote(client, customer, numbers, **ad).get_json()
    assert (q["recipients"], q["optouts"], q["duplicate_sends"], q["hold"]) == (3, 1, 1, 20)
    assert q["remaining"] == 1_000 + 300 - 20 - 20
    send_id = sent(client, customer, numbers, **ad)
    assert one(app, Send, Send.id == send_id)["hold_amount"] == q["hold"]


def test_the_dialog_is_enough_when_only_the_sendable_recipients_are_covered(app):
    poor = make_customer(app, cash=20)
    client = logged_in(app, poor.login, poor.password)
    numbers = phones(4, 5)
    client.post("/optouts/add", data={"numbers": numbers[0]})
    approve_optout_number(app, poor.account_id, "0801234567")
    q = quote(client, poor, numbers, is_ad=True, ad_company="메가마트", ad_optout="0801234567").get_json()
    assert (q["hold"], q["enough"]) == (20, True)


def test_a_title_with_variables_counts_only_when_kept_and_then_rendered(app, client, customer):
    """SMS-05 with the 30-byte title: an SMS drops the title, so its variables need no
    values; an LMS title is checked as each recipient gets it."""
    q = quote(client, customer, [{"phone": phones(1)[0]}], title="#[1] 안내", body="짧은 글").get_json()
    assert (q["type"], q["title_dropped"]) == ("SMS", True)
    q = quote(client, customer, [{"phone": phones(1)[0], "name": "김철수"}], title="#[이름]님 안내",
              body="가" * 50).get_json()
    assert q["type"] == "LMS"


def test_an_oversized_image_is_refused_naming_its_real_size(app, client):
    big = noise_jpeg((1000, 1000))
    assert len(big) > 600 * 1024
    error = error_of(image(client, big))
    assert error["code"] == "image_too_large" and f"현재 {len(big) // 1024}KB" in error["message"]


def test_a_body_that_is_not_a_json_object_is_refused(app, client):
    for data in ("[1, 2]", "not json"):
        response = client.post("/sms/send", data=data, content_type="application/json", headers=JSON)
        assert response.status_code == 422 and error_of(response)["field"] == "요청"


# --- address-book recipients (SMS-12) ---------------------------------------------------------------------

def test_groups_and_contacts_are_recipients_and_the_send_records_the_group_names(app, client, customer):
    a, b, c, d = phones(1, 2, 3, 4)
    with app.app_context():
        vip = address_book.create_group(account_id=customer.account_id, name="VIP 고객", now=NOW).id
        normal = address_book.create_group(account_id=customer.account_id, name="일반", now=NOW).id
        other = address_book.create_group(account_id=customer.account_id, name="기타", now=NOW).id
        address_book.add_contact(account_id=customer.account_id, group_id=vip, form={"name": "가", "phone": a,
                                                                                   "var1": "골드"}, now=NOW)
        address_book.add_contact(account_id=customer.account_id, group_id=vip, form={"name": "나", "phone": b,
                                                                                   "var1": "실버"}, now=NOW)
        address_book.add_contact(account_id=customer.account_id, group_id=normal, form={"name": "다", "phone": c,
                                                                                      "var1": "일반"}, now=NOW)
        address_book.add_contact(account_id=customer.account_id, group_id=normal, form={"name": "가", "phone": a,
                                                                                      "var1": "골드"}, now=NOW)
        picked = address_book.add_contact(account_id=customer.account_id, group_id=other,
                                      form={"name": "라", "phone": d, "var1": "브론즈"}, now=NOW).id
    book = client.get("/sms/address-book", headers=JSON).get_json()
    assert [(g["name"], g["count"]) for g in book["groups"]] == [("VIP 고객", 2), ("기타", 1), ("일반", 2)]
    # each group's first member, as a send takes them: the page's preview (SMS-10)
    assert [g["first"] for g in book["groups"]] == [{"name": "가", "vars": {"1": "골드"}},
                                                     {"name": "라", "vars": {"1": "브론즈"}},
                                                     {"name": "다", "vars": {"1": "일반"}}]
    found = client.get("/sms/address-book?q=라", headers=JSON).get_json()
    assert [(x["name"], x["phone"], x["vars"]) for x in found["contacts"]] == [("라", d, {"1": "브론즈"})]

    body = "#[이름]님은 #[1] 등급입니다."
    q = quote(client, customer, body=body, group_ids=[vip, normal], contact_ids=[picked]).get_json()
    assert (q["recipients"], q["duplicates"]) == (4, 1)
    send_id = sent(client, customer, body=body, group_ids=[vip, normal], contact_ids=[picked])
    assert one(app, Send, Send.id == send_id)["group_names"] == "VIP 고객, 일반"
    assert "수신그룹 VIP 고객, 일반" in text_of(client.get(f"/history/{send_id}"))
    complete(app)
    with app.app_context():
        texts = {m.recipient: m.text for m in db.session.scalars(select(SandboxMessage))}
    assert texts == {a: "가님은 골드 등급입니다.", b: "나님은 실버 등급입니다.", c: "다님은 일반 등급입니다.",
                     d: "라님은 브론즈 등급입니다."}


def test_a_contact_id_that_is_gone_is_refused_naming_the_address_book(app, client, customer):
    response = quote(client, customer, contact_ids=[424242])
    assert response.status_code == 422 and error_of(response)["field"] == "주소록"


# --- images: MMS (SMS-02, SMS-14) ---------------------------------------------------------------------------

def test_a_jpeg_makes_it_mms_and_the_stored_image_is_sent(app, client, customer):
    response = image(client, jpeg((800, 600)))
    assert response.status_code == 200, response.get_json()
    img = response.get_json()
    assert (img["width"], img["height"]) == (800, 600)
    q = quote(client, customer, phones(1, 2), body="짧은 글", image_ids=[img["image_id"]]).get_json()
    assert (q["type"], q["unit_price"], q["hold"]) == ("MMS", PRICES["MMS"], 2 * PRICES["MMS"])
    send_id = sent(client, customer, phones(1, 2), body="짧은 글", title="사진", image_ids=[img["image_id"]])
    row = one(app, Send, Send.id == send_id)
    assert (row["msg_type"], row["title"], row["hold_amount"]) == ("MMS", "사진", 300)
    assert count(app, SendImage, SendImage.send_id == send_id) == 1
    complete(app)
    assert {r["image_count"] for r in rows(app, SandboxMessage)} == {1}


@pytest.mark.parametrize("name,data,code,words", [
    ("photo.png", png((40, 40)), "invalid_image", "jpg/jpeg"),
    ("photo.jpg", png((40, 40)), "invalid_image", "jpg/jpeg"),
    ("empty.jpg", b"", "invalid_image", "빈 파일"),
    ("broken.jpg", jpeg((300, 300))[:200], "invalid_image", "손상된"),
    ("wide.jpg", jpeg((1600, 100)), "image_too_large", "1500*1500px"),
    ("heavy.jpg", noise_jpeg((700, 700)), "image_too_large", "300KB"),
])
def test_images_are_checked_on_upload_with_clear_messages(app, client, name, data, code, words):
    response = image(client, data, name)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, "이미지첨부") and words in error["message"], error


def test_at_most_three_images(app, client, customer):
    ids = [image(client, jpeg((100 + i, 100))).get_json()["image_id"] for i in range(4)]
    q = quote(client, customer, phones(1), image_ids=ids[:3]).get_json()
    assert q["type"] == "MMS"
    response = send(client, customer, phones(1), image_ids=ids)
    assert response.status_code == 422 and "최대 3장" in error_of(response)["message"]
    assert count(app, Send) == 0


# --- one send per compose token (SMS-11) -------------------------------------------------------------------

def test_the_same_token_twice_sends_once_and_answers_the_same(app, client, customer):
    body = payload(customer, phones(1, 2))
    first = client.post("/sms/send", json=body, headers=JSON)
    second = client.post("/sms/send", json=body, headers=JSON)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert count(app, Send) == 1 and count(app, Message) == 2
    assert count(app, LedgerEntry, LedgerEntry.kind == "hold") == 1
    # the same token with another body: a conflict, nothing sent
    response = client.post("/sms/send", json={**body, "body": "다른 내용"}, headers=JSON)
    assert response.status_code == 409 and error_of(response)["code"] == "idempotency_conflict"
    assert count(app, Send) == 1


def test_a_double_click_racing_two_requests_sends_once(app, customer):
    body = payload(customer, phones(1, 2, 3))
    clients = [logged_in(app, customer.login, customer.password) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    answers = []
    lock = threading.Lock()

    def click(c):
        barrier.wait()
        response = c.post("/sms/send", json=body, headers=JSON)
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [status for status, _ in answers] == [201] * len(clients), answers
    assert len({a["send_id"] for _, a in answers}) == 1
    assert count(app, Send) == 1 and count(app, Message) == 3
    assert count(app, LedgerEntry, LedgerEntry.kind == "hold") == 1


def test_typed_numbers_are_checked_as_the_send_checks_them(app):
    """Issue 12: the page asks before a typed number becomes a recipient (SMS-04)."""
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    answer = client.post("/sms/recipients/check", json={"numbers": ["12345", "010-2345-6701", "+82 10 2345 6702"]})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["accepted"] == [{"phone": "010-2345-6701", "normalized": "01023456701"},
                                {"phone": "+82 10 2345 6702", "normalized": "01023456702"}]
    assert [r["phone"] for r in body["rejected"]] == ["12345"] and body["rejected"][0]["reason"]
    too_many = client.post("/sms/recipients/check", json={"numbers": ["01023456701"] * 1001},
                           headers={"Accept": "application/json"})
    assert too_many.status_code == 422 and "1,000명" in too_many.get_json()["error"]["message"]
    assert client.post("/sms/recipients/check", json=["x"]).status_code in (400, 422)
