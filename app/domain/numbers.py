"""Phone-number rules: sender numbers (SND-01) and recipient mobiles (SMS-04).

Numbers are stored as digits only and shown with hyphens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import ValidationError

SEOUL = "02"
AREA_CODES = ("031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054",
              "055", "061", "062", "063", "064")
MOBILE_PREFIXES = ("010", "011", "016", "017", "018", "019")
REPRESENTATIVE_PREFIXES = ("15", "16", "18")
SERVICE_PREFIXES = ("060", "070", "080")  # plus 050X

_SEPARATORS = re.compile(r"[\s\-().]")


def digits_only(text: str) -> str:
    return _SEPARATORS.sub("", text or "")


def digits_in(text: str) -> str:
    """The 0-9 digits of a search text ("010-1234" -> "0101234")."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def is_digits(text: str) -> bool:
    """0-9 only: str.isdigit() also takes ², ١ and other Unicode digits."""
    return text.isascii() and text.isdigit()


@dataclass(frozen=True)
class SenderNumberKind:
    code: str  # landline | mobile | representative | service
    label: str


LANDLINE = SenderNumberKind("landline", "유선 전화번호")
MOBILE = SenderNumberKind("mobile", "이동통신 전화번호")
REPRESENTATIVE = SenderNumberKind("representative", "대표 전화번호")
SERVICE = SenderNumberKind("service", "공통 서비스 식별 번호")


def _refuse(message: str, code: str = "invalid_sender_number") -> ValidationError:
    return ValidationError(message, field="발신번호", code=code)


def validate_sender_number(text: str) -> tuple[str, SenderNumberKind]:
    """SND-01. Returns (digits, kind) or raises ValidationError naming the rule."""
    raw = (text or "").strip()
    if not raw:
        raise _refuse("발신번호를 입력해주세요.")
    digits = digits_only(raw)
    if not is_digits(digits):
        raise _refuse("발신번호는 숫자와 하이픈(-)만 입력할 수 있습니다.")
    if not 8 <= len(digits) <= 11:
        raise _refuse("발신번호는 최소 8자리 ~ 최대 11자리만 입력 가능합니다.")

    if digits[:2] in REPRESENTATIVE_PREFIXES:
        if len(digits) != 8:
            raise _refuse("대표 전화번호(15YY, 16YY, 18YY)는 8자리이며 번호 앞에 지역 번호를 사용할 수 없습니다.")
        return digits, REPRESENTATIVE

    if not digits.startswith("0"):
        raise _refuse("지원하지 않는 번호 형식입니다. 등록 가능한 발신 번호를 확인해주세요.")

    # An area code in front of a representative number (e.g. 02-1588-1234) is refused.
    for prefix in (SEOUL, *AREA_CODES):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and len(rest) == 8 and rest[:2] in REPRESENTATIVE_PREFIXES:
            raise _refuse("대표 전화번호(15YY, 16YY, 18YY) 앞에는 지역 번호를 사용할 수 없습니다.")

    if digits[:3] in MOBILE_PREFIXES:
        rest = digits[3:]
        if digits.startswith("010"):
            if len(digits) != 11:
                raise _refuse("010 이동통신 번호는 010-ABYY-YYYY 형식의 11자리여야 합니다.")
            if rest[0] in "01":
                raise _refuse("존재하지 않는 번호 대역입니다 (010-0YYY, 010-1YYY).",
                              code="nonexistent_range")
        elif len(digits) not in (10, 11):
            raise _refuse("이동통신 번호는 10자리 또는 11자리여야 합니다.")
        elif rest[0] == "0":
            raise _refuse("존재하지 않는 번호 대역입니다.", code="nonexistent_range")
        return digits, MOBILE

    if digits.startswith("050") or digits[:3] in SERVICE_PREFIXES:
        if digits.startswith("050"):
            if len(digits) not in (11,):
                raise _refuse("050X 번호는 11자리여야 합니다 (0NO 계열, 번호 앞에 지역 번호 사용 금지).")
            return digits, SERVICE
        if len(digits) not in (10, 11):
            raise _refuse("공통 서비스 식별 번호(0NO 계열)는 10자리 또는 11자리여야 합니다.")
        if digits.startswith("070") and digits[3] in "01":
            raise _refuse("존재하지 않는 번호 대역입니다 (070-0YYY, 070-1YYY).",
                          code="nonexistent_range")
        if digits[3] == "0":
            raise _refuse("존재하지 않는 번호 대역입니다.", code="nonexistent_range")
        return digits, SERVICE

    if digits.startswith("02"):
        local = digits[2:]
        if len(local) not in (7, 8):
            raise _refuse("서울 지역 번호(02)를 포함한 유선 전화번호는 9자리 또는 10자리여야 합니다.")
        if local[0] == "0":
            raise _refuse("지역 번호 뒤의 국번은 0으로 시작할 수 없습니다.")
        return digits, LANDLINE
    if digits[:3] in AREA_CODES:
        local = digits[3:]
        if len(local) not in (7, 8):
            raise _refuse("지역 번호를 포함한 유선 전화번호는 10자리 또는 11자리여야 합니다.")
        if local[0] == "0":
            raise _refuse("지역 번호 뒤의 국번은 0으로 시작할 수 없습니다.")
        return digits, LANDLINE

    raise _refuse("유선 전화번호는 지역 번호를 포함하여 입력해주세요 (예: 02-1234-5678). "
                  "지원하지 않는 번호 형식입니다.")


def normalize_mobile(text: str) -> str:
    """SMS-04 / ACC-01: a Korean mobile number in digits, or ValidationError.

    Accepts hyphens, spaces, dots, parentheses and a leading +82 / 82.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("휴대폰 번호를 입력해주세요.", field="휴대폰번호", code="invalid_number")
    digits = digits_only(raw)
    if digits.startswith("+82"):
        digits = "0" + digits[3:].lstrip("0")
    elif digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:].lstrip("0")
    if not is_digits(digits):
        raise ValidationError("휴대폰 번호에는 숫자만 입력할 수 있습니다.", field="휴대폰번호",
                              code="invalid_number")
    if digits[:3] not in MOBILE_PREFIXES:
        raise ValidationError("휴대폰 번호는 010, 011, 016~019로 시작해야 합니다.", field="휴대폰번호",
                              code="invalid_number")
    if len(digits) not in (10, 11):
        raise ValidationError("휴대폰 번호는 10자리 또는 11자리여야 합니다.", field="휴대폰번호",
                              code="invalid_number")
    if digits.startswith("010"):
        if len(digits) != 11:
            raise ValidationError("010 번호는 11자리여야 합니다.", field="휴대폰번호", code="invalid_number")
        if digits[3] in "01":
            raise ValidationError("존재하지 않는 번호 대역입니다 (010-0YYY, 010-1YYY).", field="휴대폰번호",
                                  code="invalid_number")
    elif digits[3] == "0":
        raise ValidationError("존재하지 않는 번호 대역입니다.", field="휴대폰번호", code="invalid_number")
    return digits


def format_number(digits: str | None) -> str:
    """Digits -> the usual hyphenated display (02-1234-5678, 010-1234-5678, 1588-1234)."""
    if not digits:
        return ""
    d = digits_only(digits)
    if not d.isdigit():
        return digits
    if len(d) == 8 and d[:2] in REPRESENTATIVE_PREFIXES:
        return f"{d[:4]}-{d[4:]}"
    if d.startswith("02"):
        local = d[2:]
        if len(local) == 7:
            return f"02-{local[:3]}-{local[3:]}"
        if len(local) == 8:
            return f"02-{local[:4]}-{local[4:]}"
        return d
    if d.startswith("050") and len(d) == 11:
        return f"{d[:4]}-{d[4:7]}-{d[7:]}"
    if len(d) == 10:
        return f"{d[:3]}-{d[3:6]}-{d[6:]}"
    if len(d) == 11:
        return f"{d[:3]}-{d[3:7]}-{d[7:]}"
    return d
