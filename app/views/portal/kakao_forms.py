"""What the Kakao content forms share (알림톡 템플릿 등록, 친구톡 템플릿): rows of buttons (and
quick replies, items) read from inputs named by the service's JSON paths — the input
`buttons-1-url_mobile` is `buttons[1].url_mobile` — and the input a refusal names. The
rows are drawn by macros/kakao_buttons.html and added or removed live by
static/js/kakao_rows.js."""
from __future__ import annotations

import re

BUTTON_FIELDS = ("type", "name", "url_mobile", "url_pc", "scheme_ios", "scheme_android", "phone")
_ROW_NAME = re.compile(r"^([a-z_]+)-(\d{1,2})-([a-z_]+)$")


def rows(form, key: str, fields: tuple[str, ...]) -> list[dict]:
    """The rows of one list (`buttons-0-name`, `buttons-0-url_mobile`, …) in index order."""
    found: dict[int, dict] = {}
    for name in form.keys():
        match = _ROW_NAME.match(name)
        if match and match.group(1) == key and match.group(3) in fields:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = form.get(name, "")
    return [found[index] for index in sorted(found)]


def error_input(error, labels: dict[str, str] | None = None) -> str | None:
    """The id of the input a refusal names: `buttons[1].url_mobile` -> `buttons-1-url_mobile`;
    a field named by its Korean label (`내용`) goes through `labels`."""
    field = getattr(error, "field", None)
    if not field:
        return None
    field = (labels or {}).get(field, field)
    return re.sub(r"\[(\d+)\]\.?", r"-\1-", field).rstrip("-")
