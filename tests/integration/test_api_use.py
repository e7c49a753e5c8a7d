"""ACC-06 API 사용 신청: corporate accounts apply, an operator approves (api_status
'approved') or rejects with a reason the customer sees; individuals are refused."""
import json

from app.models import Account, ApiUseApplication, AuditLog
from tests.support.foundation import count, customer_client, flashed, follow, rows, staff_client
from tests.support.web import text_of

QUEUE = "/staff/queues/api-use"
FORM = {"purpose": "주문 알림 문자를 쇼핑몰 서버에서 자동 발송", "server_ips": "203.0.113.10, 203.0.113.11"}


def api_status(app, account_id) -> str:
    [account] = rows(app, Account, Account.id == account_id)
    return account["api_status"]


def only_application(app, account_id):
    [application] = rows(app, ApiUseApplication, ApiUseApplication.account_id == account_id)
    return application


def test_acc06_corporate_applies_and_an_operator_approves(app):
    customer, client = customer_client(app, kind="corporate")
    assert client.get("/mypage/api").status_code == 200
    response = client.post("/mypage/api", data=FORM)
    assert response.status_code == 302
    assert "신청 검토중" in text_of(follow(client, response))
    assert api_status(app, customer.account_id) == "requested"
    application = only_application(app, customer.account_id)
    assert (application["purpose"], application["server_ips"], application["status"]) == \
        (FORM["purpose"], FORM["server_ips"], "requested")

    operator_login, operator = staff_client(app, "Operator")
    assert FORM["purpose"] in text_of(operator.get(f"{QUEUE}/list/"))
    show = operator.get(f"{QUEUE}/show/{application['id']}")
    assert show.status_code == 200 and "203.0.113.10" in text_of(show)
    response = operator.post(f"{QUEUE}/decide/{application['id']}", data={"decision": "approve"})
    assert "승인했습니다." in flashed(follow(operator, response))
    assert api_status(app, customer.account_id) == "approved"
    assert only_application(app, customer.account_id)["status"] == "approved"
    [entry] = rows(app, AuditLog)
    assert (entry["actor_login"], entry["action"], entry["object_type"], entry["object_id"]) == \
        (operator_login, "approve", "api_use_application", str(application["id"]))
    assert (json.loads(entry["before"]), json.loads(entry["after"])) == \
        ({"status": "requested"}, {"status": "approved"})
    assert "사용 승인" in text_of(client.get("/mypage/api"))
    # an approved account cannot apply again
    again = client.post("/mypage/api", data=FORM)
    assert again.status_code == 409 and "이미 API 사용을 신청했거나 승인되었습니다." in text_of(again)
    assert count(app, ApiUseApplication) == 1


def test_acc06_an_individual_is_refused_clearly(app):
    customer, client = customer_client(app)
    page = client.get("/mypage/api")
    assert page.status_code == 200 and "기업회원만 이용할 수 있습니다" in text_of(page)
    assert 'name="purpose"' not in page.get_data(as_text=True)
    response = client.post("/mypage/api", data=FORM)
    assert response.status_code == 403
    assert "API 사용 신청은 기업회원만 가능합니다. 먼저 기업전환을 신청해주세요." in text_of(response)
    assert count(app, ApiUseApplication) == 0 and api_status(app, customer.account_id) == "none"


def test_acc06_purpose_is_required(app):
    customer, client = customer_client(app, kind="corporate")
    response = client.post("/mypage/api", data={"purpose": "  ", "server_ips": ""})
    assert response.status_code == 422 and "사용 목적을 입력해주세요." in text_of(response)
    assert count(app, ApiUseApplication) == 0 and api_status(app, customer.account_id) == "none"


def test_acc06_rejected_with_a_reason_the_customer_sees_it_and_may_apply_again(app):
    customer, client = customer_client(app, kind="corporate")
    client.post("/mypage/api", data=FORM)
    application = only_application(app, customer.account_id)
    operator_login, operator = staff_client(app, "Operator")

    response = operator.post(f"{QUEUE}/decide/{application['id']}", data={"decision": "reject", "reason": ""})
    assert "반려 사유를 입력해주세요." in flashed(follow(operator, response))
    assert api_status(app, customer.account_id) == "requested" and count(app, AuditLog) == 0

    response = operator.post(f"{QUEUE}/decide/{application['id']}",
                             data={"decision": "reject", "reason": "서버 IP가 국내 IP가 아닙니다."})
    assert "반려했습니다." in flashed(follow(operator, response))
    assert api_status(app, customer.account_id) == "rejected"
    [entry] = rows(app, AuditLog)
    assert (entry["actor_login"], entry["action"], entry["reason"]) == \
        (operator_login, "reject", "서버 IP가 국내 IP가 아닙니다.")
    page = text_of(client.get("/mypage/api"))
    assert "API 사용 신청이 반려되었습니다. 반려 사유: 서버 IP가 국내 IP가 아닙니다." in page
    assert client.post("/mypage/api", data=FORM).status_code == 302
    assert api_status(app, customer.account_id) == "requested"
    assert count(app, ApiUseApplication, ApiUseApplication.status == "requested") == 1
