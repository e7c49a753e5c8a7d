"""SMS/LMS/MMS rules without a database (04-sms.md): byte counting on the shared table
of cases (SMS-01), the automatic type (SMS-02), titles, variables (SMS-05), ad wrapping
and the KST night window (SMS-06), the schedule window (SMS-07), MMS image checks
(SMS-14) and recipient cleaning (SMS-04).

`sms_plan.plan()` is the validation half of `accept()`: it writes nothing and reads no
database, so the rules that combine (variables + ad + type + limit) are tested here."""
import datetime as dt
import io
import json
import random
from pathlib import Path

import pytest
from PIL import Image

from app.domain import images, recipients, sms, sms_plan
from app.domain.optout080 import OptoutChoices
from app.domain.recipients import Recipient
from app.errors import ValidationError

CASES = json.loads((Path(sms.__file__).parent / "data" / "byte_cases.json").read_text(encoding="utf-8"))["cases"]
NOW = dt.datetime(2026, 11, 27, 3, 0)           # 12:00 KST, a Friday
KST = dt.timezone(dt.timedelta(hours=9))


def kst(*args) -> dt.datetime:
    """A KST wall-clock time as the naive UTC the services take."""
    return dt.datetime(*args, tzinfo=KST).astimezone(dt.timezone.utc).replace(tzinfo=None)


def jpeg(size=(40, 40), quality=85, noise=False) -> bytes:
    image = Image.new("RGB", size, (30, 200, 30))
    if noise:
        rng = random.Random(7)
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256))
                       for _ in range(size[0] * size[1])])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def to(*phones) -> list[Recipient]:
    return [Recipient(p, None, {}, i) for i, p in enumerate(phones, start=1)]


def plan(body="안녕하세요", recipients_=None, now=NOW, **changes):
    request = sms_plan.SmsRequest(account_id=1, sender="01020001234", body=body,
                                 recipients=to("01023456789") if recipients_ is None else recipients_, **changes)
    return sms_plan.plan(request, now)


def refused(call) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.message and any("\uac00" <= ch <= "\ud7a3" for ch in info.value.message), info.value.message
    return info.value


# --- SMS-01 byte counting on the shared table ---------------------------------------------------------------

def test_sms01_the_shared_table_is_not_empty_and_covers_the_hard_cases():
    notes = {case["note"] for case in CASES}
    assert len(CASES) >= 25
    assert {"CRLF counts as one byte", "extended Hangul (CP949, not KS X 1001)", "emoji", "NBSP",
            "WON SIGN U+20A9", "accented Latin", "exactly 90 bytes", "91 bytes", "2000 bytes"} <= notes


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_sms01_byte_length_and_unsupported_characters_agree_with_the_table(case):
    text = sms.normalize_text(case["text"])
    assert "\r" not in text
    assert sms.byte_length(text) == case["bytes"]
    expected = [(u["position"], u["char"]) for u in case["unsupported"]]
    assert sms.unsupported_characters(text) == expected


@pytest.mark.parametrize("case", [c for c in CASES if not c["unsupported"]], ids=lambda c: c["note"])
def test_sms01_the_counter_is_cp949(case):
    """Every supported string counts exactly its CP949 encoding (not euc-kr: 똠 is 2 bytes)."""
    text = sms.normalize_text(case["text"])
    assert sms.byte_length(text) == len(text.encode("cp949"))


def test_sms01_an_unsupported_character_is_refused_with_its_position():
    error = refused(lambda: sms.check_characters("가나 café 😀", "내용"))
    assert error.code == "unsupported_character" and error.field == "내용"
    assert "7번째 'é'" in error.message and "9번째 '😀'" in error.message
    assert error.details == [{"position": 7, "char": "é"}, {"position": 9, "char": "😀"}]
    nbsp = refused(lambda: sms.check_characters("가\u00a0나", "내용"))
    assert "2번째 공백(NBSP)" in nbsp.message
    assert refused(lambda: plan("안녕 ₩1000")).code == "unsupported_character"


# --- SMS-02 type, limits and titles -------------------------------------------------------------------------

@pytest.mark.parametrize("size,image,expected", [(0, False, "SMS"), (90, False, "SMS"), (91, False, "LMS"),
                                                 (2000, False, "LMS"), (1, True, "MMS"), (2000, True, "MMS")])
def test_sms02_message_type_switches_at_90_bytes_and_with_an_image(size, image, expected):
    assert sms.message_type(size, image) == expected
    assert sms.limit_of(expected) == (90 if expected == "SMS" else 2000)


def test_sms02_plan_switches_type_at_the_edges():
    assert plan("가" * 45).msg_type == "SMS"                       # 90 bytes
    assert plan("가" * 45 + "a").msg_type == "LMS"                 # 91 bytes
    assert plan("\r\n".join(["가" * 22] * 2) + "a").msg_type == "SMS"   # CRLF is one byte: 88 + 1 + 1 = 90
    assert plan("a" * 2000).msg_type == "LMS"
    error = refused(lambda: plan("a" * 2001))
    assert error.code == "byte_limit" and "2,001 byte" in error.message
    mms = plan("짧은 글", images=[("a.jpg", jpeg())])
    assert (mms.msg_type, len(mms.images)) == ("MMS", 1)


def test_sms02_title_is_dropped_for_sms_and_at_most_30_bytes_otherwise():
    assert plan("짧은 글", title="제목").title is None
    assert sms.clean_title("제목", "SMS") is None
    assert plan("a" * 100, title="가" * 15).title == "가" * 15            # 30 bytes
    assert plan("a" * 100, title="  공지  ").title == "공지"
    error = refused(lambda: plan("a" * 100, title="가" * 15 + "a"))
    assert error.code == "byte_limit" and error.field == "제목" and "31 byte" in error.message
    assert refused(lambda: sms.clean_title("줄\n바꿈", "LMS")).code == "invalid_title"
    assert refused(lambda: sms.clean_title("제목😀", "MMS")).code == "unsupported_character"
    assert plan("짧은 글", title="가" * 15, images=[("a.jpg", jpeg())]).title == "가" * 15
    assert refused(lambda: plan("짧은 글", title="가" * 15 + "a", images=[("a.jpg", jpeg())])).code == "byte_limit"


# --- SMS-05 variables -----------------------------------------------------------------------------------------

def test_sms05_variables_render_per_recipient():
    values = Recipient("01023456789", "홍길동", {"1": "A", "2": "B", "3": "", "4": "D"}).values()
    assert values == {"이름": "홍길동", "1": "A", "2": "B", "4": "D"}       # an empty value is no value
    text = "#[이름]님 #[1]-#[2]-#[4] #[5] #[이 름]"
    assert sms.variables_in(text) == {"이름", "1", "2", "4"}
    assert sms.render(text, values) == "홍길동님 A-B-D #[5] #[이 름]"
    assert sms.render("변수 없음", {}) == "변수 없음"


def test_sms05_a_missing_value_is_listed_with_its_rows_before_sending():
    people = [Recipient("01023456701", "김", {"1": "x"}, 1), Recipient("01023456702", None, {"1": "y"}, 2),
              Recipient("01023456703", "이", {}, 3)]
    error = refused(lambda: plan("#[이름]님 #[1]", people))
    assert error.code == "missing_variable" and "#[1], #[이름]" in error.message
    assert "2행, 3행" in error.message and error.details == {"rows": [2, 3]}
    # the API names rows as to[i]
    api = refused(lambda: plan("#[1]", people, row_label="to[{}]"))
    assert "to[3]" in api.message and "to[1]" not in api.message
    # a value the carriers cannot carry is refused with its row too
    bad = refused(lambda: plan("#[1]", [Recipient("01023456701", None, {"1": "😀"}, 4)]))
    assert bad.code == "unsupported_character" and "4행" in bad.message


def test_sms02_sms05_the_longest_rendered_message_decides_the_type():
    short = Recipient("01023456701", "김", {}, 1)
    long = Recipient("01023456702", "가" * 40, {}, 2)
    body = "#[이름]님 안녕하세요"                                 # 13 bytes + the name
    assert plan(body, [short]).msg_type == "SMS"
    p = plan(body, [short, long])
    assert (p.msg_type, p.longest_bytes, p.uses_variables) == ("LMS", 93, True)
    # the limit is checked on the longest rendered message, naming its row
    small = Recipient("01023456701", None, {"1": "a"}, 1)
    huge = Recipient("01023456703", None, {"1": "가" * 100}, 7)
    assert plan("#[1]" * 11, [small]).msg_type == "SMS"
    assert plan("#[1]" * 10, [small, huge]).msg_type == "LMS"            # exactly 2,000 bytes
    error = refused(lambda: plan("#[1]" * 11, [small, huge]))            # 2,200 bytes for row 7
    assert error.code == "byte_limit" and "7행 수신자 기준" in error.message and "2,200 byte" in error.message


# --- SMS-06 advertising ----------------------------------------------------------------------------------------

def test_sms06_ad_wrapping_and_its_bytes_count_toward_the_limit():
    ad = sms.ad_settings(" 메가버드 ", "080-123-1234")
    assert ad == sms.AdSettings("메가버드", "0801231234")
    assert ad.wrap("본문") == "(광고)메가버드\n본문\n무료거부 080-123-1234"
    # (광고) 6 + 메가버드 8 + two line breaks 2 + "무료거부 " 9 + 080-123-1234 12 = 37 bytes
    assert sms.byte_length(ad.wrap("")) == 37
    # 54 bytes of text is SMS alone but LMS once wrapped (91 bytes)
    assert plan("가" * 27).msg_type == "SMS"
    p = plan("가" * 27, is_ad=True, ad_company="메가버드", ad_optout="0801231234")
    assert (p.msg_type, p.longest_bytes) == ("LMS", 91)
    fits = plan("가" * 27, is_ad=True, ad_company="메가", ad_optout="0801231234")
    assert (fits.msg_type, fits.longest_bytes) == ("SMS", 87)
    # the wrapping can push a 2,000-byte text over the limit
    assert plan("a" * 2000).msg_type == "LMS"
    error = refused(lambda: plan("a" * 1970, is_ad=True, ad_company="메가버드", ad_optout="0801231234"))
    assert error.code == "byte_limit" and "광고 문구도 포함됩니다" in error.message


def test_sms06_an_ad_without_its_own_080_number_takes_the_accounts_default():
    """SND-09: blank is the 마이페이지 default, else the shared number with the account's code."""
    request = sms_plan.SmsRequest(account_id=1, sender="01020001234", body="가을 세일", recipients=to("01023456789"),
                                  is_ad=True, ad_company="메가버드")
    shared = OptoutChoices("0801231234", "123456", frozenset({"0809998888", "0805550000"}))
    ad = sms_plan.plan(request, NOW, optouts=shared).ad
    assert (ad.optout, ad.code) == ("0801231234", "123456")
    assert ad.wrap("가을 세일") == "(광고)메가버드\n가을 세일\n무료거부 080-123-1234 인증코드 123456"
    chosen = OptoutChoices("0801231234", "123456", frozenset({"0809998888"}), default="0809998888")
    ad = sms_plan.plan(request, NOW, optouts=chosen).ad
    assert (ad.optout, ad.code) == ("0809998888", None)          # an own number carries no code
    named = sms_plan.SmsRequest(**{**request.__dict__, "ad_optout": "080-555-0000"})
    assert sms_plan.plan(named, NOW, optouts=shared).ad.optout == "0805550000"
    assert refused(lambda: sms_plan.plan(named, NOW, optouts=chosen)).code == "optout_not_allowed"
    assert refused(lambda: sms_plan.plan(request, NOW)).code == "optout_required"


@pytest.mark.parametrize("company,optout,code", [("", "0801231234", "ad_company_required"),
                                                 ("메가버드", "", "optout_required"),
                                                 ("메가버드", "0212345678", "invalid_optout"),
                                                 ("가" * 31, "0801231234", "too_long"),
                                                 ("메가😀", "0801231234", "unsupported_character")])
def test_sms06_ad_settings_are_required_and_checked(company, optout, code):
    assert refused(lambda: sms.ad_settings(company, optout)).code == code


@pytest.mark.parametrize("moment,night", [
    (kst(2026, 11, 27, 20, 59, 59), False), (kst(2026, 11, 27, 21, 0), True), (kst(2026, 11, 27, 23, 59), True),
    (kst(2026, 11, 28, 0, 0), True), (kst(2026, 11, 28, 7, 59, 59), True), (kst(2026, 11, 28, 8, 0), False),
    (kst(2026, 11, 28, 12, 0), False)])
def test_sms06_the_night_window_is_21_to_08_kst(moment, night):
    assert sms.in_night_window(moment) is night
    call = lambda: sms.check_ad_time(scheduled_at=None, now=moment)  # noqa: E731
    if night:
        error = refused(call)
        assert error.code == "night_ad_blocked" and "심야(21시~08시)에는 광고문자 발송이 불가합니다" in error.message
    else:
        call()


def test_sms06_an_ad_cannot_be_scheduled_into_the_night_but_a_non_ad_can():
    ad = dict(is_ad=True, ad_company="메가버드", ad_optout="0801231234")
    evening = kst(2026, 11, 27, 21, 0)
    error = refused(lambda: plan("광고", scheduled_at=evening, **ad))
    assert error.code == "night_ad_blocked" and "예약 시간을 08시~21시로" in error.message
    assert plan("광고", scheduled_at=kst(2026, 11, 27, 20, 59), **ad).ad is not None
    assert plan("공지", scheduled_at=evening).ad is None
    # scheduled for the day from the night: allowed, the send happens in the day
    night_now = kst(2026, 11, 27, 23, 0)
    assert plan("광고", now=night_now, scheduled_at=kst(2026, 11, 28, 9, 0), **ad).ad is not None
    assert refused(lambda: plan("광고", now=night_now, **ad)).code == "night_ad_blocked"


# --- SMS-07 schedule ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset,ok", [
    (dt.timedelta(minutes=10), True), (dt.timedelta(minutes=10) - dt.timedelta(microseconds=1), False),
    (dt.timedelta(days=30), True), (dt.timedelta(days=30, microseconds=1), False),
    (dt.timedelta(0), False), (-dt.timedelta(hours=1), False), (dt.timedelta(days=3), True)])
def test_sms07_schedule_from_10_minutes_to_30_days(offset, ok):
    if ok:
        sms.check_schedule(NOW + offset, NOW)
        assert plan("예약", scheduled_at=NOW + offset) is not None
    else:
        error = refused(lambda: sms.check_schedule(NOW + offset, NOW))
        assert error.code == "schedule_out_of_range" and "10분후부터 최대 30일" in error.message


# --- SMS-14 MMS images -------------------------------------------------------------------------------------------

def test_sms14_a_good_jpeg_passes_with_its_size():
    checked = images.check_mms_image(jpeg((1500, 20)))
    assert (checked.width, checked.height) == (1500, 20)


@pytest.mark.parametrize("data,code,words", [
    (png(), "invalid_image", "jpg/jpeg 파일만"),
    (b"", "invalid_image", "빈 파일"),
    (b"GIF89a" + b"\0" * 100, "invalid_image", "jpg/jpeg 파일만"),
    (jpeg()[:60], "invalid_image", "손상된"),
    (b"\xff\xd8\xff\xe0" + b"garbage" * 50, "invalid_image", "손상된"),
    (jpeg((1501, 20)), "image_too_large", "1501*20px"),
    (jpeg((20, 1501)), "image_too_large", "20*1501px"),
], ids=["png", "empty", "gif", "truncated", "garbage", "too-wide", "too-tall"])
def test_sms14_bad_images_are_refused_clearly(data, code, words):
    error = refused(lambda: images.check_mms_image(data, index=2))
    assert error.code == code and words in error.message and error.message.startswith("2번째 이미지")


def test_sms14_an_image_over_300_kb_is_refused():
    big = jpeg((700, 700), quality=95, noise=True)
    assert len(big) > 300 * 1024
    error = refused(lambda: images.check_mms_image(big))
    assert error.code == "image_too_large" and "300KB" in error.message


def test_sms14_more_than_three_images_are_refused_and_checked_before_anything_else():
    images.check_image_count(3)
    assert refused(lambda: images.check_image_count(4)).code == "too_many_images"
    four = [(f"{i}.jpg", jpeg()) for i in range(4)]
    assert refused(lambda: plan("사진", images=four)).code == "too_many_images"
    three = plan("사진", images=[(f"{i}.jpg", jpeg()) for i in range(3)])
    assert (three.msg_type, len(three.images)) == ("MMS", 3)
    assert refused(lambda: plan("사진", images=[("a.jpg", jpeg()), ("b.png", png())])).message.startswith("2번째")


# --- SMS-04 recipients -------------------------------------------------------------------------------------------

def test_sms04_typed_numbers_split_on_any_separator():
    typed = "010-2345-6701, 01023456702;01023456703\n01023456704|01023456705/01023456706\t 010-2345-6707"
    assert recipients.split_typed(typed) == [f"0102345670{i}" if i not in (1, 7) else f"010-2345-670{i}"
                                             for i in range(1, 8)]
    assert recipients.split_typed("  \n ") == []


def test_sms04_typed_numbers_with_spaces_inside_stay_one_number():
    """SMS-04 accepts spaces inside a number ("010 2345 6789"); pasted lists separate
    numbers by new lines, commas or spaces between whole numbers."""
    assert recipients.split_typed("010 2345 6789") == ["01023456789"]
    assert recipients.split_typed("010 2345 6789\n+82 10 3456 7890, 01045678901 01056789012") == \
        ["01023456789", "+821034567890", "01045678901", "01056789012"]


def test_sms04_cleaning_normalises_dedupes_and_reports_rows():
    entries = to("010-2345-6789", "+82 10-2345-6789", "+82-10-3456-7890", "8210 4567 8901", "(016) 234-5678",
                 "010.2345.6780", "010-0234-5678", "010-1234-5678", "0101234567", "02-1234-5678", "abc", "",
                 "019-0123-4567", "01023456789")
    result = recipients.clean(entries, limit=100)
    assert [r.phone for r in result.recipients] == ["01023456789", "01034567890", "01045678901", "0162345678",
                                                    "01023456780"]
    assert [r.row for r in result.recipients] == [1, 3, 4, 5, 6]
    assert result.duplicates == 2                                   # rows 2 and 14
    assert [(r.row, r.phone) for r in result.rejected] == [(7, "010-0234-5678"), (8, "010-1234-5678"),
                                                           (9, "0101234567"), (10, "02-1234-5678"), (11, "abc"),
                                                           (12, ""), (13, "019-0123-4567")]
    reasons = {r.row: r.reason for r in result.rejected}
    assert "존재하지 않는 번호 대역" in reasons[7] and "존재하지 않는 번호 대역" in reasons[8]
    assert "11자리" in reasons[9] and "010, 011, 016~019" in reasons[10] and "숫자만" in reasons[11]
    assert "입력해주세요" in reasons[12]
    assert result.rejected[0].to_dict() == {"index": 7, "phone": "010-0234-5678", "reason": reasons[7]}


def test_sms04_spreadsheet_floats_are_read_as_numbers():
    result = recipients.clean([Recipient("01023456789.0", "김", {}, 2), Recipient("1023456780.0", "이", {}, 3),
                               Recipient("1023456781", "박", {}, 4)], limit=10)
    assert [r.phone for r in result.recipients] == ["01023456789"]
    rows = {r.row: r for r in result.rejected}
    assert sorted(rows) == [3, 4]
    for row in rows.values():
        # the leading 0 was lost in a spreadsheet: say so, do not guess the number
        assert "앞자리 0" in row.reason, row.reason
    assert rows[3].phone == "1023456780"


def test_sms04_variables_longer_than_200_characters_are_rejected_with_the_row():
    result = recipients.clean([Recipient("01023456789", None, {"2": "x" * 201}, 5)], limit=10)
    assert result.recipients == [] and result.rejected[0].row == 5 and "변수2" in result.rejected[0].reason


def test_sms04_at_most_100000_recipients():
    many = [Recipient(f"010{2000 + i // 10000:04d}{i % 10000:04d}", None, {}, i) for i in range(100_001)]
    assert len(recipients.clean(many[:100_000], limit=sms.MAX_RECIPIENTS).recipients) == 100_000
    error = refused(lambda: recipients.clean(many, limit=sms.MAX_RECIPIENTS))
    assert error.code == "too_many_recipients" and "100,000" in error.message and "100,001" in error.message
    # duplicates do not count toward the limit
    doubled = many[:100_000] + many[:10]
    assert recipients.clean(doubled, limit=sms.MAX_RECIPIENTS).duplicates == 10


def test_sms04_no_valid_recipient_is_refused_with_the_first_reason():
    error = refused(lambda: plan("안녕", to("010-0000-0000", "abc")))
    assert error.code == "invalid_number" and "1행 010-0000-0000" in error.message
    assert [d["index"] for d in error.details] == [1, 2]
    assert refused(lambda: plan("안녕", [])).code == "required"
