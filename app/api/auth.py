"""Bearer-key authentication, the per-key rate limit and the body-size limit (API-01,
API-02). Errors are JSON (API-04) through app/web.py's handlers."""
from __future__ import annotations

import datetime as dt
import functools

from flask import g, request
from redis.exceptions import RedisError

from app import clock
from app.errors import MegabirdError, TooManyRequests
from app.extensions import redis_connection
from app.services.accounts import access, api_keys

RATE_PER_SECOND = 100
MAX_BODY = 1024 * 1024                 # 1 MB, images excluded
MAX_BODY_WITH_IMAGES = 8 * 1024 * 1024   # a 친구톡 image of 5 MB in base64, and the rest


class Unauthorized(MegabirdError):
    status = 401
    code = "unauthorized"


class PayloadTooLarge(MegabirdError):
    status = 413
    code = "payload_too_large"


def _rate_limit(key_id: int) -> None:
    # the wall-clock second from the one clock (so that tests can pin it)
    second = int(clock.now().replace(tzinfo=dt.timezone.utc).timestamp())
    try:
        conn = redis_connection()
        name = f"megabird:api-rate:{key_id}:{second}"
        with conn.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, 2)
            count = pipe.execute()[0]
    except RedisError:
        return  # the limit protects us; without Redis we still serve (sends are safe anyway)
    if count > RATE_PER_SECOND:
        raise TooManyRequests("요청이 너무 많습니다. API 키당 초당 100건까지 요청할 수 있습니다.", retry_after=1)


def require_key(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("API 키가 필요합니다. Authorization: Bearer <키> 헤더를 보내주세요.")
        key = api_keys.authenticate(token.strip(), ip=request.remote_addr, now=clock.now())
        if key is None:
            raise Unauthorized("유효하지 않거나 폐기된 API 키이거나, 허용되지 않은 IP에서의 요청입니다.")
        access.api_client(key.account_id)
        _rate_limit(key.id)
        if request.content_length and request.content_length > MAX_BODY_WITH_IMAGES:
            raise PayloadTooLarge("요청 본문은 이미지를 제외하고 1MB 이하여야 합니다.")
        g.api_key = key
        g.api_account_id = key.account_id
        return view(*args, **kwargs)
    return wrapper
