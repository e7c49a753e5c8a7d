"""SEC-01 for the integration API (11-quality.md, 09-api.md): every route of the
`api_v1` blueprint is listed in API_ROUTES with a proof that another account's ids
answer 404 (or that its data never shows), or why the route takes no ids; a new route
without an entry fails `test_sec01_every_api_route_has_an_entry`. And every route is
described in /openapi.json (API-05)."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AlimtalkTemplate, KakaoChannel, Send
from tests.support.api import error_of, post_sms, sms_body
from tests.support.factories import TEMPLATE_FIELDS, approve_channel, make_template
from tests.integration.test_webhook_pages import (
    test_sec01_another_accounts_endpoints_and_deliveries_answer_404 as _webhook_proof)
from tests.support.webhooks import Receiver
from tests.support.pipeline import NOW, api_customer, balance, bearer, count, phones, send_row

HOUR = dt.timedelta(hours=1)


def _foreign_send(app):
    """Another account's scheduled send, and a client with a key of our own account."""
    owner, owner_key = api_customer(app)
    stranger, stranger_key = api_customer(app)
    client = app.test_client()
    with clock.frozen(NOW):
        body = sms_body(owner, phones(1, 2), text="비밀 쿠폰 번호 7788",
                        scheduled_at=(clock.to_kst(NOW) + HOUR).isoformat())
        send_id = post_sms(client, owner_key, body).get_json()["send_id"]
    return client, owner, owner_key, stranger, stranger_key, send_id


def _refused(response, *secrets):
    error_of(response, 404, "not_found")
    for secret in secrets:
        assert secret not in response.get_data(as_text=True)


def prove_get_send(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        _refused(client.get(f"/api/v1/sends/{send_id}", headers=bearer(key)), owner.phone)
        assert client.get(f"/api/v1/sends/{send_id}", headers=bearer(owner_key)).status_code == 200


def prove_send_messages(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        _refused(client.get(f"/api/v1/sends/{send_id}/messages", headers=bearer(key)), owner.phone, "0103")
        mine = client.get(f"/api/v1/sends/{send_id}/messages", headers=bearer(owner_key))
        assert mine.status_code == 200 and mine.get_json()["total"] == 2


def prove_cancel_send(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        before = balance(app, owner.account_id)
        _refused(client.post(f"/api/v1/sends/{send_id}/cancel", headers=bearer(key)))
        assert send_row(app, int(send_id))["status"] == "scheduled" and balance(app, owner.account_id) == before
        assert client.post(f"/api/v1/sends/{send_id}/cancel", headers=bearer(owner_key)).status_code == 200


def prove_list_sends(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        theirs = client.get("/api/v1/sends", headers=bearer(key)).get_json()
        assert theirs["total"] == 0 and theirs["sends"] == []
        assert client.get("/api/v1/sends", headers=bearer(owner_key)).get_json()["total"] == 1


def prove_send_sms_from_another_accounts_number(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        error_of(post_sms(client, key, sms_body(stranger, phones(3), **{"from": owner.phone})), 422,
                 "sender_not_approved", "from")
        assert count(app, Send, Send.account_id == stranger.account_id) == 0


def prove_balance_and_senders_are_the_keys_own(app):
    client, owner, owner_key, stranger, key, send_id = _foreign_send(app)
    with clock.frozen(NOW):
        assert client.get("/api/v1/balance", headers=bearer(key)).get_json() == {"cash": 100_000, "points": 0}
        numbers = client.get("/api/v1/senders", headers=bearer(key)).get_json()["numbers"]
        assert [n["number"] for n in numbers] == [stranger.phone]


def _foreign_template(app):
    """Another account's AlimTalk template (KAT-01) on its channel, and a key of our own
    corporate account, which has an approved channel of its own."""
    owner, owner_key = api_customer(app)
    stranger, stranger_key = api_customer(app)
    owner_channel = approve_channel(app, owner.account_id, "@owner-shop")
    approve_channel(app, stranger.account_id, "@stranger-shop")
    template_id = make_template(app, owner.account_id, owner_channel, status="approved",
                                content="#{고객명}님 비밀 쿠폰 7788을 보내드립니다.")
    with app.app_context():
        code = db.session.get(AlimtalkTemplate, template_id).code
    return app.test_client(), owner, owner_key, stranger, stranger_key, code


def prove_list_alimtalk_templates(app):
    client, owner, owner_key, stranger, key, code = _foreign_template(app)
    theirs = client.get("/api/v1/alimtalk/templates", headers=bearer(key))
    assert theirs.status_code == 200 and theirs.get_json()["total"] == 0
    assert code not in theirs.get_data(as_text=True) and "7788" not in theirs.get_data(as_text=True)
    assert client.get("/api/v1/alimtalk/templates", headers=bearer(owner_key)).get_json()["total"] == 1


def prove_get_alimtalk_template(app):
    client, owner, owner_key, stranger, key, code = _foreign_template(app)
    _refused(client.get(f"/api/v1/alimtalk/templates/{code}", headers=bearer(key)), "7788", "@owner-shop")
    assert client.get(f"/api/v1/alimtalk/templates/{code}", headers=bearer(owner_key)).status_code == 200


def prove_create_alimtalk_template_on_another_accounts_channel(app):
    client, owner, owner_key, stranger, key, code = _foreign_template(app)
    response = client.post("/api/v1/alimtalk/templates", json={**TEMPLATE_FIELDS, "channel": "@owner-shop"},
                           headers=bearer(key))
    error_of(response, 422, "channel_not_approved", "channel")
    assert count(app, AlimtalkTemplate, AlimtalkTemplate.account_id == stranger.account_id) == 0
    assert client.post("/api/v1/alimtalk/templates", json={**TEMPLATE_FIELDS, "channel": "@stranger-shop"},
                       headers=bearer(key)).status_code == 201


def prove_send_alimtalk_with_another_accounts_template(app):
    """Another account's template code is refused as an unknown one (nothing of it shown);
    its channel and its sender number neither; and a Kakao send's id of another account is
    404 on GET /sends/{id} and /messages."""
    client, owner, owner_key, stranger, key, code = _foreign_template(app)
    body = {"channel": "@owner-shop", "template_code": code,
            "to": [{"phone": phones(1)[0], "vars": {"고객명": "홍길동"}}], "fallback": {"from": stranger.phone}}
    with clock.frozen(NOW):
        response = client.post("/api/v1/sends/alimtalk", json=body, headers=bearer(key))
        error_of(response, 422, "template_not_approved", "template_code")
        for secret in ("7788", "@owner-shop", "비밀"):
            assert secret not in response.get_data(as_text=True)
        own = make_template(app, stranger.account_id, _channel_id(app, stranger.account_id), status="approved")
        with app.app_context():
            own_code = db.session.get(AlimtalkTemplate, own).code
        mine = {**body, "template_code": own_code, "channel": "@stranger-shop",
                "to": [{"phone": phones(2)[0], "vars": {"고객명": "홍길동", "주문번호": "A-1"}}]}
        error_of(client.post("/api/v1/sends/alimtalk", json={**mine, "channel": "@owner-shop"}, headers=bearer(key)),
                 422, "channel_mismatch", "channel")
        error_of(client.post("/api/v1/sends/alimtalk", json={**mine, "fallback": {"from": owner.phone}},
                             headers=bearer(key)), 422, "sender_not_approved", "fallback.from")
        assert count(app, Send, Send.account_id == stranger.account_id) == 0
        # the owner's Kakao send, with its fallback block, is the owner's only
        theirs = client.post("/api/v1/sends/alimtalk", headers=bearer(owner_key), json={
            **body, "to": [{"phone": phones(3)[0], "vars": {"고객명": "홍길동", "주문번호": "A-1"}}],
            "fallback": {"from": owner.phone}})
        assert theirs.status_code == 201, theirs.get_data(as_text=True)
        send_id = theirs.get_json()["send_id"]
        _refused(client.get(f"/api/v1/sends/{send_id}", headers=bearer(key)), "@owner-shop")
        _refused(client.get(f"/api/v1/sends/{send_id}/messages", headers=bearer(key)), "0103")
        assert client.get(f"/api/v1/sends/{send_id}", headers=bearer(owner_key)).get_json()["fallback"]["type"]
        assert count(app, Send, Send.account_id == stranger.account_id) == 0


def prove_send_friendtalk_on_another_accounts_channel(app):
    """Another account's channel is refused as an unknown one, by search id and by id; its
    sender number neither; the owner's Brand Message send is the owner's only."""
    client, owner, owner_key, stranger, key, _code = _foreign_template(app)
    owner_channel = _channel_id(app, owner.account_id)
    body = {"channel": "@owner-shop", "text": "비밀 쿠폰 7788", "to": [phones(4)[0]], "ad": {"name": "메가샵"},
            "fallback": {"from": stranger.phone}}
    with clock.frozen(NOW):
        for channel in ("@owner-shop", str(owner_channel)):
            response = client.post("/api/v1/sends/friendtalk", json={**body, "channel": channel}, headers=bearer(key))
            error_of(response, 422, "channel_not_approved", "channel")
            assert "7788" not in response.get_data(as_text=True)
        error_of(client.post("/api/v1/sends/friendtalk", headers=bearer(key), json={
            **body, "channel": "@stranger-shop", "fallback": {"from": owner.phone}}),
            422, "sender_not_approved", "fallback.from")
        assert count(app, Send, Send.account_id == stranger.account_id) == 0
        theirs = client.post("/api/v1/sends/friendtalk", headers=bearer(owner_key),
                             json={**body, "fallback": {"from": owner.phone}})
        assert theirs.status_code == 201, theirs.get_data(as_text=True)
        _refused(client.get(f"/api/v1/sends/{theirs.get_json()['send_id']}", headers=bearer(key)), "7788")
        assert client.post("/api/v1/sends/friendtalk", headers=bearer(key),
                           json={**body, "channel": "@stranger-shop"}).status_code == 201


def prove_list_tax_invoices(app):
    """API-08: another account's invoices never show, whatever the filters; the owner's do."""
    from tests.support.tax import LATER_PAGE, company_data, issue, monthly_invoice, settings
    owner, owner_key = api_customer(app, cash=0)
    stranger, key = api_customer(app, cash=0)
    company_data(app, owner.account_id, company_name="오너상사 주식회사")
    settings(app, owner.account_id, request_note="오너의 비밀 요청 7788")
    invoice_id = monthly_invoice(app, owner, 1_000)
    approval = issue(app, invoice_id)
    client = app.test_client()
    with clock.frozen(LATER_PAGE):
        for query in ("", "?month=2026-11", "?state=issued", "?month=2026-11&state=issued&per_page=100"):
            theirs = client.get(f"/api/v1/tax-invoices{query}", headers=bearer(key))
            assert theirs.status_code == 200 and theirs.get_json()["total"] == 0 and theirs.get_json()["tax_invoices"] == []
            for secret in ("7788", approval, "오너상사"):
                assert secret not in theirs.get_data(as_text=True)
        mine = client.get("/api/v1/tax-invoices", headers=bearer(owner_key)).get_json()
    assert [(i["id"], i["approval_number"]) for i in mine["tax_invoices"]] == [(invoice_id, approval)]


def _channel_id(app, account_id):
    with app.app_context():
        return db.session.scalar(select(KakaoChannel.id).where(KakaoChannel.account_id == account_id))


#: endpoint -> a proof that another account's ids answer 404 (or its data never shows),
#: or why the route takes no ids. A new api_v1 route without an entry fails the test below.
def prove_webhook_routes(app):
    """API-06: every webhook route with another account's endpoint and delivery ids."""
    receiver = Receiver().start()
    try:
        _webhook_proof(app, receiver)
    finally:
        receiver.stop()


API_ROUTES = {
    "api_v1.balance": prove_balance_and_senders_are_the_keys_own,
    "api_v1.list_senders": prove_balance_and_senders_are_the_keys_own,
    "api_v1.send_sms": prove_send_sms_from_another_accounts_number,
    "api_v1.send_alimtalk": prove_send_alimtalk_with_another_accounts_template,
    "api_v1.send_friendtalk": prove_send_friendtalk_on_another_accounts_channel,
    "api_v1.list_sends": prove_list_sends,
    "api_v1.get_send": prove_get_send,
    "api_v1.send_messages": prove_send_messages,
    "api_v1.cancel_send": prove_cancel_send,
    "api_v1.list_alimtalk_templates": prove_list_alimtalk_templates,
    "api_v1.create_alimtalk_template": prove_create_alimtalk_template_on_another_accounts_channel,
    "api_v1.get_alimtalk_template": prove_get_alimtalk_template,
    "api_v1.list_tax_invoices": prove_list_tax_invoices,
    **{f"api_v1.{name}": prove_webhook_routes for name in (
        "list_webhook_endpoints", "create_webhook_endpoint", "delete_webhook_endpoint", "rotate_webhook_secret",
        "test_webhook_endpoint", "list_webhook_deliveries", "get_webhook_delivery", "replay_webhook_delivery")},
    "api_v1.openapi": "takes no ids and reads no account's data: the public description of the API",
}


def api_rules(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_v1.")}


def test_sec01_every_api_route_has_an_entry(app):
    rules = api_rules(app)
    missing = sorted(set(rules) - set(API_ROUTES))
    assert not missing, "api_v1 routes without a cross-tenant entry in API_ROUTES: " + ", ".join(
        f"{e} ({rules[e].rule})" for e in missing)
    assert not set(API_ROUTES) - set(rules), "entries for routes that no longer exist"
    for endpoint, rule in rules.items():
        if rule.arguments:
            assert callable(API_ROUTES[endpoint]), f"{rule.rule} takes {set(rule.arguments)}: it needs a proof"


@pytest.mark.parametrize("endpoint", sorted(e for e, how in API_ROUTES.items() if callable(how)))
def test_sec01_another_accounts_ids_answer_404_on_the_api(app, endpoint):
    assert endpoint in api_rules(app)
    API_ROUTES[endpoint](app)


def test_api05_every_api_route_is_in_openapi_json(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    described = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    routed = set()
    for rule in api_rules(app).values():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method.lower()))
    assert routed - described == set(), "routes missing from /openapi.json"
    assert described - routed == set(), "/openapi.json describes routes that do not exist"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path, (path, parameter)
