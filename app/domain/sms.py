"""SMS/LMS/MMS text rules (04-sms.md): byte counting as the Korean carriers do
(SMS-01), the automatic type (SMS-02), variables (SMS-05), advertising wording and
the KST night window (SMS-06), the schedule window (SMS-07). Pure functions.

The browser's live counter implements `byte_length` too; both are tested against
app/domain/data/byte_cases.json."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app import clock
from app.domain.numbers import digits_only, format_number, is_digits
from app.errors import ValidationError

SMS_LIMIT = 90
LONG_LIMIT = 2000
TITLE_LIMIT = 30
MAX_RECIPIENTS = 100_000

SMS, LMS, MMS = "SMS", "LMS", "MMS"


def normalize_text(text: str | None) -> str:
    """Line breaks count as one byte: CRLF and lone CR become LF."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def byte_length(text: str) -> int:
    """Bytes of `text` as CP949: ASCII 1, every other (encodable) character 2.
    Call `normalize_text` first; unsupported characters are found separately."""
    if text.isascii():
        return len(text)
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls but tab and line feed, and DEL


def unsupported_characters(text: str) -> list[tuple[int, str]]:
    """(1-based position, character) of every character a message cannot carry: those
    CP949 cannot encode, and control characters (but tab and line feed)."""
    if text.isascii():
        if not _CONTROL.search(text):
            return []
    else:
        try:
            text.encode("cp949")
            if not _CONTROL.search(text):
                return []
        except UnicodeEncodeError:
            pass
    found = []
    for position, char in enumerate(text, start=1):
        if char.isascii():
            if _CONTROL.match(char):
                found.append((position, char))
            continue
        try:
            char.encode("cp949")
        except UnicodeEncodeError:
            found.append((position, char))
    return found


def describe_char(char: str) -> str:
    if char == "\u00a0":
        return "공백(NBSP)"
    if char.isprintable():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


def check_characters(text: str, field: str) -> None:
    bad = unsupported_characters(text)
    if bad:
        shown = ", ".join(f"{pos}번째 {describe_char(ch)}" for pos, ch in bad[:5])
        more = f" 외 {len(bad) - 5}개" if len(bad) > 5 else ""
        raise ValidationError(f"{field}에 문자 메시지로 보낼 수 없는 문자가 있습니다: {shown}{more}. "
                              "이모지나 일부 특수문자는 사용할 수 없습니다.", field=field, code="unsupported_character",
                              details=[{"position": pos, "char": ch} for pos, ch in bad])


def message_type(longest_body_bytes: int, has_image: bool) -> str:
    if has_image:
        return MMS
    return SMS if longest_body_bytes <= SMS_LIMIT else LMS


def limit_of(msg_type: str) -> int:
    return SMS_LIMIT if msg_type == SMS else LONG_LIMIT


# --- variables (SMS-05) -------------------------------------------------------------------------------

VARIABLE_RE = re.compile(r"#\[(이름|[1-4])\]")
VARIABLE_KEYS = ("이름", "1", "2", "3", "4")


def variables_in(*texts: str) -> set[str]:
    return {m.group(1) for text in texts if text for m in VARIABLE_RE.finditer(text)}


def render(text: str, values: dict[str, str]) -> str:
    if not text or "#[" not in text:
        return text or ""
    return VARIABLE_RE.sub(lambda m: str(values.get(m.group(1), "")), text)


# --- advertising (SMS-06) -----------------------------------------------------------------------------

AD_PREFIX = "(광고)"
NIGHT_START_HOUR, NIGHT_END_HOUR = 21, 8


def optout_footer(optout: str, code: str | None = None) -> str:
    """The free opt-out line (SMS-06): `무료거부 080-123-1234`, and on the service's shared
    080 number the account's code (SND-09): `무료거부 080-123-1234 인증코드 123456`."""
    line = f"무료거부 {format_number(optout)}"
    return f"{line} 인증코드 {code}" if code else line


@dataclass(frozen=True)
class AdSettings:
    company: str
    optout: str  # 080 number, digits
    code: str | None = None   # the account's 인증코드 when `optout` is the shared number (SND-09)

    def wrap(self, body: str) -> str:
        return f"{AD_PREFIX}{self.company}\n{body}\n{optout_footer(self.optout, self.code)}"


def ad_company(company: str | None) -> str:
    """The company or service name an ad names (SMS-06), spaces folded."""
    company = " ".join((company or "").split())
    if not company:
        raise ValidationError("광고 문자에는 업체명 또는 서비스명을 입력해야 합니다.", field="광고 업체명",
                              code="ad_company_required")
    if len(company) > 30:
        raise ValidationError("업체명 또는 서비스명은 30자 이하로 입력해주세요.", field="광고 업체명",
                              code="too_long")
    check_characters(company, "광고 업체명")
    return company


def ad_settings(company: str | None, optout: str | None, code: str | None = None) -> AdSettings:
    company = ad_company(company)
    digits = optout_number(optout)
    if not digits:
        raise ValidationError("광고 문자에는 무료거부 080 번호가 필요합니다 (마이페이지에서 기본값을 정할 수 있습니다).",
                              field="무료거부 번호", code="optout_required")
    return AdSettings(company, digits, code)


def optout_number(value) -> str | None:
    """An ad's free opt-out number (SMS-06) as digits, None when blank: 080 and 10–11 digits."""
    digits = digits_only(str(value or ""))
    if not digits:
        return None
    if not (is_digits(digits) and digits.startswith("080") and len(digits) in (10, 11)):
        raise ValidationError("무료거부 번호는 080으로 시작하는 10~11자리 번호여야 합니다.", field="무료거부 번호",
                              code="invalid_optout")
    return digits


def in_night_window(moment_utc: dt.datetime) -> bool:
    """21:00–08:00 KST (SMS-06)."""
    hour = clock.to_kst(moment_utc).hour
    return hour >= NIGHT_START_HOUR or hour < NIGHT_END_HOUR


def check_ad_time(*, scheduled_at: dt.datetime | None, now: dt.datetime) -> None:
    moment = scheduled_at or now
    if in_night_window(moment):
        raise ValidationError("심야(21시~08시)에는 광고문자 발송이 불가합니다." +
                              (" 예약 시간을 08시~21시로 설정해주세요." if scheduled_at else ""),
                              field="예약시간" if scheduled_at else "광고", code="night_ad_blocked")


# --- schedule (SMS-07) -----------------------------------------------------------------------------------

SCHEDULE_MIN = dt.timedelta(minutes=10)
SCHEDULE_MAX = dt.timedelta(days=30)


def check_schedule(scheduled_at: dt.datetime, now: dt.datetime) -> None:
    if scheduled_at < now + SCHEDULE_MIN or scheduled_at > now + SCHEDULE_MAX:
        raise ValidationError("예약 발송 일시는 현재를 기준으로 10분후부터 최대 30일 이후까지 설정할 수 있습니다.",
                              field="예약시간", code="schedule_out_of_range")


# --- title ------------------------------------------------------------------------------------------------

def clean_title(title: str | None, msg_type: str) -> str | None:
    """SMS drops the title ("SMS 발송 시, 제목이 포함되지 않습니다"); LMS/MMS allow 30 bytes."""
    title = normalize_text(title).strip()
    if not title or msg_type == SMS:
        return None
    if "\n" in title:
        raise ValidationError("제목에는 줄바꿈을 넣을 수 없습니다.", field="제목", code="invalid_title")
    check_characters(title, "제목")
    if byte_length(title) > TITLE_LIMIT:
        raise ValidationError(f"제목은 {TITLE_LIMIT} byte 이하로 입력해주세요 (현재 {byte_length(title)} byte).",
                              field="제목", code="byte_limit")
    return title
