"""The UI is Korean by default and English is selectable through FAB's language switch
(01-accounts.md; 00-overview.md cross-cutting rules)."""
import re

from tests.support.factories import make_customer
from tests.support.web import logged_in


def menu_text(response) -> str:
    nav = re.search(r'<nav class="mb-sidebar".*?</nav>', response.get_data(as_text=True), re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", nav).split())


def test_korean_by_default_and_english_on_request(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    korean = menu_text(client.get("/dashboard/"))
    assert "대시보드" in korean and "발신정보관리" in korean and "충전/사용 내역" in korean
    client.get("/lang/en")
    english = menu_text(client.get("/dashboard/"))
    assert "Dashboard" in english and "Sender information" in english and "대시보드" not in english
    client.get("/lang/ko")
    assert "대시보드" in menu_text(client.get("/dashboard/"))


def test_an_unknown_language_is_refused(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    assert client.get("/lang/xx").status_code == 404
    assert "대시보드" in menu_text(client.get("/dashboard/"))
