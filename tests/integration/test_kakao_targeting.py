"""타겟팅 (M/N) 신청 (06-kakao.md KFT-02): a corporate customer applies on its approved
channel's page — a business-verification document, the friend count (at least 50,000),
the consent evidence, both files checked by their content —, an operator approves or
rejects with a reason in the queue (documents inline, audited, the customer told), a
rejected application is sent again, and the one question the send pipeline asks,
`targeting_choices`, opens M/N only with the approval and a registered 080 number.
Another account's channel is NotFound everywhere; the migration goes down and up."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import inspect as sa_inspect

from app import clock
from app.errors import Conflict, InvalidState, NotFound, ValidationError
from app.extensions import db
from app.models import (AccountNotice, AuditLog, KakaoChannel, KakaoTargetingApplication, MailOutbox,
                        StoredFile)
from app.services.senders import kakao_channels, kakao_targeting
from tests.support.factories import (apply_targeting, approve_channel, approve_optout_number, make_customer,
                                     make_staff)
from tests.support.foundation import count, flashed, follow, rows, uploaded_files
from tests.support.uploads import BAD_DOCUMENTS, PDF, jpeg, png, upload
from tests.support.web import logged_in, text_of

NOW = dt.datetime(2026, 12, 2, 2, 0)            # 11:00 KST
QUEUE = "/staff/queues/kakao-targeting"


@pytest.fixture(autouse=True)
def pinned():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def shop(app):
    """(customer, channel id): a corporate customer with an approved channel."""
    customer = make_customer(app, kind="corporate", name="메가샵")
    return customer, approve_channel(app, customer.account_id, "@megashop")


@pytest.fixture
def client(app, shop):
    customer, _ = shop
    return logged_in(app, customer.login, customer.password)


@pytest.fixture
def operator(app):
    return logged_in(app, *make_staff(app, "Operator"))


def _apply(app, account_id: int, channel_id, *, friend_count="60,000", business=("사업자.pdf", PDF),
           consent=("동의.png", None)):
    with app.app_context():
        return kakao_targeting.apply(account_id=account_id, channel_id=channel_id, friend_count=friend_count,
                                     business_document=business,
                                     consent_document=(consent[0], png() if consent[1] is None else consent[1]),
                                     now=clock.now()).id


def _refused(app, error_type, call):
    with app.app_context():
        with pytest.raises(error_type) as info:
            call()
    return info.value


def _nothing_written(app) -> bool:
    return count(app, KakaoTargetingApplication) == 0 and count(app, StoredFile) == 0 and uploaded_files(app) == []


def _choices(app, account_id: int, channel_id: int) -> tuple[str, ...]:
    with app.app_context():
        return kakao_targeting.targeting_choices(account_id, channel_id)


def _form(friend_count="60000", business=None, consent=None, **changes):
    data = {"friend_count": friend_count,
            "business_document": business if business is not None else upload(PDF, "사업자등록증명원.pdf"),
            "consent_document": consent if consent is not None else upload(jpeg(), "수신동의.jpg")}
    data.update(changes)
    return data


def _post(client, channel_id, **form):
    return client.post(f"/senders/channels/{channel_id}/targeting", data=_form(**form),
                       content_type="multipart/form-data")


# --- the service's rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize("friend_count", ["49,999", "0", 1])
def test_fewer_than_50000_friends_is_refused_naming_the_field_and_nothing_is_written(app, shop, friend_count):
    customer, channel_id = shop
    error = _refused(app, ValidationError, lambda: _apply(app, customer.account_id, channel_id,
                                                          friend_count=friend_count))
    assert (error.status, error.field, error.code) == (422, "친구 수", "too_few_friends")
    assert "50,000명 이상" in error.message
    assert _nothing_written(app)
    assert _apply(app, customer.account_id, channel_id, friend_count="50,000")      # the minimum itself is enough


@pytest.mark.parametrize("name,data,message", BAD_DOCUMENTS)
def test_bad_consent_evidence_is_refused_by_its_content_and_nothing_is_stored(app, shop, name, data, message):
    customer, channel_id = shop
    error = _refused(app, ValidationError, lambda: _apply(app, customer.account_id, channel_id, consent=(name, data)))
    assert error.status == 422 and error.field == "수신 동의 증빙" and message in error.message
    assert _nothing_written(app)


def test_a_renamed_business_document_and_missing_files_are_refused_naming_each_field(app, shop):
    customer, channel_id = shop
    renamed = _refused(app, ValidationError, lambda: _apply(app, customer.account_id, channel_id,
                                                            business=("사업자.pdf", png())))
    assert renamed.field == "사업자 인증 서류" and "일치하지" in renamed.message
    missing = _refused(app, ValidationError, lambda: _apply(app, customer.account_id, channel_id, business=("", b"")))
    assert (missing.field, missing.message) == ("사업자 인증 서류", "사업자 인증 서류를 첨부해주세요.")
    missing = _refused(app, ValidationError, lambda: _apply(app, customer.account_id, channel_id, consent=("", b"")))
    assert (missing.field, missing.message) == ("수신 동의 증빙", "수신 동의 증빙을 첨부해주세요.")
    assert _nothing_written(app)


def test_a_channel_not_yet_approved_cannot_apply(app):
    customer = make_customer(app, kind="corporate")
    with app.app_context():
        channel = KakaoChannel(account_id=customer.account_id, search_id="@waiting", admin_phone="01022223344",
                               verified_at=NOW, status="requested", requested_at=NOW)
        db.session.add(channel)
        db.session.commit()
        channel_id = channel.id
    error = _refused(app, InvalidState, lambda: _apply(app, customer.account_id, channel_id))
    assert error.status == 409 and "등록완료된 카카오 채널만" in error.message
    assert _nothing_written(app)


def test_approval_is_audited_and_told_to_the_account(app, shop):
    customer, channel_id = shop
    application_id = _apply(app, customer.account_id, channel_id)
    staff_login, _ = make_staff(app, "Operator")
    with app.app_context():
        from app.models import User
        actor = db.session.query(User).filter_by(username=staff_login).one()
        kakao_targeting.approve(application_id, actor=actor, now=NOW)
    [item] = rows(app, KakaoTargetingApplication)
    assert (item["status"], item["reviewed_at"], item["reject_reason"]) == ("approved", NOW, None)
    [entry] = rows(app, AuditLog, AuditLog.object_type == "kakao_targeting")
    assert (entry["action"], entry["object_id"], entry["account_id"], entry["actor_login"]) == \
        ("approve", str(application_id), customer.account_id, staff_login)
    [notice] = rows(app, AccountNotice, AccountNotice.account_id == customer.account_id,
                    AccountNotice.kind == "review:kakao_targeting")
    assert notice["title"] == "카카오 채널 @megashop의 타겟팅(M/N) 신청이 승인되었습니다"
    assert "080 수신거부 번호" in notice["body"]
    assert count(app, MailOutbox, MailOutbox.notice_id == notice["id"]) == 1
    # decided once
    error = _refused(app, InvalidState, lambda: kakao_targeting.reject(application_id, actor=None, now=NOW,
                                                                      reason="다시"))
    assert "이미 처리된" in error.message


def test_rejection_needs_a_reason_and_the_rejected_application_is_sent_again_with_new_files(app, shop):
    customer, channel_id = shop
    application_id = _apply(app, customer.account_id, channel_id)
    first_files = uploaded_files(app)
    assert len(first_files) == 2
    error = _refused(app, ValidationError, lambda: kakao_targeting.reject(application_id, actor=None, now=NOW,
                                                                         reason="  "))
    assert error.field == "반려 사유"
    assert rows(app, KakaoTargetingApplication)[0]["status"] == "requested"
    with app.app_context():
        kakao_targeting.reject(application_id, actor=None, now=NOW, reason="수신 동의 증빙이 흐려 읽을 수 없습니다.")
    [notice] = rows(app, AccountNotice, AccountNotice.kind == "review:kakao_targeting")
    assert notice["title"] == "카카오 채널 @megashop의 타겟팅(M/N) 신청이 반려되었습니다"
    assert "반려 사유: 수신 동의 증빙이 흐려 읽을 수 없습니다." in notice["body"]
    # while waiting or once approved, a second application is refused
    later = NOW + dt.timedelta(days=1)
    with clock.frozen(later):
        again = _apply(app, customer.account_id, channel_id, friend_count="70000", consent=("동의2.pdf", PDF))
    assert again == application_id
    [item] = rows(app, KakaoTargetingApplication)
    assert (item["status"], item["reject_reason"], item["friend_count"], item["requested_at"]) == \
        ("requested", None, 70_000, later)
    assert count(app, StoredFile) == 2 and not set(uploaded_files(app)) & set(first_files)
    waiting = _refused(app, Conflict, lambda: _apply(app, customer.account_id, channel_id))
    assert waiting.status == 409 and "이미 심사하고 있습니다" in waiting.message
    with app.app_context():
        kakao_targeting.approve(application_id, actor=None, now=later)
    approved = _refused(app, Conflict, lambda: _apply(app, customer.account_id, channel_id))
    assert "이미 타겟팅(M/N)이 승인" in approved.message
    assert count(app, StoredFile) == 2 and len(uploaded_files(app)) == 2


def test_targeting_choices_open_m_and_n_only_with_the_approval_and_a_registered_080_number(app, shop):
    customer, channel_id = shop
    assert _choices(app, customer.account_id, channel_id) == ("I",)                       # 미신청
    application_id = _apply(app, customer.account_id, channel_id)
    assert _choices(app, customer.account_id, channel_id) == ("I",)                       # 심사중
    with app.app_context():
        kakao_targeting.approve(application_id, actor=None, now=NOW)
        assert kakao_targeting.is_targeting_approved(db.session.get(KakaoChannel, channel_id))
    assert _choices(app, customer.account_id, channel_id) == ("I",)                       # no 080 number yet
    approve_optout_number(app, customer.account_id, "080-555-0016")
    assert _choices(app, customer.account_id, channel_id) == ("I", "M", "N")
    # the 080 number alone opens nothing: another channel of the account, rejected
    other_channel = approve_channel(app, customer.account_id, "@megashop2")
    apply_targeting(app, customer.account_id, other_channel, status="rejected")
    assert _choices(app, customer.account_id, other_channel) == ("I",)
    with app.app_context():
        assert not kakao_targeting.is_targeting_approved(db.session.get(KakaoChannel, other_channel))


def test_an_080_number_of_another_account_does_not_count(app, shop):
    customer, channel_id = shop
    apply_targeting(app, customer.account_id, channel_id, status="approved")
    other = make_customer(app, kind="corporate")
    approve_optout_number(app, other.account_id, "080-555-0017")
    assert _choices(app, customer.account_id, channel_id) == ("I",)


def test_another_accounts_channel_is_not_found_and_nothing_changes(app, shop):
    customer, channel_id = shop
    apply_targeting(app, customer.account_id, channel_id, status="approved")
    approve_optout_number(app, customer.account_id, "080-555-0018")
    stranger = make_customer(app, kind="corporate")
    approve_optout_number(app, stranger.account_id, "080-555-0019")
    before = rows(app, KakaoTargetingApplication), rows(app, StoredFile)
    with app.app_context():
        for call in (lambda: kakao_targeting.targeting_choices(stranger.account_id, channel_id),
                     lambda: kakao_targeting.application_of(stranger.account_id, channel_id),
                     lambda: kakao_targeting.state_of(stranger.account_id, channel_id),
                     lambda: kakao_targeting.targeting_choices(customer.account_id, "abc"),
                     lambda: kakao_targeting.targeting_choices(customer.account_id, channel_id + 1000)):
            with pytest.raises(NotFound):
                call()
    error = _refused(app, NotFound, lambda: _apply(app, stranger.account_id, channel_id))
    assert error.status == 404
    assert (rows(app, KakaoTargetingApplication), rows(app, StoredFile)) == before
    assert _choices(app, customer.account_id, channel_id) == ("I", "M", "N")


def test_deleting_the_channel_takes_its_application_and_files(app, shop):
    customer, channel_id = shop
    apply_targeting(app, customer.account_id, channel_id, status="rejected")
    assert len(uploaded_files(app)) == 2
    with app.app_context():
        kakao_channels.delete_channel(account_id=customer.account_id, channel_id=channel_id, now=NOW)
    assert count(app, KakaoTargetingApplication) == 0 and count(app, StoredFile) == 0 and uploaded_files(app) == []


# --- the customer's channel page ------------------------------------------------------------------------------

def test_the_customer_applies_on_the_channel_page(app, shop, client):
    _, channel_id = shop
    page = client.get(f"/senders/channels/{channel_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "타겟팅 (M/N) 신청" in html and 'id="targeting-form"' in html
    assert re.search(r'id="targeting-status">\s*미신청', html) and re.search(r'id="targeting-choices">\s*I<', html)
    # refusals: 4xx, the message naming the field, the field marked, what was typed kept, nothing written
    few = _post(client, channel_id, friend_count="30,000")
    assert few.status_code == 422 and "친구 수가 50,000명 이상인 채널만" in text_of(few)
    assert re.search(r'<div class="form-group has-error">\s*<label for="friend_count"', few.get_data(as_text=True))
    assert 'value="30,000"' in few.get_data(as_text=True)
    bad = _post(client, channel_id, consent=upload(b"MZ\x90\x00" + b"\x00" * 100, "동의.pdf"))
    assert bad.status_code == 422 and "형식이 아니거나" in text_of(bad)
    assert 'has-error">\n      <label class="mb-required" for="consent_document"' in bad.get_data(as_text=True)
    missing = client.post(f"/senders/channels/{channel_id}/targeting", data={"friend_count": "60000"},
                          content_type="multipart/form-data")
    assert missing.status_code == 422 and "사업자 인증 서류를 첨부해주세요." in text_of(missing)
    assert _nothing_written(app)
    # the application
    response = _post(client, channel_id, friend_count="60,000")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/senders/channels/{channel_id}")
    page = follow(client, response)
    assert "타겟팅(M/N)을 신청했습니다" in flashed(page)
    text = text_of(page)
    assert "심사중" in text and "60,000명" in text and "사업자등록증명원.pdf" in text and "수신동의.jpg" in text
    assert 'id="targeting-form"' not in page.get_data(as_text=True)
    [item] = rows(app, KakaoTargetingApplication)
    assert (item["status"], item["friend_count"]) == ("requested", 60_000)
    # the customer's own files open for it
    for file_id in (item["business_document_id"], item["consent_document_id"]):
        assert client.get(f"/files/{file_id}").status_code == 200
    # a second application while this one waits: 409 on the page, nothing changed
    again = _post(client, channel_id)
    assert again.status_code == 409 and "이미 심사하고 있습니다" in text_of(again)
    assert rows(app, KakaoTargetingApplication) == [item] and count(app, StoredFile) == 2


def test_a_channel_waiting_for_its_own_approval_shows_no_form(app):
    customer = make_customer(app, kind="corporate")
    with app.app_context():
        channel = KakaoChannel(account_id=customer.account_id, search_id="@waiting", admin_phone="01022223344",
                               verified_at=NOW, status="requested", requested_at=NOW)
        db.session.add(channel)
        db.session.commit()
        channel_id = channel.id
    client = logged_in(app, customer.login, customer.password)
    page = client.get(f"/senders/channels/{channel_id}").get_data(as_text=True)
    assert 'id="targeting-wait"' in page and 'id="targeting-form"' not in page
    refused = _post(client, channel_id)
    assert refused.status_code == 409 and "등록완료된 카카오 채널만" in text_of(refused)
    assert _nothing_written(app)


# --- the operators' queue -------------------------------------------------------------------------------------

def test_the_operator_reviews_rejects_with_a_reason_the_customer_reapplies_and_is_approved(app, shop, client, operator):
    customer, channel_id = shop
    assert _post(client, channel_id, friend_count="123456").status_code == 302
    [item] = rows(app, KakaoTargetingApplication)
    # the staff home and the menu count it
    home = operator.get("/staff/").get_data(as_text=True)
    row = re.search(rf'<a href="{QUEUE}/list/">타겟팅\(M/N\) 심사</a></td>\s*<td>(\d+)건', home)
    assert row and row.group(1) == "1"
    listing = operator.get(f"{QUEUE}/list/")
    assert listing.status_code == 200
    text = text_of(listing)
    assert "@megashop" in text and "123,456" in text and "메가샵" in text and "대기" in text
    show = operator.get(f"{QUEUE}/show/{item['id']}")
    html = show.get_data(as_text=True)
    assert show.status_code == 200
    assert f"/files/{item['business_document_id']}" in html and f"/files/{item['consent_document_id']}" in html
    assert "<iframe" in html and "<img" in html                      # the PDF and the JPEG inline
    assert "승인된 자체 080 수신거부 번호" in text_of(show) and "없음" in text_of(show)
    assert "confirm(" not in html
    assert operator.get(f"/files/{item['consent_document_id']}").status_code == 200
    # a rejection needs its reason: the page says so, nothing changes
    no_reason = operator.post(f"{QUEUE}/decide/{item['id']}", data={"decision": "reject"})
    assert "반려 사유를 입력해주세요." in flashed(follow(operator, no_reason))
    assert rows(app, KakaoTargetingApplication) == [item] and count(app, AuditLog, AuditLog.object_type == "kakao_targeting") == 0
    rejected = operator.post(f"{QUEUE}/decide/{item['id']}",
                             data={"decision": "reject", "reason": "친구 수 캡처와 신청 값이 다릅니다."})
    assert rejected.headers["Location"].endswith(f"{QUEUE}/list/")
    assert "반려했습니다." in flashed(follow(operator, rejected))
    assert "@megashop" not in text_of(operator.get(f"{QUEUE}/list/"))      # out of the queue
    # the customer sees the state and the reason, and applies again
    page = client.get(f"/senders/channels/{channel_id}")
    text, html = text_of(page), page.get_data(as_text=True)
    assert "반려" in text and "친구 수 캡처와 신청 값이 다릅니다." in text and 'id="targeting-form"' in html
    assert "다시 신청하기" in text
    assert "타겟팅(M/N) 신청이 반려되었습니다" in text_of(client.get("/notices/"))
    assert _post(client, channel_id, friend_count="99,000").status_code == 302
    assert operator.post(f"{QUEUE}/decide/{item['id']}", data={"decision": "approve"}).status_code == 302
    page = client.get(f"/senders/channels/{channel_id}").get_data(as_text=True)
    assert re.search(r'id="targeting-status">\s*승인', page) and 'id="targeting-needs-080"' in page
    assert re.search(r'id="targeting-choices">\s*I<', page)
    approve_optout_number(app, customer.account_id, "080-555-0020")
    page = client.get(f"/senders/channels/{channel_id}").get_data(as_text=True)
    assert re.search(r'id="targeting-choices">\s*I, M, N<', page) and 'id="targeting-needs-080"' not in page
    actions = [a["action"] for a in rows(app, AuditLog, AuditLog.object_type == "kakao_targeting",
                                         order_by=AuditLog.id)]
    assert actions == ["reject", "approve"]
    home = operator.get("/staff/").get_data(as_text=True)
    assert re.search(rf'<a href="{QUEUE}/list/">타겟팅\(M/N\) 심사</a></td>\s*<td>0건', home)


def test_bulk_approve_rechecks_each_application(app, operator):
    customer = make_customer(app, kind="corporate")
    first = apply_targeting(app, customer.account_id, approve_channel(app, customer.account_id, "@one"))
    second = apply_targeting(app, customer.account_id, approve_channel(app, customer.account_id, "@two"))
    with app.app_context():
        kakao_targeting.reject(first, actor=None, now=NOW, reason="서류 불명확")
    response = operator.post(f"{QUEUE}/action_post", data={"action": "approve_selected",
                                                           "rowid": [str(first), str(second)]})
    assert "1건을 승인" in flashed(follow(operator, response))
    statuses = {r["id"]: r["status"] for r in rows(app, KakaoTargetingApplication)}
    assert statuses == {first: "rejected", second: "approved"}


def test_only_operators_and_admins_open_the_queue(app, shop):
    customer, channel_id = shop
    application_id = apply_targeting(app, customer.account_id, channel_id)
    urls = [f"{QUEUE}/list/", f"{QUEUE}/show/{application_id}"]
    for role, expected in (("Operator", 200), ("Admin", 200), ("Finance", 403)):
        staff = logged_in(app, *make_staff(app, role))
        assert [staff.get(url).status_code for url in urls] == [expected] * 2, role
    finance = logged_in(app, *make_staff(app, "Finance"))
    customer_client = logged_in(app, customer.login, customer.password)
    for client in (finance, customer_client):
        assert client.post(f"{QUEUE}/decide/{application_id}", data={"decision": "approve"}).status_code == 403
        assert client.get(urls[0]).status_code == 403
    anonymous = app.test_client().get(urls[0])
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    assert rows(app, KakaoTargetingApplication)[0]["status"] == "requested" and count(app, AuditLog, AuditLog.object_type == "kakao_targeting") == 0


# --- the migration ---------------------------------------------------------------------------------------------

def test_the_migration_goes_down_to_0019_and_up_again(app, shop):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade
    from tests.support.appdb import MIGRATIONS
    customer, channel_id = shop
    apply_targeting(app, customer.account_id, channel_id)
    with app.app_context():
        db.session.remove()
        downgrade(directory=str(MIGRATIONS), revision="0019_kakao_sends")
        assert "kakao_targeting_application" not in sa_inspect(db.engine).get_table_names()
        upgrade(directory=str(MIGRATIONS))
        db.session.remove()
        assert "kakao_targeting_application" in sa_inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
    assert count(app, KakaoTargetingApplication) == 0
    assert apply_targeting(app, customer.account_id, channel_id)          # the table works again
