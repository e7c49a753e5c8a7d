"""템플릿 관리 > 알림톡 템플릿 관리 through the pages (KAT-01..04, manual chapter 03): the
list with its filters, search, 필터초기화 and paging; 알림톡 템플릿 등록 (저장, 저장 및 등록
요청) and every kind of refusal — a Korean message naming the field, the field marked, what
was typed kept, a 4xx and nothing saved —; the rows added and removed without the script;
edit only for saved and rejected templates; the template's page with its history, 등록 요청,
삭제, 문의 and 휴면 해제."""
from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest

from app import clock
from app.extensions import db
from app.models import AlimtalkTemplate, AlimtalkTemplateEvent, StoredFile
from app.services.kakao import templates
from tests.support.factories import approve_channel, make_customer, make_template
from tests.support.foundation import count, customer_client, flashed, follow, rows, uploaded_files
from tests.support.uploads import PDF, png
from tests.support.web import text_of

NEW = "/alimtalk/templates/new"
LIST = "/alimtalk/templates/"


@pytest.fixture
def corp(app):
    customer, client = customer_client(app, kind="corporate")
    channel_id = approve_channel(app, customer.account_id, "@shop")
    return customer, client, channel_id


def form(channel_id, **changes) -> dict:
    """The 등록 form as a browser posts it (names are the inputs' names)."""
    data = {"channel": str(channel_id), "name": "주문 안내", "message_type": "BA", "emphasis_type": "NONE",
            "content": "#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다.", "extra": "",
            "emphasis_title": "", "emphasis_subtitle": "", "item_header": "", "category": "",
            "items-0-title": "", "items-0-description": "", "items-1-title": "", "items-1-description": "",
            "buttons-0-type": "WL", "buttons-0-name": "배송 조회",
            "buttons-0-url_mobile": "https://shop.example.com/o/#{주문번호}", "buttons-0-url_pc": "",
            "new_button_type": "WL", "new_reply_type": "WL", "op": "save"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client, url, data):
    return client.post(url, data=data, content_type="multipart/form-data")


class Marks(HTMLParser):
    """Ids of the elements a refusal marks: inputs with aria-invalid, rows and sections
    with has-error."""

    def __init__(self, html):
        super().__init__()
        self.invalid, self.flagged = set(), set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("aria-invalid") == "true":
            self.invalid.add(attrs.get("id"))
        if "has-error" in (attrs.get("class") or "").split() and attrs.get("id"):
            self.flagged.add(attrs["id"])


def form_error(response) -> str:
    match = re.search(r'<div class="alert alert-danger" role="alert" id="form-error">(.*?)</div>',
                      response.get_data(as_text=True), flags=re.S)
    assert match, "no #form-error on the page"
    return " ".join(match.group(1).split())


def template_rows(app) -> list[dict]:
    return rows(app, AlimtalkTemplate)


# --- the list (KAT-04) -------------------------------------------------------------------------------------

def test_kat04_the_list_filters_searches_resets_and_pages(app, corp):
    customer, client, shop = corp
    other = approve_channel(app, customer.account_id, "@outlet")
    ids = {"saved": make_template(app, customer.account_id, shop, name="회원가입 환영", content="가입을 환영합니다."),
           "requested": make_template(app, customer.account_id, shop, status="requested", name="배송 시작"),
           "approved": make_template(app, customer.account_id, other, status="approved", name="아울렛 쿠폰",
                                     content="#{고객명}님께 쿠폰이 발급되었습니다."),
           "rejected": make_template(app, customer.account_id, other, status="rejected", name="반려된 안내")}
    page = client.get(LIST)
    assert page.status_code == 200
    text = text_of(page)
    for label in ("발신 채널", "템플릿 ID", "템플릿 제목", "저장 일시", "템플릿 상태", "필터초기화", "[템플릿 상태]",
                  "저장됨 : 템플릿 작성 후 저장된 상태", "반려됨 : 템플릿 승인 요청 후 카카오에 의해 사용 승인이 반려된 상태"):
        assert label in text, label
    html = page.get_data(as_text=True)
    assert 'placeholder="템플릿ID, 제목, 내용으로 검색해주세요."' in html
    assert 'id="register-template" href="/alimtalk/templates/new"' in html
    assert re.search(r'id="filter-reset" href="/alimtalk/templates/"', html)
    for status, template_id in ids.items():
        assert f'href="/alimtalk/templates/{template_id}"' in html
        assert f'data-id="{template_id}" data-status="{status}"' in html
    assert "⊙ @outlet" in text and "등록요청" in text and "등록완료" in text
    # the time is KST
    saved = rows(app, AlimtalkTemplate, AlimtalkTemplate.id == ids["saved"])[0]["updated_at"]
    assert clock.to_kst(saved).strftime("%Y-%m-%d %H:%M") in text

    def listed(query):
        response = client.get(LIST + query)
        assert response.status_code == 200, query
        return {int(i) for i in re.findall(r'class="template-row" data-id="(\d+)"', response.get_data(as_text=True))}

    assert listed(f"?channel={other}") == {ids["approved"], ids["rejected"]}
    assert listed("?status=requested") == {ids["requested"]}
    assert listed(f"?channel={shop}&status=approved") == set()
    assert listed("?q=아울렛") == {ids["approved"]}                       # the title
    assert listed("?q=가입을 환영") == {ids["saved"]}                      # the content
    code = rows(app, AlimtalkTemplate, AlimtalkTemplate.id == ids["requested"])[0]["code"]
    assert listed(f"?q={code.lower()}") == {ids["requested"]}              # the code
    assert listed("?q=100%") == set()
    # the chosen filters stay chosen
    html = client.get(f"{LIST}?channel={other}&status=rejected&q=반려").get_data(as_text=True)
    assert f'<option value="{other}" selected>' in html and '<option value="rejected" selected>' in html
    assert 'value="반려"' in html


def test_kat04_paging_keeps_the_filters(app, corp):
    customer, client, shop = corp
    for n in range(12):
        make_template(app, customer.account_id, shop, name=f"안내 {n:02d}")
    first = client.get(LIST + "?status=saved")
    html = first.get_data(as_text=True)
    assert len(re.findall(r'class="template-row"', html)) == 10 and "전체 12건" in text_of(first)
    assert 'href="/alimtalk/templates/?page=2&amp;status=saved"' in html or \
        'href="/alimtalk/templates/?status=saved&amp;page=2"' in html
    second = client.get(LIST + "?status=saved&page=2").get_data(as_text=True)
    assert len(re.findall(r'class="template-row"', second)) == 2
    assert "안내 00" in second and "안내 11" not in second                  # newest first


@pytest.mark.parametrize("query, message", [
    ("?status=bogus", "템플릿 상태를 목록에서 선택해주세요."),
    ("?channel=abc", "채널명을 목록에서 선택해주세요."),
    ("?channel=99999999999999999999", "채널명을 목록에서 선택해주세요."),
    ("?channel=-1", "채널명을 목록에서 선택해주세요."),
])
def test_kat04_a_bad_filter_shows_the_list_with_a_korean_message(app, corp, query, message):
    customer, client, shop = corp
    make_template(app, customer.account_id, shop)
    response = client.get(LIST + query)
    assert response.status_code == 422
    assert form_error(response) == message
    assert len(re.findall(r'class="template-row"', response.get_data(as_text=True))) == 1


@pytest.mark.parametrize("query", ["?channel=999999", "?page=abc", "?page=99999",
                                   "?q=" + "가" * 500, "?q=%25_%5C"])
def test_kat04_odd_filter_values_are_an_empty_list_not_an_error(app, corp, query):
    customer, client, shop = corp
    make_template(app, customer.account_id, shop)
    response = client.get(LIST + query)
    assert response.status_code == 200 and "form-error" not in response.get_data(as_text=True)


def test_an_individual_account_is_pointed_to_the_corporate_conversion(app):
    customer, client = customer_client(app, kind="individual")
    page = client.get(LIST).get_data(as_text=True)
    assert 'id="corporate-only"' in page and 'href="/mypage/conversion"' in page
    assert 'id="register-template"' not in page
    new = client.get(NEW)
    assert new.status_code == 200 and 'id="corporate-only"' in new.get_data(as_text=True)
    assert 'id="template-form"' not in new.get_data(as_text=True)
    refused = post(client, NEW, form(1))
    assert refused.status_code == 403 and "기업회원만" in text_of(refused)
    assert count(app, AlimtalkTemplate) == 0


def test_a_corporate_account_without_an_approved_channel_is_pointed_to_register_one(app):
    customer, client = customer_client(app, kind="corporate")
    page = client.get(LIST).get_data(as_text=True)
    assert 'id="no-channel"' in page and 'href="/senders/channels/new"' in page
    assert 'id="register-template"' not in page
    new = client.get(NEW).get_data(as_text=True)
    assert 'id="no-channel"' in new and 'id="template-form"' not in new


# --- 알림톡 템플릿 등록 (KAT-01, KAT-02) ------------------------------------------------------------------------

def test_the_register_form_has_the_manuals_fields(app, corp):
    _customer, client, _shop = corp
    page = client.get(NEW)
    assert page.status_code == 200
    text, html = text_of(page), page.get_data(as_text=True)
    for label in ("발신 채널 ID", "템플릿 제목", "메시지 유형", "강조 유형", "강조 제목", "보조 문구", "강조 이미지",
                  "아이템 리스트", "내용", "부가정보", "보안 템플릿", "카테고리", "버튼 유형", "바로연결", "취소", "저장",
                  "저장 및 등록 요청", "#{변수명}", "단말기 설정에 따라 다르게 보일 수 있습니다."):
        assert label in text, label
    assert 'id="name-count">0</span>/150' in html and 'id="content-count">0</span>/<span id="content-limit">1300<' in html
    assert '<option value="1' in html and 'data-search-id="@shop"' in html
    assert 'id="save">' in html and 'id="save-request"' in html and 'id="add-button"' in html
    assert 'class="mb-kakao"' in html                          # the server's first drawing of the preview
    assert "js/alimtalk_preview.js" in html and re.search(r'<script nonce="[^"]+">window.MB_ALIMTALK', html)
    assert ' onclick=' not in html and ' oninput=' not in html


def test_save_keeps_the_template_and_opens_its_page(app, corp):
    customer, client, shop = corp
    response = post(client, NEW, form(shop, category="006001", security="1"))
    assert response.status_code == 302
    [saved] = template_rows(app)
    assert response.headers["Location"].endswith(f"/alimtalk/templates/{saved['id']}")
    assert saved["status"] == "saved" and saved["name"] == "주문 안내" and saved["category"] == "006001"
    assert saved["security"] is True and saved["channel_id"] == shop
    page = follow(client, response)
    assert flashed(page) == "템플릿을 저장했습니다."
    assert saved["code"] in text_of(page) and "#{고객명}" in text_of(page)


def test_save_and_request_asks_for_the_review(app, corp):
    customer, client, shop = corp
    response = post(client, NEW, form(shop, op="request"))
    assert response.status_code == 302
    [saved] = template_rows(app)
    assert saved["status"] == "requested" and saved["requested_at"] is not None
    assert ("템플릿을 저장하고 등록을 요청했습니다. 카카오 검수 후 사용할 수 있습니다 (영업일 기준 2일 내외)."
            in flashed(follow(client, response)))
    events = rows(app, AlimtalkTemplateEvent, order_by=AlimtalkTemplateEvent.id)
    assert [e["status"] for e in events] == ["saved", "requested"]


def test_every_part_of_a_template_is_kept(app, corp):
    """TEXT emphasis, extra, buttons of each kind with their inputs, quick replies."""
    customer, client, shop = corp
    data = form(shop, message_type="EX", emphasis_type="TEXT", emphasis_title="주문 완료", emphasis_subtitle="주문 안내",
                extra="문의: 고객센터 1588-0000", **{
                    "buttons-1-type": "AL", "buttons-1-name": "앱에서 보기", "buttons-1-scheme_ios": "shop://order",
                    "buttons-1-scheme_android": "shop://order",
                    "buttons-2-type": "TN", "buttons-2-name": "전화 문의", "buttons-2-phone": "02-555-1234",
                    "buttons-3-type": "BK", "buttons-3-name": "상담원",
                    "quick_replies-0-type": "WL", "quick_replies-0-name": "이벤트",
                    "quick_replies-0-url_mobile": "https://shop.example.com/event",
                    "quick_replies-1-type": "BC", "quick_replies-1-name": "상담톡"})
    assert post(client, NEW, data).status_code == 302
    [saved] = template_rows(app)
    with app.app_context():
        template = db.session.get(AlimtalkTemplate, saved["id"])
        assert template.emphasis_title == "주문 완료" and template.extra == "문의: 고객센터 1588-0000"
        assert [b["type"] for b in template.buttons] == ["WL", "AL", "TN", "BK"]
        assert template.buttons[2]["phone"] == "025551234" and template.buttons[1]["scheme_ios"] == "shop://order"
        assert [(b["type"], b["name"]) for b in template.quick_replies] == [("WL", "이벤트"), ("BC", "상담톡")]
    page = text_of(client.get(f"/alimtalk/templates/{saved['id']}"))
    assert "부가정보형 (EX)" in page and "[전화하기] 전화 문의 · 전화번호: 025551234" in page


def test_an_item_list_template_drops_blank_rows(app, corp):
    customer, client, shop = corp
    data = form(shop, emphasis_type="ITEM_LIST", item_header="주문 내역", **{
        "items-0-title": "상품명", "items-0-description": "#{상품명}", "items-1-title": "금액",
        "items-1-description": "#{금액}원", "items-2-title": "", "items-2-description": ""})
    assert post(client, NEW, data).status_code == 302
    with app.app_context():
        [template] = db.session.query(AlimtalkTemplate).all()
        assert template.items == [{"title": "상품명", "description": "#{상품명}"},
                                  {"title": "금액", "description": "#{금액}원"}]
        assert template.variables == ["고객명", "주문번호", "상품명", "금액"]


def test_an_image_template_keeps_its_image_for_its_owner_only(app, corp):
    customer, client, shop = corp
    image = png((800, 400))
    data = form(shop, emphasis_type="IMAGE", image=(io.BytesIO(image), "banner.png"))
    response = post(client, NEW, data)
    assert response.status_code == 302
    [saved] = template_rows(app)
    [stored] = rows(app, StoredFile)
    assert saved["image_file_id"] == stored["id"] and stored["account_id"] == customer.account_id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<img class="mb-kakao-image" src="/files/{stored["id"]}"' in page
    mine = client.get(f"/files/{stored['id']}")
    assert mine.status_code == 200 and mine.data == image and mine.mimetype == "image/png"
    _stranger, stranger = customer_client(app, kind="corporate")
    assert stranger.get(f"/files/{stored['id']}").status_code == 404
    # editing without a new upload keeps the image
    edit = post(client, f"/alimtalk/templates/{saved['id']}/edit", form(shop, emphasis_type="IMAGE", name="새 배너"))
    assert edit.status_code == 302 and template_rows(app)[0]["image_file_id"] == stored["id"]


def test_an_ad_template_with_the_channel_add_button(app, corp):
    customer, client, shop = corp
    data = form(shop, message_type="AD", **{"buttons-0-type": "AC", "buttons-0-name": "채널 추가",
                                            "buttons-0-url_mobile": None, "buttons-0-url_pc": None,
                                            "buttons-1-type": "WL", "buttons-1-name": "쿠폰 받기",
                                            "buttons-1-url_mobile": "https://shop.example.com/c"})
    assert post(client, NEW, data).status_code == 302
    [saved] = template_rows(app)
    page = client.get(f"/alimtalk/templates/{saved['id']}").get_data(as_text=True)
    assert 'class="mb-kakao-ad"' in page and '<div class="mb-kakao-button" data-type="AC">채널 추가</div>' in page


FOREIGN = object()

REFUSALS = [
    # (what is typed, the input marked, the message, the status)
    ({"name": ""}, "name", "템플릿 제목을 입력해주세요.", 422),
    ({"content": "가" * 1301}, "content", "내용은 1,300자 이하로 입력해주세요 (현재 1,301자", 422),
    ({"message_type": "AD", "content": "가" * 1261, "buttons-0-type": "AC", "buttons-0-name": "채널 추가"}, "content",
     "채널추가형·복합형 템플릿의 내용은 1,260자 이하로 입력해주세요 (현재 1,261자). 카카오의 채널 추가 안내 문구를 위해 "
     "40자를 비워 둡니다.", 422),
    ({"content": "안녕하세요 #{이름 고객님, 주문이 완료되었습니다."}, "content",
     "내용의 7번째 글자에서 시작하는 변수가 올바르지 않습니다. 변수는 #{변수명} 형식으로 입력해주세요.", 422),
    ({"buttons-0-url_mobile": ""}, "buttons-0-url_mobile", "1번째 버튼의 Mobile 링크를 입력해주세요.", 422),
    ({"buttons-0-url_mobile": "ftp://shop.example.com/o"}, "buttons-0-url_mobile",
     "1번째 버튼의 Mobile 링크는 프로토콜(http 또는 https)을 포함한 URL을 입력해주세요.", 422),
    ({**{f"buttons-{i}-type": "BK" for i in range(1, 6)}, **{f"buttons-{i}-name": f"키워드{i}" for i in range(1, 6)}},
     "buttons", "버튼은 최대 5개까지 추가할 수 있습니다.", 422),
    ({"message_type": "AD", "buttons-1-type": "AC", "buttons-1-name": "채널 추가"}, "buttons-1",
     "2번째 버튼: 채널 추가 버튼은 첫 번째 버튼이어야 합니다.", 422),
    ({"message_type": "BA", "buttons-0-type": "AC", "buttons-0-name": "채널 추가"}, "buttons-0",
     "1번째 버튼: 채널 추가 버튼은 채널추가형(AD)과 복합형(MI) 템플릿에만 쓸 수 있습니다.", 422),
    ({"buttons-0-type": "TN", "buttons-0-phone": "02-12"}, "buttons-0-phone",
     "1번째 버튼(전화하기)의 전화번호를 숫자 8~12자리로 입력해주세요.", 422),
    ({"emphasis_type": "IMAGE"}, "image", "이미지형 템플릿은 강조 이미지를 첨부해주세요 (jpg/png, 800×400px 권장).", 422),
    ({"emphasis_type": "IMAGE", "image": lambda: (io.BytesIO(PDF), "banner.png")}, "image",
     "강조 이미지는 jpg 또는 png 파일만 첨부할 수 있습니다.", 422),
    ({"emphasis_type": "IMAGE", "image": lambda: (io.BytesIO(png((300, 150))), "small.png")}, "image",
     "강조 이미지는 가로 500px 이상이어야 합니다 (현재 300px).", 422),
    ({"emphasis_type": "ITEM_LIST", "items-0-title": "상품명", "items-0-description": "운동화"}, "items",
     "아이템리스트형은 아이템을 2~10개 입력해주세요 (현재 1개).", 422),
    ({"emphasis_type": "ITEM_LIST", "items-0-title": "상품명", "items-0-description": "운동화",
      "items-1-title": "아주 긴 아이템명", "items-1-description": "x"}, "items-1-title",
     "2번째 아이템의 이름은 6자 이하로 입력해주세요 (현재 9자).", 422),
    ({"emphasis_type": "TEXT", "emphasis_title": "주문 완료"}, "emphasis_subtitle", "강조표기형은 보조 문구를 입력해주세요.", 422),
    ({"message_type": "EX"}, "extra", "부가정보형(EX) 템플릿은 부가정보를 입력해주세요.", 422),
    ({"quick_replies-0-type": "WL", "quick_replies-0-name": "이벤트"}, "quick_replies-0-url_mobile",
     "1번째 바로연결의 Mobile 링크를 입력해주세요.", 422),
    ({"channel": FOREIGN}, "channel", "발신 채널 ID는 발신정보관리에서 등록완료된 카카오 채널이어야 합니다.", 422),
]


@pytest.mark.parametrize("changes, marked, message, status", REFUSALS,
                         ids=[f"{i:02d}-{r[1]}" for i, r in enumerate(REFUSALS)])
def test_kat01_a_refusal_names_the_field_keeps_the_form_and_saves_nothing(app, corp, changes, marked, message,
                                                                          status):
    customer, client, shop = corp
    changes = dict(changes)
    if changes.get("channel") is FOREIGN:
        stranger = make_customer(app, kind="corporate")
        changes["channel"] = str(approve_channel(app, stranger.account_id, "@stranger"))
    image = changes.pop("image", None)
    data = form(shop, **changes)
    for op in ("save", "request"):
        upload = {"image": image()} if image else {}      # a fresh upload for each post
        response = post(client, NEW, {**data, **upload, "op": op})
        assert response.status_code == status, (op, text_of(response)[:300])
        assert message in form_error(response)
        marks = Marks(response.get_data(as_text=True))
        assert marked in marks.invalid | marks.flagged, (marked, marks.invalid, marks.flagged)
        html = response.get_data(as_text=True)
        # what was typed is there again
        if data["name"]:
            assert f'id="name" name="name" value="{data["name"]}"' in html
        assert data["content"][:40] in html
        assert 'value="배송 조회"' in html or data.get("buttons-0-name") != "배송 조회"
    assert count(app, AlimtalkTemplate) == 0 and count(app, AlimtalkTemplateEvent) == 0
    assert count(app, StoredFile) == 0 and uploaded_files(app) == []


def test_an_image_that_passed_is_asked_again_when_another_field_is_refused(app, corp):
    _customer, client, shop = corp
    response = post(client, NEW, form(shop, emphasis_type="IMAGE", name="", image=(io.BytesIO(png((800, 400))), "a.png")))
    assert response.status_code == 422 and 'id="attach-again"' in response.get_data(as_text=True)
    assert count(app, StoredFile) == 0 and uploaded_files(app) == []


def test_rows_are_added_and_removed_without_the_script(app, corp):
    _customer, client, shop = corp
    data = form(shop, op="add:buttons", new_button_type="TN")
    added = post(client, NEW, data)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and 'id="buttons-1-phone"' in html and 'value="배송 조회"' in html
    assert "form-error" not in html
    # 채널 추가 goes first, named for the customer
    first = post(client, NEW, form(shop, message_type="AD", op="add:buttons", new_button_type="AC")).get_data(as_text=True)
    assert re.search(r'name="buttons-0-type" value="AC"', first) and re.search(r'name="buttons-1-type" value="WL"', first)
    assert 'id="buttons-0-name" name="buttons-0-name" value="채널 추가"' in first
    removed = post(client, NEW, form(shop, op="remove:buttons:0")).get_data(as_text=True)
    assert 'name="buttons-0-type"' not in removed.split("<template", 1)[0]
    replies = post(client, NEW, form(shop, op="add:quick_replies", new_reply_type="BK")).get_data(as_text=True)
    assert 'name="quick_replies-0-type" value="BK"' in replies.split("<template", 1)[0]
    items = post(client, NEW, form(shop, op="add:items")).get_data(as_text=True).split("<template", 1)[0]
    assert 'id="items-0-title"' in items and 'id="items-1-title"' not in items   # blank rows dropped, one added
    assert count(app, AlimtalkTemplate) == 0


# --- edit (KAT-03: saved and rejected only) -----------------------------------------------------------

def test_a_saved_template_is_edited(app, corp):
    customer, client, shop = corp
    template_id = make_template(app, customer.account_id, shop)
    page = client.get(f"/alimtalk/templates/{template_id}/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="주문 안내"' in html and 'value="https://shop.example.com/o/#{주문번호}"' in html
    assert f'action="/alimtalk/templates/{template_id}/edit"' in html
    response = post(client, f"/alimtalk/templates/{template_id}/edit", form(shop, name="주문 안내 (수정)"))
    assert response.status_code == 302 and flashed(follow(client, response)) == "템플릿을 저장했습니다."
    assert template_rows(app)[0]["name"] == "주문 안내 (수정)"
    refused = post(client, f"/alimtalk/templates/{template_id}/edit", form(shop, content=""))
    assert refused.status_code == 422 and form_error(refused) == "내용을 입력해주세요."
    assert template_rows(app)[0]["content"].startswith("#{고객명}님")


def test_a_rejected_template_is_edited_and_requested_again(app, corp):
    customer, client, shop = corp
    template_id = make_template(app, customer.account_id, shop, status="rejected")
    assert client.get(f"/alimtalk/templates/{template_id}/edit").status_code == 200
    response = post(client, f"/alimtalk/templates/{template_id}/edit", form(shop, op="request"))
    assert response.status_code == 302
    assert "등록을 요청했습니다" in flashed(follow(client, response))
    [row] = template_rows(app)
    assert row["status"] == "requested" and row["reject_reason"] is None


@pytest.mark.parametrize("status", ["requested", "in_review", "approved", "dormant"])
def test_only_saved_and_rejected_templates_can_be_edited(app, corp, status):
    customer, client, shop = corp
    template_id = make_template(app, customer.account_id, shop, status="approved" if status == "dormant" else status)
    if status == "dormant":
        with app.app_context():
            templates.mark_dormant(clock.now() + dt.timedelta(days=400))
    before = template_rows(app)
    page = client.get(f"/alimtalk/templates/{template_id}/edit")
    assert page.status_code == 409
    label = templates.STATUS_LABELS[status]
    assert form_error(page) == (f"{label} 상태의 템플릿은 수정할 수 없습니다. 저장됨 또는 반려됨 상태에서만 수정할 수 "
                                "있습니다.")
    assert 'id="template-form"' not in page.get_data(as_text=True)
    refused = post(client, f"/alimtalk/templates/{template_id}/edit", form(shop, name="바꿔치기"))
    assert refused.status_code == 409 and "수정할 수 없습니다" in form_error(refused)
    assert template_rows(app) == before


# --- the template's page and its steps -------------------------------------------------------------------

def test_the_page_of_a_rejected_template_shows_the_reason_and_its_history(app, corp):
    customer, client, shop = corp
    template_id = make_template(app, customer.account_id, shop, status="rejected")
    page = client.get(f"/alimtalk/templates/{template_id}")
    html, text = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200
    assert re.search(r'id="reject-reason"[^>]*>변수 사용이 가이드와 맞지 않습니다.<', html)
    assert 'id="edit-template"' in html and 'id="request-review"' in html and 'id="delete-template"' in html
    assert 'id="reactivate"' not in html and 'data-confirm=' in html
    assert '<details id="history"' in html and 'id="show-history"' in html and "검수 이력 보기" in text
    history = re.search(r'<table class="table mb-table" id="history-table">(.*?)</table>', html, flags=re.S).group(1)
    history_text = " ".join(re.sub(r"<[^>]+>", " ", history).split())
    for word in ("일시", "상태", "처리자", "내용/사유", "저장됨", "등록요청", "검수중", "반려됨", "고객", "카카오 검수자",
                 "변수 사용이 가이드와 맞지 않습니다."):
        assert word in history_text, word
    assert 'class="mb-kakao-content">#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다.</div>' in html
    assert 'id="comment-form"' in html


def test_request_delete_comment_and_reactivate(app, corp):
    customer, client, shop = corp
    saved = make_template(app, customer.account_id, shop)
    response = client.post(f"/alimtalk/templates/{saved}/request")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/alimtalk/templates/{saved}")
    assert "템플릿 등록을 요청했습니다" in flashed(follow(client, response))
    assert rows(app, AlimtalkTemplate, AlimtalkTemplate.id == saved)[0]["status"] == "requested"
    again = client.post(f"/alimtalk/templates/{saved}/request")
    assert again.status_code == 409 and form_error(again) == "등록요청 상태의 템플릿은 등록 요청할 수 없습니다."

    deleted = client.post(f"/alimtalk/templates/{saved}/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith(LIST)
    assert flashed(follow(client, deleted)) == "템플릿을 삭제했습니다."
    assert count(app, AlimtalkTemplate, AlimtalkTemplate.id == saved) == 0
    approved = make_template(app, customer.account_id, shop, status="approved")
    refused = client.post(f"/alimtalk/templates/{approved}/delete")
    assert refused.status_code == 409 and "삭제할 수 없습니다" in form_error(refused)
    assert count(app, AlimtalkTemplate, AlimtalkTemplate.id == approved) == 1

    rejected = make_template(app, customer.account_id, shop, status="rejected")
    asked = client.post(f"/alimtalk/templates/{rejected}/comment", data={"comment": "어떤 변수가 문제인가요?"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/alimtalk/templates/{rejected}?history=1#history")
    page = follow(client, asked)
    assert "문의를 남겼습니다" in flashed(page) and '<details id="history" class="mb-at-history" open>' in page.get_data(as_text=True)
    assert "문의 어떤 변수가 문제인가요?" in text_of(page)
    [event] = rows(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == rejected,
                   AlimtalkTemplateEvent.kind == "comment")
    assert event["actor_kind"] == "customer" and event["actor_id"] == customer.user_id
    empty = client.post(f"/alimtalk/templates/{rejected}/comment", data={"comment": "  "})
    assert empty.status_code == 422 and "문의 내용" in form_error(empty)
    on_approved = client.post(f"/alimtalk/templates/{approved}/comment", data={"comment": "질문"})
    assert on_approved.status_code == 409 and form_error(on_approved) == "반려된 템플릿에만 문의를 남길 수 있습니다."

    with app.app_context():
        assert templates.mark_dormant(clock.now() + dt.timedelta(days=400)) == 1
    page = client.get(f"/alimtalk/templates/{approved}")
    assert 'id="reactivate"' in page.get_data(as_text=True) and "시스템" in text_of(page)
    woke = client.post(f"/alimtalk/templates/{approved}/reactivate")
    assert woke.status_code == 302 and "휴면을 해제했습니다" in flashed(follow(client, woke))
    assert rows(app, AlimtalkTemplate, AlimtalkTemplate.id == approved)[0]["status"] == "approved"
    twice = client.post(f"/alimtalk/templates/{approved}/reactivate")
    assert twice.status_code == 409 and form_error(twice) == "휴면 상태의 템플릿만 휴면 해제할 수 있습니다."
