"""What an account may do right now (ACC-06, ACC-10): the refusals that the pages, the
integration API and the send pipeline share, so that each is worded and decided once."""
from __future__ import annotations

from sqlalchemy import select

from app import gateways
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.models import Account

API_REFUSALS = {
    "use": "API 사용 승인이 취소된 계정입니다.",
    "create_key": "API 사용이 승인된 계정만 API 키를 만들 수 있습니다. 마이페이지에서 API 사용을 신청해주세요.",
    "webhooks": "API 사용이 승인된 계정만 웹훅을 등록할 수 있습니다. 마이페이지에서 API 사용을 신청해주세요.",
}


def check_not_suspended(account: Account) -> None:
    """ACC-10: a suspended account sends nothing and spends nothing."""
    if account.is_suspended:
        raise Forbidden(f"이용이 정지된 계정입니다: {account.suspended_reason}", code="account_suspended")


KAKAO_CORPORATE_ONLY = "카카오 비즈메시지는 기업회원만 이용 가능합니다. 마이페이지에서 기업전환을 먼저 신청해주세요."
KAKAO_UNAVAILABLE = "카카오톡 발송이 설정되지 않아 지금은 알림톡·친구톡을 이용할 수 없습니다. 고객센터에 문의해주세요."


def kakao_available() -> bool:
    """Issue 20: whether a Kakao gateway is configured that can carry AlimTalk and 친구톡
    (not GATEWAY_KAKAO=none, and no sandbox in production mode: app/gateways)."""
    return gateways.kakao_available()


def check_kakao_available() -> None:
    """Without a Kakao gateway every Kakao use case is refused (409 `kakao_unavailable`)
    before it writes anything or holds any money. 409 rather than 503: the service is up,
    it is this installation's state that does not allow the request, and a client retrying
    on 5xx would retry in vain."""
    if not kakao_available():
        raise Conflict(KAKAO_UNAVAILABLE, code="kakao_unavailable")


def check_kakao_allowed(account_id: int, *, field: str) -> Account:
    """06-kakao.md: Kakao channels, AlimTalk templates and Kakao sends are for corporate
    accounts only (an individual is pointed to 기업전환) — and only when there is a Kakao
    gateway at all (issue 20; asked first: 기업전환 would not help)."""
    check_kakao_available()
    account = db.session.get(Account, account_id)
    if account is None or not account.is_corporate:
        raise Forbidden(KAKAO_CORPORATE_ONLY, field=field, code="corporate_only")
    return account


def is_suspended(account_id: int) -> bool:
    """Asked before every dispatched batch (one small read)."""
    return db.session.scalar(select(Account.suspended_at).where(Account.id == account_id)) is not None


def check_api_approved(account: Account | None, *, to: str = "use") -> None:
    """ACC-06: the API, and API keys, only for accounts whose API use is approved."""
    if account is None or account.api_status != "approved":
        raise Forbidden(API_REFUSALS[to], code="api_not_approved")


def api_client(account_id: int) -> Account:
    """The account an API key acts for, refused when it may not use the API now."""
    account = db.session.get(Account, account_id)
    check_not_suspended(account)
    check_api_approved(account)
    return account
