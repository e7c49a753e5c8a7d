"""사업자등록번호 (business registration number) check digit (ACC-05)."""
from __future__ import annotations

from app.domain.numbers import digits_only, is_digits
from app.errors import ValidationError

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_check_digit(first_nine: str) -> int:
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS))
    total += (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def validate_brn(text: str) -> str:
    """Returns the 10 digits, or raises naming the rule that failed."""
    digits = digits_only(text or "")
    if not digits:
        raise ValidationError("사업자등록번호를 입력해주세요.", field="사업자등록번호", code="invalid_brn")
    if not is_digits(digits) or len(digits) != 10:
        raise ValidationError("사업자등록번호는 숫자 10자리입니다 (예: 123-45-67890).",
                              field="사업자등록번호", code="invalid_brn")
    if brn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError("사업자등록번호가 올바르지 않습니다 (검증번호 불일치).",
                              field="사업자등록번호", code="invalid_brn")
    return digits


def format_brn(digits: str | None) -> str:
    if not digits or len(digits) != 10:
        return digits or ""
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
