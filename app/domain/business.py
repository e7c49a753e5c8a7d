"""사업자 등록 정보: the six fields of a business registration certificate (사업자등록증) and
the certificate itself, checked alike wherever they are typed — 기업전환 (ACC-05) and
기업정보 변경 (ACC-12)."""
from __future__ import annotations

from collections.abc import Mapping

from app.domain import text as rules
from app.domain.brn import validate_brn
from app.domain.files import CheckedFile, check_document
from app.errors import ValidationError

#: (column of the account and of a request, label, longest value), in the certificate's order
REGISTRATION_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("brn", "사업자등록번호", 10),
    ("company_name", "상호", 100),
    ("representative", "대표자", 50),
    ("business_address", "사업장주소", 200),
    ("business_type", "업태", 100),
    ("business_item", "종목", 100),
)
REGISTRATION_NAMES = tuple(name for name, _label, _max in REGISTRATION_FIELDS)
REGISTRATION_LABELS = {name: label for name, label, _max in REGISTRATION_FIELDS}
REGISTRATION_GROUP = "사업자 등록 정보"
CERTIFICATE_LABEL = "사업자등록증"


def check_registration(form: Mapping) -> dict[str, str]:
    """The six values as stored (the BRN as its 10 digits), or the refusal naming the first
    field that is wrong."""
    values = {"brn": validate_brn(form.get("brn"))}
    for name, label, max_length in REGISTRATION_FIELDS[1:]:
        values[name] = rules.required(form.get(name), label, max_length=max_length)
    return values


def check_certificate(filename: str, data: bytes) -> CheckedFile:
    """The certificate's scan: required, then the document rules (jpg/jpeg/png/pdf by
    content, at most 10 MB)."""
    if not data and not filename:
        raise ValidationError("사업자등록증 사본을 첨부해주세요.", field=CERTIFICATE_LABEL, code="required")
    return check_document(filename, data, field=CERTIFICATE_LABEL)


def changed_fields(current: Mapping, requested: Mapping) -> list[str]:
    """The names of the fields whose requested value differs from the current one."""
    return [name for name in REGISTRATION_NAMES if (current.get(name) or "") != (requested.get(name) or "")]


def check_change(current: Mapping, requested: Mapping) -> list[str]:
    """A change request must change something: the changed fields' names, or the refusal."""
    changed = changed_fields(current, requested)
    if not changed:
        raise ValidationError("지금 사업자 등록 정보와 같습니다. 바뀐 내용을 입력하고 새 사업자등록증을 첨부해주세요.",
                              field=REGISTRATION_GROUP, code="unchanged")
    return changed
