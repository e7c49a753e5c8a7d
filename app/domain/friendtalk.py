"""친구톡 as Brand Message (06-kakao.md KFT-01..04), pure: the content a customer types or
saves (text, an optional image, WIDE, buttons) checked rule by rule, the sending hours,
and the default of its advertising fallback.

Kakao ended FriendTalk on 2025-12-31; the manual's 친구톡 screens now send a Brand Message:
친구톡 텍스트 = TEXT, 친구톡 포토 = IMAGE, and WIDE (a wide image, ≤ 76 characters, ≤ 2
buttons) billed and counted as 친구톡 포토. Variables are the SMS ones (`#[이름]`,
`#[1]`…`#[4]`, 04-sms.md SMS-05). Every refusal names its field, and an image refusal
names the rule it broke (code `image_rule`, `details.rule`: type, size, width, ratio)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app import clock
from app.domain import alimtalk, images, sms
from app.domain.korean import N_
from app.errors import ValidationError

TEXT, IMAGE = "FRIENDTALK_TEXT", "FRIENDTALK_IMAGE"
MAX_CONTENT = 1300
MAX_LINE_BREAKS = 99
MAX_WIDE_CONTENT = 76
MAX_BUTTONS, MAX_WIDE_BUTTONS = 5, 2
#: KAT-02's button types without 채널 추가 (Kakao adds the channel's own opt-out block)
BUTTON_TYPES = {k: v for k, v in alimtalk.BUTTON_TYPES.items() if k != "AC"}

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MIN_IMAGE_WIDTH = 500
#: height ÷ width of an IMAGE (친구톡 포토) and of a WIDE image (2:1 to 1:1)
IMAGE_RATIO = (0.5, 4 / 3)
WIDE_RATIO = (0.5, 1.0)

#: Brand Message may be sent 08:00–20:50 KST (KFT-03): from 08:00:00 up to, not including, 20:50:00
HOURS_START, HOURS_END = dt.time(8, 0), dt.time(20, 50)
HOURS_LABEL = "08:00~20:50"

TARGETING = {"I": N_("채널 친구에게만"), "M": N_("마케팅 수신 동의자 (친구 아님 포함)"),
             "N": N_("마케팅 수신 동의자 중 친구 아닌 사용자")}
DEFAULT_TARGETING = "I"

IMAGE_RULES = {"type": N_("jpg 또는 png 파일"), "size": N_("5MB 이하"), "width": N_("가로 500px 이상"),
               "ratio": N_("세로÷가로 비율 0.5~1.333"), "wide_ratio": N_("와이드형은 가로:세로 2:1~1:1")}


@dataclass(frozen=True)
class Image:
    data: bytes
    format: str            # jpeg | png
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else "png"

    @property
    def mime(self) -> str:
        return f"image/{self.format}"

    def meets_mms(self) -> bool:
        """Whether the image could also go by MMS (SMS-14: jpg, ≤ 300 KB, ≤ 1500×1500 px):
        then the fallback is MMS with it (KFT-04)."""
        try:
            images.check_mms_image(self.data)
        except ValidationError:
            return False
        return True


@dataclass(frozen=True)
class Content:
    """A Brand Message as it goes (or as a 친구톡 template keeps it), variables unrendered."""
    text: str
    buttons: tuple[alimtalk.Button, ...] = ()
    image: Image | None = None
    wide: bool = False

    @property
    def msg_type(self) -> str:
        return IMAGE if self.image is not None else TEXT

    @property
    def limit(self) -> int:
        return MAX_WIDE_CONTENT if self.wide else MAX_CONTENT

    @property
    def variables(self) -> set[str]:
        return sms.variables_in(self.text, *(u for b in self.buttons for u in (b.url_mobile, b.url_pc) if u))


def _refuse_image(rule: str, message: str, field: str) -> ValidationError:
    return ValidationError(message, field=field, code="image_rule", details={"rule": rule})


def check_image(data: bytes | None, *, wide: bool = False, field: str = "이미지") -> Image:
    """친구톡 포토's image (KFT-01): jpg or png by content, ≤ 5 MB, at least 500 px wide,
    height ÷ width 0.5–1.333; a WIDE image 2:1 to 1:1 (height ÷ width 0.5–1)."""
    if not data:
        raise _refuse_image("type", "이미지 파일을 첨부해주세요.", field)
    if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        raise _refuse_image("type", "친구톡 이미지는 jpg 또는 png 파일만 첨부할 수 있습니다 (파일 내용 기준).", field)
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse_image("size", f"친구톡 이미지는 5MB 이하만 첨부할 수 있습니다 (현재 {len(data) / 1024 / 1024:.1f}MB).",
                            field)
    read = images.read_image(data, ("JPEG", "PNG"))
    if read is None:
        raise _refuse_image("type", "손상된 이미지 파일입니다. jpg 또는 png 파일을 다시 첨부해주세요.", field)
    kind, width, height = read
    if width < MIN_IMAGE_WIDTH:
        raise _refuse_image("width", f"친구톡 이미지는 가로 {MIN_IMAGE_WIDTH}px 이상이어야 합니다 (현재 {width}px).", field)
    ratio = height / width
    low, high = WIDE_RATIO if wide else IMAGE_RATIO
    if not low <= ratio <= high + 1e-9:
        if wide:
            raise _refuse_image("wide_ratio", f"와이드형 이미지는 가로:세로 2:1에서 1:1 사이여야 합니다 "
                                              f"(현재 {width}×{height}px).", field)
        raise _refuse_image("ratio", f"친구톡 이미지의 세로÷가로 비율은 0.5~1.333이어야 합니다 (현재 {width}×{height}px, "
                                     f"{ratio:.3f}). 가로 2:1부터 세로 3:4까지 첨부할 수 있습니다.", field)
    return Image(data, kind.lower(), width, height)


def check_text(text: str | None, *, wide: bool = False, field: str = "내용") -> str:
    """The typed content (KFT-01): required, ≤ 1,300 characters (WIDE ≤ 76) and ≤ 99 line
    breaks, no control characters; `#[…]` variables as in SMS."""
    text = sms.normalize_text(text).strip()
    if not text:
        raise ValidationError("내용을 입력해주세요.", field=field, code="required")
    if any(ord(ch) < 32 and ch not in "\n\t" or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise ValidationError("내용에 입력할 수 없는 문자가 있습니다.", field=field, code="invalid_character")
    limit = MAX_WIDE_CONTENT if wide else MAX_CONTENT
    if len(text) > limit:
        raise ValidationError(("와이드형 친구톡의 내용은" if wide else "내용은") + f" {limit:,}자 이하로 입력해주세요 "
                              f"(현재 {len(text):,}자).", field=field, code="too_long")
    breaks = text.count("\n")
    if breaks > MAX_LINE_BREAKS:
        raise ValidationError(f"줄바꿈은 최대 {MAX_LINE_BREAKS}개까지 쓸 수 있습니다 (현재 {breaks}개).", field=field,
                              code="too_many_lines")
    return text


def check_buttons(raw, *, wide: bool = False, field: str = "buttons") -> tuple[alimtalk.Button, ...]:
    """Up to 5 buttons (WIDE: 2) of KAT-02's types without 채널 추가 (AC)."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise ValidationError("버튼은 배열이어야 합니다.", field=field, code="invalid_type")
    limit = MAX_WIDE_BUTTONS if wide else MAX_BUTTONS
    if len(raw) > limit:
        raise ValidationError(("와이드형 친구톡의 버튼은" if wide else "버튼은") + f" 최대 {limit}개까지 추가할 수 있습니다 "
                              f"(현재 {len(raw)}개).", field=field, code="too_many_buttons")
    return tuple(alimtalk.check_button(b, i, key=field, what="버튼", allowed=tuple(BUTTON_TYPES), message_type="BA")
                 for i, b in enumerate(raw))


def check_content(text: str | None, buttons=None, image: bytes | Image | None = None, *, wide: bool = False) -> Content:
    """Every KFT-01 rule of one Brand Message, in the order the page shows the fields."""
    if wide and image is None:
        raise _refuse_image("type", "와이드형은 이미지를 첨부해주세요.", "이미지")
    checked = image if isinstance(image, Image) or image is None else check_image(image, wide=wide)
    if isinstance(image, Image) and wide:
        checked = check_image(image.data, wide=True)
    return Content(check_text(text, wide=wide), check_buttons(buttons, wide=wide), checked, bool(wide))


# --- hours (KFT-03) -------------------------------------------------------------------------------------------

def in_hours(moment_utc: dt.datetime) -> bool:
    """08:00 ≤ KST time < 20:50."""
    at = clock.to_kst(moment_utc).time()
    return HOURS_START <= at < HOURS_END


def check_hours(*, scheduled_at: dt.datetime | None, now: dt.datetime) -> None:
    """An immediate send outside the hours is refused, and so is a schedule outside them."""
    if scheduled_at is not None:
        if not in_hours(scheduled_at):
            raise ValidationError(f"친구톡은 {HOURS_LABEL}에만 보낼 수 있습니다. 예약 시간을 {HOURS_LABEL} 사이로 "
                                  "설정해주세요.", field="예약시간", code="friendtalk_hours")
    elif not in_hours(now):
        raise ValidationError(f"지금은 친구톡을 보낼 수 없는 시간입니다. 친구톡은 {HOURS_LABEL}에만 보낼 수 있습니다 "
                              "(카카오 브랜드 메시지 정책). 예약 발송을 이용해주세요.", field="발송시간",
                              code="friendtalk_hours")


def check_targeting(value, allowed: tuple[str, ...]) -> str:
    """`I` by default; `M`/`N` only for a channel an operator approved for them (KFT-02)."""
    targeting = (value or DEFAULT_TARGETING)
    if not isinstance(targeting, str) or targeting.upper() not in TARGETING:
        raise ValidationError("발송 대상은 I, M, N 중 하나여야 합니다.", field="발송 대상", code="invalid_choice")
    targeting = targeting.upper()
    if targeting not in allowed:
        raise ValidationError("이 발신 채널은 마케팅 수신 동의자 대상(M/N) 발송 승인을 받지 않았습니다. 채널 상세에서 "
                              "타겟팅 신청 후 승인되면 보낼 수 있습니다.", field="발송 대상", code="targeting_not_allowed")
    return targeting


# --- the fallback (KFT-04) ------------------------------------------------------------------------------------

def fallback_text(content: Content) -> str:
    """The default 대체문자: the message, then each button with a link as `버튼명: URL`
    (the (광고) line, the company and the 080 line are added when it is sent)."""
    lines = [content.text]
    for button in content.buttons:
        url = button.url_mobile or button.url_pc
        if url:
            lines.append(f"{button.name}: {url}")
    return "\n".join(lines)


def fallback_type(longest_bytes: int, image: Image | None) -> str:
    """MMS with the image when it also meets SMS-14; otherwise LMS without it (a 포토's
    fallback) or SMS/LMS by length (a 텍스트's)."""
    if image is not None:
        return sms.MMS if image.meets_mms() else sms.LMS
    return sms.message_type(longest_bytes, False)
