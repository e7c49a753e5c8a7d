"""비밀번호 찾기 (issue 13): a one-time link by e-mail; the same answer whether the login
exists or not; limited per login and per address; the link sets a new password once and
ends every session of the login."""
import datetime as dt
import re

from app import clock
from app.extensions import db
from app.models import MailOutbox, PasswordReset
from tests.support.factories import make_customer
from tests.support.foundation import count
from tests.support.web import logged_in, text_of

NEW = "N3w-passw0rd!long"


def _link(app) -> str:
    with app.app_context():
        body = db.session.scalars(db.select(MailOutbox.body).order_by(MailOutbox.id.desc())).first()
        db.session.commit()
    return re.search(r"/password/reset/\S+", body).group(0)


def test_a_link_by_mail_sets_a_new_password_once_and_ends_every_session(app):
    customer = make_customer(app)
    elsewhere = logged_in(app, customer.login, customer.password)
    client = app.test_client()
    asked = client.post("/password/forgot", data={"login": customer.login})
    assert asked.status_code == 302
    with app.app_context():
        [mail] = db.session.scalars(db.select(MailOutbox)).all()
        assert mail.subject == "[megabird] 비밀번호 재설정 안내"
        assert db.session.scalar(db.select(PasswordReset.token_hash)) not in mail.body     # only a hash is kept
        db.session.commit()
    link = _link(app)
    assert client.get(link).status_code == 200
    short = client.post(link, data={"new": "short", "confirm": "short"})
    assert short.status_code == 422 and text_of(short)
    done = client.post(link, data={"new": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert elsewhere.get("/dashboard/").status_code == 302                    # its session ended
    assert logged_in(app, customer.login, NEW).get("/dashboard/").status_code == 200
    again = client.post(link, data={"new": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 422 and "만료되었거나 이미 사용되었습니다" in text_of(again)


def test_the_answer_does_not_tell_whether_a_login_exists(app):
    customer = make_customer(app)
    known = app.test_client().post("/password/forgot", data={"login": customer.login}, follow_redirects=True)
    unknown = app.test_client().post("/password/forgot", data={"login": "nobody@example.com"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    sent = "비밀번호 재설정 링크를 보냈습니다"
    assert sent in text_of(known) and sent in text_of(unknown)
    assert count(app, MailOutbox) == 1


def test_links_expire_and_requests_are_limited(app):
    customer = make_customer(app)
    client = app.test_client()
    for _ in range(5):       # three mails an hour for one login, the same answer after
        assert client.post("/password/forgot", data={"login": customer.login},
                           environ_overrides={"REMOTE_ADDR": "198.51.100.5"}).status_code == 302
    assert count(app, MailOutbox) == 3
    others = [make_customer(app) for _ in range(8)]     # ten mails an hour from one address
    for other in others[:7]:
        assert client.post("/password/forgot", data={"login": other.login},
                           environ_overrides={"REMOTE_ADDR": "198.51.100.5"}).status_code == 302
    limited = client.post("/password/forgot", data={"login": others[7].login},
                          environ_overrides={"REMOTE_ADDR": "198.51.100.5"})
    assert limited.status_code == 429 and "1시간 후에 다시" in text_of(limited)
    assert count(app, MailOutbox) == 10
    link = _link(app)
    with clock.frozen(clock.now() + dt.timedelta(minutes=31)):
        expired = client.get(link)
    assert expired.status_code == 422 and "만료" in text_of(expired)
    assert client.post("/password/forgot", data={"login": ""}).status_code == 422
