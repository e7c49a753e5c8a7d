"""AlimTalk template rules without a database (06-kakao.md KAT-01, KAT-02): every limit
as a table of cases — accepted at the limit, refused one past it with the field named —
the `#{…}` syntax errors by position, and the message type × emphasis × button
combinations."""
import io

import pytest
from PIL import Image

from app.domain import alimtalk
from app.errors import ValidationError

BASE = {"name": "주문 안내", "message_type": "BA", "emphasis_type": "NONE", "content": "#{고객명}님, 주문이 접수되었습니다."}
AC = {"type": "AC", "name": "채널 추가"}
WL = {"type": "WL", "name": "자세히 보기", "url_mobile": "https://m.example.com"}


def draft(**changes):
    return alimtalk.check_template({**BASE, **changes})


def refused(**changes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        draft(**changes)
    return info.value


# --- KAT-01 lengths: (changes accepted at the limit, changes one past it, field) -------------------------------

LIMITS = [
    ({"name": "가" * 150}, {"name": "가" * 151}, "name"),
    ({"content": "가" * 1300}, {"content": "가" * 1301}, "content"),
    ({"message_type": "AD", "content": "가" * 1260, "buttons": [AC]},
     {"message_type": "AD", "content": "가" * 1261, "buttons": [AC]}, "content"),
    ({"message_type": "MI", "extra": "부가", "content": "가" * 1260, "buttons": [AC]},
     {"message_type": "MI", "extra": "부가", "content": "가" * 1261, "buttons": [AC]}, "content"),
    ({"message_type": "EX", "extra": "가" * 500}, {"message_type": "EX", "extra": "가" * 501}, "extra"),
    ({"emphasis_type": "TEXT", "emphasis_title": "가" * 50, "emphasis_subtitle": "보조"},
     {"emphasis_type": "TEXT", "emphasis_title": "가" * 51, "emphasis_subtitle": "보조"}, "emphasis_title"),
    ({"emphasis_type": "TEXT", "emphasis_title": "제목", "emphasis_subtitle": "가" * 50},
     {"emphasis_type": "TEXT", "emphasis_title": "제목", "emphasis_subtitle": "가" * 51}, "emphasis_subtitle"),
    ({"emphasis_type": "ITEM_LIST", "items": [{"title": "가" * 6, "description": "나"}] * 2},
     {"emphasis_type": "ITEM_LIST", "items": [{"title": "가" * 7, "description": "나"}] * 2}, "title"),
    ({"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나" * 23}] * 2},
     {"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나" * 24}] * 2}, "description"),
    ({"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나"}] * 10},
     {"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나"}] * 11}, "items"),
    ({"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나"}] * 2},
     {"emphasis_type": "ITEM_LIST", "items": [{"title": "가", "description": "나"}] * 1}, "items"),
    ({"emphasis_type": "ITEM_LIST", "item_header": "가" * 16, "items": [{"title": "가", "description": "나"}] * 2},
     {"emphasis_type": "ITEM_LIST", "item_header": "가" * 17, "items": [{"title": "가", "description": "나"}] * 2},
     "item_header"),
    ({"buttons": [WL] * 5}, {"buttons": [WL] * 6}, "buttons"),
    ({"quick_replies": [WL] * 5}, {"quick_replies": [WL] * 6}, "quick_replies"),
    ({"buttons": [{**WL, "name": "가" * 14}]}, {"buttons": [{**WL, "name": "가" * 15}]}, "buttons[0].name"),
    ({"buttons": [{**WL, "url_mobile": "https://e.com/" + "a" * 486}]},
     {"buttons": [{**WL, "url_mobile": "https://e.com/" + "a" * 487}]}, "buttons[0].url_mobile"),
    ({"content": " ".join(f"#{{v{i}}}" for i in range(40))},
     {"content": " ".join(f"#{{v{i}}}" for i in range(41))}, "content"),
]


@pytest.mark.parametrize("accepted, past, field", LIMITS)
def test_kat01_each_limit_holds_exactly(accepted, past, field):
    draft(**accepted)
    error = refused(**past)
    assert error.field.endswith(field), (error.field, error.message)
    assert error.message and not error.message.isascii()     # a Korean sentence


def test_kat01_content_counts_the_variables_as_written():
    # 1,300 characters with the placeholders as typed: `#{고객명}` counts 6
    text = "#{고객명}" + "가" * 1294
    assert len(draft(content=text).content) == 1300
    assert refused(content=text + "가").field == "content"


def test_kat01_line_breaks_count_as_one_and_crlf_is_normalised():
    d = draft(content="첫째 줄\r\n둘째 줄")
    assert d.content == "첫째 줄\n둘째 줄"


# --- variables ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, position", [
    ("안녕하세요 #{이름", 7), ("#{} 님", 1), ("가나 #{a#{b}}", 4), ("#{이름}님 #{주소", 8), ("#{줄\n바꿈}", 1),
])
def test_kat01_variable_syntax_errors_are_named_by_position(text, position):
    error = refused(content=text)
    assert error.field == "content" and error.code == "invalid_variable"
    assert f"{position}번째 글자" in error.message


def test_kat01_variables_are_distinct_in_order_and_include_urls_and_emphasis():
    d = draft(emphasis_type="TEXT", emphasis_title="#{금액}원", emphasis_subtitle="결제 안내",
              content="#{고객명}님 #{주문번호} / #{고객명}",
              buttons=[{**WL, "url_mobile": "https://e.com/#{주문번호}/#{토큰}"}])
    assert d.variables == ("고객명", "주문번호", "금액", "토큰")
    assert alimtalk.render("#{고객명}님 #{없음}", {"고객명": "홍길동"}) == "홍길동님 #{없음}"


# --- KAT-02 buttons and combinations ---------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, code", [
    ({"buttons": [{"type": "WL", "name": "보기"}]}, "buttons[0].url_mobile", "required"),
    ({"buttons": [{**WL, "url_mobile": "ftp://e.com"}]}, "buttons[0].url_mobile", "invalid_url"),
    ({"buttons": [{**WL, "url_mobile": "m.example.com"}]}, "buttons[0].url_mobile", "invalid_url"),
    ({"buttons": [{**WL, "url_pc": "javascript:alert(1)"}]}, "buttons[0].url_pc", "invalid_url"),
    ({"buttons": [{"type": "AL", "name": "앱", "scheme_ios": "app://x"}]}, "buttons[0].scheme_android", "required"),
    ({"buttons": [{"type": "AL", "name": "앱", "scheme_ios": "not a scheme", "scheme_android": "a://x"}]},
     "buttons[0].scheme_ios", "invalid_url"),
    ({"buttons": [{"type": "TN", "name": "전화"}]}, "buttons[0].phone", "invalid_number"),
    ({"buttons": [{"type": "TN", "name": "전화", "phone": "12-34"}]}, "buttons[0].phone", "invalid_number"),
    ({"buttons": [AC]}, "buttons[0].type", "invalid_button"),                       # AC on BA
    ({"message_type": "AD", "buttons": [WL, AC]}, "buttons[1].type", "invalid_button"),   # AC not first
    ({"message_type": "AD", "buttons": [{"type": "AC", "name": "친구 추가"}]}, "buttons[0].name", "invalid_button"),
    ({"message_type": "AD", "buttons": [WL]}, "buttons", "invalid_button"),           # AD without AC
    ({"message_type": "MI", "extra": "부가", "buttons": []}, "buttons", "invalid_button"),
    ({"buttons": [{**WL, "name": "#{이름} 보기"}]}, "buttons[0].name", "invalid_variable"),
    ({"buttons": [{**WL, "name": " "}]}, "buttons[0].name", "required"),
    ({"buttons": [{"type": "XX", "name": "?"}]}, "buttons[0].type", "invalid_choice"),
    ({"quick_replies": [{"type": "TN", "name": "전화", "phone": "0212345678"}]}, "quick_replies[0].type",
     "invalid_choice"),
    ({"quick_replies": [AC]}, "quick_replies[0].type", "invalid_choice"),
    ({"message_type": "EX"}, "extra", "required"),
    ({"extra": "부가정보"}, "extra", "invalid_combination"),                            # BA with extra
    ({"message_type": "EX", "extra": "#{변수}"}, "extra", "invalid_variable"),
    ({"emphasis_type": "TEXT", "emphasis_subtitle": "보조"}, "emphasis_title", "required"),
    ({"emphasis_type": "TEXT", "emphasis_title": "제목"}, "emphasis_subtitle", "required"),
    ({"emphasis_title": "제목"}, "emphasis_title", "invalid_combination"),
    ({"items": [{"title": "a", "description": "b"}] * 2}, "items", "invalid_combination"),
    ({"message_type": "ZZ"}, "message_type", "invalid_choice"),
    ({"emphasis_type": "VIDEO"}, "emphasis_type", "invalid_choice"),
    ({"category": "123"}, "category", "invalid_choice"),
    ({"name": ""}, "name", "required"),
    ({"content": "  \n "}, "content", "required"),
])
def test_kat02_wrong_combinations_name_the_field(changes, field, code):
    error = refused(**changes)
    assert (error.field, error.code) == (field, code), error.message


@pytest.mark.parametrize("buttons, message_type", [
    ([AC, WL], "AD"),
    ([AC, {"type": "AL", "name": "앱", "scheme_ios": "app://x", "scheme_android": "app://y"}], "AD"),
    ([{"type": "AL", "name": "앱", "url_mobile": "https://m.e.com"}], "BA"),
    ([{"type": "TN", "name": "전화하기", "phone": "02-1234-5678"}], "BA"),
    ([{"type": t, "name": "버튼"} for t in ("DS", "BK", "MD", "BC", "BT")], "BA"),
])
def test_kat02_valid_combinations(buttons, message_type):
    d = draft(message_type=message_type, buttons=buttons, extra="부가" if message_type == "MI" else None)
    assert [b.type for b in d.buttons] == [b["type"] for b in buttons]
    if any(b["type"] == "TN" for b in buttons):
        assert d.buttons[0].phone == "0212345678"


def test_kat02_the_channel_add_button_gets_its_name():
    d = draft(message_type="AD", buttons=[{"type": "AC"}])
    assert d.buttons[0].name == "채널 추가"


# --- wrong types (SEC-04): a list, a number or an object where text belongs --------------------------------------

@pytest.mark.parametrize("changes, field", [
    ({"name": ["주문"]}, "name"), ({"content": 12}, "content"), ({"content": {"a": 1}}, "content"),
    ({"message_type": 1}, "message_type"), ({"buttons": "WL"}, "buttons"), ({"buttons": ["WL"]}, "buttons[0]"),
    ({"items": {"title": "a"}, "emphasis_type": "ITEM_LIST"}, "items"), ({"security": "maybe"}, "security"),
    ({"buttons": [{**WL, "url_mobile": ["https://e.com"]}]}, "buttons[0].url_mobile"),
    ({"name": "주문\ud800"}, "name"), ({"content": "내용\x00"}, "content"),
])
def test_sec04_wrong_types_are_refused_not_stringified(changes, field):
    assert refused(**changes).field == field


# --- the emphasis image ------------------------------------------------------------------------------------------

def image(size, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("data, message", [
    (image((800, 400)), None), (image((500, 250), "JPEG"), None),
    (image((498, 249)), "가로 500px"), (image((800, 600)), "2:1"), (b"GIF89a....", "jpg 또는 png"),
    (b"", "첨부해주세요"), (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "손상된"),
])
def test_kat01_the_emphasis_image(data, message):
    if message is None:
        kind, width, height = alimtalk.check_emphasis_image(data)
        assert width == 2 * height
    else:
        with pytest.raises(ValidationError) as info:
            alimtalk.check_emphasis_image(data)
        assert message in info.value.message and info.value.field == "image"


def test_kat07_default_fallback_text_adds_the_web_links():
    text = alimtalk.fallback_text("#{고객명}님 주문 완료", [WL, {"type": "TN", "name": "전화", "phone": "0212345678"}],
                                  {"고객명": "홍길동"})
    assert text == "홍길동님 주문 완료\n자세히 보기: https://m.example.com"


@pytest.mark.parametrize("text", ["", "변수 없음", "#{고객명}님", "앞 #{고객명} 중간 #{ 주문번호 } 끝", "#{없음} 그대로",
                                  "#{고객명}#{고객명}", "줄\n#{고객명}\n바꿈"])
def test_the_renderer_renders_as_render_does(text):
    values = {"고객명": "홍길동", "주문번호": "A-1"}
    assert alimtalk.renderer(text)(values) == alimtalk.render(text, values)


# --- KRS-03 문자로 재발송하기: an AlimTalk text as the SMS compose page writes it ---------------------------------

@pytest.mark.parametrize("text, body, names, kept", [
    ("변수 없음", "변수 없음", (), False),
    ("#{고객명}님 주문 #{주문번호} 발송", "#[1]님 주문 #[2] 발송", ("고객명", "주문번호"), False),
    ("#{ 고객명 } #{고객명} 또 #{주문번호}", "#[1] #[1] 또 #[2]", ("고객명", "주문번호"), False),
    ("#{가}#{나}#{다}#{라}", "#[1]#[2]#[3]#[4]", ("가", "나", "다", "라"), False),
    ("#{가}#{나}#{다}#{라}#{마}", "#{가}#{나}#{다}#{라}#{마}", (), True),        # more than #[1]..#[4]: as written
    ("빈 변수 #{} 그대로 #{이름}", "빈 변수 #{} 그대로 #[1]", ("이름",), False),
    (None, "", (), False),
])
def test_krs03_as_sms_text_numbers_up_to_four_variables_in_order(text, body, names, kept):
    moved = alimtalk.as_sms_text(text)
    assert (moved.body, moved.names, moved.kept) == (body, names, kept)


def test_krs03_each_recipients_values_move_with_their_variables():
    moved = alimtalk.as_sms_text("#{고객명}님 주문 #{주문번호} 발송")
    assert moved.values({"고객명": "홍길동", "주문번호": "A-1", "기타": "x"}) == {"1": "홍길동", "2": "A-1"}
    assert moved.values({"고객명": "홍길동", "주문번호": ""}) == {"1": "홍길동"}       # blank: no value
    kept = alimtalk.as_sms_text("#{가}#{나}#{다}#{라}#{마}")
    assert kept.values({"가": "1"}) == {"가": "1"}
