"""The staff side reads like the customer pages (issue 12): every link of every role's
home page and menu opens (no 403, no 5xx), one level deep; staff lists and detail pages
show no "None", no raw codes, FAB's English or its odd Korean ("활동", "레코드 수"), no
requirement ids in headings; won as 30,000원, business numbers as 220-81-12341, RQ queues
by name; a role's dashboard links only to what that role may open."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from app import clock
from app.security.roles import ADMIN, FINANCE, OPERATOR
from app.services.accounts import accounts
from app.services.senders import sender_numbers
from app.services.wallet import ledger, topups
from tests.support.factories import Customer, approve_channel, make_customer, make_template
from tests.support.foundation import apply_conversion, sidebar_links, staff_client
from tests.support.pipeline import actor, staff_user
from tests.support.uploads import png
from tests.support.web import logged_in, text_of

#: what FAB itself would have shown, and codes that must read as names
FAB_LEFTOVERS = ("None", "Record Count", "Actions", "User confirmation needed", "No records found", "Show record",
                 "Cancel", "레코드", "활동")
RAW_CODES = ("approve", "reject", "topup_request", "sender_number", "corporate_conversion", "set_daily_cap",
             "point_grant", "requested", "individual", "corporate", "bank_transfer", "periodic")
REQUIREMENT_ID = re.compile(r"\b[A-Z]{2,4}-\d{2}\b")


@dataclass
class World:
    individual: Customer
    corporate: Customer
    sender_id: int


@pytest.fixture
def world(app) -> World:
    """Something in every staff list: a 기업전환, an API-use application, a document
    request for a sender number without a note, a bank transfer of 30,000원, a refund
    request, staff changes in the audit log, ledger entries."""
    individual = make_customer(app, name="김민지", cash=50_000)
    corporate = make_customer(app, kind="corporate", name="메가존")
    assert apply_conversion(logged_in(app, individual.login, individual.password)).status_code == 302
    operator = staff_user(app)
    with app.app_context():
        now = clock.now()
        sender = sender_numbers.request_by_documents(account_id=individual.account_id, number="02-1234-5678",
                                                     owner_type=None, telecom=("이용증명원.png", png()),
                                                     employment=None, note=None, now=now)
        sender_id = sender.id
        topups.request_bank_transfer(account_id=individual.account_id, amount="30000", depositor_name="김민지",
                                     now=now)
        topups.request_cash_refund(account_id=individual.account_id, amount="10000", bank_name="국민은행",
                                   bank_account="123456-01-123456", account_holder="김민지", now=now)
        accounts.apply_api_use(account_id=corporate.account_id, purpose="주문 알림", server_ips=None, now=now)
        accounts.set_daily_cap(account_id=individual.account_id, cap="2000", actor=actor(operator), reason="요청",
                               now=now)
        ledger.grant_points(individual.account_id, "500", reason="이벤트", key="test:points", now=now,
                            actor=actor(operator))
    # AlimTalk templates (issue 14): one waiting for review, one approved
    channel_id = approve_channel(app, corporate.account_id, "@megazone")
    make_template(app, corporate.account_id, channel_id, status="requested")
    make_template(app, corporate.account_id, channel_id, status="approved", name="배송 완료 안내")
    return World(individual, corporate, sender_id)


# --- every link of every role's home page and menu ---------------------------------------------------------------

SKIP = ("/static/", "/lang/", "/logout", "/appbuilder/")


def _links(response) -> list[str]:
    html = response.get_data(as_text=True)
    main = re.search(r'<main class="mb-main">(.*)</main>', html, flags=re.S)
    hrefs = re.findall(r'href="([^"#]+)"', main.group(1) if main else "")
    hrefs += sorted(sidebar_links(response))
    found = []
    for href in hrefs:
        href = href.replace("&amp;", "&")
        parsed = urlparse(href)
        if parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/"):
            continue
        if any(part in parsed.path for part in SKIP):
            continue
        url = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        if url not in found:
            found.append(url)
    return found


def _pattern(url: str) -> str:
    return re.sub(r"\d+", "N", url.split("?")[0])


def walk(client, start: str, *, depth: int = 3, per_pattern: int = 2) -> dict[str, int]:
    """GET the start page, every link on it and in its menu, the links of those pages and
    of theirs (a few of each kind: one show page stands for all): url -> status."""
    home = client.get(start, follow_redirects=True)
    assert home.status_code == 200, start
    statuses: dict[str, int] = {}
    seen_patterns: dict[str, int] = {}
    level = _links(home)
    for step in range(depth):
        following = []
        for url in level:
            if url in statuses:
                continue
            pattern = _pattern(url)
            if seen_patterns.get(pattern, 0) >= per_pattern:
                continue
            seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
            response = client.get(url)
            statuses[url] = response.status_code
            if step < depth - 1 and response.status_code == 200 and "html" in response.content_type:
                following += _links(response)
        level = following
    return statuses


@pytest.mark.parametrize("role", [OPERATOR, FINANCE, ADMIN, "Customer"])
def test_every_link_of_every_roles_home_and_menu_opens(app, world, role):
    if role == "Customer":
        client = logged_in(app, world.individual.login, world.individual.password)
    else:
        _login, client = staff_client(app, role)
    statuses = walk(client, "/")
    assert len(statuses) >= 8, statuses            # the walk went somewhere
    refused = {url: status for url, status in statuses.items() if status == 403 or status >= 500}
    assert not refused, f"{role}: links that answer 403 or 5xx: {refused}"
    assert all(status in (200, 302) for status in statuses.values()), statuses


def test_a_roles_dashboard_shows_only_the_queues_it_may_open(app, world):
    _login, finance = staff_client(app, FINANCE)
    page = finance.get("/staff/")
    html = page.get_data(as_text=True)
    assert 'id="queue-counts"' not in html and "/staff/queues/" not in html
    shortcuts = re.search(r'<p id="shortcuts">(.*?)</p>', html, flags=re.S).group(1)
    assert set(re.findall(r'href="([^"]+)"', shortcuts)) == {"/staff/finance/", "/staff/finance/invoices/",
                                                            "/staff/stats/", "/staff/ledger/list/", "/staff/audit/list/"}
    _login, operator = staff_client(app, OPERATOR)
    html = operator.get("/staff/").get_data(as_text=True)
    assert 'id="queue-counts"' in html and "/staff/queues/conversions/list/" in html
    assert "/staff/jobs/" not in html                   # the admin's
    assert "/staff/finance/" not in html                # finance staff's and admins'
    _login, admin = staff_client(app, ADMIN)
    assert 'href="/staff/jobs/"' in admin.get("/staff/").get_data(as_text=True)


# --- staff pages read like the customer pages --------------------------------------------------------------------

LISTS = ["/staff/queues/sender-numbers/list/", "/staff/queues/conversions/list/", "/staff/queues/api-use/list/",
         "/staff/queues/topups/list/", "/staff/queues/refunds/list/", "/staff/queues/channels/list/",
         "/staff/accounts/list/", "/staff/sender-numbers/list/", "/staff/ledger/list/", "/staff/audit/list/",
         "/staff/sandbox/list/", "/staff/price-plans/list/", "/staff/queues/alimtalk-templates/",
         "/staff/alimtalk-templates/", "/staff/queues/kakao-targeting/list/", "/staff/"]


def _read(text: str, url: str) -> None:
    for leftover in FAB_LEFTOVERS:
        assert leftover not in text, f"{url}: {leftover!r} in {text[:3000]}"
    words = set(re.findall(r"[A-Za-z_]+", text))
    for code in RAW_CODES:
        assert code not in words, f"{url}: raw code {code!r} shown"
    assert not REQUIREMENT_ID.search(text), f"{url}: {REQUIREMENT_ID.search(text).group(0)}"


def test_staff_lists_and_their_detail_pages_show_names_formatted(app, world):
    _login, admin = staff_client(app, ADMIN)
    for url in LISTS:
        response = admin.get(url)
        assert response.status_code == 200, url
        _read(text_of(response), url)
        shows = re.findall(r'href="(/staff/[^"]+/show/\d+)[^"]*"', response.get_data(as_text=True))
        for show in shows[:2]:
            page = admin.get(show)
            assert page.status_code == 200, show
            _read(text_of(page), show)
    wallet = admin.get(f"/staff/wallet/{world.individual.account_id}")
    _read(text_of(wallet), "wallet")


def test_money_business_numbers_and_codes_read_as_people_write_them(app, world):
    _login, operator = staff_client(app, OPERATOR)
    topup = text_of(operator.get("/staff/queues/topups/list/"))
    assert "30,000원" in topup and "30000" not in topup
    accounts_list = text_of(operator.get("/staff/accounts/list/"))
    assert "50,000원" in accounts_list and "500P" in accounts_list and "2,000건" in accounts_list
    assert "개인회원" in accounts_list and "미신청" in accounts_list
    ledger_list = text_of(operator.get("/staff/ledger/list/"))
    assert "+50,000원" in ledger_list and "+500P" in ledger_list and "충전" in ledger_list
    conversions = text_of(operator.get("/staff/queues/conversions/list/"))
    assert "123-45-67891" in conversions
    audit_list = text_of(operator.get("/staff/audit/list/"))
    assert "일일 발송 한도 변경" in audit_list and "포인트 지급" in audit_list and "고객 계정" in audit_list
    # the review page of a request without a note: blank, not "요청사항 None"
    [show] = re.findall(r'/staff/queues/sender-numbers/show/\d+',
                        operator.get("/staff/queues/sender-numbers/list/").get_data(as_text=True))[:1]
    review = text_of(operator.get(show))
    assert "요청사항 요청 일시" in review and "None" not in review and "02-1234-5678" in review
    dashboard = text_of(operator.get("/staff/"))
    assert "발송 처리 (발송·결과·정산)" in dashboard and "dispatch" not in dashboard


def test_the_audit_entry_reads_as_names_before_and_after(app, world):
    _login, operator = staff_client(app, OPERATOR)
    listing = operator.get("/staff/audit/list/").get_data(as_text=True)
    shows = re.findall(r'href="(/staff/audit/show/\d+)', listing)
    texts = [text_of(operator.get(url)) for url in shows]
    cap = next(text for text in texts if "일일 발송 한도 변경" in text)
    assert "변경 전 일일 한도: 1,000 변경 후 일일 한도: 2,000" in cap and "사유 요청" in cap
    points = next(text for text in texts if "포인트 지급" in text)
    assert "변경 전 충전금: 50,000원 · 포인트: 0P" in points


def test_fab_dialogs_and_actions_are_korean_and_english_stays_english(app, world):
    _login, operator = staff_client(app, OPERATOR)
    html = operator.get("/staff/queues/sender-numbers/list/").get_data(as_text=True)
    assert "확인해주세요" in html and "선택 항목 처리" in html and "일괄 승인" in html and "전체 건수" in html
    assert 'data-no-row="선택한 항목이 없습니다. 처리할 항목을 먼저 선택해주세요."' in html
    assert html.count('id="modal-confirm"') == 1
    show = operator.get(f"/staff/queues/sender-numbers/show/{world.sender_id}").get_data(as_text=True)
    assert show.count('id="modal-confirm"') == 1
    operator.get("/lang/en")
    english = operator.get("/staff/queues/sender-numbers/list/").get_data(as_text=True)
    assert "User confirmation needed" in english and "Record Count" in english and "Actions" in english
