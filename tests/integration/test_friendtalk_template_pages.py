"""템플릿 관리 > 친구톡 템플릿 through the pages (06-kakao.md KFT-01, issue 16): the list with
its search, paging, 선택삭제 and empty state; 친구톡 템플릿 등록 and 수정 with an image (served
to its owner only), buttons and 와이드형; every refusal a Korean message under the field it
names, a 4xx, what was typed kept and nothing saved; another account's ids a 404 that
changes nothing; an individual account pointed to 기업전환."""
from __future__ import annotations

import io
import re

import pytest

from app import clock
from app.extensions import db
from app.models import FriendtalkTemplate, StoredFile
from tests.integration.test_alimtalk_pages import Marks, form_error
from tests.support.factories import make_friendtalk_template
from tests.support.foundation import count, customer_client, flashed, follow, rows, sidebar_links, uploaded_files
from tests.support.uploads import PDF, jpeg, png
from tests.support.web import text_of

LIST = "/templates/friendtalk/"
NEW = "/templates/friendtalk/new"
DELETE = "/templates/friendtalk/delete"
WL = {"buttons-0-type": "WL", "buttons-0-name": "쿠폰 받기", "buttons-0-url_mobile": "https://shop.example.com/c",
      "buttons-0-url_pc": ""}


@pytest.fixture
def corp(app):
    return customer_client(app, kind="corporate")


def form(**changes) -> dict:
    """The form as a browser posts it (names are the inputs' names)."""
    data = {"name": "겨울 세일", "content": "#[이름]님, 겨울 세일을 시작합니다.\n전 품목 30% 할인", "new_button_type": "WL",
            "op": "save"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client, url, data):
    return client.post(url, data=data, content_type="multipart/form-data")


def edit_url(template_id) -> str:
    return f"/templates/friendtalk/{template_id}/edit"


def listed(client, query="") -> list[int]:
    response = client.get(LIST + query)
    assert response.status_code == 200, query
    return [int(i) for i in re.findall(r'class="template-row" data-id="(\d+)"', response.get_data(as_text=True))]


def saved(app) -> list[dict]:
    return rows(app, FriendtalkTemplate)


# --- the list -------------------------------------------------------------------------------------------

def test_the_list_shows_name_type_excerpt_buttons_and_kst_time(app, corp):
    customer, client = corp
    text_id = make_friendtalk_template(app, customer.account_id, name="봄 신상품", text="봄 신상품이 입고되었습니다. " * 5,
                                       buttons=[{"type": "WL", "name": "보러 가기", "url_mobile": "https://shop.example.com"},
                                                {"type": "BK", "name": "상담"}])
    photo_id = make_friendtalk_template(app, customer.account_id, name="포토 안내", text="사진 안내",
                                        image=("a.jpg", jpeg((800, 600))))
    wide_id = make_friendtalk_template(app, customer.account_id, name="와이드 배너", text="와이드 안내",
                                       image=("w.png", png((800, 400))), wide=True)
    page = client.get(LIST)
    html, text = page.get_data(as_text=True), text_of(page)
    for label in ("친구톡 템플릿", "템플릿 이름", "유형", "내용", "버튼 수", "수정일", "선택삭제", "친구톡 템플릿 등록", "전체 3건"):
        assert label in text, label
    assert listed(client) == [wide_id, photo_id, text_id]                 # newest first
    row = re.search(rf'data-id="{text_id}".*?</tr>', html, flags=re.S).group(0)
    assert "친구톡 텍스트" in row and '<td class="template-buttons">2</td>' in row
    excerpt = re.search(r'<td class="template-excerpt">(.*?)</td>', row).group(1)     # the excerpt, 40 characters
    assert excerpt.startswith("봄 신상품이 입고되었습니다. 봄") and excerpt.endswith("...") and len(excerpt) <= 43
    updated = rows(app, FriendtalkTemplate, FriendtalkTemplate.id == text_id)[0]["updated_at"]
    assert clock.to_kst(updated).strftime("%Y-%m-%d %H:%M") in row
    photo = re.search(rf'data-id="{photo_id}".*?</tr>', html, flags=re.S).group(0)
    assert "친구톡 포토" in photo and "와이드" not in photo
    wide = re.search(rf'data-id="{wide_id}".*?</tr>', html, flags=re.S).group(0)
    assert "친구톡 포토" in wide and '<span class="mb-wide-badge">와이드</span>' in wide
    # 선택삭제 asks through the page's dialog, never the browser's confirm()
    assert 'id="delete-selected"' in html and "data-confirm=" in html and 'data-needs-checked=".template-check"' in html
    assert "confirm(" not in html and " onclick=" not in html
    assert f'href="{edit_url(text_id)}"' in html


def test_the_menu_lists_it_after_the_alimtalk_templates(app, corp):
    _customer, client = corp
    html = client.get("/dashboard/").get_data(as_text=True)
    assert LIST in sidebar_links(client.get("/dashboard/"))
    assert html.index('href="/alimtalk/templates/"') < html.index(f'href="{LIST}"') < html.index('href="/contacts/"')


def test_search_paging_and_the_empty_states(app, corp):
    customer, client = corp
    empty = client.get(LIST)
    assert "등록된 친구톡 템플릿이 없습니다." in text_of(empty) and 'id="delete-selected"' not in empty.get_data(as_text=True)
    ids = [make_friendtalk_template(app, customer.account_id, name=f"안내 {n:02d}", text=f"내용 {n:02d}") for n in range(11)]
    sale = make_friendtalk_template(app, customer.account_id, name="세일", text="여름 100% 쿠폰_안내")
    assert listed(client, "?q=세일") == [sale]                                    # by name
    assert listed(client, "?q=100% 쿠폰_") == [sale]                              # by content, % and _ literal
    assert listed(client, "?q=10%") == []
    nothing = client.get(LIST + "?q=없는말")
    assert "조건에 맞는 친구톡 템플릿이 없습니다." in text_of(nothing) and 'value="없는말"' in nothing.get_data(as_text=True)
    first = client.get(LIST)
    assert len(listed(client)) == 10 and "전체 12건" in text_of(first)
    assert 'href="/templates/friendtalk/?page=2"' in first.get_data(as_text=True)
    assert listed(client, "?page=2") == [ids[1], ids[0]]
    assert listed(client, "?q=내용&page=2") == [ids[0]]                            # the search kept while paging
    for odd in ("?page=abc", "?page=99999", "?q=" + "가" * 500):
        assert client.get(LIST + odd).status_code == 200, odd


# --- 등록 and 수정 ----------------------------------------------------------------------------------------

def test_the_form_has_the_manuals_fields(app, corp):
    _customer, client = corp
    page = client.get(NEW)
    html, text = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200
    for label in ("템플릿 이름", "내용", "와이드형", "이미지", "버튼 유형", "특수문자", "저장", "취소",
                  "jpg 또는 png 파일", "5MB 이하", "가로 500px 이상", "세로÷가로 비율 0.5~1.333", "와이드형은 가로:세로 2:1~1:1",
                  "단말기 설정에 따라 다르게 보일 수 있습니다."):
        assert label in text, label
    assert 'id="content-count">0</span>/<span id="content-limit">1300</span>' in html
    for variable in ("#[이름]", "#[1]", "#[4]"):
        assert f'data-var="{variable}"' in html
    assert 'class="btn btn-default btn-xs special-btn">★</button>' in html
    options = re.findall(r'<option value="([A-Z]{2})">', html)
    assert options == ["WL", "AL", "DS", "BK", "MD", "BC", "BT", "TN"]           # KAT-02's without AC
    assert 'id="row-buttons-AC"' not in html and 'id="row-buttons-TN"' in html
    # the server's first drawing of the preview: a Brand Message, "(광고)" first, no AlimTalk head
    assert 'class="mb-kakao" data-message-type="FRIENDTALK_TEXT"' in html and 'data-brand="brand"' in html
    assert '<div class="mb-kakao-ad-mark">(광고)</div>' in html and "알림톡 도착" not in html
    assert "js/kakao_rows.js" in html and "js/friendtalk_template.js" in html
    assert re.search(r'<script nonce="[^"]+">window.MB_FRIENDTALK', html)
    assert 'id="remove_image"' not in html and 'id="delete-template"' not in html


def test_create_with_an_image_and_buttons_the_image_for_its_owner_only(app, corp):
    customer, client = corp
    image = jpeg((800, 600))
    data = form(image=(io.BytesIO(image), "winter.jpg"), **WL, **{
        "buttons-1-type": "TN", "buttons-1-name": "전화 문의", "buttons-1-phone": "02-555-1234"})
    response = post(client, NEW, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    assert flashed(follow(client, response)) == "템플릿을 저장했습니다."
    [row] = saved(app)
    [stored] = rows(app, StoredFile)
    assert row["account_id"] == customer.account_id and row["name"] == "겨울 세일" and row["wide"] is False
    assert row["image_file_id"] == stored["id"] and stored["kind"] == "friendtalk_image"
    with app.app_context():
        template = db.session.get(FriendtalkTemplate, row["id"])
        assert template.content == "#[이름]님, 겨울 세일을 시작합니다.\n전 품목 30% 할인"
        assert template.buttons == [{"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c"},
                                    {"type": "TN", "name": "전화 문의", "phone": "025551234"}]
    # the edit page shows it, with the preview drawn from it
    page = client.get(edit_url(row["id"])).get_data(as_text=True)
    assert f'<img class="mb-kakao-image" src="/files/{stored["id"]}"' in page and 'id="remove_image"' in page
    assert 'data-message-type="FRIENDTALK_IMAGE"' in page
    assert '<div class="mb-kakao-button" data-type="WL">쿠폰 받기</div>' in page
    assert 'id="buttons-1-phone" name="buttons-1-phone" value="025551234"' in page
    mine = client.get(f"/files/{stored['id']}")
    assert mine.status_code == 200 and mine.data == image and mine.mimetype == "image/jpeg"
    _stranger, stranger = customer_client(app, kind="corporate")
    assert stranger.get(f"/files/{stored['id']}").status_code == 404


def test_editing_the_text_keeps_the_image_and_removing_it_deletes_the_file(app, corp):
    customer, client = corp
    template_id = make_friendtalk_template(app, customer.account_id, image=("a.png", png((800, 600))))
    [stored] = rows(app, StoredFile)
    response = post(client, edit_url(template_id), form(name="겨울 세일 2차", content="2차 세일 안내"))
    assert response.status_code == 302 and flashed(follow(client, response)) == "템플릿을 수정했습니다."
    [row] = saved(app)
    assert (row["name"], row["content"], row["image_file_id"]) == ("겨울 세일 2차", "2차 세일 안내", stored["id"])
    assert len(uploaded_files(app)) == 1
    # a new image replaces the old one (and its file)
    assert post(client, edit_url(template_id), form(image=(io.BytesIO(png((600, 600))), "b.png"))).status_code == 302
    [replaced] = rows(app, StoredFile)
    assert replaced["id"] != stored["id"] and saved(app)[0]["image_file_id"] == replaced["id"]
    assert len(uploaded_files(app)) == 1
    # 이미지 삭제
    response = post(client, edit_url(template_id), form(remove_image="1"))
    assert response.status_code == 302
    assert saved(app)[0]["image_file_id"] is None and count(app, StoredFile) == 0 and uploaded_files(app) == []
    assert "친구톡 텍스트" in text_of(client.get(LIST))


def test_a_refused_edit_changes_nothing_and_keeps_the_checked_removal(app, corp):
    customer, client = corp
    template_id = make_friendtalk_template(app, customer.account_id, image=("a.png", png((800, 600))))
    before = saved(app), rows(app, StoredFile)
    response = post(client, edit_url(template_id), form(content="", remove_image="1"))
    assert response.status_code == 422 and form_error(response) == "내용을 입력해주세요."
    html = response.get_data(as_text=True)
    assert re.search(r'id="remove_image" value="1"\s+checked', html)
    assert 'data-message-type="FRIENDTALK_TEXT"' in html               # the preview without the image to be removed
    assert (saved(app), rows(app, StoredFile)) == before


def test_wide_rules(app, corp):
    customer, client = corp
    wide = png((800, 400))
    # without an image, with too long a text, with three buttons, with a photo-ratio image: refused
    cases = [
        (form(wide="1"), "image", "와이드형은 이미지를 첨부해주세요."),
        (form(wide="1", content="가" * 77, image=(io.BytesIO(wide), "w.png")), "content",
         "와이드형 친구톡의 내용은 76자 이하로 입력해주세요 (현재 77자)."),
        (form(wide="1", content="와이드 안내", image=(io.BytesIO(wide), "w.png"),
              **{f"buttons-{i}-{k}": v for i in range(3) for k, v in (("type", "BK"), ("name", f"키워드{i}"))}),
         "buttons", "와이드형 친구톡의 버튼은 최대 2개까지 추가할 수 있습니다 (현재 3개)."),
        (form(wide="1", content="와이드 안내", image=(io.BytesIO(png((800, 900))), "tall.png")), "image",
         "와이드형 이미지는 가로:세로 2:1에서 1:1 사이여야 합니다 (현재 800×900px)."),
    ]
    for data, marked, message in cases:
        response = post(client, NEW, data)
        assert response.status_code == 422, message
        assert form_error(response) == message
        marks = Marks(response.get_data(as_text=True))
        assert marked in marks.invalid | marks.flagged, (marked, marks.invalid, marks.flagged)
        assert re.search(r'id="wide" value="1"\s+checked', response.get_data(as_text=True))
        assert 'id="content-limit">76<' in response.get_data(as_text=True)
    assert count(app, FriendtalkTemplate) == 0 and count(app, StoredFile) == 0 and uploaded_files(app) == []
    # 2:1 with 76 characters and two buttons is a 와이드형
    ok = form(wide="1", content="가" * 76, image=(io.BytesIO(wide), "w.png"),
              **{f"buttons-{i}-{k}": v for i in range(2) for k, v in (("type", "BK"), ("name", f"키워드{i}"))})
    assert post(client, NEW, ok).status_code == 302
    [row] = saved(app)
    assert row["wide"] is True and row["image_file_id"] is not None
    # a saved photo becomes 와이드형 only when its image is wide
    photo_id = make_friendtalk_template(app, customer.account_id, image=("p.jpg", jpeg((800, 800))))
    assert post(client, edit_url(photo_id), form(wide="1", content="짧게")).status_code == 302
    tall_id = make_friendtalk_template(app, customer.account_id, image=("t.jpg", jpeg((600, 800))))
    refused = post(client, edit_url(tall_id), form(wide="1", content="짧게"))
    assert refused.status_code == 422 and "와이드형 이미지는 가로:세로 2:1에서 1:1 사이여야 합니다" in form_error(refused)
    assert rows(app, FriendtalkTemplate, FriendtalkTemplate.id == tall_id)[0]["wide"] is False


REFUSALS = [
    # (what is typed, the input marked, the message)
    ({"name": " "}, "name", "템플릿 이름을 입력해주세요."),
    ({"name": "가" * 101}, "name", "템플릿 이름은 100자 이하로 입력해주세요."),
    ({"content": ""}, "content", "내용을 입력해주세요."),
    ({"content": "가" * 1301}, "content", "내용은 1,300자 이하로 입력해주세요 (현재 1,301자)."),
    ({"content": "줄\n" * 100 + "끝"}, "content", "줄바꿈은 최대 99개까지 쓸 수 있습니다 (현재 100개)."),
    ({"image": lambda: (io.BytesIO(PDF), "a.jpg")}, "image",
     "친구톡 이미지는 jpg 또는 png 파일만 첨부할 수 있습니다 (파일 내용 기준)."),
    ({"image": lambda: (io.BytesIO(jpeg((400, 300))), "small.jpg")}, "image",
     "친구톡 이미지는 가로 500px 이상이어야 합니다 (현재 400px)."),
    ({"image": lambda: (io.BytesIO(png((600, 900))), "tall.png")}, "image",
     "친구톡 이미지의 세로÷가로 비율은 0.5~1.333이어야 합니다"),
    ({"buttons-0-url_mobile": ""}, "buttons-0-url_mobile", "1번째 버튼의 Mobile 링크를 입력해주세요."),
    ({"buttons-0-url_mobile": "ftp://shop.example.com"}, "buttons-0-url_mobile",
     "1번째 버튼의 Mobile 링크는 프로토콜(http 또는 https)을 포함한 URL을 입력해주세요."),
    ({"buttons-0-name": "버튼 이름이 열네 글자를 넘습니다"}, "buttons-0-name", "1번째 버튼의 버튼명은 14자 이하로 입력해주세요"),
    ({"buttons-0-type": "AC", "buttons-0-name": "채널 추가"}, "buttons-0", "1번째 버튼의 유형을 선택해주세요"),
    ({"buttons-0-type": "TN", "buttons-0-name": "전화", "buttons-0-phone": "02-12"}, "buttons-0-phone",
     "1번째 버튼(전화하기)의 전화번호를 숫자 8~12자리로 입력해주세요."),
    ({**{f"buttons-{i}-type": "BK" for i in range(1, 6)}, **{f"buttons-{i}-name": f"키워드{i}" for i in range(1, 6)}},
     "buttons", "버튼은 최대 5개까지 추가할 수 있습니다 (현재 6개)."),
]


@pytest.mark.parametrize("changes, marked, message", REFUSALS, ids=[f"{i:02d}-{r[1]}" for i, r in enumerate(REFUSALS)])
def test_a_refusal_is_shown_under_its_field_keeps_the_form_and_saves_nothing(app, corp, changes, marked, message):
    _customer, client = corp
    changes = dict(changes)
    image = changes.pop("image", None)
    data = form(**{**WL, **changes})
    if image:
        data["image"] = image()
    response = post(client, NEW, data)
    assert response.status_code == 422
    assert message in form_error(response)
    html = response.get_data(as_text=True)
    marks = Marks(html)
    assert marked in marks.invalid | marks.flagged, (marked, marks.invalid, marks.flagged)
    # the message is also written next to the field it names
    under = re.search(rf'<p class="help-block mb-field-error" id="{marked}-error">(.*?)</p>', html, flags=re.S)
    assert under and message in " ".join(under.group(1).split())
    # what was typed is there again (the image is asked again)
    if data["name"].strip():
        assert f'id="name" name="name" value="{data["name"]}"' in html
    assert data["content"][:30] in html
    assert f'value="{data["buttons-0-name"]}"' in html
    if image:
        assert 'id="attach-again"' in html
    assert count(app, FriendtalkTemplate) == 0 and count(app, StoredFile) == 0 and uploaded_files(app) == []


def test_button_rows_are_added_and_removed_without_the_script(app, corp):
    _customer, client = corp
    added = post(client, NEW, form(op="add:buttons", new_button_type="TN", **WL))
    html = added.get_data(as_text=True).split("<template", 1)[0]
    assert added.status_code == 200 and 'id="buttons-1-phone"' in html and 'value="쿠폰 받기"' in html
    assert "form-error" not in html
    refused_type = post(client, NEW, form(op="add:buttons", new_button_type="AC")).get_data(as_text=True)
    assert 'name="buttons-0-type"' not in refused_type.split("<template", 1)[0]      # no 채널 추가 for 친구톡
    removed = post(client, NEW, form(op="remove:buttons:0", **WL)).get_data(as_text=True)
    assert 'name="buttons-0-type"' not in removed.split("<template", 1)[0]
    assert count(app, FriendtalkTemplate) == 0


# --- 삭제 -----------------------------------------------------------------------------------------------

def test_delete_one_and_several(app, corp):
    customer, client = corp
    one = make_friendtalk_template(app, customer.account_id, name="하나", image=("a.jpg", jpeg((800, 600))))
    two = make_friendtalk_template(app, customer.account_id, name="둘")
    three = make_friendtalk_template(app, customer.account_id, name="셋")
    # from the edit page (its own dialog)
    page = client.get(edit_url(one)).get_data(as_text=True)
    assert re.search(r'<form method="post" action="/templates/friendtalk/delete" id="delete-form"\s+data-confirm=', page)
    response = client.post(DELETE, data={"template_id": str(one)})
    assert response.status_code == 302 and flashed(follow(client, response)) == "친구톡 템플릿 1개를 삭제했습니다."
    assert count(app, StoredFile) == 0 and uploaded_files(app) == []
    # 선택삭제 of the ticked ones
    response = client.post(DELETE, data={"template_id": [str(two), str(three), str(two)]})
    assert flashed(follow(client, response)) == "친구톡 템플릿 2개를 삭제했습니다."
    assert count(app, FriendtalkTemplate) == 0
    # nothing ticked: said on the list, nothing happens
    refused = client.post(DELETE, data={})
    assert refused.status_code == 422 and form_error(refused) == "삭제할 템플릿을 선택해주세요."


def test_another_accounts_ids_answer_404_and_change_nothing(app, corp):
    owner, owner_client = corp
    mine = make_friendtalk_template(app, owner.account_id, name="오너 비밀 세일", image=("a.jpg", jpeg((800, 600))))
    _stranger, stranger = customer_client(app, kind="corporate")
    theirs = make_friendtalk_template(app, _stranger.account_id, name="남의 것")
    before = saved(app), rows(app, StoredFile)
    get = stranger.get(edit_url(mine))
    assert get.status_code == 404 and "오너 비밀 세일" not in get.get_data(as_text=True)
    assert post(stranger, edit_url(mine), form(name="바꿔치기", remove_image="1")).status_code == 404
    assert stranger.post(DELETE, data={"template_id": str(mine)}).status_code == 404
    # one foreign id among the stranger's own refuses them all
    assert stranger.post(DELETE, data={"template_id": [str(theirs), str(mine)]}).status_code == 404
    assert "오너 비밀 세일" not in stranger.get(LIST + "?q=오너").get_data(as_text=True)
    assert (saved(app), rows(app, StoredFile)) == before
    for odd in ("0", "abc", "99999999999999999999"):
        assert stranger.post(DELETE, data={"template_id": odd}).status_code == 404


def test_an_individual_account_is_pointed_to_the_corporate_conversion(app):
    _customer, client = customer_client(app, kind="individual")
    page = client.get(LIST).get_data(as_text=True)
    assert 'id="corporate-only"' in page and 'href="/mypage/conversion"' in page
    assert 'id="register-template"' not in page
    new = client.get(NEW)
    assert new.status_code == 200 and 'id="corporate-only"' in new.get_data(as_text=True)
    assert 'id="template-form"' not in new.get_data(as_text=True)
    refused = post(client, NEW, form(**WL))
    assert refused.status_code == 403 and "기업회원만" in text_of(refused)
    assert count(app, FriendtalkTemplate) == 0
