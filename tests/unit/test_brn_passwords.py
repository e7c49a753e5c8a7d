"""ACC-05 business registration number check digit; ACC-11 password rules."""
import pytest

from app.domain.brn import brn_check_digit, format_brn, validate_brn
from app.domain.passwords import check_password
from app.errors import ValidationError


@pytest.mark.parametrize("brn", ["220-81-12341", "2208112341", "120-81-47521", "101-81-35835"])
def test_valid_brn(brn):
    assert validate_brn(brn) == brn.replace("-", "")


@pytest.mark.parametrize("brn,reason", [("220-81-12345", "검증번호"), ("220-81-12344", "검증번호"), ("123", "10자리"), ("", "입력"),
                                        ("22081123a4", "10자리")])
def test_refused_brn(brn, reason):
    with pytest.raises(ValidationError) as info:
        validate_brn(brn)
    assert reason in info.value.message and info.value.field == "사업자등록번호"


def test_check_digit_matches_known_registration_numbers():
    # Published numbers of well-known companies (Samsung Electronics 124-81-00998).
    assert brn_check_digit("124810099") == 8
    assert format_brn("1248100998") == "124-81-00998"


@pytest.mark.parametrize("password", ["correct-horse-battery", "한글비밀번호는길다", "x" * 7 + "yz", "a b c d e f"])
def test_acceptable_passwords(password):
    check_password(password)


@pytest.mark.parametrize("password,reason", [
    ("", "입력"), ("short1!", "8자"), ("x" * 129, "128자"), ("password", "흔하거나"), ("qwer1234", "흔하거나"),
    ("1q2w3e4r!", "흔하거나"), ("aaaaaaaaaaaa", "흔하거나"), ("PassWord123", "흔하거나"),
])
def test_refused_passwords(password, reason):
    with pytest.raises(ValidationError) as info:
        check_password(password)
    assert reason in info.value.message


def test_password_may_not_be_the_email():
    with pytest.raises(ValidationError):
        check_password("someone.long", context=("someone.long@example.com",))
