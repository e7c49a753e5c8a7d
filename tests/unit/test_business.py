"""사업자 등록 정보 (app/domain/business.py), as 기업전환 (ACC-05) and 기업정보 변경 (ACC-12)
check it: the six fields, the certificate, and that a change changes something."""
from __future__ import annotations

import io

import pytest

from app.domain import business
from app.errors import ValidationError

FORM = {"brn": "214-87-12348", "company_name": " 주식회사   우정 ", "representative": "우정민",
        "business_address": "서울특별시 강남구 테헤란로 123", "business_type": "서비스", "business_item": "소프트웨어"}


def png() -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_six_fields_as_stored():
    assert business.check_registration(FORM) == {
        "brn": "2148712348", "company_name": "주식회사 우정", "representative": "우정민",
        "business_address": "서울특별시 강남구 테헤란로 123", "business_type": "서비스", "business_item": "소프트웨어"}
    assert business.REGISTRATION_NAMES == ("brn", "company_name", "representative", "business_address",
                                           "business_type", "business_item")


@pytest.mark.parametrize("changes,field,message", [
    ({"brn": "214-87-12340"}, "사업자등록번호", "사업자등록번호가 올바르지 않습니다 (검증번호 불일치)."),
    ({"brn": "214-87-123"}, "사업자등록번호", "사업자등록번호는 숫자 10자리입니다 (예: 123-45-67890)."),
    ({"brn": None}, "사업자등록번호", "사업자등록번호를 입력해주세요."),
    ({"company_name": ""}, "상호", "상호를 입력해주세요."),
    ({"company_name": "가" * 101}, "상호", "상호는 100자 이하로 입력해주세요."),
    ({"representative": "   "}, "대표자", "대표자를 입력해주세요."),
    ({"representative": "가" * 51}, "대표자", "대표자는 50자 이하로 입력해주세요."),
    ({"business_address": ""}, "사업장주소", "사업장주소를 입력해주세요."),
    ({"business_type": ["서비스"]}, "업태", "업태는 문자열이어야 합니다."),
    ({"business_item": "소프트웨어\x00"}, "종목", "종목에 입력할 수 없는 제어 문자가 있습니다."),
])
def test_a_wrong_field_is_refused_by_name(changes, field, message):
    with pytest.raises(ValidationError) as refused:
        business.check_registration({**FORM, **changes})
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize("filename,data,code", [
    ("", b"", "required"),
    ("a.png", b"", "invalid_file"),
    ("a.exe", b"MZ" + b"\x00" * 50, "invalid_file_type"),
    ("a.pdf", png(), "invalid_file_type"),
])
def test_the_certificate_is_required_and_checked_by_content(filename, data, code):
    with pytest.raises(ValidationError) as refused:
        business.check_certificate(filename, data)
    assert (refused.value.field, refused.value.code) == ("사업자등록증", code)
    assert business.check_certificate("사업자등록증.PNG", png()).content_type == "image/png"


def test_a_change_must_change_something():
    current = business.check_registration(FORM)
    with pytest.raises(ValidationError) as refused:
        business.check_change(current, dict(current))
    assert (refused.value.field, refused.value.code) == ("사업자 등록 정보", "unchanged")
    assert business.check_change(current, {**current, "business_item": "정보통신"}) == ["business_item"]
    # an account converted before every field was kept: a missing value counts as empty
    assert business.changed_fields({"brn": "2148712348"}, current) == list(business.REGISTRATION_NAMES[1:])
