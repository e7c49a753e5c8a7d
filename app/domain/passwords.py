"""Password rules after OWASP ASVS 5 (ACC-11): length 8..128, no composition rules,
refused when on a list of common or breached passwords."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.errors import ValidationError

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 12
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common_passwords.txt"
    words = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w.lower() for w in words if w and not w.startswith("#"))


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
    if lowered in _common_passwords() or len(set(password)) <= 2:
        raise ValidationError("너무 흔하거나 추측하기 쉬운 비밀번호입니다. 다른 비밀번호를 사용해주세요.",
                              field=field, code="weak_password")
    for word in context:
        word = (word or "").strip().lower()
        if word and (lowered == word or lowered == word.split("@")[0]):
            raise ValidationError("이메일이나 이름과 같은 비밀번호는 사용할 수 없습니다.",
                                  field=field, code="weak_password")
