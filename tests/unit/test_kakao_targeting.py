"""Brand Message targeting (06-kakao.md KFT-02), the pure rules: the friend count an
application needs (Kakao's 50,000) and which targets follow from the two facts."""
from __future__ import annotations

import pytest

from app.domain import kakao_targeting as targeting
from app.errors import ValidationError


@pytest.mark.parametrize("value,expected", [
    ("50000", 50_000), ("50,000", 50_000), (" 123,456 ", 123_456), (75_000, 75_000), ("2000000000", 2_000_000_000),
])
def test_a_friend_count_of_at_least_50000_is_taken(value, expected):
    assert targeting.friend_count(value) == expected


@pytest.mark.parametrize("value,code,message", [
    ("49999", "too_few_friends", "친구 수가 50,000명 이상인 채널만 타겟팅(M/N)을 신청할 수 있습니다"),
    ("0", "too_few_friends", "50,000명 이상"),
    (49_999, "too_few_friends", "50,000명 이상"),
    ("", "required", "친구 수를 입력해주세요."),
    (None, "required", "친구 수를 입력해주세요."),
    ("오만", "invalid_number", "친구 수는 정수로 입력해주세요."),
    ("50000.5", "invalid_number", "친구 수는 정수로 입력해주세요."),
    ("-60000", "out_of_range", "친구 수는 0 이상이어야 합니다."),
    ("1" * 13, "out_of_range", "친구 수 값이 너무 큽니다."),
    (True, "invalid_number", "친구 수는 정수로 입력해주세요."),
])
def test_a_bad_friend_count_is_refused_naming_the_field(value, code, message):
    with pytest.raises(ValidationError) as info:
        targeting.friend_count(value)
    assert (info.value.field, info.value.code) == ("친구 수", code)
    assert message in info.value.message


def test_the_refusal_names_the_minimum_the_rule_uses():
    with pytest.raises(ValidationError) as info:
        targeting.friend_count(targeting.MIN_FRIENDS - 1)
    assert f"{targeting.MIN_FRIENDS:,}명" in info.value.message
    assert targeting.friend_count(targeting.MIN_FRIENDS) == targeting.MIN_FRIENDS


@pytest.mark.parametrize("eligible,has_optout_number,expected", [
    (False, False, ("I",)),
    (False, True, ("I",)),
    (True, False, ("I",)),
    (True, True, ("I", "M", "N")),
])
def test_m_and_n_need_both_the_approval_and_a_registered_080_number(eligible, has_optout_number, expected):
    assert targeting.choices(eligible=eligible, has_optout_number=has_optout_number) == expected
