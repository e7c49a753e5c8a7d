"""ACC-07 / SEC-01 tenancy: every customer route is listed below with how to prove that
another account's ids answer 404 (a proof function), or why it takes no ids. The
routes come from `app.url_map` (the views whose class_permission_name is 'Portal',
plus FileView.download and InvitationView), so a new customer route without an
entry here fails `test_sec01_every_customer_route_has_an_entry`.

Each proof also shows the owner succeeding on the same URL, so a 404 cannot come
from a route that does not exist."""
import datetime as dt
import importlib
import inspect
import re

import pytest

from app import clock
from app.models import (AccountNotice, AlimtalkTemplate, AlimtalkTemplateEvent, CashRefundRequest, CorporateConversion,
                        FriendtalkTemplate, Invitation, KakaoTargetingApplication, StoredFile)
from app.services.kakao import templates as alimtalk_templates
from app.services.shared import notices, uow
from tests.support.foundation import (apply_conversion, count, customer_client, customer_endpoints, png_bytes,
                                      rows, staff_client)
from tests.support.factories import apply_targeting, approve_channel, fund, make_friendtalk_template, make_template
from tests.support.tenancy import assert_foreign_404
from tests.support.uploads import jpeg


def prove_file_download(app, owner, owner_client, stranger):
    """/files/<id>: the certificate uploaded with a 기업전환 application."""
    document = png_bytes(color=(200, 10, 10))
    assert apply_conversion(owner_client, filename="우리회사-사업자등록증.png", data=document).status_code == 302
    [stored] = rows(app, StoredFile)
    url = f"/files/{stored['id']}"
    response = assert_foreign_404(stranger, "GET", url, secret="우리회사-사업자등록증")
    assert response.status_code == 404 and document not in response.data
    assert response.headers.get("Content-Disposition") is None
    # the owner and staff get it; nobody logged out does
    mine = owner_client.get(url)
    assert mine.status_code == 200 and mine.data == document
    for role in ("Operator", "Finance", "Admin"):
        _, staff = staff_client(app, role)
        theirs = staff.get(url)
        assert theirs.status_code == 200 and theirs.data == document, role
    anonymous = app.test_client().get(url)
    assert anonymous.status_code in (302, 401, 403) and document not in anonymous.data
    # an id that does not exist is the same 404
    assert stranger.get(f"/files/{stored['id'] + 1000}").status_code == 404


def prove_invitation_cancel(app, owner, owner_client, stranger):
    """/mypage/invitations/<id>/cancel: another owner cannot cancel our invitation."""
    assert owner_client.post("/mypage/invite", data={"email": "colleague@example.com"}).status_code == 302
    [invitation] = rows(app, Invitation)
    url = f"/mypage/invitations/{invitation['id']}/cancel"
    response = assert_foreign_404(stranger, "POST", url, secret="colleague@example.com")
    assert response.status_code == 404
    assert rows(app, Invitation) == [invitation]  # not cancelled
    assert owner_client.post(url).status_code == 302
    assert rows(app, Invitation)[0]["cancelled_at"] is not None


def prove_refund_cancel(app, owner, owner_client, stranger):
    """/wallet/refund/<id>/cancel: a cash refund request of another account."""
    fund(app, owner.account_id, cash=10_000)        # refundable cash (sandbox card cash is not)
    assert owner_client.post("/wallet/refund", data={"amount": "5000", "bank_name": "우리은행",
                                                     "bank_account": "1002-123-456789",
                                                     "account_holder": "김환불"}).status_code == 302
    [refund] = rows(app, CashRefundRequest)
    url = f"/wallet/refund/{refund['id']}/cancel"
    assert assert_foreign_404(stranger, "POST", url, secret="1002-123-456789").status_code == 404
    assert rows(app, CashRefundRequest) == [refund]
    assert owner_client.post(url).status_code == 302
    assert rows(app, CashRefundRequest)[0]["status"] == "cancelled"


def prove_notice_open(app, owner, owner_client, stranger):
    """/notices/<id>/open: another account's notice is neither shown nor marked read."""
    with app.app_context():
        with uow.transaction():
            notice_id = notices.post(account_id=owner.account_id, kind="review:sender_number",
                                     title="발신번호 010-2113-3451 등록이 반려되었습니다", body="반려 사유: 비밀 사유",
                                     link="SenderView.index", now=clock.now()).id
    url = f"/notices/{notice_id}/open"
    assert assert_foreign_404(stranger, "POST", url, secret="비밀 사유").status_code == 404
    assert "비밀 사유" not in stranger.get("/notices/").get_data(as_text=True)
    assert stranger.post("/notices/read-all").status_code == 302
    assert [row["read_at"] for row in rows(app, AccountNotice)] == [None]
    response = owner_client.post(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/senders/")
    assert rows(app, AccountNotice)[0]["read_at"] is not None


def prove_targeting_apply(app, owner, owner_client, stranger):
    """/senders/channels/<id>/targeting: no M/N application on another account's channel,
    whether it has none yet or a rejected one (whose reason stays the owner's)."""
    import io
    from tests.support.uploads import PDF, png

    def form():
        return {"friend_count": "60000", "business_document": (io.BytesIO(PDF), "biz.pdf"),
                "consent_document": (io.BytesIO(png()), "consent.png")}

    channel_id = approve_channel(app, owner.account_id, "@owner")
    url = f"/senders/channels/{channel_id}/targeting"
    assert stranger.post(url, data=form(), content_type="multipart/form-data").status_code == 404
    assert count(app, KakaoTargetingApplication) == 0 and count(app, StoredFile) == 0
    apply_targeting(app, owner.account_id, channel_id, status="rejected", reason="오너의 반려 사유")
    before = rows(app, KakaoTargetingApplication), rows(app, StoredFile)
    response = stranger.post(url, data=form(), content_type="multipart/form-data")
    assert response.status_code == 404 and "오너의 반려 사유" not in response.get_data(as_text=True)
    assert assert_foreign_404(stranger, "GET", f"/senders/channels/{channel_id}", secret="오너의 반려 사유")
    assert (rows(app, KakaoTargetingApplication), rows(app, StoredFile)) == before
    assert owner_client.post(url, data=form(), content_type="multipart/form-data").status_code == 302
    [application] = rows(app, KakaoTargetingApplication)
    assert (application["status"], application["account_id"]) == ("requested", owner.account_id)


def prove_company_change_is_the_accounts_own(app, owner, owner_client, stranger):
    """/mypage/company takes no ids: it shows and changes the signed-in account's 사업자 등록
    정보 only (ACC-12). The owner's request — its values, its certificate, a rejection's
    reason — never shows to another account; the other account's own request neither
    waits behind the owner's nor touches it, and its approval changes only its account."""
    import io
    from app.models import Account, CompanyChangeRequest

    def form(company_name, filename):
        return {"brn": "214-87-12348", "company_name": company_name, "representative": "대표",
                "business_address": "서울특별시 중구 세종대로 110", "business_type": "서비스", "business_item": "소프트웨어",
                "certificate": (io.BytesIO(png_bytes(color=(7, 7, 7))), filename)}

    assert owner_client.post("/mypage/company", data=form("오너의 비밀 상호", "오너-사업자등록증.png"),
                             content_type="multipart/form-data").status_code == 302
    [mine] = rows(app, CompanyChangeRequest)
    page = stranger.get("/mypage/company")
    assert page.status_code == 200 and "오너의 비밀 상호" not in page.get_data(as_text=True)
    assert 'id="company-change-form"' in page.get_data(as_text=True)      # no request of its own waits
    response = assert_foreign_404(stranger, "GET", f"/files/{mine['certificate_file_id']}", secret="오너-사업자등록증")
    assert response.status_code == 404
    stranger_accounts = rows(app, Account, Account.id != owner.account_id)
    assert stranger.post("/mypage/company", data=form("남의 상호", "남.png"),
                         content_type="multipart/form-data").status_code == 302
    assert rows(app, CompanyChangeRequest, CompanyChangeRequest.id == mine["id"]) == [mine]
    [theirs] = rows(app, CompanyChangeRequest, CompanyChangeRequest.id != mine["id"])
    assert theirs["account_id"] != owner.account_id and theirs["company_name"] == "남의 상호"
    _, operator = staff_client(app, "Operator")
    assert operator.post(f"/staff/queues/company-changes/decide/{mine['id']}",
                         data={"decision": "reject", "reason": "오너의 반려 사유"}).status_code == 302
    assert "오너의 반려 사유" not in stranger.get("/mypage/company").get_data(as_text=True)
    assert "오너의 반려 사유" in owner_client.get("/mypage/company").get_data(as_text=True)
    assert operator.post(f"/staff/queues/company-changes/decide/{theirs['id']}",
                         data={"decision": "approve"}).status_code == 302
    [owners_account] = rows(app, Account, Account.id == owner.account_id)
    assert owners_account["company_name"] != "남의 상호" and owners_account["brn"] == "2208112341"
    changed = {a["id"]: a["company_name"] for a in rows(app, Account, Account.id != owner.account_id)}
    assert changed == {a["id"]: ("남의 상호" if a["id"] == theirs["account_id"] else a["company_name"])
                       for a in stranger_accounts}


ALIMTALK_SECRET = "오너의 비밀 안내"


def _owners_template(app, owner, status: str = "saved") -> tuple[int, int]:
    """(channel id, template id): an AlimTalk template of the owner, moved to `status`."""
    channel_id = approve_channel(app, owner.account_id, "@owner")
    template_id = make_template(app, owner.account_id, channel_id, status="approved" if status == "dormant" else status,
                                content=f"{ALIMTALK_SECRET} #{{고객명}}")
    if status == "dormant":
        with app.app_context():
            assert alimtalk_templates.mark_dormant(clock.now() + dt.timedelta(days=400)) == 1
    return channel_id, template_id


def _alimtalk_state(app, template_id) -> tuple[list, list]:
    return (rows(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id),
            rows(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == template_id))


def prove_alimtalk_show(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>: another account's template, its content and history."""
    _, template_id = _owners_template(app, owner, "rejected")
    url = f"/alimtalk/templates/{template_id}"
    assert assert_foreign_404(stranger, "GET", url, secret=ALIMTALK_SECRET).status_code == 404
    assert "변수 사용이 가이드와" not in stranger.get(url).get_data(as_text=True)
    mine = owner_client.get(url)
    assert mine.status_code == 200 and ALIMTALK_SECRET in mine.get_data(as_text=True)


def prove_alimtalk_edit(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>/edit: neither the form nor a save of another account's template."""
    channel_id, template_id = _owners_template(app, owner)
    url = f"/alimtalk/templates/{template_id}/edit"
    before = _alimtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "GET", url, secret=ALIMTALK_SECRET).status_code == 404
    form = {"channel": str(channel_id), "name": "바꿔치기", "message_type": "BA", "emphasis_type": "NONE",
            "content": "바꿔치기 내용", "op": "request"}
    assert assert_foreign_404(stranger, "POST", url, data=form, secret=ALIMTALK_SECRET).status_code == 404
    assert _alimtalk_state(app, template_id) == before
    assert owner_client.get(url).status_code == 200
    assert owner_client.post(url, data=form).status_code == 302
    [row] = rows(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id)
    assert row["name"] == "바꿔치기" and row["status"] == "requested"


def prove_alimtalk_request(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>/request: 등록 요청 of another account's template."""
    _, template_id = _owners_template(app, owner)
    url = f"/alimtalk/templates/{template_id}/request"
    before = _alimtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "POST", url, secret=ALIMTALK_SECRET).status_code == 404
    assert _alimtalk_state(app, template_id) == before
    assert owner_client.post(url).status_code == 302
    assert rows(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id)[0]["status"] == "requested"


def prove_alimtalk_delete(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>/delete: another account's template stays."""
    _, template_id = _owners_template(app, owner)
    url = f"/alimtalk/templates/{template_id}/delete"
    before = _alimtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "POST", url, secret=ALIMTALK_SECRET).status_code == 404
    assert _alimtalk_state(app, template_id) == before
    assert owner_client.post(url).status_code == 302
    assert count(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id) == 0


def prove_alimtalk_comment(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>/comment: no 문의 on another account's rejected template."""
    _, template_id = _owners_template(app, owner, "rejected")
    url = f"/alimtalk/templates/{template_id}/comment"
    before = _alimtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "POST", url, data={"comment": "남의 문의"}, secret=ALIMTALK_SECRET).status_code == 404
    assert _alimtalk_state(app, template_id) == before
    assert owner_client.post(url, data={"comment": "주인의 문의"}).status_code == 302
    comments = rows(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == template_id,
                    AlimtalkTemplateEvent.kind == "comment")
    assert [c["comment"] for c in comments] == ["주인의 문의"]


def prove_alimtalk_reactivate(app, owner, owner_client, stranger):
    """/alimtalk/templates/<id>/reactivate: 휴면 해제 of another account's template."""
    _, template_id = _owners_template(app, owner, "dormant")
    url = f"/alimtalk/templates/{template_id}/reactivate"
    before = _alimtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "POST", url, secret=ALIMTALK_SECRET).status_code == 404
    assert _alimtalk_state(app, template_id) == before
    assert owner_client.post(url).status_code == 302
    assert rows(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id)[0]["status"] == "approved"


def prove_alimtalk_sample(app, owner, owner_client, stranger):
    """/alimtalk/sample/<id>.xlsx: another account's template's sample file (its variables)."""
    _, template_id = _owners_template(app, owner, "approved")
    url = f"/alimtalk/sample/{template_id}.xlsx"
    response = assert_foreign_404(stranger, "GET", url)
    assert response.status_code == 404 and "고객명" not in response.get_data(as_text=True)
    assert owner_client.get(url).status_code == 200


def prove_alimtalk_compose_send(app, owner, owner_client, stranger):
    """/alimtalk/quote, /alimtalk/send, /alimtalk/recipients/upload: another account's
    template id in the body is the same refusal as an unknown one, and nothing is written."""
    import io
    import uuid
    from app.models import Message, Send
    _, template_id = _owners_template(app, owner, "approved")
    payload = {"template_id": template_id,
               "recipients": [{"phone": "01023456701", "vars": {"고객명": "김", "주문번호": "A-1"}}],
               "compose_token": uuid.uuid4().hex}
    headers = {"Accept": "application/json"}
    for path in ("/alimtalk/quote", "/alimtalk/send"):
        response = stranger.post(path, json=payload, headers=headers)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert ALIMTALK_SECRET not in response.get_data(as_text=True)
        if response.status_code == 422:
            assert response.get_json()["error"]["code"] == "template_not_approved"
    upload = stranger.post("/alimtalk/recipients/upload", headers=headers, content_type="multipart/form-data",
                           data={"template_id": str(template_id),
                                 "file": (io.BytesIO("휴대폰번호\n01023456701\n".encode()), "a.csv")})
    assert upload.status_code == 404
    assert count(app, Send) == 0 and count(app, Message) == 0
    fund(app, owner.account_id, cash=1_000)
    assert owner_client.post("/alimtalk/quote", json=payload, headers=headers).status_code == 200
    assert owner_client.post("/alimtalk/send", json=payload, headers=headers).status_code == 201
    assert count(app, Send) == 1


FRIENDTALK_SECRET = "오너의 비밀 세일"


def _owners_friendtalk_template(app, owner) -> int:
    """A 친구톡 template of the owner, with an image (KFT-01)."""
    return make_friendtalk_template(app, owner.account_id, name=FRIENDTALK_SECRET, text=f"{FRIENDTALK_SECRET} #[이름]",
                                    image=("a.jpg", jpeg((800, 600))))


def _friendtalk_state(app, template_id) -> tuple[list, list]:
    return rows(app, FriendtalkTemplate, FriendtalkTemplate.id == template_id), rows(app, StoredFile)


def prove_friendtalk_template_edit(app, owner, owner_client, stranger):
    """/templates/friendtalk/<id>/edit: neither the form nor a save (or an image removed) of
    another account's 친구톡 template."""
    template_id = _owners_friendtalk_template(app, owner)
    url = f"/templates/friendtalk/{template_id}/edit"
    before = _friendtalk_state(app, template_id)
    assert assert_foreign_404(stranger, "GET", url, secret=FRIENDTALK_SECRET).status_code == 404
    form = {"name": "바꿔치기", "content": "바꿔치기 내용", "remove_image": "1", "op": "save"}
    assert assert_foreign_404(stranger, "POST", url, data=form, secret=FRIENDTALK_SECRET).status_code == 404
    assert _friendtalk_state(app, template_id) == before
    assert owner_client.get(url).status_code == 200
    assert owner_client.post(url, data=form).status_code == 302
    [row] = rows(app, FriendtalkTemplate, FriendtalkTemplate.id == template_id)
    assert row["name"] == "바꿔치기" and row["image_file_id"] is None


def prove_friendtalk_template_delete(app, owner, owner_client, stranger):
    """/templates/friendtalk/delete: another account's id in the form (alone or among the
    stranger's own) deletes nothing."""
    template_id = _owners_friendtalk_template(app, owner)
    assert stranger.post("/templates/friendtalk/new", data={"name": "남의 것", "content": "남의 내용"}).status_code == 302
    [own] = [r["id"] for r in rows(app, FriendtalkTemplate) if r["account_id"] != owner.account_id]
    before = _friendtalk_state(app, template_id)
    for ids in ([str(template_id)], [str(own), str(template_id)]):
        response = assert_foreign_404(stranger, "POST", "/templates/friendtalk/delete", data={"template_id": ids},
                                      secret=FRIENDTALK_SECRET)
        assert response.status_code == 404
    assert _friendtalk_state(app, template_id) == before
    assert count(app, FriendtalkTemplate, FriendtalkTemplate.id == own) == 1
    assert owner_client.post("/templates/friendtalk/delete", data={"template_id": str(template_id)}).status_code == 302
    assert count(app, FriendtalkTemplate, FriendtalkTemplate.id == template_id) == 0


FRIENDTALK_COMPOSE_SECRET = "오너의 비밀 친구톡"


def _owners_friendtalk(app, owner) -> tuple[int, int, int]:
    """(channel id, saved 친구톡 content id, its image's file id) of the owner."""
    channel_id = approve_channel(app, owner.account_id, "@ownerft")
    template_id = make_friendtalk_template(app, owner.account_id, name="오너 세일", text=FRIENDTALK_COMPOSE_SECRET,
                                           image=("o.jpg", jpeg((800, 600))))
    [saved] = rows(app, FriendtalkTemplate, FriendtalkTemplate.id == template_id)
    return channel_id, template_id, saved["image_file_id"]


def prove_friendtalk_template_content(app, owner, owner_client, stranger):
    """/friendtalk/template-content/<id>: another account's saved 친구톡 content, its text and image."""
    _, template_id, _ = _owners_friendtalk(app, owner)
    url = f"/friendtalk/template-content/{template_id}"
    assert assert_foreign_404(stranger, "GET", url, secret=FRIENDTALK_COMPOSE_SECRET).status_code == 404
    assert owner_client.get(url).get_json()["content"] == FRIENDTALK_COMPOSE_SECRET


def prove_friendtalk_compose_send(app, owner, owner_client, stranger):
    """/friendtalk/quote, /friendtalk/send: another account's channel, saved content or
    image id in the body is the same refusal as an unknown one, and nothing is written."""
    import uuid
    from app.models import Message, Send
    from tests.support.pipeline import NOW
    channel_id, template_id, file_id = _owners_friendtalk(app, owner)
    payload = {"channel": str(channel_id), "content": "쿠폰 도착", "image_id": file_id, "template_id": template_id,
               "recipients": [{"phone": "01023456701"}], "compose_token": uuid.uuid4().hex}
    headers = {"Accept": "application/json"}
    # the saved content is looked up first, then the image, then the channel: each refusal in turn
    refusals = [({}, 404, "not_found"), ({"template_id": None}, 422, "invalid_image"),
                ({"template_id": None, "image_id": None}, 422, "channel_not_approved")]
    with clock.frozen(NOW):                    # 12:00 KST, inside the Brand Message hours
        for path in ("/friendtalk/quote", "/friendtalk/send"):
            for changes, status, code in refusals:
                response = stranger.post(path, json={**payload, **changes}, headers=headers)
                assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), (path, changes)
                assert FRIENDTALK_COMPOSE_SECRET not in str(response.get_json())
        assert count(app, Send) == 0 and count(app, Message) == 0
        fund(app, owner.account_id, cash=1_000)
        assert owner_client.post("/friendtalk/quote", json=payload, headers=headers).status_code == 200
        assert owner_client.post("/friendtalk/send", json=payload, headers=headers).status_code == 201
    assert count(app, Send) == 1


def _owners_alimtalk_send(app, owner) -> int:
    """An AlimTalk send of the owner with 대체문자, run to completion."""
    from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest
    from app.domain.recipients import Recipient
    from app.services.kakao import alimtalk_sends
    from app.services.sending import acceptance
    from tests.support.pipeline import phones, run_to_completion
    fund(app, owner.account_id, cash=10_000)
    _, template_id = _owners_template(app, owner, "approved")
    with app.app_context():
        people = [Recipient(n, "오너고객", {"고객명": "홍길동", "주문번호": "A-1"}, i) for i, n in enumerate(phones(0, 80), start=1)]
        accepted = alimtalk_sends.accept(AlimtalkRequest(account_id=owner.account_id, channel=None,
                                                         template=template_id, recipients=people,
                                                         fallback=FallbackRequest(owner.phone)), now=clock.now())
        acceptance.enqueue_dispatch(accepted.send)
        send_id = accepted.send.id
    run_to_completion(app, clock.now())
    return send_id


def prove_kakao_history_detail(app, owner, owner_client, stranger):
    """/history/kakao/<id>: another account's Kakao send, either tab, its recipients."""
    from app.models import Send
    send_id = _owners_alimtalk_send(app, owner)
    before = rows(app, Send)
    for query in ("", "?tab=fallback", "?show=1&status=delivered", "?show=1&tab=fallback&status=fallback:delivered"):
        assert assert_foreign_404(stranger, "GET", f"/history/kakao/{send_id}{query}",
                                  secret=ALIMTALK_SECRET).status_code == 404
    assert "오너고객" not in stranger.get("/history/kakao/").get_data(as_text=True)
    assert rows(app, Send) == before
    mine = owner_client.get(f"/history/kakao/{send_id}?show=1")
    assert mine.status_code == 200 and "오너고객" in mine.get_data(as_text=True)


def prove_stats_are_the_accounts_own(app, owner, owner_client, stranger):
    """/stats/ and /stats/pdf take no ids: they read the signed-in account's rollups only —
    the owner's 7,391 messages never show in another account's page or PDF."""
    import io

    from pypdf import PdfReader

    from app import clock
    from tests.support.stats import rollup
    rollup(app, owner.account_id, clock.to_kst(clock.now()).date(), "SMS", requested=7391, delivered=7390, failed=1)
    for client, shown in ((owner_client, True), (stranger, False)):
        page = client.get("/stats/?period=this").get_data(as_text=True)
        assert ("7,391" in page) is shown
        data = client.get("/stats/pdf?period=this").data
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        assert ("7,391" in text) is shown


def prove_kakao_history_export(app, owner, owner_client, stranger):
    """/history/kakao/<id>/export.xlsx: no file, no export job for another account's send."""
    from app.models import ExportJob
    send_id = _owners_alimtalk_send(app, owner)
    url = f"/history/kakao/{send_id}/export.xlsx"
    response = assert_foreign_404(stranger, "GET", url, secret="오너고객")
    assert response.status_code == 404 and count(app, ExportJob) == 0
    mine = owner_client.get(url)
    assert mine.status_code == 200 and mine.data[:2] == b"PK"


def prove_kakao_history_delete(app, owner, owner_client, stranger):
    """/history/kakao/delete: another account's Kakao send ids (선택삭제) are not found and
    stay; a stranger's 전체삭제 finds none of them (nothing of the stranger's to delete)."""
    from app.models import Message, Send
    send_id = _owners_alimtalk_send(app, owner)
    before = (rows(app, Send), count(app, Message))
    url = "/history/kakao/delete"
    assert assert_foreign_404(stranger, "POST", url, data={"send_id": str(send_id)}).status_code == 404
    assert stranger.post(url, data={"all": "1", "period": "today"}).status_code == 422
    assert (rows(app, Send), count(app, Message)) == before
    response = owner_client.post(url, data={"send_id": str(send_id)})
    assert response.status_code == 302 and count(app, Send, Send.id == send_id) == 0


TAX_SECRET = "오너의 세금계산서 요청"


def _owners_issued_invoice(app, owner) -> int:
    """The owner's November invoice (TAX-03), issued with its PDF copy (TAX-05)."""
    from tests.support.tax import company_data, issue, monthly_invoice, settings
    company_data(app, owner.account_id, company_name="오너상사 주식회사")
    settings(app, owner.account_id, request_note=TAX_SECRET)
    invoice_id = monthly_invoice(app, owner, 2_020)
    issue(app, invoice_id)
    return invoice_id


def prove_tax_invoice_detail_and_copy(app, owner, owner_client, stranger):
    """/tax-invoices/<id> and /tax-invoices/<id>/pdf: another account's invoice, its parties,
    its request note and its PDF copy."""
    from app.models import TaxInvoice
    invoice_id = _owners_issued_invoice(app, owner)
    before = rows(app, TaxInvoice)
    for url in (f"/tax-invoices/{invoice_id}", f"/tax-invoices/{invoice_id}/pdf"):
        response = assert_foreign_404(stranger, "GET", url, secret=TAX_SECRET)
        assert response.status_code == 404 and b"%PDF" not in response.data and "오너상사" not in response.get_data(
            as_text=True)
        assert response.headers.get("Content-Disposition") is None
    assert rows(app, TaxInvoice) == before
    assert TAX_SECRET in owner_client.get(f"/tax-invoices/{invoice_id}").get_data(as_text=True)
    mine = owner_client.get(f"/tax-invoices/{invoice_id}/pdf")
    assert mine.status_code == 200 and mine.data[:5] == b"%PDF-"


def prove_tax_invoices_are_the_accounts_own(app, owner, owner_client, stranger):
    """/tax-invoices/ takes no ids: its history, running totals and settings are the signed-in
    account's only; the stranger's [신청] changes the stranger's account, not the owner's."""
    from app.models import Account
    from tests.support.tax import LATER_PAGE
    invoice_id = _owners_issued_invoice(app, owner)
    with clock.frozen(LATER_PAGE):
        theirs = stranger.get("/tax-invoices/").get_data(as_text=True)
        mine = owner_client.get("/tax-invoices/").get_data(as_text=True)
    assert f'data-id="{invoice_id}"' not in theirs and TAX_SECRET not in theirs and "오너상사" not in theirs
    assert f'data-id="{invoice_id}"' in mine and TAX_SECRET in mine
    assert stranger.post("/tax-invoices/settings", data={"issue": "none", "contact_name": "", "contact_email": "",
                                                         "contact_phone": "", "request_note": ""}).status_code == 302
    [account] = rows(app, Account, Account.id == owner.account_id)
    assert (account["tax_invoice_auto"], account["tax_request_note"]) == (True, TAX_SECRET)


class Elsewhere(str):
    """The proof is a test in another module ("module.py::test_name"): it must exist and
    call the route (checked by test_sec01_proofs_elsewhere_exist)."""


NO_IDS = "takes no ids: acts on current_account_id() only"
SESSION_VERIFICATION = ("takes no ids in the URL: the pending verification's id is in the signed session "
                        "and the service checks it against current_account_id()")
SENDERS_PROOF = Elsewhere("test_senders.py::test_another_accounts_sender_items_and_documents_answer_404")
OPTOUT_080_PROOF = Elsewhere("test_optout_080.py::test_another_accounts_080_numbers_and_documents_answer_404")
HISTORY_PROOF = Elsewhere("test_portal_tenancy.py::test_history_routes_refuse_another_accounts_sends")
EXPORT_PROOF = Elsewhere("test_portal_tenancy.py::test_export_jobs_of_another_account_answer_404")
BOOK_PROOF = Elsewhere("test_portal_tenancy.py::test_address_book_routes_refuse_another_accounts_groups_and_contacts")
TEMPLATE_PROOF = Elsewhere("test_portal_tenancy.py::test_templates_and_optouts_of_another_account_answer_404")
WEBHOOK_PROOF = Elsewhere("test_webhook_pages.py::test_sec01_another_accounts_endpoints_and_deliveries_answer_404")
BODY_IDS = ("ids in the form or JSON body only, each loaded with get_owned for current_account_id() "
            "(test_portal_tenancy.py)")

#: endpoint -> a proof (a function run here, or an Elsewhere test) that another account's ids
#: answer 404, or a sentence saying why the route needs none.
CUSTOMER_ROUTES = {
    # foundation (ACC-04, ACC-05, ACC-06)
    "DashboardView.index": NO_IDS,
    "MyPageView.index": NO_IDS,
    "MyPageView.password": "takes no ids: changes the password of g.user only",
    "MyPageView.settings": NO_IDS,
    "MyPageView.create_api_key": NO_IDS,
    "MyPageView.revoke_api_key": Elsewhere("test_api_keys_page.py::test_keys_are_created_shown_once_and_revoked"),
    "MyPageView.invite": NO_IDS + " (owner check in accounts.invite)",
    "MyPageView.cancel_invitation": prove_invitation_cancel,
    "MyPageView.conversion": NO_IDS + " (shows the account's latest application)",
    "MyPageView.company": prove_company_change_is_the_accounts_own,
    "MyPageView.api_use": NO_IDS + " (shows the account's latest application)",
    # webhooks (API-06)
    "WebhookView.index": NO_IDS + " (the endpoint filter is matched against the account's own deliveries)",
    "WebhookView.add": NO_IDS,
    "WebhookView.show": WEBHOOK_PROOF,
    "WebhookView.edit": WEBHOOK_PROOF,
    "WebhookView.test": WEBHOOK_PROOF,
    "WebhookView.rotate": WEBHOOK_PROOF,
    "WebhookView.disable": WEBHOOK_PROOF,
    "WebhookView.enable": WEBHOOK_PROOF,
    "WebhookView.delete": WEBHOOK_PROOF,
    "WebhookView.delivery_page": WEBHOOK_PROOF,
    "WebhookView.replay": WEBHOOK_PROOF,
    "MyPageView.marketing": "takes no ids: records the marketing consent of g.user only",
    "MyPageView.low_balance_alert": NO_IDS,
    "NoticeView.index": NO_IDS,
    "NoticeView.open": prove_notice_open,
    "NoticeView.read_all": NO_IDS + " (marks only the account's notices)",
    "FileView.download": prove_file_download,
    # AlimTalk templates (KAT-04)
    "AlimtalkTemplateView.index": NO_IDS + " (lists the account's templates only; a channel id in the query "
                                           "filters the account's own templates)",
    "AlimtalkTemplateView.new": NO_IDS + " in the URL (the channel id in the form is loaded for current_account_id(): "
                                         "test_alimtalk_pages.py refuses a foreign channel id)",
    "AlimtalkTemplateView.show": prove_alimtalk_show,
    "AlimtalkTemplateView.edit": prove_alimtalk_edit,
    "AlimtalkTemplateView.request_review": prove_alimtalk_request,
    "AlimtalkTemplateView.delete": prove_alimtalk_delete,
    "AlimtalkTemplateView.comment": prove_alimtalk_comment,
    "AlimtalkTemplateView.reactivate": prove_alimtalk_reactivate,
    # 친구톡 템플릿 (KFT-01)
    "FriendtalkTemplateView.index": NO_IDS + " (lists and searches the account's templates only)",
    "FriendtalkTemplateView.new": NO_IDS,
    "FriendtalkTemplateView.edit": prove_friendtalk_template_edit,
    "FriendtalkTemplateView.delete": prove_friendtalk_template_delete,
    # 알림톡 발송 (KAT-06..08)
    "AlimtalkComposeView.index": NO_IDS,
    "AlimtalkComposeView.sample": prove_alimtalk_sample,
    "AlimtalkComposeView.upload": prove_alimtalk_compose_send,
    "AlimtalkComposeView.quote": prove_alimtalk_compose_send,
    "AlimtalkComposeView.send": prove_alimtalk_compose_send,
    # 친구톡 발송 (KFT-01..04; recipients files, typed numbers and the address book are ComposeView's)
    "FriendtalkComposeView.index": NO_IDS,
    "FriendtalkComposeView.image": NO_IDS + " (stores a draft image of current_account_id())",
    "FriendtalkComposeView.template_content": prove_friendtalk_template_content,
    "FriendtalkComposeView.quote": prove_friendtalk_compose_send,
    "FriendtalkComposeView.send": prove_friendtalk_compose_send,
    "InvitationView.accept": "token, not an id: a 256-bit secret from the mail, hashed in the database; "
                             "unknown, used, cancelled and expired tokens answer 404 (test_invitations)",
    # wallet (WAL-03, WAL-09, WAL-10)
    "WalletView.index": NO_IDS,
    "WalletView.bank_transfer": NO_IDS,
    "WalletView.card": NO_IDS,
    "WalletView.refund": NO_IDS,
    "WalletView.statement": NO_IDS + " (filters in the query string, never an account id)",
    "WalletView.statement_export": NO_IDS + " (filters in the query string, never an account id)",
    "WalletView.cancel_topup": Elsewhere("test_wallet_pages.py::"
                                         "test_a_pending_top_up_can_be_cancelled_only_by_its_customer"),
    "WalletView.cancel_refund": prove_refund_cancel,
    # 세금계산서 (TAX-01, TAX-02, TAX-04)
    "TaxInvoiceView.index": prove_tax_invoices_are_the_accounts_own,
    "TaxInvoiceView.settings": NO_IDS + " (saves the settings of current_account_id(): "
                                        "prove_tax_invoices_are_the_accounts_own)",
    "TaxInvoiceView.detail": prove_tax_invoice_detail_and_copy,
    "TaxInvoiceView.pdf": prove_tax_invoice_detail_and_copy,
    # sender information (SND-01..08)
    "SenderView.index": NO_IDS,
    "SenderView.new": NO_IDS,
    "SenderView.new_number": NO_IDS,
    "SenderView.new_channel": NO_IDS,
    "SenderView.verify_number": SESSION_VERIFICATION,
    "SenderView.verify_channel": SESSION_VERIFICATION,
    "SenderView.number": SENDERS_PROOF,
    "SenderView.resubmit_number": SENDERS_PROOF,
    "SenderView.delete_number": SENDERS_PROOF,
    "SenderView.channel": SENDERS_PROOF,
    "SenderView.delete_channel": SENDERS_PROOF,
    "SenderView.apply_targeting": prove_targeting_apply,
    "OptoutNumberView.index": NO_IDS,
    "OptoutNumberView.new": NO_IDS,
    "OptoutNumberView.detail": OPTOUT_080_PROOF,
    "OptoutNumberView.resubmit": OPTOUT_080_PROOF,
    "OptoutNumberView.delete": OPTOUT_080_PROOF,
    # compose (SMS-01..14)
    "ComposeView.index": NO_IDS + " (resend/template ids in the query are loaded with get_owned: "
                                  "test_portal_tenancy.py)",
    "ComposeView.sample": NO_IDS,
    "ComposeView.upload": NO_IDS,
    "ComposeView.check_recipients": NO_IDS,
    "ComposeView.image": NO_IDS,
    "ComposeView.quote": BODY_IDS,
    "ComposeView.send": BODY_IDS,
    "ComposeView.templates": NO_IDS,
    "ComposeView.template": TEMPLATE_PROOF,
    "ComposeView.address_book": BODY_IDS,
    # history (RES-02..07)
    "HistoryView.index": NO_IDS + " (filters in the query string)",
    "HistoryView.reservations": NO_IDS,
    "HistoryView.detail": HISTORY_PROOF,
    "HistoryView.export_messages": HISTORY_PROOF,
    "HistoryView.save_template": HISTORY_PROOF,
    "HistoryView.cancel": HISTORY_PROOF,
    "HistoryView.delete": BODY_IDS,
    "HistoryView.export_sends": BODY_IDS,
    # 카카오톡 발송내역 (KRS-01..03; cancel, resend and export jobs are the routes above)
    "KakaoHistoryView.index": NO_IDS + " (filters in the query string; the channel filter is a search id "
                                       "matched within the account's sends)",
    "KakaoHistoryView.delete": prove_kakao_history_delete,
    # 발송통계 (STA-01..03)
    "StatsView.index": prove_stats_are_the_accounts_own,
    "StatsView.pdf": prove_stats_are_the_accounts_own,
    "KakaoHistoryView.detail": prove_kakao_history_detail,
    "KakaoHistoryView.export_messages": prove_kakao_history_export,
    "ExportView.show": EXPORT_PROOF,
    "ExportView.download": EXPORT_PROOF,
    # address book, opt-outs, templates (SMS-08, SMS-12, SMS-13)
    "ContactsView.index": BODY_IDS,
    "ContactsView.add_group": NO_IDS,
    "ContactsView.rename_group": BOOK_PROOF,
    "ContactsView.delete_group": BOOK_PROOF,
    "ContactsView.add": BODY_IDS,
    "ContactsView.edit": BOOK_PROOF,
    "ContactsView.delete": BODY_IDS + " (deletes only rows of the account)",
    "ContactsView.import_file": BODY_IDS,
    "ContactsView.export": BODY_IDS,
    "OptOutView.index": NO_IDS,
    "OptOutView.add": NO_IDS,
    "OptOutView.import_file": NO_IDS,
    "OptOutView.delete": TEMPLATE_PROOF,
    "TemplateView.index": NO_IDS,
    "TemplateView.new": NO_IDS,
    "TemplateView.edit": TEMPLATE_PROOF,
    "TemplateView.delete": TEMPLATE_PROOF,
}
#: URL arguments that are secrets handed to one person, not ids of rows.
TOKEN_ARGUMENTS = {"token"}


def test_sec01_every_customer_route_has_an_entry(app):
    routes = customer_endpoints(app)
    missing = sorted(set(routes) - set(CUSTOMER_ROUTES))
    stale = sorted(set(CUSTOMER_ROUTES) - set(routes))
    assert not missing, ("customer routes without a cross-tenant entry in CUSTOMER_ROUTES: "
                         + ", ".join(f"{e} ({routes[e].rule})" for e in missing))
    assert not stale, f"entries for routes that no longer exist: {stale}"
    assert len(routes) >= 9


def is_proof(how) -> bool:
    return callable(how) or isinstance(how, Elsewhere)


def test_sec01_every_route_with_an_id_has_a_proof(app):
    for endpoint, rule in customer_endpoints(app).items():
        ids = set(rule.arguments) - TOKEN_ARGUMENTS
        if ids:
            assert is_proof(CUSTOMER_ROUTES.get(endpoint)), f"{rule.rule} takes {ids}: it needs a proof"
        elif rule.arguments:
            assert "token" in CUSTOMER_ROUTES[endpoint], rule.rule


def test_sec01_proofs_elsewhere_exist(app):
    """An Elsewhere proof names a test that exists and calls the route's URL."""
    routes = customer_endpoints(app)
    for endpoint, how in CUSTOMER_ROUTES.items():
        if not isinstance(how, Elsewhere) or endpoint not in routes:
            continue
        module_file, test_name = how.split("::")
        module = importlib.import_module("tests.integration." + module_file.removesuffix(".py"))
        test = getattr(module, test_name, None)
        assert callable(test), f"{endpoint}: {how} does not exist"
        source = inspect.getsource(test)
        # the rule with each <argument> as an f-string field: /senders/numbers/{sender.id}/delete
        url = r"\{[^}]+\}".join(re.escape(part) for part in re.split(r"<[^>]+>", routes[endpoint].rule))
        assert re.search(url, source) and "assert_foreign_404" in source, \
            f"{endpoint}: {how} does not call {routes[endpoint].rule}"


def test_acc07_customer_routes_refuse_staff_and_anonymous_callers(app):
    """Customer pages are for customers: a staff login has no account to act for
    (an operator has no Portal permission; an admin has it, but no account)."""
    staff = [staff_client(app, role)[1] for role in ("Operator", "Admin")]
    anonymous = app.test_client()
    for endpoint, rule in customer_endpoints(app).items():
        if rule.arguments or endpoint.startswith(("FileView", "InvitationView")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(rule.rule, method=method)
            assert response.status_code == 302 and "/login/" in response.headers["Location"], rule.rule
            for client in staff:
                assert client.open(rule.rule, method=method).status_code == 403, rule.rule


PROOFS = [endpoint for endpoint, how in CUSTOMER_ROUTES.items() if callable(how)]


@pytest.mark.parametrize("endpoint", PROOFS)
def test_sec01_another_accounts_ids_answer_404(app, endpoint):
    if endpoint not in customer_endpoints(app):
        pytest.fail(f"{endpoint} is not a route (see test_sec01_every_customer_route_has_an_entry)")
    owner, owner_client = customer_client(app, kind="individual" if endpoint == "FileView.download" else "corporate")
    _stranger, stranger = customer_client(app, kind="corporate")
    CUSTOMER_ROUTES[endpoint](app, owner, owner_client, stranger)


def test_acc07_the_certificate_stays_private_after_the_conversion_is_decided(app):
    owner, owner_client = customer_client(app)
    _, stranger = customer_client(app)
    apply_conversion(owner_client)
    [stored] = rows(app, StoredFile)
    _, operator = staff_client(app, "Operator")
    [conversion] = rows(app, CorporateConversion)
    conversion_id = conversion["id"]
    assert operator.post(f"/staff/queues/conversions/decide/{conversion_id}",
                         data={"decision": "approve"}).status_code == 302
    assert stranger.get(f"/files/{stored['id']}").status_code == 404
    assert owner_client.get(f"/files/{stored['id']}").status_code == 200
    assert operator.get(f"/files/{stored['id']}").status_code == 200
    assert count(app, StoredFile) == 1
