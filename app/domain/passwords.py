"""Password rules after OWASP ASVS 5 (ACC-11): length 8..128, no composition rules,
refused when common or guessable.

ASVS asks for the top 3,000 passwords. We have no licensed list to ship (and copy no
third-party one), so the 777 of data/common_passwords.txt are checked as they are, and
a few rules refuse what those top lists are made of (tests/unit/test_brn_passwords.py
counts more than 3,000 such passwords refused):

- a base word (a core of the list, or data/password_words.txt: Korean romanized and
  typed in QWERTY, keyboard words, this service) in any case and with leetspeak
  (0→o 1→i/l 3→e 4→a 5→s 7→t @→a $→s), reversed too, with decorations before and
  after it: up to 4 digits (a year), a date (yymmdd, yyyymmdd), a digit pattern, up to
  3 symbols (`!@#$%^&*.?~_-+=`);
- patterns that fill the whole password: keyboard walks (rows and columns of the US
  keyboard, the number row, forward and backward), sequences (abcdef, 13579, 9876),
  runs of one character, any mix of these in pieces of 3 or more (qwer1234, abc123!@#),
  two of them interleaved (1q2w3e4r, a1b2c3d4), a short or guessable piece repeated
  (abcabc, 121212, hunter2hunter2).

A passphrase of several words, or anything with a part that is neither, passes."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.errors import ValidationError

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 12
MAX_LENGTH = 128

_DATA = Path(__file__).parent / "data"
SYMBOLS = "!@#$%^&*.?~_-+="
SEPARATORS = " .-_"
DIGITS = "0123456789"
#: lines of the US keyboard whose neighbours make a walk: rows, the shifted number row, columns
KEYBOARD_LINES = ("`1234567890-=", "~!@#$%^&*()_+", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
                  "1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik,", "9ol.", "0p;/",
                  "!qaz", "@wsx", "#edc", "$rfv", "%tgb", "^yhn", "&ujm", "*ik,", "(ol.", ")p;/")
LEET = (str.maketrans("013457@$", "oieastas"), str.maketrans("013457@$", "oleastas"))     # 1 as i, or as l
MIN_PIECE = 3      # a piece of a pattern: 3 characters or more
MIN_WORD = 4
MAX_DECORATION = 12


def _lines(name: str) -> list[str]:
    text = (_DATA / name).read_text(encoding="utf-8")
    return [w for w in (line.split(" #", 1)[0].strip() for line in text.splitlines()) if w and not w.startswith("#")]


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(w.lower() for w in _lines("common_passwords.txt"))


@lru_cache(maxsize=1)
def base_words() -> frozenset[str]:
    """Our own words and the cores of the common passwords (decorations taken off,
    leetspeak read), at least MIN_WORD long."""
    words = {w.lower() for w in _lines("password_words.txt")}
    for entry in _common_passwords():
        core = entry.strip(DIGITS + SYMBOLS)
        words.update(form for form in (core, *(core.translate(t) for t in LEET)) if len(form) >= MIN_WORD)
    return frozenset(words)


@lru_cache(maxsize=1)
def _on_keyboard() -> dict[str, list[tuple[str, int]]]:
    """Each key: the keyboard lines (either way) it is on, and where."""
    where: dict[str, list[tuple[str, int]]] = {}
    for line in KEYBOARD_LINES:
        for way in (line, line[::-1]):
            for at, key in enumerate(way):
                where.setdefault(key, []).append((way, at))
    return where


def _same_kind(a: str, b: str) -> bool:
    return (a in DIGITS and b in DIGITS) or (a.isascii() and b.isascii() and a.isalpha() and b.isalpha())


def _run_ends(s: str, start: int) -> int:
    """The end of the longest run from `start`: one character repeated, a sequence of
    digits or letters with a step of ±1 or ±2, or a walk along one keyboard line."""
    n, best = len(s), start + 1
    if n - start < 2:
        return min(n, best)
    # one character, or a constant step between digits or between letters
    step = ord(s[start + 1]) - ord(s[start])
    if step == 0 or (abs(step) <= 2 and _same_kind(s[start], s[start + 1])):
        end = start + 1
        while end < n and ord(s[end]) - ord(s[end - 1]) == step and (step == 0 or _same_kind(s[end - 1], s[end])):
            end += 1
        best = max(best, end)
    # along one keyboard line, one direction
    for way, at in _on_keyboard().get(s[start], ()):
        end = start + 1
        while end < n and at + 1 < len(way) and way[at + 1] == s[end]:
            at, end = at + 1, end + 1
        best = max(best, end)
    return best


def _is_run(s: str) -> bool:
    return len(s) >= MIN_PIECE and _run_ends(s, 0) == len(s)


def _is_pattern(s: str, ends: list[int] | None = None) -> bool:
    """The whole of `s` is keyboard walks, sequences and runs in pieces of 3 or more, two
    runs interleaved, or a weak piece repeated. `ends`: each position's `_run_ends`."""
    n = len(s)
    if n < MIN_PIECE:
        return False
    ends = ends or [_run_ends(s, i) for i in range(n)]
    covered = [False] * (n + 1)
    covered[n] = True
    for i in range(n - MIN_PIECE, -1, -1):
        covered[i] = any(covered[j] for j in range(i + MIN_PIECE, ends[i] + 1))
    if covered[0]:
        return True
    if n >= 6 and _is_run(s[0::2]) and _is_run(s[1::2]):
        return True
    for size in range(1, n // 2 + 1):
        if n % size == 0 and s == s[:size] * (n // size) and (size <= 4 or _guessable(s[:size])):
            return True
    return False


def _is_date(digits: str) -> bool:
    if len(digits) == 8 and 1950 <= int(digits[:4]) <= 2039:
        digits = digits[2:]
    return len(digits) == 6 and 1 <= int(digits[2:4]) <= 12 and 1 <= int(digits[4:]) <= 31


def _groups(s: str) -> list[str]:
    """Maximal groups of digits and of symbols (none when `s` holds anything else)."""
    groups: list[str] = []
    for ch in s:
        if ch not in DIGITS and ch not in SYMBOLS:
            return []
        if groups and (ch in DIGITS) == (groups[-1][0] in DIGITS):
            groups[-1] += ch
        else:
            groups.append(ch)
    return groups


def _is_decoration(s: str) -> bool:
    """What people put around a word: digits (a year, a date, a short number, a digit
    pattern) and a few symbols, at most one of each, MAX_DECORATION long at the most."""
    groups = _groups(s) if len(s) <= MAX_DECORATION else []
    if not groups or len(groups) > 2:
        return False
    for group in groups:
        if group[0] in DIGITS:
            if not (len(group) <= 4 or _is_date(group) or _is_pattern(group)):
                return False
        elif not (len(group) <= 3 or _is_run(group)):
            return False
    return True


def _forms(core: str) -> set[str]:
    """How a core may spell a base word: as it is, in leetspeak, without separators, reversed."""
    forms = {core, *(core.translate(t) for t in LEET)}
    forms |= {f.translate(str.maketrans("", "", SEPARATORS)) for f in forms}
    return forms | {f[::-1] for f in forms}


def _cores(s: str):
    """(start, stop) of each part of `s` with letters in it that decorations surround
    (the whole of `s` first)."""
    n = len(s)
    lead = n - len(s.lstrip(DIGITS + SYMBOLS))
    trail = n - len(s.rstrip(DIGITS + SYMBOLS))
    starts = [0] + [i for i in range(1, lead + 1) if _is_decoration(s[:i])]
    stops = [n] + [j for j in range(n - trail, n) if _is_decoration(s[j:])]
    for i in starts:
        for j in stops:
            if any(ch.isalpha() for ch in s[i:j]):
                yield i, j


def _guessable(s: str) -> bool:
    """`s` (lower case) is a common password or made the way common passwords are."""
    n = len(s)
    ends = [_run_ends(s, k) for k in range(n)]
    if s in _common_passwords() or len(set(s)) <= 2 or _is_pattern(s, ends) or _is_decoration(s):
        return True
    words = base_words()
    for i, j in _cores(s):
        core = s[i:j]
        if (i or j < n) and (core in _common_passwords()
                             or _is_pattern(core, [min(end, j) - i for end in ends[i:j]])):
            return True
        if any(form in words for form in _forms(core)):
            return True
    return False


def _is_decorated(s: str, words: set[str]) -> bool:
    """`s` is one of `words`, decorated as a base word may be."""
    return any(form in words for i, j in _cores(s) for form in _forms(s[i:j]))


def check_password(password: str, *, context: tuple[str, ...] = (), field: str = "비밀번호") -> None:
    """Raise ValidationError when the password is not acceptable.

    `context` holds words that must not be the password (the e-mail, the name)."""
    if password is None or password == "":
        raise ValidationError("비밀번호를 입력해주세요.", field=field, code="weak_password")
    length = len(password)
    if length < MIN_LENGTH:
        raise ValidationError(f"비밀번호는 {MIN_LENGTH}자 이상이어야 합니다 ({RECOMMENDED_LENGTH}자 이상 권장).",
                              field=field, code="weak_password")
    if length > MAX_LENGTH:
        raise ValidationError(f"비밀번호는 {MAX_LENGTH}자 이하여야 합니다.", field=field, code="weak_password")
    lowered = password.lower()
    if _guessable(lowered):
        raise ValidationError("너무 흔하거나 추측하기 쉬운 비밀번호입니다. 다른 비밀번호를 사용해주세요.",
                              field=field, code="weak_password")
    personal = set()
    for word in context:
        word = (word or "").strip().lower()
        personal.update(w for w in (word, word.split("@")[0]) if w)
    if lowered in personal or _is_decorated(lowered, personal):
        raise ValidationError("이메일이나 이름과 같은 비밀번호는 사용할 수 없습니다.",
                              field=field, code="weak_password")
