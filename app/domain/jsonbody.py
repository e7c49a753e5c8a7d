"""Fields of a JSON request body (the compose page's calls and the API alike): each of
the type it must have, or a ValidationError naming it. JSON gives any type anywhere; a
list where text belongs must be a 422, never a 500 or a silently stringified value."""
from __future__ import annotations

import json
import re

from app.domain.recipients import Recipient
from app.errors import MegabirdError, ValidationError

VARIABLE_KEYS = ("1", "2", "3", "4")
MAX_DEPTH = 32                 # no request of ours nests deeper than 4
_SURROGATE = re.compile("[\ud800-\udfff]")
NUL_MESSAGE = "요청에 허용되지 않는 문자(NUL)가 있습니다."


def _refuse(message: str, code: str):
    raise MegabirdError(message, field="요청", code=code)


def _constant(name: str):
    _refuse(f"JSON에 {name} 값은 쓸 수 없습니다. 숫자나 문자열로 보내주세요.", "invalid_json")


def loads(text):
    """Every JSON request body is read here (the app's JSON provider, app/web.py): a body
    JSON does not parse is a ValueError (the caller's own "요청 형식" message); one that
    parses but no request of ours may carry is a 400 naming why — nested deeper than
    MAX_DEPTH, NaN or Infinity, a lone surrogate (it cannot be stored or sent), a NUL."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            _refuse("요청 본문은 UTF-8로 인코딩된 JSON이어야 합니다.", "invalid_json")
    try:
        value = json.loads(text, parse_constant=_constant)
    except RecursionError:
        _refuse(f"JSON이 너무 깊게 중첩되어 있습니다 (최대 {MAX_DEPTH}단계).", "json_too_deep")
    check(value)
    return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        _refuse(NUL_MESSAGE, "invalid_character")
    if _SURROGATE.search(text):
        _refuse("요청에 잘못된 유니코드 문자(짝이 없는 서로게이트)가 있습니다.", "invalid_character")


def check(value) -> None:
    """The shape rules of `loads`, walked without recursion (a deep body must not be the
    one that overflows the stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                _refuse(f"JSON이 너무 깊게 중첩되어 있습니다 (최대 {MAX_DEPTH}단계).", "json_too_deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def field(data: dict, key: str, types, *, name: str | None = None, label: str | None = None,
          required: bool = False):
    """data[key] when it is of `types` (a bool never counts as a number), None when absent.
    `name`: the error's field (default `key`); `label`: how the message says it."""
    value = data.get(key)
    shown = label or key
    if value is None:
        if required:
            raise ValidationError(f"{shown} 값이 필요합니다.", field=name or key, code="required")
        return None
    if isinstance(value, bool) or not isinstance(value, types):
        raise ValidationError(f"{shown} 값의 형식이 올바르지 않습니다.", field=name or key, code="invalid_type")
    return value


def recipient(item, row: int, *, keys: tuple[str, ...] | None = VARIABLE_KEYS) -> Recipient | None:
    """A typed recipient, "010…" or {"phone": "010…", "name": "…", "vars": {"1".."4": value}};
    None when it has another shape (the caller names the row in its own words). `keys`: the
    variable names allowed, None for any (an AlimTalk template's #{변수명})."""
    if isinstance(item, str):
        return Recipient(item, None, {}, row)
    if not isinstance(item, dict):
        return None
    phone, name, values = item.get("phone"), item.get("name"), item.get("vars") or {}
    if not isinstance(phone, str) or not isinstance(name, (str, type(None))) or not isinstance(values, dict) \
            or (keys is not None and any(k not in keys for k in values)) \
            or any(isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in values.values()):
        return None
    return Recipient(phone, name, {k: str(v) for k, v in values.items()}, row)
