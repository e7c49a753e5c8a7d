"""What the Kakao dealer adapter asks of NHN besides sends (issue 20): template
registration = review request, its review state into KAT-03's machine (the local server
playing Kakao's reviewer), a registration NHN refuses; a channel proven by Kakao's own token
(SND-07 with a dealer); the result webhook; and the request bodies field by field against
the guide (docs/research/nhn-bizmessage.md)."""
from __future__ import annotations

import pytest

from app.errors import ValidationError
from app.extensions import db
from app.models import AlimtalkTemplate, KakaoChannel, KakaoDealerMessage, SystemMessage
from app.services.kakao import templates
from app.services.senders import kakao_channels
from tests.integration.test_nhn_kakao_pipeline import alimtalk_send
from tests.support.dealer import app, dealer  # noqa: F401  (the fixtures)
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.pipeline import NOW, phones, work

NUMBER = phones(0)[0]

TEMPLATES = "/templates"


@pytest.fixture
def corp(app, dealer):
    customer = make_customer(app, kind="corporate", cash=100_000)
    return customer, approve_channel(app, customer.account_id, "@shop")


def template_row(app, template_id) -> AlimtalkTemplate:
    with app.app_context():
        row = db.session.get(AlimtalkTemplate, template_id)
        row.events                                           # loaded before the session ends
        db.session.expunge_all()
        return row


def submit_and_sync(app) -> None:
    with app.app_context():
        templates.submit_requested(NOW)
        templates.sync_reviews(NOW)


def test_kat03_registering_is_the_review_request_and_the_body_is_the_guides(app, dealer, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="requested", name="주문 안내")
    submit_and_sync(app)
    [post] = dealer.requests(path=TEMPLATES, method="POST")
    assert post["path"] == f"/alimtalk/v2.3/appkeys/{dealer.appkey}/senders/{dealer.sender_key('@shop')}/templates"
    assert post["headers"]["X-Secret-Key"] == dealer.secret
    row = template_row(app, template_id)
    assert post["body"] == {
        "templateCode": row.code, "templateName": "주문 안내",
        "templateContent": "#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다.",
        "templateMessageType": "BA", "templateEmphasizeType": "NONE", "securityFlag": False,
        "categoryCode": row.category or "999999",
        "buttons": [{"ordering": 1, "type": "WL", "name": "배송 조회",
                     "linkMo": "https://shop.example.com/o/#{주문번호}"}]}
    assert row.status == "requested"                       # TSC01 요청: still waiting for Kakao

    sender_key = dealer.sender_key("@shop")
    dealer.review(sender_key, row.code, "start")           # TSC02 검수 중
    submit_and_sync(app)
    assert template_row(app, template_id).status == "in_review"
    dealer.review(sender_key, row.code, "approve")         # TSC03 승인
    submit_and_sync(app)
    row = template_row(app, template_id)
    assert row.status == "approved"
    assert [(e.status, e.actor_kind) for e in row.events][-2:] == [("in_review", "kakao"), ("approved", "kakao")]


def test_kat03_a_rejection_carries_kakaos_reason_and_a_new_request_is_reviewed_again(app, dealer, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="requested", name="쿠폰 안내")
    submit_and_sync(app)
    code = template_row(app, template_id).code
    dealer.review(dealer.sender_key("@shop"), code, "reject", "버튼 링크가 내용과 맞지 않습니다.")
    submit_and_sync(app)
    row = template_row(app, template_id)
    assert row.status == "rejected"
    assert row.events[-1].comment == "버튼 링크가 내용과 맞지 않습니다."

    with app.app_context():          # edited and requested again: NHN's template is modified (PUT)
        templates.update_template(account_id=customer.account_id, template_id=template_id, actor=None,
                                  raw={"name": "쿠폰 안내", "message_type": "BA", "emphasis_type": "NONE",
                                       "channel": channel_id, "content": "#{고객명}님, 쿠폰이 도착했습니다."},
                                  request_review=True, now=NOW)
    submit_and_sync(app)
    [put] = dealer.requests(path=f"{TEMPLATES}/{code}", method="PUT")
    assert put["body"]["templateContent"] == "#{고객명}님, 쿠폰이 도착했습니다." and "templateCode" not in put["body"]
    assert template_row(app, template_id).status == "in_review"          # TSC02 again


def test_kat03_a_registration_nhn_refuses_is_rejected_with_its_reason(app, dealer, corp):
    customer, channel_id = corp
    make_template(app, customer.account_id, channel_id, status="requested", name="배송 안내")
    second = make_template(app, customer.account_id, channel_id, status="requested", name="배송 안내")
    submit_and_sync(app)
    row = template_row(app, second)
    assert row.status == "rejected"
    assert row.events[-1].comment.startswith("카카오 검수 요청이 거절되었습니다: 이 채널에 같은 이름의 템플릿이 이미 있습니다")


def test_snd07_a_channel_is_proven_by_kakaos_token_and_gets_its_sender_key(app, dealer):
    customer = make_customer(app, kind="corporate", cash=0)
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            kakao_channels.start_channel_verification(account_id=customer.account_id, search_id="@newshop",
                                                      admin_phone="01022223393", now=NOW)
        assert refused.value.code == "not_channel_admin"
        pending = kakao_channels.start_channel_verification(account_id=customer.account_id, search_id="@newshop",
                                                            admin_phone="01022223344", now=NOW)
        pending_id = pending.id
        # Kakao sent the token to the admin's KakaoTalk: megabird sent no SMS of its own
        assert db.session.query(SystemMessage).count() == 0
        db.session.commit()
    refused_call, register = dealer.requests(path="/senders", method="POST")
    assert refused_call["resultCode"] == -7000            # NHN: not the channel's admin
    assert register["body"] == {"plusFriendId": "@newshop", "phoneNo": "01022223344", "categoryCode": "00100010001"}
    token = dealer.snapshot()["tokens"]["@newshop"]
    with app.app_context():
        with pytest.raises(ValidationError) as wrong:
            kakao_channels.confirm_channel(account_id=customer.account_id, verification_id=pending_id,
                                           code=f"{(token % 900000) + 100001:06d}"[:6], now=NOW)
        assert wrong.value.code == "wrong_code"
    with app.app_context():
        channel = kakao_channels.confirm_channel(account_id=customer.account_id, verification_id=pending_id,
                                                 code=str(token), now=NOW)
        assert (channel.status, channel.sender_key) == ("requested", dealer.sender_key("@newshop"))
        kakao_channels.decide_channel(channel.id, approve=True, actor=None, now=NOW)
        assert db.session.get(KakaoChannel, channel.id).sender_key == dealer.sender_key("@newshop")


def test_gw01_the_raw_messages_request_field_by_field(app, dealer, corp):
    customer, channel_id = corp
    from tests.integration.test_nhn_kakao_pipeline import reviewed_template
    template_id = reviewed_template(app, customer.account_id, channel_id)
    alimtalk_send(app, customer, template_id, [NUMBER])
    work(app, NOW)
    [post] = dealer.requests(path="raw-messages", method="POST")
    body, key = post["body"], post["headers"]["X-NC-API-IDEMPOTENCY-KEY"]
    with app.app_context():
        ref = db.session.query(KakaoDealerMessage.ref).scalar()
        code = db.session.get(AlimtalkTemplate, template_id).code
        db.session.commit()
    assert post["headers"]["Content-Type"] == "application/json;charset=UTF-8"
    assert body == {"senderKey": dealer.sender_key("@shop"), "templateCode": code, "senderGroupingKey": key,
                    "createUser": "megabird", "recipientList": [{
                        "recipientNo": NUMBER,
                        "content": "홍길동님, 주문하신 상품(주문번호 A-1001)이 발송되었습니다.",
                        "buttons": [{"ordering": 1, "type": "WL", "name": "배송 조회",
                                     "linkMo": "https://shop.example.com/o/A-1001"}],
                        "resendParameter": {"isResend": False}, "recipientGroupingKey": ref}]}
    assert len(key) <= 100


def test_gw01_the_result_webhook_fills_the_results_it_is_signed_for(app, dealer, corp):
    customer, channel_id = corp
    from tests.integration.test_nhn_kakao_pipeline import reviewed_template
    template_id = reviewed_template(app, customer.account_id, channel_id)
    alimtalk_send(app, customer, template_id, [NUMBER])
    work(app, NOW)
    with app.app_context():
        ref = db.session.query(KakaoDealerMessage.ref).scalar()
        db.session.commit()
    client = app.test_client()
    hook = {"hooksId": "h1", "productName": "KakaoTalk Bizmessage", "appKey": dealer.appkey,
            "event": "MESSAGE_RESULT_UPDATE",
            "hooks": [{"kakaoMessageType": "ALIMTALK_NORMAL", "recipientGroupingKey": ref, "resultCode": "3019",
                       "receiveDate": "2026-11-27 12:00:03"},
                      {"kakaoMessageType": "ALIMTALK_NORMAL", "recipientGroupingKey": "999999", "resultCode": "1000"}]}
    assert client.post("/hooks/nhn-kakao", json=hook).status_code == 401
    wrong = client.post("/hooks/nhn-kakao", json=hook, headers={"X-Toast-Webhook-Signature": "nope"})
    assert (wrong.status_code, wrong.json["error"]["code"]) == (401, "invalid_signature")
    bad = client.post("/hooks/nhn-kakao", data="[]", content_type="application/json",
                      headers={"X-Toast-Webhook-Signature": "mb-hook-signature"})
    assert bad.status_code == 400
    ok = client.post("/hooks/nhn-kakao", json=hook, headers={"X-Toast-Webhook-Signature": "mb-hook-signature"})
    assert (ok.status_code, ok.json["recorded"]) == (200, 1)       # the unknown ref is not ours: not recorded
    with app.app_context():
        row = db.session.query(KakaoDealerMessage).filter_by(ref=ref).one()
        assert row.code == "3019"
        db.session.commit()
    signed = {"X-Toast-Webhook-Signature": "mb-hook-signature"}
    other = client.post("/hooks/nhn-kakao", json={**hook, "appKey": "another-app"}, headers=signed)
    assert (other.status_code, other.json["error"]["code"]) == (403, "other_app")
    with app.app_context():        # not final (3005: may still arrive), or not ours: nothing recorded
        from app.gateways.nhn_kakao.gateway import NhnKakaoGateway
        assert NhnKakaoGateway.record_hook(ref, 3005, None) is False
        assert NhnKakaoGateway.record_hook(ref, 1000, None) is False       # already has its result
    app.config["NHN_KAKAO_WEBHOOK_SIGNATURE"] = ""
    assert client.post("/hooks/nhn-kakao", json=hook).status_code == 404


def test_kat03_a_comment_on_a_rejected_template_goes_to_kakao_which_reviews_it_again(app, dealer, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="requested", name="회원 안내")
    submit_and_sync(app)
    code = template_row(app, template_id).code
    sender_key = dealer.sender_key("@shop")
    dealer.review(sender_key, code, "reject", "변수 설명이 필요합니다.")
    submit_and_sync(app)
    assert template_row(app, template_id).status == "rejected"
    with app.app_context():
        templates.add_comment(account_id=customer.account_id, template_id=template_id, actor=None,
                              comment="#{고객명}은 회원 이름입니다.", now=NOW)
        assert templates.forward_comments(NOW) == 1
        assert templates.forward_comments(NOW) == 0                 # once
    [post] = dealer.requests(path=f"{TEMPLATES}/{code}/comments", method="POST")
    assert post["body"] == {"comment": "#{고객명}은 회원 이름입니다."}
    submit_and_sync(app)
    row = template_row(app, template_id)
    assert row.status == "in_review"
    assert (row.events[-1].actor_kind, row.events[-1].comment) == ("kakao", templates.REVIEWED_AGAIN)
    dealer.review(sender_key, code, "approve")
    submit_and_sync(app)
    assert template_row(app, template_id).status == "approved"
