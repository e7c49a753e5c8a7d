"""ACC-10: operators change an account's daily cap and suspend / unsuspend it with a
reason, from the account's staff page; bad values are refused in Korean naming the
field; the customer's dashboard shows the suspension."""
import pytest

from app.models import Account, AuditLog
from tests.support.foundation import count, customer_client, flashed, follow, rows, staff_client
from tests.support.web import text_of


def account_of(app, account_id):
    [account] = rows(app, Account, Account.id == account_id)
    return account


@pytest.fixture
def setup(app):
    customer, client = customer_client(app, name="한도고객")
    _, operator = staff_client(app, "Operator")
    return customer, client, operator


def test_acc10_the_account_page_offers_cap_and_suspension(app, setup):
    customer, _client, operator = setup
    page = operator.get(f"/staff/accounts/show/{customer.account_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'action="/staff/accounts/{customer.account_id}/cap"' in html
    assert f'action="/staff/accounts/{customer.account_id}/suspend"' in html
    assert "한도고객" in text_of(page) and 'value="1000"' in html
    assert operator.get("/staff/accounts/show/999999").status_code == 404


def test_acc10_an_operator_raises_and_lowers_the_cap(app, setup):
    customer, client, operator = setup
    response = operator.post(f"/staff/accounts/{customer.account_id}/cap",
                             data={"daily_cap": "50,000", "reason": "대량 발송 협의"})
    assert response.headers["Location"].endswith(f"/staff/accounts/show/{customer.account_id}")
    assert "일일 발송 한도를 변경했습니다." in flashed(follow(operator, response))
    assert account_of(app, customer.account_id)["daily_cap"] == 50000
    assert "50,000 건" in text_of(client.get("/dashboard/"))
    operator.post(f"/staff/accounts/{customer.account_id}/cap", data={"daily_cap": "0"})
    assert account_of(app, customer.account_id)["daily_cap"] == 0
    assert count(app, AuditLog, AuditLog.action == "set_daily_cap") == 2


@pytest.mark.parametrize("cap,message", [
    ("-1", "일일 발송 한도는 0 이상이어야 합니다."),
    ("12.5", "일일 발송 한도는 정수로 입력해주세요."),
    ("abc", "일일 발송 한도는 정수로 입력해주세요."),
    ("1e6", "일일 발송 한도는 정수로 입력해주세요."),
    ("10000001", "일일 발송 한도는 10,000,000 이하여야 합니다."),
    ("99999999999999999999", "일일 발송 한도 값이 너무 큽니다."),
    ("", "일일 발송 한도를 입력해주세요."),
    ("   ", "일일 발송 한도를 입력해주세요."),
])
def test_acc10_bad_caps_are_refused_in_korean(app, setup, cap, message):
    customer, _client, operator = setup
    response = operator.post(f"/staff/accounts/{customer.account_id}/cap", data={"daily_cap": cap, "reason": "x"})
    assert message in flashed(follow(operator, response))
    assert account_of(app, customer.account_id)["daily_cap"] == 1000
    assert count(app, AuditLog) == 0


def test_acc10_suspension_needs_a_reason(app, setup):
    customer, client, operator = setup
    for reason in ("", "   "):
        response = operator.post(f"/staff/accounts/{customer.account_id}/suspend", data={"reason": reason})
        assert "정지 사유를 입력해주세요." in flashed(follow(operator, response))
    account = account_of(app, customer.account_id)
    assert account["suspended_at"] is None and count(app, AuditLog) == 0
    assert "이용이 정지된 계정입니다" not in text_of(client.get("/dashboard/"))


def test_acc10_suspend_shows_on_the_dashboard_and_unsuspend_lifts_it(app, setup):
    customer, client, operator = setup
    response = operator.post(f"/staff/accounts/{customer.account_id}/suspend", data={"reason": "스팸 신고 접수"})
    assert "계정을 이용 정지했습니다." in flashed(follow(operator, response))
    account = account_of(app, customer.account_id)
    assert account["suspended_at"] is not None and account["suspended_reason"] == "스팸 신고 접수"
    assert "이용이 정지된 계정입니다: 스팸 신고 접수" in text_of(client.get("/dashboard/"))
    assert "정지됨" in text_of(operator.get(f"/staff/accounts/show/{customer.account_id}"))
    # suspending twice is refused, the first reason stays
    response = operator.post(f"/staff/accounts/{customer.account_id}/suspend", data={"reason": "다른 사유"})
    assert "이미 이용 정지된 계정입니다." in flashed(follow(operator, response))
    assert account_of(app, customer.account_id)["suspended_reason"] == "스팸 신고 접수"

    response = operator.post(f"/staff/accounts/{customer.account_id}/unsuspend", data={"reason": ""})
    assert "이용 정지를 해제했습니다." in flashed(follow(operator, response))
    assert account_of(app, customer.account_id)["suspended_at"] is None
    assert "이용이 정지된 계정입니다" not in text_of(client.get("/dashboard/"))
    response = operator.post(f"/staff/accounts/{customer.account_id}/unsuspend", data={"reason": ""})
    assert "이용 정지 상태가 아닙니다." in flashed(follow(operator, response))
    assert [r["action"] for r in rows(app, AuditLog)] == ["suspend", "unsuspend"]


def test_acc10_only_operations_staff_change_limits(app, setup):
    customer, client, _operator = setup
    _, finance = staff_client(app, "Finance")
    for url, data in ((f"/staff/accounts/{customer.account_id}/cap", {"daily_cap": "5"}),
                      (f"/staff/accounts/{customer.account_id}/suspend", {"reason": "x"})):
        assert finance.post(url, data=data).status_code == 403
        assert client.post(url, data=data).status_code == 403
    account = account_of(app, customer.account_id)
    assert (account["daily_cap"], account["suspended_at"]) == (1000, None)
