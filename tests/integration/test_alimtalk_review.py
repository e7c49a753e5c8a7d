"""The operators' AlimTalk template review through the staff pages (06-kakao.md KAT-05,
KAT-03; 10-gateway.md: the sandbox's operators play Kakao's reviewer): the queue oldest
first, the review page that changes nothing when opened, 검수 시작 → 승인 or 반려 with a
reason that reaches the customer, 답변, the refused steps (each flashes why and changes
nothing), a dealer reviewing instead, and every template for staff with 차단 / 차단 해제.
Who may open them: operators and admins; finance gets 403, customers 403, visitors the
login page."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app import clock
from app.extensions import db
from app.models import AccountNotice, AlimtalkTemplate, AlimtalkTemplateEvent, AuditLog
from app.services.kakao import templates
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.foundation import count, customer_client, flashed, follow, rows, staff_client
from tests.support.web import text_of

NOW = dt.datetime(2026, 12, 1, 1, 0)           # 10:00 KST
QUEUE = "/staff/queues/alimtalk-templates/"
ADMIN_LIST = "/staff/alimtalk-templates/"


@pytest.fixture
def shop(app):
    """A corporate customer with an approved channel."""
    customer = make_customer(app, kind="corporate", name="메가샵")
    return customer, approve_channel(app, customer.account_id, "@megashop")


def _template(app, template_id: int) -> dict:
    [row] = rows(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id)
    return row


def _code(app, template_id: int) -> str:
    return _template(app, template_id)["code"]


def _events(app, template_id: int) -> list[dict]:
    return rows(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == template_id,
                order_by=AlimtalkTemplateEvent.id)


def _audits(app, template_id: int) -> list[str]:
    return [a["action"] for a in rows(app, AuditLog, AuditLog.object_type == "alimtalk_template",
                                      AuditLog.object_id == str(template_id), order_by=AuditLog.id)]


def _unchanged(app, template_id: int):
    """What a refused step must leave as it was: the row, its history, its audit entries."""
    return _template(app, template_id), _events(app, template_id), _audits(app, template_id)


def test_kat05_the_queue_oldest_first_a_page_that_changes_nothing_then_start_and_approve(app, shop):
    customer, channel_id = shop
    with clock.frozen(NOW - dt.timedelta(days=2, hours=3)):
        older = make_template(app, customer.account_id, channel_id, status="requested", name="배송 시작 안내")
    with clock.frozen(NOW - dt.timedelta(hours=5)):
        newer = make_template(app, customer.account_id, channel_id, status="requested", name="주문 접수 안내")
    make_template(app, customer.account_id, channel_id, status="saved", name="아직 저장만 한 템플릿")
    _login, operator = staff_client(app, "Operator")
    with clock.frozen(NOW):
        listing = operator.get(QUEUE)
        assert listing.status_code == 200
        html = listing.get_data(as_text=True)
        assert re.findall(r'class="queue-item" data-code="([^"]+)"', html) == [_code(app, older), _code(app, newer)]
        text = text_of(listing)
        assert "메가샵" in text and "@megashop" in text and "배송 시작 안내" in text and "등록요청" in text
        assert "2일 3시간 대기" in text and "5시간 0분 대기" in text
        assert "아직 저장만 한 템플릿" not in text
        assert "2건" in text

        # opening the review page shows everything and changes nothing (KAT-03: 검수 시작 is a POST)
        before = _unchanged(app, older)
        page = operator.get(f"{QUEUE}show/{older}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'class="mb-kakao"' in html and 'class="mb-kakao-button" data-type="WL">배송 조회<' in html
        page_text = text_of(page)
        assert "#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다." in page_text
        assert "https://shop.example.com/o/#{주문번호}" in page_text and "웹링크 (WL)" in page_text
        assert "기본형 (BA)" in page_text and "@megashop" in page_text
        assert 'id="start-review"' in html and 'id="approve"' not in html and 'id="reject"' not in html
        assert "confirm(" not in html                       # the page's own dialogs only
        assert _unchanged(app, older) == before

        started = operator.post(f"{QUEUE}{older}/start")
        assert started.status_code == 302
        page = follow(operator, started)
        assert "검수를 시작했습니다." in flashed(page)
        html = page.get_data(as_text=True)
        assert 'id="approve"' in html and 'id="reject-reason"' in html and 'id="start-review"' not in html
        assert 'data-confirm="이 템플릿을 승인할까요?' in html
        assert _template(app, older)["status"] == "in_review"
        assert "검수중" in text_of(operator.get(QUEUE))          # still in the queue, in review

        approved = follow(operator, operator.post(f"{QUEUE}{older}/approve"))
        assert "템플릿을 승인했습니다." in flashed(approved)
        assert 'id="review-done"' in approved.get_data(as_text=True)
    row = _template(app, older)
    assert row["status"] == "approved" and row["reviewed_at"] is not None
    assert [e["status"] for e in _events(app, older)] == ["saved", "requested", "in_review", "approved"]
    assert _audits(app, older) == ["start_review", "approve"]
    assert count(app, AccountNotice, AccountNotice.account_id == customer.account_id,
                 AccountNotice.kind == "review:alimtalk_template") == 1
    with clock.frozen(NOW):
        assert re.findall(r'data-code="([^"]+)"', operator.get(QUEUE).get_data(as_text=True)) == [_code(app, newer)]


def test_kat05_a_rejection_needs_its_reason_and_the_customer_reads_it(app, shop):
    customer, channel_id = shop
    template_id = make_template(app, customer.account_id, channel_id, status="in_review")
    _login, operator = staff_client(app, "Operator")
    before = _unchanged(app, template_id)
    refused = follow(operator, operator.post(f"{QUEUE}{template_id}/reject", data={"reason": "   "}))
    assert "반려 사유를 입력해주세요." in flashed(refused)
    assert _unchanged(app, template_id) == before

    reason = "광고성 문구(특가, 쿠폰)가 있어 알림톡으로 보낼 수 없습니다. 정보성 내용으로 고쳐주세요."
    done = follow(operator, operator.post(f"{QUEUE}{template_id}/reject", data={"reason": reason}))
    assert "템플릿을 반려했습니다." in flashed(done)
    assert reason in text_of(done)
    # the customer sees the state and the reason: the template, its history, a notice
    with app.app_context():
        mine = templates.get_template(customer.account_id, template_id)
        assert (mine.status, mine.status_label, mine.reject_reason) == ("rejected", "반려됨", reason)
        assert templates.history(mine)[-1].comment == reason
    [notice] = rows(app, AccountNotice, AccountNotice.account_id == customer.account_id,
                    AccountNotice.kind == "review:alimtalk_template")
    assert "반려되었습니다" in notice["title"] and reason in notice["body"]
    assert _audits(app, template_id) == ["start_review", "reject"]


@pytest.mark.parametrize("status, step, message", [
    ("requested", "approve", "먼저 검수 시작을 눌러주세요."),
    ("requested", "reject", "먼저 검수 시작을 눌러주세요."),
    ("in_review", "start", "등록요청 상태의 템플릿만 검수를 시작할 수 있습니다."),
    ("approved", "start", "등록요청 상태의 템플릿만 검수를 시작할 수 있습니다."),
    ("approved", "approve", "이미 처리된 템플릿입니다."),
    ("rejected", "reject", "이미 처리된 템플릿입니다."),
    ("saved", "start", "등록요청 상태의 템플릿만 검수를 시작할 수 있습니다."),
])
def test_kat05_a_refused_step_flashes_why_and_changes_nothing(app, shop, status, step, message):
    customer, channel_id = shop
    template_id = make_template(app, customer.account_id, channel_id, status=status)
    _login, operator = staff_client(app, "Operator")
    before = _unchanged(app, template_id)
    response = operator.post(f"{QUEUE}{template_id}/{step}", data={"reason": "사유"})
    assert response.status_code == 302
    page = follow(operator, response)
    assert message in flashed(page) and "alert-danger" in page.get_data(as_text=True)
    assert _unchanged(app, template_id) == before


def test_kat05_a_template_that_does_not_exist_is_404(app):
    _login, operator = staff_client(app, "Operator")
    assert operator.get(f"{QUEUE}show/999999").status_code == 404
    assert operator.get(f"{ADMIN_LIST}show/999999").status_code == 404


def test_kat05_the_customers_inquiry_and_the_reviewers_reply(app, shop):
    customer, channel_id = shop
    template_id = make_template(app, customer.account_id, channel_id, status="rejected")
    with app.app_context():
        templates.add_comment(account_id=customer.account_id, template_id=template_id, actor=None,
                              comment="변수명을 바꿨는데 다시 봐주실 수 있나요?", now=clock.now())
    _login, operator = staff_client(app, "Operator")
    page = operator.get(f"{QUEUE}show/{template_id}")
    comments = re.search(r'id="template-comments">(.*?)</table>', page.get_data(as_text=True), flags=re.S).group(1)
    assert "변수명을 바꿨는데 다시 봐주실 수 있나요?" in comments and 'data-actor="customer"' in comments
    assert "변수 사용이 가이드와 맞지 않습니다." in text_of(page)          # the rejection in the history

    before = _unchanged(app, template_id)
    refused = follow(operator, operator.post(f"{QUEUE}{template_id}/comment", data={"comment": ""}))
    assert "답변 내용을 입력해주세요." in flashed(refused) and _unchanged(app, template_id) == before

    reply = follow(operator, operator.post(f"{QUEUE}{template_id}/comment",
                                           data={"comment": "#{고객명} 변수는 본문 첫머리에 두면 승인됩니다."}))
    assert "답변을 남겼습니다." in flashed(reply)
    last = _events(app, template_id)[-1]
    assert (last["kind"], last["actor_kind"], last["status"]) == ("comment", "staff", "rejected")
    assert _template(app, template_id)["status"] == "rejected"
    assert _audits(app, template_id)[-1] == "comment"


def test_kat05_when_a_dealer_reviews_no_decision_is_offered_and_a_post_is_refused(app, shop):
    """A dealer's gateway reviews templates itself (its results come by template_status):
    the sandbox is told to behave as one."""
    customer, channel_id = shop
    requested = make_template(app, customer.account_id, channel_id, status="requested")
    in_review = make_template(app, customer.account_id, channel_id, status="in_review")
    app.config["SANDBOX_OPERATORS_REVIEW"] = False
    _login, operator = staff_client(app, "Operator")
    assert "딜러가 템플릿을 검수합니다" in text_of(operator.get(QUEUE))
    for template_id in (requested, in_review):
        html = operator.get(f"{QUEUE}show/{template_id}").get_data(as_text=True)
        assert 'id="dealer-review"' in html
        assert not any(f'id="{button}"' in html for button in ("start-review", "approve", "reject"))
    for template_id, step in ((requested, "start"), (in_review, "approve"), (in_review, "reject")):
        before = _unchanged(app, template_id)
        page = follow(operator, operator.post(f"{QUEUE}{template_id}/{step}", data={"reason": "사유"}))
        assert "카카오 비즈메시지 딜러가 검수하는 템플릿입니다." in flashed(page)
        assert _unchanged(app, template_id) == before


def test_staff_list_filters_by_state_account_and_search(app, shop):
    customer, channel_id = shop
    other = make_customer(app, kind="corporate", name="우정상회")
    other_channel = approve_channel(app, other.account_id, "@ujung")
    approved = make_template(app, customer.account_id, channel_id, status="approved", name="주문 발송 안내")
    rejected = make_template(app, customer.account_id, channel_id, status="rejected", name="쿠폰 안내")
    theirs = make_template(app, other.account_id, other_channel, status="approved", name="예약 확인 안내")
    _login, operator = staff_client(app, "Operator")

    def codes(url):
        response = operator.get(url)
        assert response.status_code == 200, url
        return set(re.findall(r'class="template-row" data-code="([^"]+)"', response.get_data(as_text=True)))

    every = {_code(app, approved), _code(app, rejected), _code(app, theirs)}
    assert codes(ADMIN_LIST) == every
    assert codes(f"{ADMIN_LIST}?status=approved") == {_code(app, approved), _code(app, theirs)}
    assert codes(f"{ADMIN_LIST}?account={other.account_id}") == {_code(app, theirs)}
    assert codes(f"{ADMIN_LIST}?q=쿠폰") == {_code(app, rejected)}
    assert codes(f"{ADMIN_LIST}?q={_code(app, theirs)}") == {_code(app, theirs)}
    assert codes(f"{ADMIN_LIST}?status=rejected&account={customer.account_id}") == {_code(app, rejected)}
    page = operator.get(ADMIN_LIST)
    assert 'value="rejected"' in page.get_data(as_text=True) and "반려됨" in text_of(page)
    for bad in ("?status=nonsense", "?account=abc", "?account=99999999999999999999999"):
        refused = operator.get(ADMIN_LIST + bad)
        assert refused.status_code == 422 and 'id="form-error"' in refused.get_data(as_text=True), bad
    assert "고객 관리" in text_of(page) and f'href="{ADMIN_LIST}"' in page.get_data(as_text=True)


def test_staff_block_needs_a_reason_and_unblock_returns_the_template(app, shop):
    customer, channel_id = shop
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    requested = make_template(app, customer.account_id, channel_id, status="requested")
    _login, operator = staff_client(app, "Operator")
    page = operator.get(f"{ADMIN_LIST}show/{template_id}").get_data(as_text=True)
    assert 'id="block"' in page and 'id="block-reason"' in page and 'data-confirm="이 템플릿을 차단할까요?' in page
    assert 'id="start-review"' not in page

    before = _unchanged(app, template_id)
    refused = follow(operator, operator.post(f"{ADMIN_LIST}{template_id}/block", data={"reason": ""}))
    assert "차단 사유를 입력해주세요." in flashed(refused) and _unchanged(app, template_id) == before

    blocked = follow(operator, operator.post(f"{ADMIN_LIST}{template_id}/block",
                                             data={"reason": "수신자 스팸 신고가 이어져 발송을 막습니다."}))
    assert "템플릿을 차단했습니다." in flashed(blocked) and 'id="unblock"' in blocked.get_data(as_text=True)
    with app.app_context():
        assert not templates.sendable(db.session.get(AlimtalkTemplate, template_id))
    assert count(app, AccountNotice, AccountNotice.account_id == customer.account_id,
                 AccountNotice.kind == "alimtalk_template:block") == 1

    again = follow(operator, operator.post(f"{ADMIN_LIST}{template_id}/block", data={"reason": "또"}))
    assert "등록완료 또는 휴면 상태의 템플릿만 차단할 수 있습니다." in flashed(again)
    unblocked = follow(operator, operator.post(f"{ADMIN_LIST}{template_id}/unblock", data={"reason": ""}))
    assert "차단을 해제했습니다." in flashed(unblocked)
    assert _template(app, template_id)["status"] == "approved"
    assert _audits(app, template_id)[-2:] == ["block", "unblock"]

    before = _unchanged(app, requested)
    page = operator.get(f"{ADMIN_LIST}show/{requested}").get_data(as_text=True)
    assert 'id="not-blockable"' in page and 'id="to-review"' in page
    refused = follow(operator, operator.post(f"{ADMIN_LIST}{requested}/block", data={"reason": "스팸"}))
    assert "등록완료 또는 휴면 상태의 템플릿만 차단할 수 있습니다." in flashed(refused)
    refused = follow(operator, operator.post(f"{ADMIN_LIST}{requested}/unblock"))
    assert "차단된 템플릿만 차단 해제할 수 있습니다." in flashed(refused)
    assert _unchanged(app, requested) == before


def test_only_operators_and_admins_open_the_review_finance_403_customers_403_visitors_login(app, shop):
    customer, channel_id = shop
    template_id = make_template(app, customer.account_id, channel_id, status="requested")
    approved = make_template(app, customer.account_id, channel_id, status="approved")
    gets = [QUEUE, f"{QUEUE}show/{template_id}", ADMIN_LIST, f"{ADMIN_LIST}show/{approved}"]
    posts = [f"{QUEUE}{template_id}/start", f"{QUEUE}{template_id}/approve", f"{QUEUE}{template_id}/reject",
             f"{QUEUE}{template_id}/comment", f"{ADMIN_LIST}{approved}/block", f"{ADMIN_LIST}{approved}/unblock",
             f"{ADMIN_LIST}{approved}/comment"]
    before = (_unchanged(app, template_id), _unchanged(app, approved))
    _login, finance = staff_client(app, "Finance")
    _owner, own_client = customer_client(app)
    mine = own_client                                 # a customer (any account) is refused too
    for url in gets:
        assert finance.get(url).status_code == 403, url
        assert mine.get(url).status_code == 403, url
        visitor = app.test_client().get(url)
        assert visitor.status_code == 302 and "/login/" in visitor.headers["Location"], url
    form = {"reason": "사유", "comment": "답변"}
    for url in posts:
        assert finance.post(url, data=form).status_code == 403, url
        assert mine.post(url, data=form).status_code == 403, url
    assert (_unchanged(app, template_id), _unchanged(app, approved)) == before
    for role in ("Operator", "Admin"):
        _login, staff = staff_client(app, role)
        for url in gets:
            assert staff.get(url).status_code == 200, (role, url)
    _login, admin = staff_client(app, "Admin")
    menu = admin.get("/staff/").get_data(as_text=True)
    assert f'href="{QUEUE}"' in menu and f'href="{ADMIN_LIST}"' in menu
    assert f'href="{QUEUE}"' not in finance.get("/staff/").get_data(as_text=True)
