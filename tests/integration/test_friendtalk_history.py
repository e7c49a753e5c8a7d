"""친구톡 in 카카오톡 발송내역 (06-kakao.md KRS-01..04, KFT-04) and on the dashboard: a 친구톡
포토 with its MMS fallback and a 친구톡 텍스트 listed with their types and filtered by them,
the detail's two tabs, the Excel file of both layers, 문자로 재발송하기 bringing the ad text
and the image, and the dashboard's 친구톡 rows."""
from __future__ import annotations

import re

import pytest

from app.domain import friendtalk
from app.domain.friendtalk_plan import FallbackRequest, FriendtalkRequest
from app.domain.recipients import Recipient
from app.services.kakao import friendtalk_sends
from app.services.sending import acceptance
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    NOW,
    client,
    complete,
    html_unescape,
    phones,
    pinned,
    prefilled_recipients,
    read_xlsx,
    table_rows,
)
from tests.support.factories import approve_channel, make_customer
from tests.support.uploads import jpeg

PHOTO, TEXT, MMS, LMS = 25, 15, 150, 50


@pytest.fixture
def customer(app):
    customer = make_customer(app, kind="corporate", cash=100_000)
    approve_channel(app, customer.account_id, "@shop")
    return customer


def brand_message(app, customer, numbers, text, image=None) -> int:
    with app.app_context():
        request = FriendtalkRequest(account_id=customer.account_id, channel="@shop",
                                    content=friendtalk.check_content(text, [], image),
                                    recipients=[Recipient(n, "홍길동", {"1": str(i)}, i)
                                                for i, n in enumerate(numbers, start=1)],
                                    fallback=FallbackRequest(customer.phone, ad_company="메가샵"))
        accepted = friendtalk_sends.accept(request, now=NOW)
        acceptance.enqueue_dispatch(accepted.send)
        return accepted.send.id


def listed(client, query=""):
    html = client.get(f"/history/kakao/{query}").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<tr class="send-row" data-id="(\d+)">', html)]
    cells = [r for r in table_rows(html, "kakao-sends")[1:] if len(r) > 1]
    return dict(zip(ids, cells))


def cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</td>', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_krs01_krs02_friendtalk_types_in_the_list_and_the_detail(app, client, customer):
    photo = brand_message(app, customer, phones(0, 80, 90), "#[이름]님 신상품 입고", jpeg((800, 600)))
    text = brand_message(app, customer, phones(1), "겨울 세일 시작")
    complete(app)
    rows = listed(client)
    assert rows[photo][1:9] == ["친구톡 포토", "#[이름]님 신상품 입고", "@shop", "3", "2", "1", "0", "완료"]
    assert rows[text][1] == "친구톡 텍스트"
    assert set(listed(client, "?type=FRIENDTALK_IMAGE")) == {photo}
    assert set(listed(client, "?type=FRIENDTALK_TEXT")) == {text}
    assert set(listed(client, "?type=ALIMTALK")) == set()
    html = client.get(f"/history/kakao/{photo}").get_data(as_text=True)
    assert [cell(html, k) for k in ("layer-type", "layer-requested", "layer-delivered", "layer-failed")] == [
        "친구톡 포토", "3건", "1건", "2건"]
    assert cell(html, "charged").startswith(f"{PHOTO + MMS}원")
    html = client.get(f"/history/kakao/{photo}?tab=fallback").get_data(as_text=True)
    assert [cell(html, k) for k in ("layer-type", "layer-requested", "layer-delivered", "layer-failed")] == [
        "MMS", "2건", "1건", "1건"]


def test_krs03_export_and_resend_as_sms_with_the_image(app, client, customer):
    send_id = brand_message(app, customer, phones(0, 80, 90), "#[이름]님 신상품 #[1]", jpeg((800, 600)))
    complete(app)
    header, *rows = read_xlsx(client.get(f"/history/kakao/{send_id}/export.xlsx").data)
    by_end = {r[0][-2:]: r for r in rows}
    assert by_end["80"][2:5] == ["발송실패", "메시지 수신 확인 불가", "3019"] and by_end["80"][6] == "MMS"
    assert by_end["00"][-1] == PHOTO and by_end["80"][-1] == MMS and by_end["90"][-1] == 0
    html = html_unescape(client.get(f"/sms/?resend={send_id}&status=fallback:failed").get_data(as_text=True))
    assert [n["phone"][-2:] for n in prefilled_recipients(html)] == ["90"]
    assert "#[이름]님 신상품 #[1]" in html and "메가샵" in html
    assert "image_id" in html


def test_dashboard_shows_the_friendtalk_rows(app, client, customer):
    brand_message(app, customer, phones(0, 1), "겨울 세일 시작")
    brand_message(app, customer, phones(2), "신상품", jpeg((800, 600)))
    complete(app)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "친구톡 텍스트" in html and "친구톡 포토" in html
    kakao = table_rows(html, "recent-kakao-table")
    assert {r[0] for r in kakao if r} >= {"친구톡 텍스트", "친구톡 포토"}
