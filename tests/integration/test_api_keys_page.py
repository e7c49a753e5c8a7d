"""API-01 in the portal: an account whose API use is approved creates named keys,
optionally limited to IPs, sees each key once, and revokes them; another account
cannot revoke them."""
from sqlalchemy import select

from app.extensions import db
from app.models import Account, ApiKey
from tests.support.factories import make_customer
from tests.support.tenancy import assert_foreign_404
from tests.support.web import logged_in, text_of


def approve_api(app, account_id):
    with app.app_context():
        db.session.get(Account, account_id).api_status = "approved"
        db.session.commit()


def test_keys_are_created_shown_once_and_revoked(app):
    alice = make_customer(app, kind="corporate", cash=1000)
    bob = make_customer(app, kind="corporate")
    approve_api(app, alice.account_id)
    approve_api(app, bob.account_id)
    client = logged_in(app, alice.login, alice.password)
    page = client.post("/mypage/api/keys", data={"name": "주문 시스템", "ip_allowlist": ""})
    key = page.get_data(as_text=True).split('<code style="font-size:14px">')[1].split("</code>")[0]
    assert key.startswith("mb_") and "주문 시스템" in text_of(page)
    assert key not in client.get("/mypage/api").get_data(as_text=True)     # shown once
    assert app.test_client().get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    bad_ip = client.post("/mypage/api/keys", data={"name": "x", "ip_allowlist": "300.1.1.1"})
    assert bad_ip.status_code == 422 and "IP" in text_of(bad_ip)
    with app.app_context():
        key_id = db.session.scalar(select(ApiKey.id).where(ApiKey.account_id == alice.account_id))
    stranger = logged_in(app, bob.login, bob.password)
    assert_foreign_404(stranger, "POST", f"/mypage/api/keys/{key_id}/revoke")
    assert app.test_client().get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.post(f"/mypage/api/keys/{key_id}/revoke").status_code == 302
    assert app.test_client().get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert "폐기됨" in text_of(client.get("/mypage/api"))


def test_accounts_without_approved_api_use_cannot_create_keys(app):
    customer = make_customer(app, kind="corporate")
    client = logged_in(app, customer.login, customer.password)
    response = client.post("/mypage/api/keys", data={"name": "x"})
    assert response.status_code == 403 and "승인" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(ApiKey.id)) is None
