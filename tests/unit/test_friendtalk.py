"""친구톡 as Brand Message without a database (06-kakao.md KFT-01..04): every image rule by
content and dimensions, the text and button limits of IMAGE and WIDE, the hours at their
edges, targeting, and the plan — values per recipient, repeats, the ad fallback's wording
and its type (MMS with an image that meets SMS-14, LMS otherwise)."""
import datetime as dt
import io
import os

import pytest
from PIL import Image as PILImage

from app.domain import friendtalk, friendtalk_plan
from app.domain.friendtalk_plan import FallbackRequest, FriendtalkRequest
from app.domain.recipients import Recipient
from app.errors import ValidationError
from tests.support.uploads import jpeg, png

NOW = dt.datetime(2026, 11, 27, 3, 0)          # 12:00 KST


def kst(hour, minute, second=0, day=27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second) - dt.timedelta(hours=9)


def refusal(fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    return info.value


def noisy_jpeg(size, target_bytes) -> bytes:
    """A real JPEG of at least `target_bytes` (random pixels do not compress)."""
    width, height = size
    img = PILImage.frombytes("RGB", size, os.urandom(width * height * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=100)
    data = buf.getvalue()
    assert len(data) >= target_bytes
    return data


# --- images (KFT-01) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,kind", [(jpeg, "jpeg"), (png, "png")])
def test_kft01_jpg_and_png_are_taken_by_content(make, kind):
    image = friendtalk.check_image(make((800, 600)))
    assert (image.format, image.width, image.height) == (kind, 800, 600)


@pytest.mark.parametrize("data", [b"GIF89a" + b"\0" * 100, b"%PDF-1.4 not an image", b"\xff\xd8\xff broken jpeg"])
def test_kft01_the_type_is_read_from_the_bytes_not_the_name(data):
    error = refusal(friendtalk.check_image, data)
    assert (error.code, error.details["rule"], error.field) == ("image_rule", "type", "이미지")
    assert "jpg 또는 png" in error.message or "손상된" in error.message


def test_kft01_a_gif_named_jpg_is_refused():
    buf = io.BytesIO()
    PILImage.new("RGB", (800, 600)).save(buf, "GIF")
    assert refusal(friendtalk.check_image, buf.getvalue()).details["rule"] == "type"


def test_kft01_five_megabytes_at_most():
    big = noisy_jpeg((2000, 1600), friendtalk.MAX_IMAGE_BYTES + 1)
    error = refusal(friendtalk.check_image, big)
    assert error.details["rule"] == "size" and "5MB" in error.message


def test_kft01_at_least_500_pixels_wide():
    assert friendtalk.check_image(jpeg((500, 500))).width == 500
    error = refusal(friendtalk.check_image, jpeg((499, 400)))
    assert error.details["rule"] == "width" and "499px" in error.message


@pytest.mark.parametrize("size,ok", [((1000, 500), True), ((1000, 499), False), ((600, 800), True),
                                     ((600, 801), False), ((750, 1000), True), ((500, 1000), False)])
def test_kft01_height_over_width_between_half_and_four_thirds(size, ok):
    if ok:
        assert friendtalk.check_image(jpeg(size)).height == size[1]
    else:
        assert refusal(friendtalk.check_image, jpeg(size)).details["rule"] == "ratio"


@pytest.mark.parametrize("size,ok", [((800, 400), True), ((800, 800), True), ((800, 801), False),
                                     ((800, 399), False), ((800, 600), True)])
def test_kft01_a_wide_image_is_two_to_one_up_to_square(size, ok):
    if ok:
        assert friendtalk.check_image(jpeg(size), wide=True)
    else:
        assert refusal(friendtalk.check_image, jpeg(size), wide=True).details["rule"] == "wide_ratio"


# --- text and buttons ---------------------------------------------------------------------------------------

WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c"}


def test_kft01_text_up_to_1300_characters_and_99_line_breaks():
    assert len(friendtalk.check_text("가" * 1300)) == 1300
    assert refusal(friendtalk.check_text, "가" * 1301).code == "too_long"
    assert friendtalk.check_text("줄\n" * 99 + "끝").count("\n") == 99
    error = refusal(friendtalk.check_text, "줄\n" * 100 + "끝")
    assert error.code == "too_many_lines" and "100개" in error.message
    assert refusal(friendtalk.check_text, "  ").code == "required"
    assert refusal(friendtalk.check_text, "제어\x07문자").code == "invalid_character"


def test_kft01_emoji_are_fine_on_kakao():
    assert friendtalk.check_text("오늘만 특가 🎉") == "오늘만 특가 🎉"


def test_kft01_wide_allows_76_characters_and_two_buttons():
    image = jpeg((800, 400))
    content = friendtalk.check_content("가" * 76, [WL, WL], image, wide=True)
    assert content.wide and content.msg_type == friendtalk.IMAGE and content.limit == 76
    assert refusal(friendtalk.check_content, "가" * 77, [], image, wide=True).code == "too_long"
    error = refusal(friendtalk.check_content, "가", [WL, WL, WL], image, wide=True)
    assert error.code == "too_many_buttons" and "2개" in error.message
    assert refusal(friendtalk.check_content, "가", [], None, wide=True).details["rule"] == "type"


def test_kft01_up_to_five_buttons_without_channel_add():
    assert len(friendtalk.check_content("가", [WL] * 5).buttons) == 5
    assert refusal(friendtalk.check_content, "가", [WL] * 6).code == "too_many_buttons"
    error = refusal(friendtalk.check_content, "가", [{"type": "AC", "name": "채널 추가"}])
    assert error.code == "invalid_choice" and error.field == "buttons[0].type"
    error = refusal(friendtalk.check_content, "가", [{"type": "WL", "name": "링크", "url_mobile": "shop.example.com"}])
    assert error.field == "buttons[0].url_mobile" and "http" in error.message


def test_kft01_an_image_makes_it_a_photo():
    assert friendtalk.check_content("가").msg_type == friendtalk.TEXT
    assert friendtalk.check_content("가", [], png((800, 600))).msg_type == friendtalk.IMAGE


# --- hours and targeting (KFT-02, KFT-03) ---------------------------------------------------------------------

@pytest.mark.parametrize("hour,minute,ok", [(7, 59, False), (8, 0, True), (20, 49, True), (20, 50, False),
                                            (23, 0, False), (12, 0, True)])
def test_kft03_an_immediate_send_only_0800_to_2050(hour, minute, ok):
    at = kst(hour, minute)
    assert friendtalk.in_hours(at) is ok
    if ok:
        friendtalk.check_hours(scheduled_at=None, now=at)
    else:
        error = refusal(friendtalk.check_hours, scheduled_at=None, now=at)
        assert (error.code, error.field) == ("friendtalk_hours", "발송시간") and "08:00~20:50" in error.message


def test_kft03_a_schedule_outside_the_hours_is_refused_whatever_the_time_now():
    night = kst(6, 0)
    friendtalk.check_hours(scheduled_at=kst(9, 0, day=28), now=night)       # scheduling at night into the window
    error = refusal(friendtalk.check_hours, scheduled_at=kst(21, 30), now=kst(12, 0))
    assert (error.code, error.field) == ("friendtalk_hours", "예약시간")
    assert refusal(friendtalk.check_hours, scheduled_at=kst(7, 59, 59, day=28), now=NOW).code == "friendtalk_hours"
    assert refusal(friendtalk.check_hours, scheduled_at=kst(20, 50, day=28), now=NOW).code == "friendtalk_hours"
    friendtalk.check_hours(scheduled_at=kst(20, 49, 59, day=28), now=NOW)


def test_kft02_friends_only_unless_approved():
    assert friendtalk.check_targeting(None, ("I",)) == "I"
    error = refusal(friendtalk.check_targeting, "M", ("I",))
    assert (error.code, error.field) == ("targeting_not_allowed", "발송 대상")
    assert friendtalk.check_targeting("n", ("I", "M", "N")) == "N"
    assert refusal(friendtalk.check_targeting, "X", ("I", "M", "N")).code == "invalid_choice"


# --- the plan -----------------------------------------------------------------------------------------------

def person(phone, row=1, name=None, **values):
    return Recipient(phone, name, values, row)


def plan(recipients, content=None, fallback=None, *, now=NOW, allowed=("I",), **changes):
    request = FriendtalkRequest(account_id=1, channel=1, content=content or friendtalk.check_content(
        "#[이름]님, 오늘만 20% 할인", [WL]), recipients=recipients, fallback=fallback, **changes)
    return friendtalk_plan.plan(request, now, allowed_targeting=allowed)


def ad(**changes):
    return FallbackRequest("0212345678", ad_company="메가샵", ad_optout="0801234567", **changes)


def test_kft01_each_recipient_reads_the_content_with_their_values():
    p = plan([person("01023456780", 1, "홍길동"), person("01023456781", 2, "김철수")])
    assert [k.text for k in p.recipients] == ["홍길동님, 오늘만 20% 할인", "김철수님, 오늘만 20% 할인"]
    assert p.msg_type == "FRIENDTALK_TEXT" and p.targeting == "I" and p.uses_variables


def test_kft01_a_missing_value_names_the_row():
    error = refusal(plan, [person("01023456780", 1, "홍길동"), person("01023456781", 2)])
    assert error.code == "missing_variable" and "2행" in error.message


def test_kat07b_one_number_once_per_rendered_message():
    p = plan([person("01023456780", 1, "홍길동"), person("01023456780", 2, "홍길동"),
              person("01023456780", 3, "김철수")])
    assert len(p.recipients) == 2 and p.duplicates == 1


def test_kft04_the_default_fallback_is_an_ad_with_the_button_links():
    p = plan([person("01023456780", 1, "홍길동")], fallback=ad())
    [k] = p.recipients
    assert k.fallback_text == ("(광고)메가샵\n홍길동님, 오늘만 20% 할인\n쿠폰 받기: https://shop.example.com/c\n"
                               "무료거부 080-123-4567")
    assert p.fallback.msg_type == "LMS" and p.fallback.is_default       # over 90 bytes with the ad lines


def test_kft04_an_image_meeting_sms14_makes_the_fallback_mms_otherwise_lms():
    small = friendtalk.check_content("신상품 입고", [], jpeg((800, 600)))
    assert plan([person("01023456780")], small, ad()).fallback.msg_type == "MMS"
    as_png = friendtalk.check_content("신상품 입고", [], png((800, 600)))
    assert plan([person("01023456780")], as_png, ad()).fallback.msg_type == "LMS"
    too_big = friendtalk.check_content("신상품 입고", [], jpeg((1600, 1000)))
    assert plan([person("01023456780")], too_big, ad()).fallback.msg_type == "LMS"


def test_kft04_the_ad_wording_is_required_and_emoji_cannot_go_by_sms():
    error = refusal(plan, [person("01023456780", 1, "홍길동")], fallback=FallbackRequest("0212345678"))
    assert error.code == "ad_company_required"
    emoji = friendtalk.check_content("특가 🎉")
    error = refusal(plan, [person("01023456780")], emoji, ad())
    assert error.code == "fallback_invalid" and error.field == "대체문자"
    p = plan([person("01023456780")], emoji, ad(text="특가 안내"))
    assert p.recipients[0].fallback_text == "(광고)메가샵\n특가 안내\n무료거부 080-123-4567"


def test_kft02_kft03_the_plan_asks_hours_and_targeting():
    assert refusal(plan, [person("01023456780", 1, "홍")], now=kst(21, 0)).code == "friendtalk_hours"
    assert refusal(plan, [person("01023456780", 1, "홍")], targeting="M").code == "targeting_not_allowed"
    assert refusal(plan, [person("01023456780", 1, "홍")], scheduled_at=kst(21, 0)).code == "friendtalk_hours"


def test_a_development_clock_offset_shifts_now_and_is_undone():
    from app import clock
    before = clock.now()
    clock.set_offset(3600)
    try:
        assert dt.timedelta(minutes=59) < clock.now() - before < dt.timedelta(minutes=61)
    finally:
        clock.set_offset(0)
    assert clock.now() - before < dt.timedelta(minutes=1)
