"""마이페이지 > 연동 API > 웹훅 and the webhook API routes (09-api.md API-06, SEC-01, SEC-08):
endpoints added, edited, disabled, deleted, rotated and tested from the page; the secret
shown once; refused addresses with a Korean message naming the field and nothing saved;
the delivery log with replay; staff see every account's; another account's ids answer 404."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import AuditLog, WebhookDelivery, WebhookEndpoint
from app.services.webhooks import endpoints
from tests.support.factories import make_customer, make_staff
from tests.support.pipeline import NOW, api_customer, bearer, work
from tests.support.tenancy import assert_foreign_404
from tests.support.web import logged_in, text_of
from tests.support.webhooks import Answer, Receiver, add_endpoint

ALL = ["send.completed", "message.reported", "template.reviewed"]


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def endpoint_count(app, account_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(WebhookEndpoint.id)).where(
            WebhookEndpoint.account_id == account_id, WebhookEndpoint.status != "deleted"))


def client_of(app, customer):
    return logged_in(app, customer.login, customer.password)


def test_api06_the_page_adds_an_endpoint_and_shows_its_secret_once(app, receiver):
    customer, _key = api_customer(app)
    client = client_of(app, customer)
    with clock.frozen(NOW):
        page = client.get("/mypage/api/webhooks/")
        assert page.status_code == 200 and "엔드포인트 추가" in text_of(page)
        added = client.post("/mypage/api/webhooks/add", data={"url": receiver.url, "events": ALL[:2],
                                                             "description": "주문 시스템"})
    assert added.status_code == 200
    text = text_of(added)
    assert "웹훅 엔드포인트를 추가했습니다" in text and "whsec_" in text
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.account_id == customer.account_id))
        assert endpoint.secret in added.get_data(as_text=True)
        assert endpoint.event_types == ALL[:2] and endpoint.description == "주문 시스템"
        endpoint_id, secret = endpoint.id, endpoint.secret
    again = client.get(f"/mypage/api/webhooks/{endpoint_id}")
    assert again.status_code == 200 and secret not in again.get_data(as_text=True)     # never again


@pytest.mark.parametrize("url, words", [
    ("", "URL"),
    ("ftp://example.com/hook", "https"),
    ("https://user:pw@example.com/hook", "URL"),
    ("https://10.0.0.8/hook", "사설망"),
    ("https://169.254.169.254/latest/meta-data/", "메타데이터"),
    ("https://100.64.1.1/hook", "CGNAT"),
    ("https://[fe80::1]/hook", "링크 로컬"),
    ("https://[::ffff:192.168.0.1]/hook", "사설망"),
    ("https://127.0.0.1/hook", "루프백"),
    ("https://localhost/hook", "루프백"),            # by DNS answer
    ("http://127.0.0.1:9/hook", "https"),
    ("http://hooks.example.com/hook", "https"),
])
def test_sec08_refused_at_save_in_production_with_a_message_and_nothing_saved(app, url, words):
    customer, key = api_customer(app)
    client = client_of(app, customer)
    app.config["MEGABIRD_ENV"] = "production"
    try:
        page = client.post("/mypage/api/webhooks/add", data={"url": url, "events": ALL})
        api = app.test_client().post("/api/v1/webhooks/endpoints", json={"url": url, "events": ALL},
                                     headers=bearer(key))
    finally:
        app.config["MEGABIRD_ENV"] = "development"
    assert 400 <= page.status_code < 500 and words in text_of(page)
    assert 400 <= api.status_code < 500
    error = api.get_json()["error"]
    assert error["field"] == "url" and words in error["message"]
    assert endpoint_count(app, customer.account_id) == 0


def test_sec08_loopback_allowed_only_outside_production(app, receiver):
    customer, _key = api_customer(app)
    add_endpoint(app, customer.account_id, receiver.url)         # development: a local receiver
    assert endpoint_count(app, customer.account_id) == 1


def test_api06_bad_events_and_no_api_approval_are_refused(app, receiver):
    customer, _key = api_customer(app)
    client = client_of(app, customer)
    none = client.post("/mypage/api/webhooks/add", data={"url": receiver.url})
    assert none.status_code == 422 and "이벤트" in text_of(none)
    plain = make_customer(app, kind="corporate")
    refused = client_of(app, plain).post("/mypage/api/webhooks/add", data={"url": receiver.url, "events": ALL})
    assert refused.status_code == 403 and "API 사용이 승인된 계정만" in text_of(refused)
    assert endpoint_count(app, customer.account_id) == endpoint_count(app, plain.account_id) == 0


def test_api06_edit_disable_enable_rotate_test_and_delete_from_the_page(app, receiver):
    customer, _key = api_customer(app)
    endpoint_id, old = add_endpoint(app, customer.account_id, receiver.url)
    client = client_of(app, customer)
    base = f"/mypage/api/webhooks/{endpoint_id}"
    with clock.frozen(NOW):
        edited = client.post(f"{base}/edit", data={"url": receiver.url + "/v2", "events": ["template.reviewed"]},
                             follow_redirects=True)
        assert "저장했습니다" in text_of(edited)
        rotated = client.post(f"{base}/rotate")
        assert rotated.status_code == 200 and "새 비밀키를 발급했습니다" in text_of(rotated)
        tested = client.post(f"{base}/test", follow_redirects=True)
        assert "테스트 이벤트" in text_of(tested)
    work(app)
    [received] = receiver.received
    assert received.path == "/hooks/megabird/v2" and received.event["type"] == "webhook.test"
    assert received.verifies_with(old) and len(received.headers["webhook-signature"].split()) == 2
    disabled = client.post(f"{base}/disable", follow_redirects=True)
    assert "사용을 중지했습니다" in text_of(disabled)
    refused = client.post(f"{base}/test")
    assert refused.status_code == 409 and "사용 중지된 엔드포인트" in text_of(refused)
    assert "다시 사용합니다" in text_of(client.post(f"{base}/enable", follow_redirects=True))
    deleted = client.post(f"{base}/delete", follow_redirects=True)
    assert "삭제했습니다" in text_of(deleted)
    assert client.get(base).status_code == 404
    with app.app_context():
        actions = [a for (a,) in db.session.execute(select(AuditLog.action).where(
            AuditLog.object_type == "webhook_endpoint").order_by(AuditLog.id))]
    assert actions == ["create_webhook_endpoint", "change_webhook_endpoint", "rotate_webhook_secret",
                       "disable_webhook_endpoint", "enable_webhook_endpoint", "delete_webhook_endpoint"]


def test_api06_the_delivery_log_shows_attempts_and_replays(app, receiver):
    customer, _key = api_customer(app)
    endpoint_id, _secret = add_endpoint(app, customer.account_id, receiver.url)
    receiver.answers.append(Answer(410, body=b"gone for good"))
    client = client_of(app, customer)
    with clock.frozen(NOW):
        client.post(f"/mypage/api/webhooks/{endpoint_id}/test")
    work(app)
    with app.app_context():
        delivery_id = db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id))
    page = client.get(f"/mypage/api/webhooks/deliveries/{delivery_id}")
    text = text_of(page)
    assert "410" in text and "gone for good" in text and "다시 보내기" in text
    assert "실패" in text_of(client.get("/mypage/api/webhooks/?status=failed"))
    refused = client.post(f"/mypage/api/webhooks/deliveries/{delivery_id}/replay")
    assert refused.status_code == 409 and "사용 중지된 엔드포인트" in text_of(refused)
    with clock.frozen(NOW):
        client.post(f"/mypage/api/webhooks/{endpoint_id}/enable")
        replayed = client.post(f"/mypage/api/webhooks/deliveries/{delivery_id}/replay", follow_redirects=True)
    assert "다시 보내기를 요청했습니다" in text_of(replayed)
    work(app)
    assert [r.webhook_id for r in receiver.received][0] == receiver.received[1].webhook_id
    assert "성공" in text_of(client.get(f"/mypage/api/webhooks/deliveries/{delivery_id}"))


def test_api06_staff_see_every_accounts_deliveries(app, receiver):
    first, _ = api_customer(app)
    second, _ = api_customer(app)
    for customer in (first, second):
        endpoint_id, _secret = add_endpoint(app, customer.account_id, receiver.url)
        with app.app_context():
            endpoints.send_test(account_id=customer.account_id, endpoint_id=endpoint_id, actor=None, now=NOW)
    work(app)
    login, password = make_staff(app, "Operator")
    staff = logged_in(app, login, password)
    page = staff.get("/staff/webhooks/")
    assert page.status_code == 200
    with app.app_context():
        ids = list(db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
    html = page.get_data(as_text=True)
    assert all(f"delivery-{i}" in html for i in ids)
    assert staff.get(f"/staff/webhooks/deliveries/{ids[0]}").status_code == 200
    only = staff.get(f"/staff/webhooks/?account={first.account_id}").get_data(as_text=True)
    assert f"delivery-{ids[0]}" in only and f"delivery-{ids[1]}" not in only
    assert client_of(app, first).get("/staff/webhooks/").status_code in (302, 403)


def test_sec01_another_accounts_endpoints_and_deliveries_answer_404(app, receiver):
    owner, owner_key = api_customer(app)
    stranger, stranger_key = api_customer(app)
    endpoint_id, secret = add_endpoint(app, owner.account_id, receiver.url)
    receiver.answers.append(Answer(500))
    with app.app_context():
        endpoints.send_test(account_id=owner.account_id, endpoint_id=endpoint_id, actor=None, now=NOW)
        endpoints.set_enabled(account_id=owner.account_id, endpoint_id=endpoint_id, enabled=False, actor=None,
                              now=NOW)
        delivery_id = db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id))
    client = client_of(app, stranger)
    for method, url in [("GET", f"/mypage/api/webhooks/{endpoint_id}"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/edit"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/test"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/rotate"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/disable"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/enable"),
                        ("POST", f"/mypage/api/webhooks/{endpoint_id}/delete"),
                        ("GET", f"/mypage/api/webhooks/deliveries/{delivery_id}"),
                        ("POST", f"/mypage/api/webhooks/deliveries/{delivery_id}/replay")]:
        data = {"url": "https://example.com", "events": ALL} if url.endswith("/edit") else None
        assert_foreign_404(client, method, url, data=data, secret=secret)
    listing = client.get(f"/mypage/api/webhooks/?endpoint={endpoint_id}").get_data(as_text=True)
    assert receiver.url not in listing and f"delivery-{delivery_id}" not in listing
    api = app.test_client()
    for method, url in [("DELETE", f"/api/v1/webhooks/endpoints/{endpoint_id}"),
                        ("POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate"),
                        ("POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/test"),
                        ("GET", f"/api/v1/webhooks/deliveries?endpoint={endpoint_id}"),
                        ("GET", f"/api/v1/webhooks/deliveries/{delivery_id}"),
                        ("POST", f"/api/v1/webhooks/deliveries/{delivery_id}/replay")]:
        answer = api.open(url, method=method, headers=bearer(stranger_key))
        assert answer.status_code == 404, (method, url, answer.status_code)
        assert secret not in answer.get_data(as_text=True)
    theirs = api.get("/api/v1/webhooks/endpoints", headers=bearer(stranger_key)).get_json()
    logs = api.get("/api/v1/webhooks/deliveries", headers=bearer(stranger_key)).get_json()
    assert theirs == {"endpoints": []} and logs["total"] == 0
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert (endpoint.status, endpoint.secret, endpoint.url) == ("disabled", secret, receiver.url)
        assert db.session.get(WebhookDelivery, delivery_id).state == "cancelled"
    mine = api.get(f"/api/v1/webhooks/deliveries?endpoint={endpoint_id}", headers=bearer(owner_key)).get_json()
    assert mine["total"] == 1


def test_api06_the_api_manages_endpoints_and_reads_the_log(app, receiver):
    customer, key = api_customer(app)
    api = app.test_client()
    with clock.frozen(NOW):
        made = api.post("/api/v1/webhooks/endpoints", json={"url": receiver.url, "events": ["message.reported"]},
                        headers={**bearer(key), "Idempotency-Key": "hook-1"})
        again = api.post("/api/v1/webhooks/endpoints", json={"url": receiver.url, "events": ["message.reported"]},
                         headers={**bearer(key), "Idempotency-Key": "hook-1"})
    assert made.status_code == 201 and again.status_code == 201
    body = made.get_json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["message.reported"]
    assert again.get_json()["id"] == body["id"] and endpoint_count(app, customer.account_id) == 1
    assert "secret" not in again.get_json()              # a replayed answer never carries the secret
    listed = api.get("/api/v1/webhooks/endpoints", headers=bearer(key)).get_json()["endpoints"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    bad = api.post("/api/v1/webhooks/endpoints", json={"url": receiver.url, "events": ["send.done"]},
                   headers=bearer(key))
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "events"
    with clock.frozen(NOW):
        tested = api.post(f"/api/v1/webhooks/endpoints/{body['id']}/test", headers=bearer(key))
    assert tested.status_code == 202
    work(app)
    log = api.get("/api/v1/webhooks/deliveries?status=succeeded", headers=bearer(key)).get_json()
    assert log["total"] == 1 and log["deliveries"][0]["event_type"] == "webhook.test"
    one = api.get(f"/api/v1/webhooks/deliveries/{log['deliveries'][0]['id']}", headers=bearer(key)).get_json()
    assert one["attempt_log"][0]["status_code"] == 200
    assert one["event_id"] == receiver.received[0].webhook_id
    assert api.delete(f"/api/v1/webhooks/endpoints/{body['id']}", headers=bearer(key)).status_code == 204
    assert api.get("/api/v1/webhooks/endpoints", headers=bearer(key)).get_json() == {"endpoints": []}
