"""Korean particles chosen by the word they follow (을/를, 은/는, 이/가, 과/와, 으로/로).

A message never writes "을(를)": `josa("발신번호", "을/를")` gives "발신번호를". The choice
depends on whether the word's last sound has a final consonant (받침); for (으)로 a final
ㄹ takes 로. Digits are read as Sino-Korean numbers (1 일, 2 이, …) and Latin letters by
their English names' last sound (SMS → 에스, 받침 none; URL → 엘, ㄹ), which is how a Korean
reader says them. Trailing quotes, brackets and spaces are skipped."""
from __future__ import annotations

PAIRS = {
    "을/를": ("을", "를"), "은/는": ("은", "는"), "이/가": ("이", "가"), "과/와": ("과", "와"),
    "이나/나": ("이나", "나"), "이라/라": ("이라", "라"), "아/야": ("아", "야"), "으로/로": ("으로", "로"),
    "이에요/예요": ("이에요", "예요"),
}

_RIEUL = 8                       # index of ㄹ among the final consonants
# Final consonant of the last syllable as a Korean reader says it: None, "ㄹ" or "other".
_DIGITS = {"0": "other", "1": "ㄹ", "2": None, "3": "other", "4": None, "5": None, "6": "other",
           "7": "ㄹ", "8": "ㄹ", "9": None}
_LETTERS = {"l": "ㄹ", "r": "ㄹ", "m": "other", "n": "other"}    # 엘, 알, 엠, 엔; 에이, 비, … have none
_SKIP = " \t'\"‘’“”()[]{}<>「」『』《》.,!?…·"


def final_sound(word: str) -> str | None:
    """None (no 받침), "ㄹ" or "other" for the last sound of `word`."""
    for char in reversed(str(word)):
        if char in _SKIP:
            continue
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            jong = code % 28
            if jong == 0:
                return None
            return "ㄹ" if jong == _RIEUL else "other"
        if char in _DIGITS:
            return _DIGITS[char]
        return _LETTERS.get(char.lower())
    return None


def particle(word: str, pair: str) -> str:
    """The particle of `pair` ("을/를", …) that follows `word`."""
    with_final, without = PAIRS[pair]
    sound = final_sound(word)
    if pair == "으로/로":
        return with_final if sound == "other" else without
    return with_final if sound else without


def josa(word, pair: str) -> str:
    """`word` followed by the right particle: josa("이메일", "을/를") == "이메일을"."""
    return f"{word}{particle(str(word), pair)}"


def N_(text: str) -> str:
    """Marks a Korean label kept in a table (a status, a type, a period) for the English
    catalogue: pybabel extracts `N_("…")`, and the page translates the label where it
    shows it (`{{ _(label) }}`). Returns `text` unchanged."""
    return text
