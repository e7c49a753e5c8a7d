"""SND-01 sender number rules and SMS-04 recipient normalisation, as tables."""
import pytest

from app.domain.numbers import format_number, normalize_mobile, validate_sender_number
from app.errors import ValidationError

VALID_SENDERS = [
    ("02-1234-5678", "0212345678", "landline"),
    ("02-123-4567", "021234567", "landline"),
    ("031-123-4567", "0311234567", "landline"),
    ("064-1234-5678", "06412345678", "landline"),
    ("010-2113-3451", "01021133451", "mobile"),
    ("011-234-5678", "0112345678", "mobile"),
    ("019-2345-6789", "01923456789", "mobile"),
    ("1588-1234", "15881234", "representative"),
    ("1644-1234", "16441234", "representative"),
    ("1800-1234", "18001234", "representative"),
    ("0505-123-4567", "05051234567", "service"),
    ("070-2345-6789", "07023456789", "service"),
    ("080-123-4567", "0801234567", "service"),
    ("060-234-5678", "0602345678", "service"),
    (" 010 2113 3451 ", "01021133451", "mobile"),
]

REFUSED_SENDERS = [
    ("", "입력해주세요"),
    ("010-abcd-1234", "숫자"),
    ("1234567", "8자리"),
    ("010123456789", "11자리"),
    ("010-0123-4567", "존재하지 않는 번호 대역"),
    ("010-1123-4567", "존재하지 않는 번호 대역"),
    ("070-0123-4567", "존재하지 않는 번호 대역"),
    ("070-1123-4567", "존재하지 않는 번호 대역"),
    ("010-234-5678", "11자리"),
    ("02-1588-1234", "지역 번호"),
    ("031-1644-1234", "지역 번호"),
    ("1588-12345", "대표 전화번호"),
    ("1234-5678", "지원하지 않는"),
    ("099-123-4567", "지원하지 않는"),
    ("02-012-3456", "국번"),
    ("0505-12-3456", "050X"),
]


@pytest.mark.parametrize("text,digits,kind", VALID_SENDERS)
def test_valid_sender_numbers(text, digits, kind):
    got_digits, got_kind = validate_sender_number(text)
    assert (got_digits, got_kind.code) == (digits, kind)


@pytest.mark.parametrize("text,rule", REFUSED_SENDERS)
def test_refused_sender_numbers_name_the_rule(text, rule):
    with pytest.raises(ValidationError) as info:
        validate_sender_number(text)
    assert rule in info.value.message
    assert info.value.field == "발신번호"


@pytest.mark.parametrize("text,expected", [
    ("010-1234-5678", None), ("01023456789", "01023456789"), ("+82 10-2345-6789", "01023456789"),
    ("+821023456789", "01023456789"), ("8201023456789", "01023456789"), ("011-234-5678", "0112345678"),
    ("010 2345 6789", "01023456789"), ("(010)2345-6789", "01023456789"),
])
def test_normalize_mobile(text, expected):
    if expected is None:  # 010-1YYY is a non-existent range
        with pytest.raises(ValidationError):
            normalize_mobile(text)
    else:
        assert normalize_mobile(text) == expected


@pytest.mark.parametrize("text", ["", "02-1234-5678", "010-234-5678", "0101234567890", "abc", "015-1234-5678",
                                  "010-0234-5678", "016-034-5678"])
def test_normalize_mobile_refuses(text):
    with pytest.raises(ValidationError) as info:
        normalize_mobile(text)
    assert info.value.code == "invalid_number"


@pytest.mark.parametrize("digits,shown", [
    ("0212345678", "02-1234-5678"), ("021234567", "02-123-4567"), ("01021133451", "010-2113-3451"),
    ("0311234567", "031-123-4567"), ("15881234", "1588-1234"), ("05051234567", "0505-123-4567"),
    ("0801234567", "080-123-4567"), ("", ""),
])
def test_format_number(digits, shown):
    assert format_number(digits) == shown
