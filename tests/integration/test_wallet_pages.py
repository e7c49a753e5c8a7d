"""The 충전 pages (WAL-03, WAL-09, WAL-10) and the staff money pages (WAL-04, WAL-05)."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, LedgerEntry, PricePlan, TopupRequest
from app.services.wallet import ledger
from tests.support.factories import make_customer, make_staff
from tests.support.tenancy import assert_foreign_404
from tests.support.web import logged_in, text_of


def balance(app, account_id):
    with app.app_context():
        return ledger.balance(account_id)


def test_bank_transfer_is_credited_when_an_operator_confirms_the_deposit(app):
    c = make_customer(app)
    customer = logged_in(app, c.login, c.password)
    response = customer.post("/wallet/bank-transfer", data={"amount": "50,000", "depositor_name": "홍길동"})
    assert response.status_code == 302
    assert balance(app, c.account_id).cash == 0
    assert "입금 대기" in text_of(customer.get("/wallet/"))

    operator = logged_in(app, *make_staff(app, "Operator"))
    queue = operator.get("/staff/queues/topups/list/")
    assert "홍길동" in text_of(queue)
    with app.app_context():
        topup_id = db.session.scalar(select(TopupRequest.id))
    assert "입금확인" in text_of(operator.get(f"/staff/queues/topups/show/{topup_id}"))
    assert operator.post(f"/staff/queues/topups/decide/{topup_id}", data={"decision": "approve"}).status_code == 302
    assert balance(app, c.account_id).cash == 50_000
    # confirming twice credits once
    operator.post(f"/staff/queues/topups/decide/{topup_id}", data={"decision": "approve"})
    assert balance(app, c.account_id).cash == 50_000
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "topup")) == 1
    assert "충전 완료" in text_of(customer.get("/wallet/"))


def test_card_payment_is_credited_at_once(app):
    c = make_customer(app)
    customer = logged_in(app, c.login, c.password)
    assert customer.post("/wallet/card", data={"card_amount": "10000"}).status_code == 302
    assert balance(app, c.account_id).cash == 10_000
    assert "10,000 원" in text_of(customer.get("/wallet/"))
    with app.app_context():      # WAL-02 / ACC-08: who paid is on the entry and in the audit log
        from app.models import User
        entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "topup"))
        assert db.session.get(User, entry.actor_id).username == c.login
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "topup")).actor_login == c.login


@pytest.mark.parametrize("amount,message", [("0", "1,000"), ("-5000", "1,000"), ("1500", "1,000원 단위"),
                                            ("10001000", "10,000,000"), ("abc", "정수"), ("", "입력"),
                                            ("12.5", "정수")])
def test_bad_top_up_amounts_are_refused(app, amount, message):
    c = make_customer(app)
    customer = logged_in(app, c.login, c.password)
    response = customer.post("/wallet/bank-transfer", data={"amount": amount, "depositor_name": "홍길동"})
    assert response.status_code == 422 and message in text_of(response)
    response = customer.post("/wallet/card", data={"card_amount": amount})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(TopupRequest.id))) == 0
    assert balance(app, c.account_id).cash == 0


def test_a_pending_top_up_can_be_cancelled_only_by_its_customer(app):
    a = make_customer(app)
    b = make_customer(app)
    alice = logged_in(app, a.login, a.password)
    alice.post("/wallet/bank-transfer", data={"amount": "1000", "depositor_name": "앨리스"})
    with app.app_context():
        topup_id = db.session.scalar(select(TopupRequest.id))
    bob = logged_in(app, b.login, b.password)
    assert_foreign_404(bob, "POST", f"/wallet/topups/{topup_id}/cancel")
    assert alice.post(f"/wallet/topups/{topup_id}/cancel").status_code == 302
    with app.app_context():
        assert db.session.get(TopupRequest, topup_id).status == "cancelled"
    # a cancelled request can no longer be confirmed
    operator = logged_in(app, *make_staff(app, "Operator"))
    operator.post(f"/staff/queues/topups/decide/{topup_id}", data={"decision": "approve"})
    assert balance(app, a.account_id).cash == 0


def test_cash_refund_request_is_paid_out_by_an_operator(app):
    c = make_customer(app, cash=30_000, points=5_000)
    customer = logged_in(app, c.login, c.password)
    form = {"amount": "20000", "bank_name": "국민은행", "bank_account": "123-456-789012", "account_holder": "홍길동"}
    too_much = customer.post("/wallet/refund", data={**form, "amount": "35000"})
    assert too_much.status_code == 422 and "포인트는 환불되지 않습니다" in text_of(too_much)
    assert customer.post("/wallet/refund", data=form).status_code == 302
    assert customer.post("/wallet/refund", data=form).status_code == 409  # one at a time
    operator = logged_in(app, *make_staff(app, "Operator"))
    assert "국민은행" in text_of(operator.get("/staff/queues/refunds/list/"))
    with app.app_context():
        from app.models import CashRefundRequest
        request_id = db.session.scalar(select(CashRefundRequest.id))
    operator.post(f"/staff/queues/refunds/decide/{request_id}", data={"decision": "approve"})
    assert balance(app, c.account_id) == ledger.Balance(10_000, 5_000)
    assert "환불 완료" in text_of(customer.get("/wallet/refund"))


def test_a_refund_the_customer_spent_meanwhile_cannot_be_paid_out(app):
    c = make_customer(app, cash=10_000)
    customer = logged_in(app, c.login, c.password)
    customer.post("/wallet/refund", data={"amount": "10000", "bank_name": "국민은행",
                                          "bank_account": "12345678", "account_holder": "홍"})
    with app.app_context():
        ledger.hold(c.account_id, 1, 5_000, now=wallet_now())
        from app.models import CashRefundRequest
        request_id = db.session.scalar(select(CashRefundRequest.id))
    operator = logged_in(app, *make_staff(app, "Operator"))
    response = operator.post(f"/staff/queues/refunds/decide/{request_id}", data={"decision": "approve"},
                             follow_redirects=True)
    assert "충전금" in text_of(response)
    assert balance(app, c.account_id).cash == 5_000


def wallet_now():
    from app import clock
    return clock.now()


def test_statement_filters_and_excel_export(app):
    c = make_customer(app, cash=5_000, points=100)
    with app.app_context():
        ledger.topup(c.account_id, 1000, key="memo-formula", now=wallet_now(), memo="=HYPERLINK(\"x\")")
    customer = logged_in(app, c.login, c.password)
    page = text_of(customer.get("/wallet/statement"))
    assert "충전" in page and "포인트 지급" in page and "총 3건" in page
    only_points = text_of(customer.get("/wallet/statement?kind=point_grant"))
    assert "총 1건" in only_points
    bad = customer.get("/wallet/statement?from=2026-13-01")
    assert bad.status_code == 422 and "시작일" in text_of(bad)
    export = customer.get("/wallet/statement.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("일시") and len(rows) == 4
    memo_cells = [r[7] for r in rows[1:] if r[7] and "HYPERLINK" in r[7]]
    assert memo_cells == ["'=HYPERLINK(\"x\")"]  # RES-05: opens as text


def test_statement_shows_only_the_customers_own_ledger(app):
    a = make_customer(app, cash=1_234_000)
    b = make_customer(app, cash=5_000)
    bob = logged_in(app, b.login, b.password)
    assert "1,234,000" not in text_of(bob.get("/wallet/statement"))
    sheet = load_workbook(io.BytesIO(bob.get("/wallet/statement.xlsx").data)).active
    assert all(1_234_000 not in row for row in sheet.iter_rows(values_only=True))
    assert a.account_id != b.account_id


def test_operator_grants_and_revokes_points_with_a_reason_and_an_audit_entry(app):
    c = make_customer(app)
    operator = logged_in(app, *make_staff(app, "Operator"))
    page = operator.get(f"/staff/wallet/{c.account_id}")
    assert page.status_code == 200
    no_reason = operator.post(f"/staff/wallet/{c.account_id}/points", data={"op": "grant", "amount": "500",
                                                                              "reason": "", "nonce": "n0"},
                              follow_redirects=True)
    assert "지급 사유" in text_of(no_reason)
    data = {"op": "grant", "amount": "500", "reason": "가입 이벤트", "nonce": "n1"}
    operator.post(f"/staff/wallet/{c.account_id}/points", data=data)
    operator.post(f"/staff/wallet/{c.account_id}/points", data=data)  # a double submit grants once
    assert balance(app, c.account_id).points == 500
    operator.post(f"/staff/wallet/{c.account_id}/points", data={"op": "revoke", "amount": "200", "reason": "회수",
                                                                "nonce": "n2"})
    assert balance(app, c.account_id).points == 300
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions.count("point_grant") == 1 and actions.count("point_revoke") == 1
    # only admins adjust
    assert operator.post(f"/staff/wallet/{c.account_id}/adjust",
                         data={"cash_delta": "100", "reason": "x", "nonce": "n3"}).status_code == 403
    admin = logged_in(app, *make_staff(app, "Admin"))
    admin.post(f"/staff/wallet/{c.account_id}/adjust", data={"cash_delta": "100", "reason": "정정", "nonce": "n4"})
    assert balance(app, c.account_id).cash == 100


def test_customers_cannot_reach_staff_money_pages(app):
    c = make_customer(app, cash=100)
    customer = logged_in(app, c.login, c.password)
    for url in (f"/staff/wallet/{c.account_id}", "/staff/ledger/list/", "/staff/queues/topups/list/",
                "/staff/price-plans/list/"):
        assert customer.get(url).status_code == 403, url
    assert customer.post(f"/staff/wallet/{c.account_id}/points",
                         data={"op": "grant", "amount": "500", "reason": "x"}).status_code == 403
    assert balance(app, c.account_id).points == 0


def test_admin_edits_a_price_plan_and_assigns_it_with_audit(app):
    c = make_customer(app)
    admin = logged_in(app, *make_staff(app, "Admin"))
    response = admin.post("/staff/price-plans/add", data={"name": "VIP", "sms": "15", "lms": "40", "mms": "120",
                                                          "alimtalk": "10", "friendtalk_text": "12",
                                                          "friendtalk_image": "20"})
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(PricePlan).where(PricePlan.name == "VIP"))
        assert plan.sms == 15
    bad = admin.post(f"/staff/price-plans/edit/{plan.id}", data={"name": "VIP", "sms": "-1", "lms": "40", "mms": "120",
                                                                "alimtalk": "10", "friendtalk_text": "12",
                                                                "friendtalk_image": "20"})
    assert bad.status_code == 200 and "0원 이상" in text_of(bad)
    admin.post(f"/staff/price-plans/edit/{plan.id}", data={"name": "VIP", "sms": "16", "lms": "40", "mms": "120",
                                                          "alimtalk": "10", "friendtalk_text": "12",
                                                          "friendtalk_image": "20"})
    admin.post(f"/staff/wallet/{c.account_id}/plan", data={"plan_id": str(plan.id), "reason": "연간 계약"})
    with app.app_context():
        from app.models import Account
        assert db.session.get(Account, c.account_id).price_plan.name == "VIP"
        assigned = db.session.scalar(select(AuditLog).where(AuditLog.action == "assign_price_plan"))
        assert (assigned.reason, assigned.account_id) == ("연간 계약", c.account_id)
        audit = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "price_plan")
                                   .order_by(AuditLog.id)).all()
        assert [a.action for a in audit] == ["create_price_plan", "change_price_plan"]
        assert '"sms": 15' in audit[1].before and '"sms": 16' in audit[1].after
    operator = logged_in(app, *make_staff(app, "Operator"))
    assert operator.get("/staff/price-plans/list/").status_code == 403
    assert operator.post(f"/staff/wallet/{c.account_id}/plan", data={"plan_id": str(plan.id)}).status_code == 403


def test_staff_see_any_accounts_ledger(app):
    c = make_customer(app, cash=777_000)
    finance = logged_in(app, *make_staff(app, "Finance"))
    assert "777,000" in text_of(finance.get(f"/staff/ledger/list/?_flt_0_account={c.account_id}")) or \
        "777000" in text_of(finance.get("/staff/ledger/list/"))
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1
