"""The Kakao dealer for tests: NHN's API played by the local server
(app/gateways/nhn_kakao/dealer_server.py) on a loopback port, and the app configured with
GATEWAY_KAKAO=nhn against it. The server's clock is fixed at the pipeline's NOW (KST) so
that its results, receive dates and Brand Message hours agree with the injected clock."""
from __future__ import annotations

import datetime as dt

import pytest

from app.gateways.nhn_kakao.dealer_server import LocalDealer
from tests.support.pipeline import NOW

APPKEY, SECRET = "mb-test-appkey", "mb-test-secret"
KST = dt.timezone(dt.timedelta(hours=9))


def kst_text(at: dt.datetime) -> str:
    """A naive-UTC time as the dealer's clock setting (KST)."""
    return at.replace(tzinfo=dt.timezone.utc).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")


def dealer_settings(dealer: LocalDealer, **changes) -> dict:
    return {"GATEWAY_KAKAO": "nhn", "NHN_KAKAO_URL": dealer.base_url, "NHN_KAKAO_APPKEY": dealer.appkey,
            "NHN_KAKAO_SECRET": dealer.secret, "NHN_KAKAO_RETRIES": 1, "NHN_KAKAO_RETRY_PAUSE_SECONDS": 0.05,
            "NHN_KAKAO_TIMEOUT_SECONDS": 2, "NHN_KAKAO_WEBHOOK_SIGNATURE": "mb-hook-signature",
            # @shop was registered in NHN's console (tests/support/factories.approve_channel approves it)
            "NHN_KAKAO_SENDER_KEYS": f"@shop={dealer.sender_key('@shop')}", **changes}


@pytest.fixture
def dealer():
    server = LocalDealer(APPKEY, SECRET, senders=["@shop"]).start()
    server.control(clock={"now": kst_text(NOW)})
    yield server
    server.close()


@pytest.fixture
def app(database_url, redis_server, dealer):
    """The app with NHN's API (the local server) as its Kakao gateway; SMS stays the sandbox."""
    import redis as redis_lib
    from tests.conftest import make_app
    redis_lib.Redis.from_url(redis_server.url).flushdb()
    application = make_app(database_url, REDIS_URL=redis_server.url, **dealer_settings(dealer))
    yield application
    from app.extensions import db
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
