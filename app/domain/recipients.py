"""Recipients (SMS-04): typed, pasted, from the address book or a file. Each entry is
normalised; invalid numbers are reported with their row and reason and left out;
repeated numbers are kept once and counted."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from app.domain.korean import josa
from app.domain.numbers import normalize_mobile
from app.errors import ValidationError

_SPLIT = re.compile(r"[,;/|\r\n]+")           # between numbers; spaces may also be inside one
_ONE_NUMBER = re.compile(r"^\+?[\d\-().]+$", re.ASCII)
_PLAIN_MOBILE = re.compile(r"^01[016789]\d{7,8}$", re.ASCII)
MAX_VAR_LENGTH = 200


@dataclass(frozen=True)
class Recipient:
    phone: str
    name: str | None = None
    vars: dict = field(default_factory=dict)   # {"1": "...", ..., "4": "..."}
    row: int = 0

    def values(self) -> dict[str, str]:
        """Variable values for rendering: #[이름] and #[1]..#[4]."""
        values = {k: v for k, v in self.vars.items() if v not in (None, "")}
        if self.name:
            values["이름"] = self.name
        return values


@dataclass(frozen=True)
class Rejected:
    row: int
    phone: str
    reason: str

    def to_dict(self) -> dict:
        return {"index": self.row, "phone": self.phone, "reason": self.reason}


@dataclass
class RecipientList:
    recipients: list[Recipient]
    rejected: list[Rejected]
    duplicates: int


def split_typed(text: str) -> list[str]:
    """Numbers typed or pasted with any separators (spaces, commas, new lines...).
    Hyphens stay: they are part of a number, and so do spaces inside one number
    ("010 2345 6789", "+82 10 2345 6789"): a piece between other separators whose
    words make 10 to 12 digits together is one number."""
    parts: list[str] = []
    for piece in _SPLIT.split(text or ""):
        words = piece.split()
        joined = "".join(words)
        if len(words) > 1 and _ONE_NUMBER.match(joined) and 10 <= sum(ch.isdigit() for ch in joined) <= 12:
            parts.append(joined)
        else:
            parts.extend(words)
    return parts


def _normalize(phone: str) -> str:
    if _PLAIN_MOBILE.match(phone) and not (phone.startswith("010") and (len(phone) != 11 or phone[3] in "01")) \
            and not (not phone.startswith("010") and phone[3] == "0"):
        return phone
    return normalize_mobile(phone)


def _lost_zero(raw: str) -> str | None:
    """A mobile number whose leading 0 a spreadsheet dropped (1012345678): refused, and
    said so, rather than guessed."""
    if raw.isdigit() and raw.startswith("1") and len(raw) in (9, 10):
        try:
            normalize_mobile("0" + raw)
        except ValidationError:
            return None
        return (f"앞자리 0이 빠진 번호입니다 (엑셀에서 숫자 서식으로 저장하면 0이 사라집니다). 0{josa(raw, '이/가')} 맞다면 "
                "셀 서식을 텍스트로 바꾸거나 010-1234-5678 형식으로 입력해주세요.")
    return None


def clean(entries: Iterable[Recipient], *, limit: int, by_number: bool = True) -> RecipientList:
    """Valid recipients in order, invalid ones reported with their row and reason. A
    repeated number is kept once (`by_number`); a Kakao send keeps each number once per
    rendered message instead (KAT-07b) and deduplicates itself."""
    seen: set[str] = set()
    recipients: list[Recipient] = []
    rejected: list[Rejected] = []
    duplicates = 0
    for entry in entries:
        raw = str(entry.phone if entry.phone is not None else "").strip()
        if raw.endswith(".0") and raw[:-2].isdigit():      # numbers read from spreadsheets
            raw = raw[:-2]
        try:
            phone = _normalize(raw)
        except ValidationError as error:
            rejected.append(Rejected(entry.row, raw, _lost_zero(raw) or error.message))
            continue
        if by_number and phone in seen:
            duplicates += 1
            continue
        for key, value in entry.vars.items():
            if value is not None and len(str(value)) > MAX_VAR_LENGTH:
                rejected.append(Rejected(entry.row, raw, f"변수{key} 값은 {MAX_VAR_LENGTH}자 이하여야 합니다."))
                break
        else:
            seen.add(phone)
            recipients.append(Recipient(phone, entry.name, entry.vars, entry.row))
    if len(recipients) > limit:
        raise ValidationError(f"수신자는 한 번에 최대 {limit:,}명까지 보낼 수 있습니다 (현재 {len(recipients):,}명).",
                              field="수신자", code="too_many_recipients")
    return RecipientList(recipients, rejected, duplicates)
