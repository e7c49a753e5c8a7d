"""무료거부 080 (SND-09, SMS-06), the pure rules: the 인증코드 and how a fresh one is drawn,
which 080 number an ad may name, the footer a recipient reads (and the sandbox reads
back), and how an opt-out call names its account."""
from __future__ import annotations

import itertools

import pytest

from app.domain import optout080, sms
from app.domain.optout080 import Call, OptoutChoices
from app.errors import ValidationError

SHARED, CODE = "0801231234", "123456"
OWN = frozenset({"0805550001", "08012345678"})


def refused(call) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value


# --- the code ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [("123456", "123456"), (" 654321 ", "654321"), (100000, "100000")])
def test_a_code_is_six_digits(value, expected):
    assert optout080.check_code(value) == expected


@pytest.mark.parametrize("value,code,message", [
    ("", "required", "인증코드를 입력해주세요."),
    ("12345", "invalid_code", "인증코드는 숫자 6자리입니다."),
    ("1234567", "invalid_code", "인증코드는 숫자 6자리입니다."),
    ("12a456", "invalid_code", "인증코드는 숫자 6자리입니다."),
    ("１２３４５６", "invalid_code", "인증코드는 숫자 6자리입니다."),       # full-width digits are not 0-9
])
def test_a_bad_code_is_refused_naming_the_field(value, code, message):
    error = refused(lambda: optout080.check_code(value))
    assert (error.field, error.code, error.message) == ("인증코드", code, message)


def test_a_new_code_skips_the_codes_accounts_have():
    draws = iter([123456, 123456, 654321])
    taken = {"123456"}
    assert optout080.new_code(lambda: next(draws), lambda c: c in taken) == "654321"


def test_a_new_code_gives_up_rather_than_loop_forever_and_refuses_a_bad_source():
    with pytest.raises(RuntimeError):
        optout080.new_code(lambda: 111111, lambda c: True, attempts=5)
    with pytest.raises(ValueError):
        optout080.new_code(lambda: 99_999, lambda c: False)    # five digits: a leading zero would be needed


# --- the 080 number an ad names ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed,default,expected", [
    ("", None, (SHARED, CODE)),                          # nothing typed, no default: the shared number
    (None, None, (SHARED, CODE)),
    ("080-123-1234", None, (SHARED, CODE)),             # typed with hyphens
    ("080 555 0001", None, ("0805550001", None)),       # an approved own number: no code
    ("080-1234-5678", None, ("08012345678", None)),
    ("", "0805550001", ("0805550001", None)),            # the 마이페이지 default
    ("080-123-1234", "0805550001", (SHARED, CODE)),     # typed wins over the default
])
def test_an_ad_names_the_shared_number_with_its_code_or_an_approved_own_one(typed, default, expected):
    assert OptoutChoices(SHARED, CODE, OWN, default).choose(typed) == expected


@pytest.mark.parametrize("typed,default,code,fragment", [
    ("080-999-8888", None, "optout_not_allowed", "무료거부 번호 080-999-8888은 사용할 수 없습니다"),
    ("0809998888", "0805550001", "optout_not_allowed", "승인된 자체 080 번호만"),
    ("", "0809998888", "optout_not_allowed", "마이페이지의 기본 무료거부 번호 080-999-8888은 승인된 080 번호가 아니어서"),
    ("02-123-4567", None, "invalid_optout", "080으로 시작하는"),
    ("080-12", None, "invalid_optout", "080으로 시작하는"),
])
def test_any_other_080_number_is_refused_naming_the_field(typed, default, code, fragment):
    error = refused(lambda: OptoutChoices(SHARED, CODE, OWN, default).choose(typed))
    assert (error.field, error.code) == ("무료거부 번호", code) and fragment in error.message
    assert "(인증코드 123456)" in error.message or code == "invalid_optout"
    assert "을(를)" not in error.message and "은(는)" not in error.message


def test_the_choices_list_the_shared_number_first_and_the_preferred_one():
    choices = OptoutChoices(SHARED, CODE, OWN, "0805550001")
    assert choices.allowed == [SHARED, "08012345678", "0805550001"]
    assert choices.preferred == "0805550001"
    assert OptoutChoices(SHARED, CODE, OWN, "0809998888").preferred == SHARED   # a default no longer approved
    assert (choices.code_for(SHARED), choices.code_for("0805550001")) == (CODE, None)


@pytest.mark.parametrize("typed,expected", [("", None), ("080-123-1234", None), ("080-555-0001", "0805550001")])
def test_the_default_is_blank_the_shared_number_or_an_approved_own_one(typed, expected):
    assert OptoutChoices(SHARED, CODE, OWN).check_default(typed) == expected


def test_an_unapproved_default_is_refused():
    error = refused(lambda: OptoutChoices(SHARED, CODE, OWN).check_default("080-999-8888"))
    assert (error.field, error.code) == ("무료거부 번호", "optout_not_allowed")
    assert "080-999-8888은 승인된 080 번호가 아닙니다" in error.message


# --- the footer ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number,code,footer,size", [
    (SHARED, CODE, "무료거부 080-123-1234 인증코드 123456", 37),    # 9 + 12 + 1 + 15 (인증코드 8, space, 6 digits)
    ("0805550001", None, "무료거부 080-555-0001", 21),
    ("08012345678", None, "무료거부 080-1234-5678", 22),
])
def test_the_footer_carries_the_code_on_the_shared_number_and_is_read_back(number, code, footer, size):
    assert sms.optout_footer(number, code) == footer
    assert sms.byte_length(footer) == size
    text = sms.AdSettings("메가버드", number, code).wrap("본문\n둘째 줄")
    assert text.endswith("\n" + footer)
    assert optout080.parse_footer(text) == (number, code)


@pytest.mark.parametrize("text", [None, "", "안녕하세요", "무료거부 080-123-1234",          # not a last line of an ad
                                  "(광고)메가\n본문\n무료거부 02-123-4567",
                                  "(광고)메가\n본문\n무료거부 080-123-1234 인증코드 12345"])
def test_a_text_without_a_free_optout_line_has_no_footer(text):
    assert optout080.parse_footer(text) is None


# --- opt-out calls ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("called,code,caller,expected", [
    ("080-123-1234", "123456", "010-2345-6789", Call(SHARED, "123456", "01023456789")),
    ("0805550001", "", "+82 10 2345 6789", Call("0805550001", None, "01023456789")),
    ("0805550001", None, "01023456789", Call("0805550001", None, "01023456789")),
])
def test_a_typed_call_is_read_into_digits(called, code, caller, expected):
    assert optout080.read_call(called, code, caller) == expected
    assert optout080.parse_reported(called, code, caller) == expected


@pytest.mark.parametrize("called,code,caller,field", [
    ("", "123456", "01023456789", "080 번호"),
    ("02-123-4567", "123456", "01023456789", "080 번호"),
    ("0801231234", "12345", "01023456789", "인증코드"),
    ("0801231234", "123456", "", "전화한 번호"),
    ("0801231234", "123456", "02-123-4567", "전화한 번호"),
])
def test_a_malformed_call_is_refused_naming_the_field_or_kept_as_invalid(called, code, caller, field):
    assert refused(lambda: optout080.read_call(called, code, caller)).field == field
    assert optout080.parse_reported(called, code, caller) is None


@pytest.mark.parametrize("call,code_owner,number_owner,expected", [
    (Call(SHARED, "123456", "01023456789"), 7, None, (7, None)),
    (Call(SHARED, "654321", "01023456789"), None, None, (None, "unknown_code")),
    (Call(SHARED, None, "01023456789"), None, None, (None, "missing_code")),
    (Call("0805550001", None, "01023456789"), None, 9, (9, None)),
    (Call("0805550001", "123456", "01023456789"), 7, 9, (9, None)),      # an own number: the code is not needed
    (Call("0809998888", None, "01023456789"), None, None, (None, "unknown_number")),
])
def test_a_call_names_its_account_by_code_on_the_shared_number_or_by_an_own_number(call, code_owner, number_owner,
                                                                                    expected):
    assert optout080.resolve(call, shared=SHARED, code_owner=code_owner, number_owner=number_owner) == expected


@pytest.mark.parametrize("outcome,call,field,message", [
    ("missing_code", Call(SHARED, None, "01023456789"), "인증코드", "공용 번호 080-123-1234로 온 전화에는 인증코드가 필요합니다."),
    ("unknown_code", Call(SHARED, "654321", "01023456789"), "인증코드", "인증코드 654321은 어느 계정의 코드도 아닙니다."),
    ("unknown_number", Call("0809998882", None, "01023456789"), "080 번호", "080-999-8882는 공용 번호도"),
])
def test_an_operator_is_told_why_a_call_names_no_account(outcome, call, field, message):
    error = optout080.refusal(outcome, call)
    assert error.field == field and message in error.message and error.status == 422


def test_every_outcome_has_a_korean_label():
    assert set(optout080.OUTCOMES) == {"added", "already", "unknown_code", "unknown_number", "missing_code", "invalid"}
    assert all(label and not label.isascii() for label in optout080.OUTCOMES.values())
    assert list(itertools.islice(optout080.RESOLVED, 2)) == ["added", "already"]
