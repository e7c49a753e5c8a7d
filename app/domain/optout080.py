"""무료거부 080 numbers (03-senders.md SND-09, 04-sms.md SMS-06). Pure rules.

Most customers put the service's shared 080 number in their ads, with a six-digit code of
their own (`무료거부 080-123-1234 인증코드 123456`), so that an opt-out call names the
account; a customer may instead use an own 080 number, approved by document review. Here:
the code's shape and how a fresh one is drawn, which 080 number an ad may name, the footer
a recipient reads back, and how an opt-out call (number called, code entered, caller's
number) names its account — or why it names none."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from app.domain.korean import josa
from app.domain.numbers import digits_only, format_number, is_digits, normalize_mobile
from app.domain.sms import optout_number
from app.errors import ValidationError

CODE_LENGTH = 6
CODE_LOW, CODE_HIGH = 100_000, 999_999   # no leading zero: a spreadsheet or a phone pad keeps all six digits
NUMBER_FIELD = "080 번호"
CODE_FIELD = "인증코드"
CALLER_FIELD = "전화한 번호"


def check_code(value, field_name: str = CODE_FIELD) -> str:
    """Six digits, or a refusal naming the field."""
    text = str(value or "").strip()
    if not text:
        raise ValidationError(f"{josa(field_name, '을/를')} 입력해주세요.", field=field_name, code="required")
    if not (is_digits(text) and len(text) == CODE_LENGTH):
        raise ValidationError(f"{josa(field_name, '은/는')} 숫자 {CODE_LENGTH}자리입니다.", field=field_name,
                              code="invalid_code")
    return text


def is_code(value) -> bool:
    text = str(value or "")
    return is_digits(text) and len(text) == CODE_LENGTH


def new_code(draw: Callable[[], int], taken: Callable[[str], bool], *, attempts: int = 100) -> str:
    """A code no account has: `draw()` gives a number in CODE_LOW..CODE_HIGH (a secure
    random source), `taken(code)` says whether an account has it already."""
    for _ in range(attempts):
        number = draw()
        if not CODE_LOW <= number <= CODE_HIGH:
            raise ValueError(f"code out of range: {number}")
        code = f"{number:06d}"
        if not taken(code):
            return code
    raise RuntimeError("no free 080 opt-out code found")    # 900,000 codes: only when nearly all are used


def check_080(value, field_name: str = NUMBER_FIELD) -> str:
    """A required 080 number (080 and 10–11 digits), as digits."""
    digits = digits_only(str(value or "").strip())
    if not digits:
        raise ValidationError(f"{josa(field_name, '을/를')} 입력해주세요.", field=field_name, code="required")
    if not (is_digits(digits) and digits.startswith("080") and len(digits) in (10, 11)):
        raise ValidationError(f"{josa(field_name, '은/는')} 080으로 시작하는 10~11자리 번호여야 합니다.",
                              field=field_name, code="invalid_optout")
    return digits


# --- which 080 number an ad may name (SND-09) -------------------------------------------------------------

@dataclass(frozen=True)
class OptoutChoices:
    """The 080 numbers an account may put in an ad: the service's shared one (with the
    account's code) and the account's approved own ones; `default` is the 마이페이지
    choice (None: the shared one)."""
    shared: str
    code: str
    own: frozenset[str] = field(default_factory=frozenset)
    default: str | None = None

    @property
    def allowed(self) -> list[str]:
        return [self.shared, *sorted(self.own - {self.shared})]

    @property
    def preferred(self) -> str:
        """What an ad names when nothing is typed."""
        return self.default if self.default in self.own else self.shared

    def code_for(self, number: str) -> str | None:
        return self.code if number == self.shared else None

    def choose(self, typed) -> tuple[str, str | None]:
        """(080 digits, code or None) for an ad; blank is the account's default, else the
        shared number. Any other 080 number is refused, naming the field."""
        digits = optout_number(typed)            # 080 and 10–11 digits, else invalid_optout
        if not digits:
            if self.default and self.default != self.shared and self.default not in self.own:
                raise ValidationError(
                    f"마이페이지의 기본 무료거부 번호 {josa(format_number(self.default), '은/는')} 승인된 080 번호가 아니어서 "
                    f"사용할 수 없습니다. 서비스 공용 번호 {format_number(self.shared)}(인증코드 {self.code})를 쓰거나 "
                    "마이페이지에서 기본 번호를 바꿔주세요.", field="무료거부 번호", code="optout_not_allowed")
            digits = self.preferred
        if digits == self.shared or digits in self.own:
            return digits, self.code_for(digits)
        raise ValidationError(
            f"무료거부 번호 {josa(format_number(digits), '은/는')} 사용할 수 없습니다. 서비스 공용 번호 "
            f"{format_number(self.shared)}(인증코드 {self.code}) 또는 발신정보관리에서 승인된 자체 080 번호만 "
            "광고 문자에 넣을 수 있습니다.", field="무료거부 번호", code="optout_not_allowed")

    def check_default(self, typed) -> str | None:
        """The 마이페이지 default: blank (the shared number), the shared one or an approved own one."""
        digits = optout_number(typed)
        if digits is None or digits == self.shared:
            return None          # the shared number is the default already (and stays so if it changes)
        if digits not in self.own:
            raise ValidationError(
                f"무료거부 번호 {josa(format_number(digits), '은/는')} 승인된 080 번호가 아닙니다. 비워두면 서비스 공용 번호 "
                f"{format_number(self.shared)}(인증코드 {self.code})가 쓰이며, 자체 080 번호는 발신정보관리에서 "
                "등록할 수 있습니다.", field="무료거부 번호", code="optout_not_allowed")
        return digits


# --- the footer a recipient reads, read back (the sandbox plays the recipient) ------------------------------

_FOOTER = re.compile(r"\n무료거부 (080[\d-]{7,12})(?: 인증코드 (\d{6}))?\s*\Z")


def parse_footer(text: str | None) -> tuple[str, str | None] | None:
    """(080 digits, code or None) from an ad's last line, None when the text has none."""
    found = _FOOTER.search(text or "")
    if not found:
        return None
    return digits_only(found.group(1)), found.group(2)


# --- opt-out calls (SND-09): number called, code entered, caller's number ---------------------------------

OUTCOMES = {"added": "수신거부 등록", "already": "이미 수신거부됨", "unknown_code": "알 수 없는 인증코드",
            "unknown_number": "알 수 없는 080 번호", "missing_code": "인증코드 없음", "invalid": "형식 오류"}
RESOLVED = ("added", "already")


@dataclass(frozen=True)
class Call:
    called: str            # 080 digits
    code: str | None       # six digits, or None (an own number needs none)
    caller: str            # mobile digits


def read_call(called, code, caller) -> Call:
    """A call typed by an operator: every part checked, the field named."""
    number = check_080(called)
    entered = str(code or "").strip()
    entered = check_code(entered) if entered else None
    try:
        phone = normalize_mobile(str(caller or ""))
    except ValidationError as error:
        raise ValidationError(f"{CALLER_FIELD}: {error.message}", field=CALLER_FIELD, code=error.code) from None
    return Call(number, entered, phone)


def parse_reported(called, code, caller) -> Call | None:
    """A call as the 080 provider reports it, None when a part is malformed (the report is
    then kept as `invalid`, never applied)."""
    try:
        return read_call(called, code, caller)
    except ValidationError:
        return None


def resolve(call: Call, *, shared: str, code_owner: int | None, number_owner: int | None
            ) -> tuple[int | None, str | None]:
    """(account id, None) or (None, why not). A call to the shared number names its account
    by the code; a call to an own number by the number (a code entered there is not needed)."""
    if call.called == shared:
        if call.code is None:
            return None, "missing_code"
        return (code_owner, None) if code_owner is not None else (None, "unknown_code")
    return (number_owner, None) if number_owner is not None else (None, "unknown_number")


def refusal(outcome: str, call: Call) -> ValidationError:
    """What an operator is told when a typed call names no account."""
    if outcome == "missing_code":
        return ValidationError(f"공용 번호 {josa(format_number(call.called), '으로/로')} 온 전화에는 인증코드가 필요합니다.",
                               field=CODE_FIELD, code="required")
    if outcome == "unknown_code":
        return ValidationError(f"인증코드 {josa(call.code, '은/는')} 어느 계정의 코드도 아닙니다. 다시 확인해주세요.",
                               field=CODE_FIELD, code="unknown_code")
    return ValidationError(f"{josa(format_number(call.called), '은/는')} 공용 번호도, 승인된 고객의 080 번호도 아닙니다.",
                           field=NUMBER_FIELD, code="unknown_number")
