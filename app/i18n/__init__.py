"""Translations (docs/ARCHITECTURE.md, "Languages"): the UI is written in Korean (the
msgids are the manual's labels) and app/translations/en holds the English catalogue.

- Templates and views use `_()` / `{% trans %}`; labels kept in dicts (statuses, types,
  ledger kinds) are marked with `app.domain.korean.N_` and translated where shown.
- Page scripts get their strings from `window.MB_TEXT` (`script_catalogue`): the
  entries of the catalogue whose source is a file under app/static/js, for the page's
  locale; a script calls `MB.t("한국어 {n}건", {n: 3})` and falls back to the Korean.
- Refusals (`app.errors`) keep their Korean message, `code` and `field`; the message is
  translated where it is shown (`localized`): the whole message when it is a msgid,
  else the first pattern of `app.i18n.patterns` that matches it, its placeholders
  (field labels, values) translated in turn.

A catalogue is compiled at start-up when its .mo is missing or older than its .po, so
no setup step can forget it."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable

from flask import current_app, request
from flask_babel import force_locale, get_locale, gettext

from app.domain.korean import PAIRS
from app.i18n.patterns import PATTERNS

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LOCALE = "ko"
_HANGUL = re.compile("[\uac00-\ud7a3]")
#: placeholder names that stand for a number (digits and commas only); any other matches any text
NUMERIC = frozenset({"max", "min", "size", "count", "n", "row", "index", "width", "height", "cap", "left",
                     "more", "columns", "advised", "charged", "held", "year", "month", "day", "hour", "minute"})
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]((?:" + "|".join(re.escape(p) for p in PAIRS) + r"))?")


def ensure_compiled(root: Path = TRANSLATIONS) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in root.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text or ""))


@functools.lru_cache(maxsize=None)
def _compiled() -> list[tuple[re.Pattern, str]]:
    """Each pattern as a regular expression: `%(name)s` matches any text (a NUMERIC name:
    a number), a particle pair written after it (`%(field)s을/를`) either particle."""
    compiled = []
    for pattern in PATTERNS:
        parts, at = [], 0
        for match in _PLACEHOLDER.finditer(pattern):
            parts.append(re.escape(pattern[at:match.start()]))
            name = match.group(1)
            parts.append(f"(?P<{name}>[0-9][0-9,]*)" if name in NUMERIC else f"(?P<{name}>.*?)")
            if match.group(2):
                parts.append("(?:" + "|".join(map(re.escape, PAIRS[match.group(2)])) + ")")
            at = match.end()
        parts.append(re.escape(pattern[at:]))
        compiled.append((re.compile("".join(parts) + r"\Z", re.S), pattern))
    return compiled


def translate(text: str, gettext: Callable[[str], str]) -> str:
    """`text` (a Korean message) in the language of `gettext`: the message itself when it
    is a msgid, else the first matching pattern with its values translated (a value that
    is a msgid or a message of its own, or left as it is: numbers, user input). A list
    ("3행, 5행") is translated item by item."""
    if not text or not has_hangul(text):
        return text
    found = gettext(text)
    if found != text:
        return found
    for regex, pattern in _compiled():
        match = regex.match(text)
        if match is None:
            continue
        english = gettext(pattern)
        if english == pattern:
            return text                      # the pattern has no entry in this language
        values = {key: translate(value, gettext) for key, value in match.groupdict().items()}
        try:
            return english % values
        except (KeyError, TypeError, ValueError):
            return text
    if ", " in text:
        return ", ".join(translate(part, gettext) for part in text.split(", "))
    return text


def localized(text: str, locale: str | None = None) -> str:
    """`text` translated for the request's locale (or `locale`), unchanged in Korean."""
    if not text:
        return text
    if locale is None:
        current = get_locale()
        locale = current.language if current else DEFAULT_LOCALE
    if locale == DEFAULT_LOCALE:
        return text
    with force_locale(locale):
        return translate(text, gettext)


def message_locale() -> str | None:
    """The language a refusal is answered in: the page's (FAB's language switch) for pages
    and their JSON endpoints; for the API (/api/v1) Korean unless the request's
    Accept-Language prefers another language we have (`Accept-Language: en`)."""
    if request.path.startswith("/api/"):
        languages = list(current_app.config.get("LANGUAGES") or {DEFAULT_LOCALE: {}})
        best = request.accept_languages.best_match(languages)
        return best if best and request.accept_languages[best] > request.accept_languages[DEFAULT_LOCALE] \
            else DEFAULT_LOCALE
    return None


@functools.lru_cache(maxsize=None)
def _script_entries(locale: str, mtime: float) -> dict[str, str]:
    from babel.messages.pofile import read_po
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source)
    return {message.id: message.string for message in catalog
            if message.id and message.string and isinstance(message.id, str)
            and any(path.endswith(".js") for path, _line in message.locations)}


def script_catalogue(locale: str | None) -> dict[str, str]:
    """{Korean: translation} for the strings of app/static/js in `locale` (empty in
    Korean: the scripts then show their own Korean strings)."""
    if not locale or locale == DEFAULT_LOCALE:
        return {}
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return {}
    return _script_entries(locale, po.stat().st_mtime)
