"""Particles chosen by the word (issue 12: no more "을(를)")."""
import pytest

from app.domain.korean import josa, particle
from app.domain.text import required
from app.errors import ValidationError


@pytest.mark.parametrize("word, pair, expected", [
    ("발신번호", "을/를", "발신번호를"),
    ("이메일", "을/를", "이메일을"),
    ("예약시간", "은/는", "예약시간은"),
    ("메시지", "은/는", "메시지는"),
    ("채널", "이/가", "채널이"),
    ("템플릿", "과/와", "템플릿과"),
    ("수신자", "과/와", "수신자와"),
    ("파일", "으로/로", "파일로"),          # final ㄹ takes 로
    ("엑셀", "으로/로", "엑셀로"),
    ("사진", "으로/로", "사진으로"),
    ("메일", "으로/로", "메일로"),
    ("1", "을/를", "1을"),                  # 일
    ("2", "을/를", "2를"),                  # 이
    ("010-1234-5678", "이/가", "010-1234-5678이"),   # 팔
    ("1,000", "은/는", "1,000은"),         # 영
    ("SMS", "을/를", "SMS를"),              # 에스
    ("URL", "을/를", "URL을"),              # 엘
    ("API", "을/를", "API를"),              # 아이
    ("'예약시간'", "은/는", "'예약시간'은"),   # quotes skipped
    ("제목(선택)", "을/를", "제목(선택)을"),     # the bracketed word's last sound: 택
    ("", "을/를", "를"),
])
def test_josa_chooses_by_the_last_sound(word, pair, expected):
    assert josa(word, pair) == expected


def test_particle_alone():
    assert particle("수신번호", "이/가") == "가"
    assert particle("금액", "이/가") == "이"


def test_every_message_of_the_input_rules_reads_without_brackets():
    with pytest.raises(ValidationError) as caught:
        required("", "발신번호", max_length=10)
    assert caught.value.message == "발신번호를 입력해주세요."
    with pytest.raises(ValidationError) as caught:
        required("x" * 11, "제목", max_length=10)
    assert caught.value.message == "제목은 10자 이하로 입력해주세요."
