"""Small rules found in review: export cells that hide a formula behind a control
character (RES-05), digits that are not 0-9 (SND-01, SMS-04), the Kakao column of the
sandbox's magic numbers (GW-02)."""
import pytest

from app.domain.numbers import is_digits, normalize_mobile, validate_sender_number
from app.domain.recipients import Recipient, clean
from app.domain.results import classify
from app.domain.spreadsheet import safe_cell
from app.errors import ValidationError
from app.gateways.sandbox import magic_result


@pytest.mark.parametrize("raw,shown", [
    ("\x01=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("\x1b+82-10", "'+82-10"),
    ("\x00@SUM(A1)", "'@SUM(A1)"),
    ("=1+1", "'=1+1"),
    ("A\x01B", "AB"),
    ("평범한 이름", "평범한 이름"),
    (42, 42),
])
def test_res05_a_control_character_cannot_hide_a_formula(raw, shown):
    assert safe_cell(raw) == shown


@pytest.mark.parametrize("text,ok", [("0123456789", True), ("", False), ("12²", False), ("١٢٣", False),
                                     ("１２３", False), ("12a", False)])
def test_is_digits_means_ascii_0_to_9(text, ok):
    assert is_digits(text) is ok


@pytest.mark.parametrize("number", ["1588١٢٣٤", "15881２34", "02-123-456²"])
def test_snd01_a_sender_number_in_other_digits_is_refused(number):
    with pytest.raises(ValidationError) as info:
        validate_sender_number(number)
    assert info.value.field


@pytest.mark.parametrize("number", ["010١٢٣٤٥٦٧٨", "0102345６７８９"])
def test_sms04_a_recipient_in_other_digits_is_refused(number):
    with pytest.raises(ValidationError):
        normalize_mobile(number)
    result = clean([Recipient(number, None, {}, 1)], limit=10)
    assert result.recipients == [] and result.rejected[0].phone == number


#: GW-02, AlimTalk/FriendTalk column: ending -> category (None = delivered)
KAKAO = {0: None, 79: None, 80: "not_deliverable", 81: "recipient_error", 82: "send_failed",
         83: "template_error", 84: "image_error", 85: "invalid_parameter", 86: "channel_error",
         87: "yellow_id_error", 88: "other", 89: None, 90: "send_failed", 91: "send_failed", 92: "send_failed",
         93: "recipient_error", 94: "send_failed", 95: "send_failed", 96: "send_failed", 97: "other", 99: None}


@pytest.mark.parametrize("ending,category", KAKAO.items())
def test_gw02_the_kakao_column_of_the_magic_numbers(ending, category):
    code, _delay = magic_result("alimtalk", f"010234500{ending:02d}")
    assert classify(code)[1] == category
