"""Integration API keys (API-01): created by accounts whose API use is approved (or by
staff with `flask megabird api-key create`), shown once, stored as an HMAC, named,
revocable, optionally limited to an IP allowlist."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets

from flask import current_app
from sqlalchemy import select, update

from app.domain.korean import particle
from app.domain import text as rules
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, ApiKey
from app.security.tenancy import get_owned
from app.services.accounts import access
from app.services.shared.uow import transaction

PREFIX = "mb_"


def _hash(plaintext: str) -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def _allowlist(value: str | None) -> str | None:
    value = rules.optional(value, "IP 허용 목록", max_length=500)
    if not value:
        return None
    entries = [v for v in value.replace(",", " ").split() if v]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValidationError(f"IP 허용 목록의 '{entry}'{particle(entry, '은/는')} 올바른 IP 주소나 대역이 아닙니다.",
                                  field="IP 허용 목록", code="invalid_ip") from None
    return " ".join(entries)


def create(*, account_id: int, name: str, now: dt.datetime, actor=None, ip_allowlist: str | None = None,
           plaintext: str | None = None) -> tuple[ApiKey, str]:
    name = rules.required(name, "키 이름", max_length=100)
    allow = _allowlist(ip_allowlist)
    with transaction():
        access.check_api_approved(db.session.get(Account, account_id), to="create_key")
        plaintext = plaintext or PREFIX + secrets.token_urlsafe(30)
        existing = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(plaintext)))
        if existing is not None:          # the deterministic demo key, seeded twice
            return existing, plaintext
        key = ApiKey(account_id=account_id, name=name, prefix=plaintext[:10], key_hash=_hash(plaintext),
                     ip_allowlist=allow, created_at=now, created_by_id=getattr(actor, "id", None))
        db.session.add(key)
    return key, plaintext


def demo_key() -> str:
    """The demo account's key, derived from SECRET_KEY so `seed-demo` can print it again."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"megabird-demo-api-key", hashlib.sha256)
    return PREFIX + "demo_" + digest.hexdigest()[:32]


def authenticate(plaintext: str, *, ip: str | None, now: dt.datetime) -> ApiKey | None:
    if not plaintext or len(plaintext) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(plaintext)))
    if key is None or key.revoked_at is not None:
        return None
    if key.ip_allowlist:
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError:
            return None
        if not any(address in ipaddress.ip_network(net, strict=False) for net in key.ip_allowlist.split()):
            return None
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        db.session.commit()
    return key


def keys_of(account_id: int) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id)))


def revoke(*, account_id: int, key_id, now: dt.datetime) -> ApiKey:
    with transaction():
        key = get_owned(ApiKey, key_id, account_id, for_update=True)
        if key.revoked_at is None:
            key.revoked_at = now
    return key
