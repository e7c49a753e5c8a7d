"""Cash that came from a sandbox card payment is never refunded as cash (issue 13: 10,000,000
won in by the sandbox PG, 10,000,000 won refunded). Sends spend sandbox cash first, so real
money stays refundable; the refund review page shows where the cash came from."""
import pytest

from app import clock
from app.extensions import db
from app.models import CashRefundRequest, LedgerEntry, TopupRequest, User
from app.services.wallet import topups
from tests.support import pipeline as pl
from tests.support.factories import make_customer, make_staff
from tests.support.web import logged_in, text_of

REFUND = {"bank_name": "국민은행", "bank_account": "123-456-789012", "account_holder": "홍길동"}


def card(client, amount: int):
    assert client.post("/wallet/card", data={"card_amount": str(amount)}).status_code == 302


def bank_transfer(app, client, amount: int):
    assert client.post("/wallet/bank-transfer", data={"amount": str(amount), "depositor_name": "홍길동"}).status_code == 302
    login, _ = make_staff(app, "Operator")
    with app.app_context():
        request_id = db.session.scalars(db.select(TopupRequest.id).where(TopupRequest.status == "requested")).one()
        actor = app.appbuilder.sm.find_user(username=login)
        topups.decide_bank_transfer(request_id, approve=True, actor=actor, now=clock.now())


def test_sandbox_card_cash_is_not_refunded(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    card(client, 10_000_000)
    with app.app_context():
        assert db.session.scalar(db.select(TopupRequest.gateway)) == "sandbox"
    response = client.post("/wallet/refund", data={"amount": "10000000", **REFUND})
    assert response.status_code == 422
    page = text_of(response)
    assert "환불 가능한 충전금(0원)보다 많습니다" in page and "샌드박스" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CashRefundRequest)) == 0
    assert "환불 가능 금액: 0원" in text_of(client.get("/wallet/refund"))


def test_real_money_beside_sandbox_cash_stays_refundable_and_sends_spend_sandbox_first(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    card(client, 10_000)
    bank_transfer(app, client, 5_000)
    with app.app_context():
        source = topups.refundable_cash(customer.account_id)
        assert (source.cash, source.sandbox, source.bank_transfer, source.refundable) == (15_000, 10_000, 5_000, 5_000)
    assert client.post("/wallet/refund", data={"amount": "5001", **REFUND}).status_code == 422
    # sends spend 12,000 won of cash: the sandbox part first, then 2,000 of the real money
    numbers = [f"01023{i:06d}" for i in range(600)]
    pl.accept(app, customer, None, entries=pl.recipients(numbers), body="정산 안내")
    with app.app_context():
        spent = -sum(e.cash_delta for e in db.session.scalars(db.select(LedgerEntry).where(
            LedgerEntry.account_id == customer.account_id, LedgerEntry.kind == "hold")))
        source = topups.refundable_cash(customer.account_id)
        assert spent > 10_000 and source.spent_on_sends == spent
        assert source.refundable == source.cash == 15_000 - spent          # all that is left is real money
    refundable = source.refundable
    assert client.post("/wallet/refund", data={"amount": str(refundable), **REFUND}).status_code == 302


def test_the_refund_review_page_shows_where_the_cash_came_from_and_rechecks(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    card(client, 30_000)
    bank_transfer(app, client, 20_000)
    assert client.post("/wallet/refund", data={"amount": "20000", **REFUND}).status_code == 302
    login, password = make_staff(app, "Operator")
    staff = logged_in(app, login, password)
    with app.app_context():
        request_id = db.session.scalars(db.select(CashRefundRequest.id)).one()
    page = text_of(staff.get(f"/staff/queues/refunds/show/{request_id}"))
    for words in ("충전금 출처", "무통장입금 충전 (누적) 20,000원", "샌드박스(테스트) 카드 충전 (누적) 30,000원",
                  "환불 가능 금액 20,000원"):
        assert words in page, words
    with app.app_context():
        actor = db.session.scalars(db.select(User).where(User.username == login)).one()
        topups.decide_cash_refund(request_id, approve=True, actor=actor, now=clock.now())
        assert db.session.get(CashRefundRequest, request_id).status == "approved"
        source = topups.refundable_cash(customer.account_id)
        assert (source.cash, source.refunded, source.refundable) == (30_000, 20_000, 0)
