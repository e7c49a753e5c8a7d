"""AlimTalk template rules (06-kakao.md KAT-01, KAT-02), pure: a template as typed (a
dict from the form or the API) is checked field by field and comes back as a
`TemplateDraft`, or a `ValidationError` names the field (its JSON path in `field`, its
Korean label in the message) and the rule.

Lengths are counted in characters as Kakao counts them (a line break is one), the
template's `#{변수}` placeholders counted as written; at send time the rendered text is
counted again (KAT-06)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field

from app.domain import images
from app.domain.korean import N_, josa
from app.errors import ValidationError

MAX_NAME = 150
MAX_CODE = 20
MAX_CONTENT = 1300
#: AD (채널추가형) and MI (복합형) keep 40 characters for Kakao's channel-add notice
AD_RESERVED = 40
MAX_EXTRA = 500
MAX_EMPHASIS = 50
MAX_VARIABLES = 40
MAX_VARIABLE_NAME = 30
MAX_BUTTONS = 5
MAX_QUICK_REPLIES = 5
MAX_BUTTON_NAME = 14
MAX_URL = 500
MIN_ITEMS, MAX_ITEMS = 2, 10
MAX_ITEM_TITLE, MAX_ITEM_DESCRIPTION = 6, 23
MAX_ITEM_HEADER = 16
CHANNEL_ADD_NAME = "채널 추가"

MESSAGE_TYPES = {
    "BA": N_("기본형"), "EX": N_("부가정보형"), "AD": N_("채널추가형"), "MI": N_("복합형"),
}
EMPHASIS_TYPES = {
    "NONE": N_("선택안함"), "TEXT": N_("강조표기형"), "IMAGE": N_("이미지형"), "ITEM_LIST": N_("아이템리스트형"),
}
BUTTON_TYPES = {
    "WL": N_("웹링크"), "AL": N_("앱링크"), "DS": N_("배송조회"), "BK": N_("봇키워드"), "MD": N_("메시지전달"),
    "BC": N_("상담톡전환"), "BT": N_("봇전환"), "TN": N_("전화하기"), "AC": N_("채널 추가"),
}
#: quick replies (바로연결) take the link and bot types only
QUICK_REPLY_TYPES = ("WL", "AL", "BK", "BC", "BT")
#: Kakao's template categories (대분류 + 중분류), as dealers' consoles list them
CATEGORIES = {
    "001001": N_("회원 > 회원가입"), "001002": N_("회원 > 인증/비밀번호/로그인"), "001003": N_("회원 > 회원정보/회원혜택"),
    "002001": N_("구매 > 구매완료"), "002002": N_("구매 > 상품가입"), "002003": N_("구매 > 진행상태"),
    "002004": N_("구매 > 구매취소"), "002005": N_("구매 > 구매예약/입고알림"),
    "003001": N_("예약 > 예약완료/예약내역"), "003002": N_("예약 > 예약상태"), "003003": N_("예약 > 예약취소"),
    "003004": N_("예약 > 예약알림/리마인드"),
    "004001": N_("서비스이용 > 이용안내/공지"), "004002": N_("서비스이용 > 신청접수"), "004003": N_("서비스이용 > 처리완료"),
    "004004": N_("서비스이용 > 이용도구"), "004005": N_("서비스이용 > 방문서비스"), "004006": N_("서비스이용 > 피드백 요청"),
    "004007": N_("서비스이용 > 구매감사/이용확인"), "004008": N_("서비스이용 > 리마인드"),
    "005001": N_("리포팅 > 수익/정산"), "005002": N_("리포팅 > 요금청구"), "005003": N_("리포팅 > 계약/견적"),
    "006001": N_("배송 > 배송상태"), "006002": N_("배송 > 배송예정"), "006003": N_("배송 > 배송완료"),
    "007001": N_("법적고지 > 수신동의"), "007002": N_("법적고지 > 개인정보"), "007003": N_("법적고지 > 약관변경"),
    "007004": N_("법적고지 > 휴면관련"),
    "008001": N_("업무알림 > 내부업무알림"), "008002": N_("업무알림 > 주문/예약"),
    "009001": N_("쿠폰/포인트 > 쿠폰발급"), "009002": N_("쿠폰/포인트 > 쿠폰사용"), "009003": N_("쿠폰/포인트 > 포인트적립"),
    "009004": N_("쿠폰/포인트 > 포인트사용"), "009005": N_("쿠폰/포인트 > 쿠폰/포인트안내"),
    "999999": N_("기타 > 기타"),
}

_VARIABLE = re.compile(r"#\{([^{}#\n]*)\}")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://\S*$")
_PHONE = re.compile(r"^[0-9]{8,12}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Button:
    type: str
    name: str
    url_mobile: str | None = None
    url_pc: str | None = None
    scheme_ios: str | None = None
    scheme_android: str | None = None
    phone: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Item:
    title: str
    description: str


@dataclass(frozen=True)
class TemplateDraft:
    name: str
    message_type: str
    emphasis_type: str
    content: str
    extra: str | None = None
    emphasis_title: str | None = None
    emphasis_subtitle: str | None = None
    item_header: str | None = None
    items: tuple[Item, ...] = ()
    security: bool = False
    category: str | None = None
    buttons: tuple[Button, ...] = ()
    quick_replies: tuple[Button, ...] = ()
    variables: tuple[str, ...] = dc_field(default=())


# --- small readers -----------------------------------------------------------------------------------------

def _text(raw: dict, key: str, label: str, *, max_length: int, required: bool = False,
          multiline: bool = False, path: str | None = None) -> str | None:
    """`raw[key]` as Kakao keeps it; a refusal names `path` (the JSON path, `key` by default)."""
    field = path or key
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{josa(label, '은/는')} 문자열이어야 합니다.", field=field, code="invalid_type")
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip() if multiline else " ".join(text.split())
    if not text:
        if required:
            raise ValidationError(f"{josa(label, '을/를')} 입력해주세요.", field=field, code="required")
        return None
    if _CONTROL.search(text) or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise ValidationError(f"{label}에 입력할 수 없는 문자가 있습니다.", field=field, code="invalid_character")
    if len(text) > max_length:
        raise ValidationError(f"{josa(label, '은/는')} {max_length:,}자 이하로 입력해주세요 (현재 {len(text):,}자).",
                              field=field, code="too_long")
    return text


def _choice(raw: dict, key: str, label: str, choices: dict, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value in (None, "") and default is not None:
        value = default
    if not isinstance(value, str) or value.upper() not in choices:
        if value in (None, ""):
            raise ValidationError(f"{josa(label, '을/를')} 선택해주세요.", field=key, code="required")
        raise ValidationError(f"{josa(label, '은/는')} {', '.join(choices)} 중 하나여야 합니다.", field=key,
                              code="invalid_choice")
    return value.upper()


def _list(raw: dict, key: str, label: str) -> list:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{josa(label, '은/는')} 배열이어야 합니다.", field=key, code="invalid_type")
    return value


# --- variables ---------------------------------------------------------------------------------------------

def variables(text: str | None, *, label: str = "내용", field: str = "content") -> list[str]:
    """The distinct `#{변수}` names in order of first use; a malformed one (an opening
    `#{` without its `}`, an empty name, a name with `#`, `{` or a line break) is named
    by its position (1-based, in characters)."""
    names: list[str] = []
    if not text:
        return names
    position = 0
    while True:
        start = text.find("#{", position)
        if start < 0:
            break
        match = _VARIABLE.match(text, start)
        if match is None:
            raise ValidationError(f"{label}의 {start + 1}번째 글자에서 시작하는 변수가 올바르지 않습니다. "
                                  "변수는 #{변수명} 형식으로 입력해주세요.", field=field, code="invalid_variable")
        name = match.group(1).strip()
        if not name:
            raise ValidationError(f"{label}의 {start + 1}번째 글자: 변수명이 비어 있습니다 (#{{}}).", field=field,
                                  code="invalid_variable")
        if len(name) > MAX_VARIABLE_NAME:
            raise ValidationError(f"{label}의 {start + 1}번째 글자: 변수명은 {MAX_VARIABLE_NAME}자 이하여야 합니다.",
                                  field=field, code="invalid_variable")
        if name not in names:
            names.append(name)
        position = match.end()
    return names


def render(text: str, values: dict[str, str]) -> str:
    """The text with each `#{변수}` replaced by its value (a missing one stays as written)."""
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1).strip(), m.group(0))), text or "")


def renderer(text: str):
    """`render` for one text and many recipients: the text is split once into its literal
    pieces and variables, then each rendering is a join (a send renders it 100,000 times)."""
    pieces: list[tuple[bool, str, str]] = []      # (is a variable, name or literal, as written)
    at = 0
    for match in _VARIABLE.finditer(text or ""):
        pieces.append((False, text[at:match.start()], ""))
        pieces.append((True, match.group(1).strip(), match.group(0)))
        at = match.end()
    pieces.append((False, (text or "")[at:], ""))
    if len(pieces) == 1:
        literal = pieces[0][1]
        return lambda values: literal

    def render_one(values: dict[str, str]) -> str:
        return "".join(str(values.get(name, written)) if variable else name for variable, name, written in pieces)
    return render_one


#: the SMS compose page's variables (#[1]..#[4]) that 문자로 재발송하기 moves AlimTalk values to
SMS_VARIABLE_KEYS = ("1", "2", "3", "4")


@dataclass(frozen=True)
class SmsText:
    """An AlimTalk text as the SMS compose page writes it (06-kakao.md KRS-03): up to four
    distinct `#{변수}`, in order of first use, become #[1]..#[4]; with more, the text is
    left as written (`kept`) and the values keep their names."""
    body: str
    names: tuple[str, ...] = ()
    kept: bool = False

    def values(self, values: dict) -> dict:
        """A recipient's values by variable name, as the SMS text names them (blank ones left out)."""
        if not self.names:
            return dict(values)
        return {key: str(values[name]) for name, key in zip(self.names, SMS_VARIABLE_KEYS)
                if values.get(name) not in (None, "")}


def as_sms_text(text: str | None) -> SmsText:
    text = text or ""
    names = tuple(dict.fromkeys(name for m in _VARIABLE.finditer(text) if (name := m.group(1).strip())))
    if len(names) > len(SMS_VARIABLE_KEYS):
        return SmsText(text, (), kept=True)
    keys = dict(zip(names, SMS_VARIABLE_KEYS))
    return SmsText(_VARIABLE.sub(lambda m: f"#[{keys[m.group(1).strip()]}]" if m.group(1).strip() else m.group(0),
                                 text), names)


def content_limit(message_type: str) -> int:
    return MAX_CONTENT - (AD_RESERVED if message_type in ("AD", "MI") else 0)


# --- buttons -----------------------------------------------------------------------------------------------

def _url(value, label: str, field: str, *, required: bool) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{josa(label, '은/는')} 문자열이어야 합니다.", field=field, code="invalid_type")
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(f"{josa(label, '을/를')} 입력해주세요.", field=field, code="required")
        return None
    if len(text) > MAX_URL:
        raise ValidationError(f"{josa(label, '은/는')} {MAX_URL}자 이하로 입력해주세요.", field=field, code="too_long")
    if not _URL.match(text):
        raise ValidationError(f"{josa(label, '은/는')} 프로토콜(http 또는 https)을 포함한 URL을 입력해주세요.",
                              field=field, code="invalid_url")
    variables(text, label=label, field=field)
    return text


def _scheme(value, label: str, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{josa(label, '은/는')} 문자열이어야 합니다.", field=field, code="invalid_type")
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_URL:
        raise ValidationError(f"{josa(label, '은/는')} {MAX_URL}자 이하로 입력해주세요.", field=field, code="too_long")
    if not _SCHEME.match(text):
        raise ValidationError(f"{josa(label, '은/는')} 앱 스킴(예: myapp://path) 형식으로 입력해주세요.", field=field,
                              code="invalid_url")
    return text


def check_button(raw, index: int, *, key: str, what: str, allowed: tuple[str, ...], message_type: str) -> Button:
    where = f"{index + 1}번째 {what}"
    path = f"{key}[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}은 객체여야 합니다.", field=path, code="invalid_type")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind.upper() not in allowed:
        raise ValidationError(f"{where}의 유형을 선택해주세요 ({', '.join(allowed)}).", field=f"{path}.type",
                              code="invalid_choice")
    kind = kind.upper()
    name = raw.get("name")
    if kind == "AC" and name in (None, ""):
        name = CHANNEL_ADD_NAME
    if not isinstance(name, str) or not " ".join(name.split()):
        raise ValidationError(f"{where}의 버튼명을 입력해주세요.", field=f"{path}.name", code="required")
    name = " ".join(name.split())
    if len(name) > MAX_BUTTON_NAME:
        raise ValidationError(f"{where}의 버튼명은 {MAX_BUTTON_NAME}자 이하로 입력해주세요 (현재 {len(name)}자).",
                              field=f"{path}.name", code="too_long")
    if "#{" in name:
        raise ValidationError(f"{where}의 버튼명에는 변수를 쓸 수 없습니다.", field=f"{path}.name",
                              code="invalid_variable")
    if _CONTROL.search(name):
        raise ValidationError(f"{where}의 버튼명에 입력할 수 없는 문자가 있습니다.", field=f"{path}.name",
                              code="invalid_character")
    values: dict = {"type": kind, "name": name}
    if kind == "WL":
        values["url_mobile"] = _url(raw.get("url_mobile"), f"{where}의 Mobile 링크", f"{path}.url_mobile", required=True)
        values["url_pc"] = _url(raw.get("url_pc"), f"{where}의 PC 링크", f"{path}.url_pc", required=False)
    elif kind == "AL":
        ios = _scheme(raw.get("scheme_ios"), f"{where}의 iOS 스킴", f"{path}.scheme_ios")
        android = _scheme(raw.get("scheme_android"), f"{where}의 Android 스킴", f"{path}.scheme_android")
        mobile = _url(raw.get("url_mobile"), f"{where}의 Mobile 링크", f"{path}.url_mobile", required=False)
        pc = _url(raw.get("url_pc"), f"{where}의 PC 링크", f"{path}.url_pc", required=False)
        if not ((ios and android) or mobile):
            raise ValidationError(f"{where}(앱링크)에는 iOS와 Android 스킴을 모두 입력하거나 Mobile 링크를 입력해주세요.",
                                  field=f"{path}.scheme_ios" if not ios else f"{path}.scheme_android",
                                  code="required")
        values.update(scheme_ios=ios, scheme_android=android, url_mobile=mobile, url_pc=pc)
    elif kind == "TN":
        phone = raw.get("phone")
        digits = re.sub(r"[\s-]", "", phone) if isinstance(phone, str) else ""
        if not _PHONE.match(digits):
            raise ValidationError(f"{where}(전화하기)의 전화번호를 숫자 8~12자리로 입력해주세요.", field=f"{path}.phone",
                                  code="invalid_number")
        values["phone"] = digits
    elif kind == "AC":
        if message_type not in ("AD", "MI"):
            raise ValidationError(f"{where}: 채널 추가 버튼은 채널추가형(AD)과 복합형(MI) 템플릿에만 쓸 수 있습니다.",
                                  field=f"{path}.type", code="invalid_button")
        if index != 0:
            raise ValidationError(f"{where}: 채널 추가 버튼은 첫 번째 버튼이어야 합니다.", field=f"{path}.type",
                                  code="invalid_button")
        if name != CHANNEL_ADD_NAME:
            raise ValidationError(f"{where}: 채널 추가 버튼의 이름은 '{CHANNEL_ADD_NAME}'이어야 합니다.",
                                  field=f"{path}.name", code="invalid_button")
    return Button(**values)


# --- the template ------------------------------------------------------------------------------------------

def check_template(raw: dict) -> TemplateDraft:
    """Every KAT-01/02 rule, in the order the form shows the fields."""
    if not isinstance(raw, dict):
        raise ValidationError("템플릿은 객체여야 합니다.", field="body", code="invalid_type")
    name = _text(raw, "name", "템플릿 제목", max_length=MAX_NAME, required=True)
    message_type = _choice(raw, "message_type", "메시지 유형", MESSAGE_TYPES, default="BA")
    emphasis_type = _choice(raw, "emphasis_type", "강조 유형", EMPHASIS_TYPES, default="NONE")

    content = _text(raw, "content", "내용", max_length=10 ** 6, required=True, multiline=True)
    limit = content_limit(message_type)
    if len(content) > limit:
        if message_type in ("AD", "MI"):
            raise ValidationError(f"채널추가형·복합형 템플릿의 내용은 {limit:,}자 이하로 입력해주세요 (현재 {len(content):,}자). "
                                  f"카카오의 채널 추가 안내 문구를 위해 {AD_RESERVED}자를 비워 둡니다.",
                                  field="content", code="too_long")
        raise ValidationError(f"내용은 {limit:,}자 이하로 입력해주세요 (현재 {len(content):,}자, 변수는 입력한 그대로 셉니다).",
                              field="content", code="too_long")
    names = variables(content)

    extra = _text(raw, "extra", "부가정보", max_length=MAX_EXTRA, multiline=True)
    if message_type in ("EX", "MI"):
        if not extra:
            raise ValidationError(f"{MESSAGE_TYPES[message_type]}({message_type}) 템플릿은 부가정보를 입력해주세요.",
                                  field="extra", code="required")
        if "#{" in extra:
            raise ValidationError("부가정보에는 변수를 쓸 수 없습니다.", field="extra", code="invalid_variable")
    elif extra:
        raise ValidationError("부가정보는 부가정보형(EX)과 복합형(MI) 템플릿에만 입력할 수 있습니다.", field="extra",
                              code="invalid_combination")

    title = _text(raw, "emphasis_title", "강조 제목", max_length=MAX_EMPHASIS)
    subtitle = _text(raw, "emphasis_subtitle", "보조 문구", max_length=MAX_EMPHASIS)
    header = _text(raw, "item_header", "아이템 헤더", max_length=MAX_ITEM_HEADER)
    items: list[Item] = []
    if emphasis_type == "TEXT":
        if not title:
            raise ValidationError("강조표기형은 강조 제목을 입력해주세요.", field="emphasis_title", code="required")
        if not subtitle:
            raise ValidationError("강조표기형은 보조 문구를 입력해주세요.", field="emphasis_subtitle", code="required")
        for text, key, label in ((title, "emphasis_title", "강조 제목"), (subtitle, "emphasis_subtitle", "보조 문구")):
            for var in variables(text, label=label, field=key):
                if var not in names:
                    names.append(var)
    elif title or subtitle:
        raise ValidationError("강조 제목과 보조 문구는 강조표기형(TEXT)에서만 입력할 수 있습니다.",
                              field="emphasis_title" if title else "emphasis_subtitle", code="invalid_combination")
    if emphasis_type == "ITEM_LIST":
        raw_items = _list(raw, "items", "아이템 리스트")
        if not MIN_ITEMS <= len(raw_items) <= MAX_ITEMS:
            raise ValidationError(f"아이템리스트형은 아이템을 {MIN_ITEMS}~{MAX_ITEMS}개 입력해주세요 (현재 {len(raw_items)}개).",
                                  field="items", code="invalid_items")
        for index, item in enumerate(raw_items):
            where = f"{index + 1}번째 아이템"
            if not isinstance(item, dict):
                raise ValidationError(f"{where}은 객체여야 합니다.", field=f"items[{index}]", code="invalid_type")
            item_title = _text(item, "title", f"{where}의 이름", max_length=MAX_ITEM_TITLE, required=True,
                               path=f"items[{index}].title")
            description = _text(item, "description", f"{where}의 설명", max_length=MAX_ITEM_DESCRIPTION,
                                required=True, path=f"items[{index}].description")
            for var in variables(description, label=f"{where}의 설명", field=f"items[{index}].description"):
                if var not in names:
                    names.append(var)
            items.append(Item(item_title, description))
    else:
        if _list(raw, "items", "아이템 리스트") or header:
            raise ValidationError("아이템 리스트는 아이템리스트형(ITEM_LIST)에서만 입력할 수 있습니다.", field="items",
                                  code="invalid_combination")
    if len(names) > MAX_VARIABLES:
        raise ValidationError(f"변수는 최대 {MAX_VARIABLES}개까지 쓸 수 있습니다 (현재 {len(names)}개).", field="content",
                              code="too_many_variables")

    security = raw.get("security", False)
    if security in (None, ""):
        security = False
    if security in ("on", "1", "true", "y", "Y"):
        security = True
    if not isinstance(security, bool):
        raise ValidationError("보안 템플릿 여부는 true 또는 false여야 합니다.", field="security", code="invalid_type")

    category = raw.get("category") or None
    if category is not None and (not isinstance(category, str) or category not in CATEGORIES):
        raise ValidationError("카테고리를 목록에서 선택해주세요.", field="category", code="invalid_choice")

    raw_buttons = _list(raw, "buttons", "버튼")
    if len(raw_buttons) > MAX_BUTTONS:
        raise ValidationError(f"버튼은 최대 {MAX_BUTTONS}개까지 추가할 수 있습니다.", field="buttons", code="too_many_buttons")
    buttons = tuple(check_button(b, i, key="buttons", what="버튼", allowed=tuple(BUTTON_TYPES), message_type=message_type)
                    for i, b in enumerate(raw_buttons))
    if message_type in ("AD", "MI") and (not buttons or buttons[0].type != "AC"):
        raise ValidationError(f"{MESSAGE_TYPES[message_type]}({message_type}) 템플릿은 첫 번째 버튼이 '채널 추가'(AC)여야 합니다.",
                              field="buttons", code="invalid_button")
    raw_replies = _list(raw, "quick_replies", "바로연결")
    if len(raw_replies) > MAX_QUICK_REPLIES:
        raise ValidationError(f"바로연결은 최대 {MAX_QUICK_REPLIES}개까지 추가할 수 있습니다.", field="quick_replies",
                              code="too_many_buttons")
    replies = tuple(check_button(b, i, key="quick_replies", what="바로연결", allowed=QUICK_REPLY_TYPES,
                            message_type=message_type) for i, b in enumerate(raw_replies))
    for button in (*buttons, *replies):
        for url in (button.url_mobile, button.url_pc):
            for var in variables(url):
                if var not in names:
                    names.append(var)
    if len(names) > MAX_VARIABLES:
        raise ValidationError(f"변수는 최대 {MAX_VARIABLES}개까지 쓸 수 있습니다 (현재 {len(names)}개).", field="content",
                              code="too_many_variables")
    return TemplateDraft(name=name, message_type=message_type, emphasis_type=emphasis_type, content=content,
                         extra=extra, emphasis_title=title, emphasis_subtitle=subtitle,
                         item_header=header if emphasis_type == "ITEM_LIST" else None, items=tuple(items),
                         security=security, category=category, buttons=buttons, quick_replies=replies,
                         variables=tuple(names))


def fallback_text(content: str, buttons, values: dict[str, str] | None = None) -> str:
    """KAT-07's default fallback: the rendered message, then each web-link button as
    `버튼명: URL` (what Kakao dealers do)."""
    values = values or {}
    lines = [render(content, values)]
    for button in buttons:
        url = button.get("url_mobile") if isinstance(button, dict) else button.url_mobile
        kind = button.get("type") if isinstance(button, dict) else button.type
        name = button.get("name") if isinstance(button, dict) else button.name
        if kind == "WL" and url:
            lines.append(f"{name}: {render(url, values)}")
    return "\n".join(lines)


# --- the emphasis image ------------------------------------------------------------------------------------

MAX_IMAGE_BYTES = 500 * 1024
MIN_IMAGE_WIDTH = 500


def check_emphasis_image(data: bytes, *, field: str = "image") -> tuple[str, int, int]:
    """이미지형's image: jpg or png by content, ≤ 500 KB, at least 500 px wide, 2:1 (Kakao
    asks for 800×400). Returns (format, width, height)."""
    if not data:
        raise ValidationError("강조 이미지를 첨부해주세요.", field=field, code="required")
    if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        raise ValidationError("강조 이미지는 jpg 또는 png 파일만 첨부할 수 있습니다.", field=field, code="invalid_image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(f"강조 이미지는 500KB 이하만 첨부할 수 있습니다 (현재 {len(data) // 1024}KB).", field=field,
                              code="image_too_large")
    read = images.read_image(data, ("JPEG", "PNG"))
    if read is None:
        raise ValidationError("손상된 이미지 파일입니다.", field=field, code="invalid_image")
    kind, width, height = read
    if width < MIN_IMAGE_WIDTH:
        raise ValidationError(f"강조 이미지는 가로 {MIN_IMAGE_WIDTH}px 이상이어야 합니다 (현재 {width}px).", field=field,
                              code="invalid_image")
    if abs(width - 2 * height) > max(2, width // 100):
        raise ValidationError(f"강조 이미지는 가로:세로 2:1 비율이어야 합니다 (권장 800×400px, 현재 {width}×{height}px).",
                              field=field, code="invalid_image")
    return kind.lower(), width, height
