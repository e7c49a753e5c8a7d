"""Fields of a JSON request body (the compose page's calls and the API alike): each of
the type it must have, or a ValidationError naming it. JSON gives any type anywhere; a
list where text belongs must be a 422, never a 500 or a silently stringified value."""
from __future__ import annotations

from app.domain.recipients import Recipient
from app.errors import ValidationError

VARIABLE_KEYS = ("1", "2", "3", "4")


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


def recipient(item, row: int) -> Recipient | None:
    """A typed recipient, "010…" or {"phone": "010…", "name": "…", "vars": {"1".."4": value}};
    None when it has another shape (the caller names the row in its own words)."""
    if isinstance(item, str):
        return Recipient(item, None, {}, row)
    if not isinstance(item, dict):
        return None
    phone, name, values = item.get("phone"), item.get("name"), item.get("vars") or {}
    if not isinstance(phone, str) or not isinstance(name, (str, type(None))) or not isinstance(values, dict) \
            or any(k not in VARIABLE_KEYS for k in values) \
            or any(isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in values.values()):
        return None
    return Recipient(phone, name, {k: str(v) for k, v in values.items()}, row)
