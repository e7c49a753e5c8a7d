"""The integration API /api/v1 (09-api.md): keys (API-01), limits (API-02), idempotency
(API-03), errors (API-04) and every endpoint (API-05). SEC-01 for the API (every route
with its cross-tenant proof, every route in /openapi.json) is in test_api_tenancy.py,
the schemathesis run (SEC-04) in test_api_schema.py."""
import base64
import datetime as dt
import io
import random
import threading

import pytest
from PIL import Image
from sqlalchemy import select

from app import clock
from app.errors import Forbidden
from app.extensions import db
from app.models import ApiKey, ApiRequest, Send
from app.services.accounts import api_keys
from tests.support.api import HANGUL, error_of, post_sms, sms_body
from tests.support.factories import make_customer
from tests.support.pipeline import (NOW, accept, add_sender_number, api_customer, balance, bearer, count, kst, new_key,
                                    phones, run_to_completion, sandbox_rows, send_row, set_daily_cap, suspend, tick,
                                    work)

SECOND, MINUTE, HOUR = dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1)


@pytest.fixture
def api(app):
    """(app, client, customer, key) with 100,000 won of cash, the clock pinned at NOW."""
    customer, key = api_customer(app, cash=100_000)
    with clock.frozen(NOW):
        yield app, app.test_client(), customer, key


# --- API-01 keys -----------------------------------------------------------------------------------------------

def test_api01_only_an_account_approved_for_the_api_can_create_a_key(app):
    for kind in ("individual", "corporate"):
        customer = make_customer(app, kind=kind)
        with app.app_context(), pytest.raises(Forbidden) as info:
            api_keys.create(account_id=customer.account_id, name="서버", now=NOW)
        assert info.value.code == "api_not_approved" and "API 사용이 승인된 계정만" in info.value.message
    assert count(app, ApiKey) == 0


def test_api01_a_key_is_shown_once_and_stored_hashed(app):
    customer, key = api_customer(app)
    with app.app_context():
        [stored] = db.session.scalars(select(ApiKey)).all()
        columns = [str(getattr(stored, c.key)) for c in ApiKey.__table__.columns]
        assert key.startswith("mb_") and len(key) > 30
        assert all(key not in value for value in columns) and stored.prefix == key[:10]
        assert stored.key_hash != key and len(stored.key_hash) == 64


def test_api01_missing_wrong_and_revoked_keys_answer_401(api):
    app, client, customer, key = api
    assert client.get("/api/v1/balance", headers=bearer(key)).status_code == 200
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
                    bearer("mb_" + "x" * 40), bearer(key + "x"), bearer("x" * 500)):
        error_of(client.get("/api/v1/balance", headers=headers), 401, "unauthorized", None)
    with app.app_context():
        key_id = db.session.scalar(select(ApiKey.id))
        api_keys.revoke(account_id=customer.account_id, key_id=key_id, now=NOW)
    error = error_of(client.get("/api/v1/balance", headers=bearer(key)), 401, "unauthorized")
    assert "폐기" in error["message"]
    error_of(post_sms(client, key, sms_body(customer, phones(1))), 401, "unauthorized")
    assert count(app, Send) == 0


def test_api01_a_key_limited_to_an_ip_allowlist(app):
    customer, key = api_customer(app, ip_allowlist="203.0.113.0/24, 198.51.100.7")
    client = app.test_client()
    error_of(client.get("/api/v1/balance", headers=bearer(key)), 401, "unauthorized")     # from 127.0.0.1
    for address in ("203.0.113.9", "198.51.100.7"):
        response = client.get("/api/v1/balance", headers=bearer(key), environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200, address
    error_of(client.get("/api/v1/balance", headers=bearer(key), environ_base={"REMOTE_ADDR": "198.51.100.8"}),
             401, "unauthorized")
    with app.app_context(), pytest.raises(Exception) as info:
        api_keys.create(account_id=customer.account_id, name="x", now=NOW, ip_allowlist="203.0.113.300")
    assert getattr(info.value, "code", None) == "invalid_ip"


def test_api01_a_suspended_account_gets_403(api):
    app, client, customer, key = api
    suspend(app, customer.account_id, reason="스팸 신고 접수")
    error = error_of(client.get("/api/v1/balance", headers=bearer(key)), 403, "account_suspended", None)
    assert "스팸 신고 접수" in error["message"]
    error_of(post_sms(client, key, sms_body(customer, phones(1))), 403, "account_suspended")
    assert count(app, Send) == 0


def test_api01_the_cli_creates_a_key_that_works(app):
    customer, _ = api_customer(app)
    result = app.test_cli_runner().invoke(args=["megabird", "api-key", "create", customer.login, "--name", "배치"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("api_key=")]
    key = line.removeprefix("api_key=")
    response = app.test_client().get("/api/v1/balance", headers=bearer(key))
    assert response.status_code == 200 and response.get_json() == {"cash": 100_000, "points": 0}
    # an account without API approval, and a login without an account, are refused clearly
    plain = make_customer(app)
    refused = app.test_cli_runner().invoke(args=["megabird", "api-key", "create", plain.login])
    assert refused.exit_code != 0 and "API 사용이 승인된 계정만" in refused.output
    nobody = app.test_cli_runner().invoke(args=["megabird", "api-key", "create", "no-such-login"])
    assert nobody.exit_code != 0 and "고객 계정이 있는 로그인이 아닙니다" in nobody.output


# --- API-03 idempotency --------------------------------------------------------------------------------------

def test_api03_same_key_same_body_answers_the_first_201_and_sends_once(api):
    app, client, customer, key = api
    body = sms_body(customer, phones(1, 2))
    first = post_sms(client, key, body, **{"Idempotency-Key": "order-1001"})
    assert first.status_code == 201
    again = post_sms(client, key, body, **{"Idempotency-Key": "order-1001"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(app, Send) == 1 and balance(app, customer.account_id) == (100_000 - 40, 0)
    # the same key with another body is a conflict; nothing is sent
    changed = post_sms(client, key, {**body, "text": "다른 내용"}, **{"Idempotency-Key": "order-1001"})
    error_of(changed, 409, "idempotency_conflict", "Idempotency-Key")
    assert count(app, Send) == 1 and count(app, ApiRequest) == 1
    # without a key, or with another key, the same body is a new send
    assert post_sms(client, key, body).status_code == 201
    assert post_sms(client, key, body, **{"Idempotency-Key": "order-1002"}).status_code == 201
    assert count(app, Send) == 3
    # another account may use the same key for its own request
    other, other_key = api_customer(app)
    assert post_sms(client, other_key, sms_body(other, phones(3)), **{"Idempotency-Key": "order-1001"}) \
        .status_code == 201


def test_api03_a_refused_request_records_nothing_so_a_corrected_retry_goes_through(api):
    app, client, customer, key = api
    bad = post_sms(client, key, sms_body(customer, phones(1), text="😀"), **{"Idempotency-Key": "k-7"})
    error_of(bad, 422, "unsupported_character", "text")
    assert count(app, ApiRequest) == 0
    good = post_sms(client, key, sms_body(customer, phones(1)), **{"Idempotency-Key": "k-7"})
    assert good.status_code == 201 and count(app, Send) == 1


def test_api03_two_identical_requests_racing_with_one_key_send_once_and_both_get_the_answer(app):
    """A client that times out and retries at once: the two requests overlap."""
    customer, key = api_customer(app)
    body = sms_body(customer, phones(1, 2))
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def post():
        client = app.test_client()
        try:
            barrier.wait()
            response = post_sms(client, key, body, **{"Idempotency-Key": "retry-42"})
            answers.append((response.status_code, response.get_json()))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    with clock.frozen(NOW):
        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == [] and len(answers) == 2
    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1] == answers[1][1]
    assert count(app, Send) == 1 and balance(app, customer.account_id) == (100_000 - 40, 0)


def test_api03_cancel_accepts_an_idempotency_key_too(api):
    """API-03: every POST accepts Idempotency-Key."""
    app, client, customer, key = api
    at = (clock.to_kst(NOW) + HOUR).isoformat()
    send_id = post_sms(client, key, sms_body(customer, phones(1), scheduled_at=at)).get_json()["send_id"]
    other = post_sms(client, key, sms_body(customer, phones(2), scheduled_at=at)).get_json()["send_id"]
    url = f"/api/v1/sends/{send_id}/cancel"
    first = client.post(url, headers={**bearer(key), "Idempotency-Key": "cancel-1"})
    again = client.post(url, headers={**bearer(key), "Idempotency-Key": "cancel-1"})
    assert (first.status_code, again.status_code) == (200, 200) and first.get_json() == again.get_json()
    assert first.get_json()["status"] == "cancelled"
    # a cancelled send has nothing waiting for a result, in the API as on the pages
    shown = client.get(f"/api/v1/sends/{send_id}", headers=bearer(key)).get_json()
    assert (shown["status"], shown["counts"]["pending"]) == ("cancelled", 0)
    # the same key for another request is a conflict and cancels nothing
    error_of(client.post(f"/api/v1/sends/{other}/cancel", headers={**bearer(key), "Idempotency-Key": "cancel-1"}),
             409, "idempotency_conflict", "Idempotency-Key")
    assert send_row(app, int(other))["status"] == "scheduled"
    # without a key, a second cancel says why it cannot
    error_of(client.post(url, headers=bearer(key)), 409, "not_cancellable")
    assert balance(app, customer.account_id) == (100_000 - 20, 0)


# --- API-02 limits ---------------------------------------------------------------------------------------------

def test_api02_more_than_10000_recipients_is_refused_naming_to(api):
    app, client, customer, key = api
    to = [f"010{5000 + i // 10000:04d}{i % 10000:04d}" for i in range(10_001)]
    error = error_of(post_sms(client, key, sms_body(customer, to)), 422, "too_many_recipients", "to")
    assert "10,000" in error["message"]
    assert count(app, Send) == 0


def test_api02_a_body_over_1_mb_without_images_is_413_but_images_do_not_count(api):
    app, client, customer, key = api
    huge = sms_body(customer, phones(1), text="a" * (1024 * 1024))
    error_of(post_sms(client, key, huge), 413, "payload_too_large", None)
    assert count(app, Send) == 0
    # three images of ~290 KB each: about 1.2 MB of base64, accepted as one MMS
    images = [base64.b64encode(noisy_jpeg(seed)).decode() for seed in range(3)]
    assert sum(map(len, images)) > 1024 * 1024
    response = post_sms(client, key, sms_body(customer, phones(2), images=images))
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["type"], response.get_json()["hold"]) == ("MMS", 150)


def noisy_jpeg(seed: int) -> bytes:
    """A real JPEG of 280-300 KB within 1500 px (noise does not compress)."""
    rng = random.Random(seed)
    for side in range(560, 800, 10):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(buffer, "JPEG", quality=80)
        if 280 * 1024 <= len(buffer.getvalue()) <= 300 * 1024:
            return buffer.getvalue()
    raise AssertionError("could not make a 280-300 KB JPEG")


def test_api02_more_than_100_requests_a_second_per_key_answer_429_with_retry_after(api):
    app, client, customer, key = api
    second_key = new_key(app, customer.account_id, name="둘째")
    for _ in range(100):
        assert client.get("/api/v1/balance", headers=bearer(key)).status_code == 200
    limited = client.get("/api/v1/balance", headers=bearer(key))
    error_of(limited, 429, "rate_limited", None)
    assert limited.headers["Retry-After"] == "1"
    error_of(post_sms(client, key, sms_body(customer, phones(1))), 429, "rate_limited")
    assert count(app, Send) == 0
    # per key: another key of the same account is not limited
    assert client.get("/api/v1/balance", headers=bearer(second_key)).status_code == 200
    # the next second starts afresh
    with clock.frozen(NOW + SECOND):
        assert client.get("/api/v1/balance", headers=bearer(key)).status_code == 200


# --- API-04 errors ---------------------------------------------------------------------------------------------

def test_api04_errors_have_stable_codes_korean_messages_and_the_json_field(api):
    app, client, customer, key = api
    one = phones(1)
    cases = [
        (sms_body(customer, ["010-0000-0000", "abc"]), 422, "invalid_number", "to", "to[0]"),
        (sms_body(customer, one, **{"from": "02-9999-8888"}), 422, "sender_not_approved", "from", "발신번호"),
        (sms_body(customer, one, scheduled_at=(clock.to_kst(NOW) + 5 * MINUTE).isoformat()), 422,
         "schedule_out_of_range", "scheduled_at", "10분후부터"),
        (sms_body(customer, one, text="a" * 2001), 422, "byte_limit", "text", "2,001 byte"),
        (sms_body(customer, one, text="안녕 😀"), 422, "unsupported_character", "text", "4번째"),
        (sms_body(customer, [{"phone": one[0], "vars": {"2": "x"}}], text="#[1] #[2]"), 422, "missing_variable",
         "to", "to[0]"),
        (sms_body(customer, one, title="가" * 16, text="a" * 100), 422, "byte_limit", "title", "30 byte"),
        (sms_body(customer, one, ad={"name": "메가버드", "optout": "080-999-8888"}), 422, "optout_not_allowed",
         "ad.optout", "080-999-8888"),
        (sms_body(customer, one, images=["not base64!"]), 422, "invalid_image", "images[0]", "base64"),
        (sms_body(customer, one, images=[base64.b64encode(b"GIF89a....").decode()]), 422, "invalid_image",
         "images", "jpg/jpeg"),
        ({"to": one, "text": "x"}, 422, "required", "from", "from"),
        (sms_body(customer, "01023456789"), 422, "required", "to", "to"),
        (sms_body(customer, [1234]), 422, "invalid_type", "to[0]", "to[0]"),
        (sms_body(customer, one, text=["x"]), 422, "invalid_type", "text", "text"),
        (sms_body(customer, one, scheduled_at="내일 아침"), 422, "invalid_date", "scheduled_at", "ISO-8601"),
        ([1, 2, 3], 422, "invalid_json", "body", "JSON"),
    ]
    for body, status, code, field, words in cases:
        error = error_of(post_sms(client, key, body), status, code, field)
        assert words in error["message"], (code, error["message"])
    assert count(app, Send) == 0
    raw = client.post("/api/v1/sends/sms", data="{not json", headers={**bearer(key), "Content-Type": "application/json"})
    error_of(raw, 422, "invalid_json", "body")


def test_api04_night_ads_daily_cap_balance_and_not_found(app):
    customer, key = api_customer(app, cash=30)
    client = app.test_client()
    ad = {"name": "메가버드", "optout": "080-123-1234"}
    with clock.frozen(kst(2026, 11, 27, 21, 0)):
        error = error_of(post_sms(client, key, sms_body(customer, phones(1), ad=ad)), 422, "night_ad_blocked", "ad")
        assert "심야(21시~08시)" in error["message"]
    with clock.frozen(NOW):
        error = error_of(post_sms(client, key, sms_body(customer, phones(1, 2))), 422, "insufficient_balance",
                         "balance")
        assert "부족 10원" in error["message"] and error["details"]["shortfall"] == 10
        set_daily_cap(app, customer.account_id, 1)
        error = error_of(post_sms(client, key, sms_body(customer, phones(3, 4))), 422, "daily_cap_exceeded", "to")
        assert "남은 발송 가능 건수는 1건" in error["message"]
        for url in ("/api/v1/sends/999999", "/api/v1/sends/abc", "/api/v1/sends/999999/messages"):
            error_of(client.get(url, headers=bearer(key)), 404, "not_found", None)
        error_of(client.post("/api/v1/sends/999999/cancel", headers=bearer(key)), 404, "not_found", None)
        error_of(client.get("/api/v1/sends?type=KAKAO", headers=bearer(key)), 422, "invalid_filter", "type")
        error_of(client.get("/api/v1/sends?per_page=1000", headers=bearer(key)), 422, "invalid", "per_page")
        error_of(client.get("/api/v1/sends?from=yesterday", headers=bearer(key)), 422, "invalid_date", "from")
    assert count(app, Send) == 0 and balance(app, customer.account_id) == (30, 0)


def test_api04_unknown_paths_and_methods_are_json_too(api):
    app, client, customer, key = api
    response = client.get("/api/v1/nothing-here", headers=bearer(key))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/balance", headers=bearer(key))
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


# --- API-05 endpoints ------------------------------------------------------------------------------------------

def test_api05_balance_and_senders(app):
    customer, key = api_customer(app, cash=5000, points=700)
    add_sender_number(app, customer.account_id, "0212345678")
    add_sender_number(app, customer.account_id, "0311234567", status="requested")
    client = app.test_client()
    assert client.get("/api/v1/balance", headers=bearer(key)).get_json() == {"cash": 5000, "points": 700}
    senders = client.get("/api/v1/senders", headers=bearer(key)).get_json()
    assert sorted(senders["numbers"], key=lambda n: n["number"]) == sorted([
        {"number": "0212345678", "display": "02-1234-5678"},
        {"number": customer.phone, "display": f"{customer.phone[:3]}-{customer.phone[3:7]}-{customer.phone[7:]}"}],
        key=lambda n: n["number"])
    assert senders["channels"] == []


def test_api05_send_sms_answers_201_as_documented_and_the_send_reads_back(api):
    app, client, customer, key = api
    good, failing, slow = phones(1, 90, 98)
    body = sms_body(customer, [good, {"phone": failing, "name": "홍길동", "vars": {"1": "A"}}, "010-0000-1234",
                               good, slow], text="안녕하세요 #[1]고객님")
    body["to"][0] = {"phone": good, "vars": {"1": "B"}}
    body["to"][3] = {"phone": good, "vars": {"1": "C"}}
    body["to"][4] = {"phone": slow, "vars": {"1": "D"}}
    response = post_sms(client, key, body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert set(answer) >= {"send_id", "type", "status", "recipients", "unit_price", "hold", "rejected", "duplicates"}
    assert (answer["type"], answer["status"], answer["recipients"], answer["unit_price"], answer["hold"],
            answer["duplicates"]) == ("SMS", "in_progress", 3, 20, 60, 1)
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["phone"]) == (2, "010-0000-1234") and HANGUL.search(rejected["reason"])
    send_id = answer["send_id"]
    assert isinstance(send_id, str)
    # the API send is an ordinary send: the worker and the tick take it from here
    run_to_completion(app)
    texts = {r["recipient"]: r["text"] for r in sandbox_rows(app)}
    assert texts == {good: "안녕하세요 B고객님", failing: "안녕하세요 A고객님", slow: "안녕하세요 D고객님"}
    summary = client.get(f"/api/v1/sends/{send_id}", headers=bearer(key)).get_json()
    assert summary["send_id"] == send_id and summary["channel"] == "sms" and summary["source"] == "api"
    assert (summary["type"], summary["status"]) == ("SMS", "completed")
    assert summary["counts"] == {"requested": 3, "delivered": 1, "failed": 2, "pending": 0}
    assert summary["categories"] == {"power_off": 1, "other": 1}
    assert (summary["hold"], summary["charged"], summary["refunded"]) == (60, 20, 40)
    assert summary["created_at"] == "2026-11-27T12:00:00+09:00" and summary["scheduled_at"] is None
    assert summary["completed_at"] == "2026-11-29T14:00:00+09:00" and summary["fallback"] is None
    assert balance(app, customer.account_id) == (100_000 - 20, 0)


def test_api05_messages_with_status_and_category_filters_and_paging(api):
    app, client, customer, key = api
    numbers = phones(1, 2, 3, 90, 91, 98)
    send_id = post_sms(client, key, sms_body(customer, numbers)).get_json()["send_id"]
    url = f"/api/v1/sends/{send_id}/messages"

    def listed(query=""):
        response = client.get(url + query, headers=bearer(key))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    pending = listed()
    assert pending["total"] == 6 and {m["status"] for m in pending["messages"]} == {"pending"}
    work(app)
    tick(app, NOW + 10 * SECOND)
    everything = listed()
    assert (everything["total"], everything["page"], everything["per_page"]) == (6, 1, 20)
    first = everything["messages"][0]
    assert set(first) >= {"id", "phone", "name", "type", "status", "category", "code", "submitted_at",
                          "reported_at", "charge", "late_code", "late_at"}
    assert {m["phone"] for m in listed("?status=delivered")["messages"]} == set(numbers[:3])
    failed = listed("?status=failed")["messages"]
    assert sorted((m["phone"], m["category"], m["code"]) for m in failed) == \
        [(numbers[3], "power_off", "3001"), (numbers[4], "shadow_area", "3002")]
    assert [m["phone"] for m in listed("?status=pending")["messages"]] == [numbers[5]]
    assert [m["phone"] for m in listed("?category=shadow_area")["messages"]] == [numbers[4]]
    assert {m["phone"] for m in listed("?status=failed&category=power_off&category=shadow_area")["messages"]} == \
        set(numbers[3:5])
    assert {m["phone"] for m in listed("?status=delivered&status=pending")["messages"]} == \
        set(numbers[:3] + numbers[5:])
    page = listed("?per_page=4&page=2")
    assert (page["total"], len(page["messages"])) == (6, 2)
    assert [m["phone"] for m in page["messages"]] == numbers[4:]
    error_of(client.get(url + "?status=lost", headers=bearer(key)), 422, "invalid_filter", "status")
    error_of(client.get(url + "?category=nope", headers=bearer(key)), 422, "invalid_filter", "category")
    error_of(client.get(url + "?page=0", headers=bearer(key)), 422, "invalid", "page")


def test_api05_history_with_type_status_dates_and_paging(app):
    customer, key = api_customer(app)
    client = app.test_client()
    with clock.frozen(NOW - dt.timedelta(days=2)):                  # 2026-11-25 KST
        old = post_sms(client, key, sms_body(customer, phones(1))).get_json()["send_id"]
    with clock.frozen(NOW):                                         # 2026-11-27 KST
        long = post_sms(client, key, sms_body(customer, phones(2), text="가" * 60)).get_json()["send_id"]
        later = (clock.to_kst(NOW) + dt.timedelta(days=1)).isoformat()
        booked = post_sms(client, key, sms_body(customer, phones(3), scheduled_at=later)).get_json()
        assert booked["status"] == "scheduled" and booked["scheduled_at"] == "2026-11-28T12:00:00+09:00"
        web = accept(app, customer, phones(4), now=NOW + MINUTE)       # a web send shows too, marked
    stranger, stranger_key = api_customer(app)
    with clock.frozen(NOW):
        post_sms(client, stranger_key, sms_body(stranger, phones(5)))

    def ids(query=""):
        response = client.get("/api/v1/sends" + query, headers=bearer(key))
        assert response.status_code == 200, response.get_json()
        return [s["send_id"] for s in response.get_json()["sends"]]

    assert ids() == [str(web.send_id), booked["send_id"], long, old]           # newest first, own sends only
    listing = client.get("/api/v1/sends", headers=bearer(key)).get_json()
    assert (listing["total"], listing["page"], listing["per_page"]) == (4, 1, 20)
    assert [s["source"] for s in listing["sends"]] == ["web", "api", "api", "api"]
    assert ids("?type=LMS") == [long]
    assert ids("?status=scheduled") == [booked["send_id"]]
    assert ids("?status=in_progress&type=SMS") == [str(web.send_id), old]
    assert ids("?from=2026-11-27") == [str(web.send_id), booked["send_id"], long]
    assert ids("?to=2026-11-26") == [old]
    assert ids("?from=2026-11-25&to=2026-11-25") == [old]
    assert ids("?from=2026-11-27T12:00:30%2B09:00") == [str(web.send_id)]
    assert ids("?per_page=3&page=2") == [old]
    assert ids("?per_page=3&page=9") == []


def test_api05_cancel_a_scheduled_send_refunds_its_hold_and_a_started_one_is_409(api):
    app, client, customer, key = api
    at = clock.to_kst(NOW) + HOUR
    send_id = post_sms(client, key, sms_body(customer, phones(1, 2), scheduled_at=at.isoformat())).get_json()["send_id"]
    assert balance(app, customer.account_id) == (100_000 - 40, 0)
    response = client.post(f"/api/v1/sends/{send_id}/cancel", headers=bearer(key))
    assert response.status_code == 200
    summary = response.get_json()
    assert (summary["status"], summary["hold"], summary["refunded"]) == ("cancelled", 40, 40)
    assert balance(app, customer.account_id) == (100_000, 0)
    error_of(client.post(f"/api/v1/sends/{send_id}/cancel", headers=bearer(key)), 409, "not_cancellable", None)
    # a send that started cannot be cancelled
    booked = post_sms(client, key, sms_body(customer, phones(3), scheduled_at=at.isoformat())).get_json()["send_id"]
    tick(app, NOW + HOUR)
    error = error_of(client.post(f"/api/v1/sends/{booked}/cancel", headers=bearer(key)), 409, "not_cancellable")
    assert "예약 발송만 취소할 수 있습니다" in error["message"]
    assert send_row(app, int(booked))["status"] == "in_progress"
    assert balance(app, customer.account_id) == (100_000 - 20, 0)


def test_api05_openapi_json_is_public_and_openapi_3(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.") and spec["servers"] == [{"url": "/api/v1"}]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
