"""Small input rules shared by forms and the API."""
from __future__ import annotations

import re

from app.domain.korean import josa
from app.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_controls(text: str, field: str) -> str:
    if _CONTROL.search(text):
        raise ValidationError(f"{field}에 입력할 수 없는 제어 문자가 있습니다.", field=field, code="invalid_character")
    return text


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _scalar(value, field: str):
    """Text a person typed: a string (or a whole number a JSON client sent); a list, an
    object or a boolean where text belongs is refused, never stringified."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise ValidationError(f"{josa(field, '은/는')} 문자열이어야 합니다.", field=field, code="invalid_type")
    return value


def required(value, field: str, *, max_length: int, min_length: int = 1) -> str:
    value = _scalar(value, field)
    text = " ".join(str(value or "").split()) if "\n" not in str(value or "") else str(value).strip()
    if len(text) < min_length:
        raise ValidationError(f"{josa(field, '을/를')} 입력해주세요.", field=field, code="required")
    if len(text) > max_length:
        raise ValidationError(f"{josa(field, '은/는')} {max_length}자 이하로 입력해주세요.", field=field,
                              code="too_long")
    return _no_controls(text, field)


def optional(value, field: str, *, max_length: int) -> str | None:
    value = _scalar(value, field)
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > max_length:
        raise ValidationError(f"{josa(field, '은/는')} {max_length}자 이하로 입력해주세요.", field=field,
                              code="too_long")
    return _no_controls(text, field)


def email(value, field: str = "이메일") -> str:
    value = _scalar(value, field)
    text = str(value or "").strip()
    if not text:
        raise ValidationError(f"{josa(field, '을/를')} 입력해주세요.", field=field, code="required")
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError("올바른 이메일 주소를 입력해주세요.", field=field, code="invalid_email")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def positive_int(value, field: str, *, minimum: int = 0, maximum: int = 2_000_000_000) -> int:
    """An integer typed by a person: digits (commas allowed), within bounds."""
    if isinstance(value, bool):
        raise ValidationError(f"{josa(field, '은/는')} 정수로 입력해주세요.", field=field, code="invalid_number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip().replace(",", "")
        if not text:
            raise ValidationError(f"{josa(field, '을/를')} 입력해주세요.", field=field, code="required")
        if not re.fullmatch(r"-?[0-9]+", text):
            raise ValidationError(f"{josa(field, '은/는')} 정수로 입력해주세요.", field=field, code="invalid_number")
        if len(text) > 12:
            raise ValidationError(f"{field} 값이 너무 큽니다.", field=field, code="out_of_range")
        number = int(text)
    if number < minimum:
        raise ValidationError(f"{josa(field, '은/는')} {minimum:,} 이상이어야 합니다.", field=field, code="out_of_range")
    if number > maximum:
        raise ValidationError(f"{josa(field, '은/는')} {maximum:,} 이하여야 합니다.", field=field, code="out_of_range")
    return number
