"""Creating logins (FAB users) inside our own transactions."""
from __future__ import annotations

from flask import current_app
from werkzeug.security import generate_password_hash

from app.errors import ValidationError


def hash_password(password: str) -> str:
    cfg = current_app.config
    return generate_password_hash(password, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                  salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def split_name(name: str) -> tuple[str, str]:
    """FAB keeps first and last names; a Korean name is kept whole as the first name."""
    name = " ".join((name or "").split())
    return name[:64], ""


def create_user(*, username: str, email: str, name: str, password_hash: str, role_name: str):
    sm = current_app.appbuilder.sm
    role = sm.find_role(role_name)
    if role is None:
        raise RuntimeError(f"role {role_name} is missing: run `flask megabird init`")
    first, last = split_name(name)
    user = sm.add_user(username=username, first_name=first, last_name=last or "-", email=email,
                       role=role, hashed_password=password_hash, commit=False)
    if not user:
        raise ValidationError("사용자를 만들 수 없습니다. 입력값을 확인해주세요.", field="이메일")
    return user


def email_taken(email: str) -> bool:
    sm = current_app.appbuilder.sm
    return sm.find_user(email=email) is not None or sm.find_user(username=email) is not None
