"""Small things every page shares (issue 12): the favicon, business numbers written
220-81-12341, particles chosen by the word."""
from app.domain.brn import format_brn
from app.extensions import db
from app.models import Account
from tests.support.factories import make_customer
from tests.support.web import logged_in, text_of


def test_the_favicon_is_served_and_linked(app):
    customer = make_customer(app)
    client = logged_in(app, customer.login, customer.password)
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"      # an ICO file
    page = client.get("/mypage/").get_data(as_text=True)
    assert 'rel="icon"' in page and "img/favicon.svg" in page
    assert client.get("/static/img/favicon.svg").status_code == 200


def test_business_numbers_are_written_with_hyphens(app):
    customer = make_customer(app, kind="corporate")
    with app.app_context():
        account = db.session.get(Account, customer.account_id)
        account.brn, account.company_name, account.representative = "2208112341", "메가존", "홍길동"
        db.session.commit()
    client = logged_in(app, customer.login, customer.password)
    page = text_of(client.get("/mypage/"))
    assert "220-81-12341" in page and "2208112341" not in page
    assert format_brn("2208112341") == "220-81-12341"
