"""The typed error tree. Domain rules and services raise these; views and the API
map them to a 4xx with the Korean message (and the field or row it concerns).

No Flask here: `app/domain` may raise these too.
"""
from __future__ import annotations


class MegabirdError(Exception):
    """A refusal the user can act on. `message` is Korean and names the field or row."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 details: list | dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationError(MegabirdError):
    status = 422
    code = "invalid"


class NotFound(MegabirdError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "요청하신 항목을 찾을 수 없습니다.", **kw):
        super().__init__(message, **kw)


class Forbidden(MegabirdError):
    status = 403
    code = "forbidden"


class Conflict(MegabirdError):
    status = 409
    code = "conflict"


class TooManyRequests(MegabirdError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int = 1, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class UpstreamUnavailable(MegabirdError):
    """A service megabird depends on (a Kakao dealer, a carrier) cannot answer now: nothing
    was changed, and the same request may be tried again later."""

    status = 503
    code = "upstream_unavailable"


class InvalidState(Conflict):
    """The object is not in a state that allows this action (already decided, ...)."""

    code = "invalid_state"
