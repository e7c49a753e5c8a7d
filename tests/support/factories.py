"""Test data made through the services (not raw rows), so the rules hold."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from app import clock
from app.extensions import db
from app.models import Account, AccountMember, KakaoChannel, SenderNumber
from app.security.roles import CUSTOMER
from app.services.accounts import consents, signup, users
from app.services.senders import kakao_channels, kakao_targeting, optout_numbers
from app.services.kakao import friendtalk_templates
from app.services.kakao import templates as alimtalk_templates
from tests.support.uploads import PDF, png

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


@dataclass
class Customer:
    login: str
    password: str
    user_id: int
    account_id: int
    phone: str


def make_customer(app, *, kind: str = "individual", name: str | None = None, login: str | None = None,
                  cash: int = 0, points: int = 0) -> Customer:
    n = next(_seq)
    login = login or f"user{n}@example.com"
    name = name or f"고객{n}"
    phone = f"010{2000 + n:04d}{n % 10000:04d}"
    with app.app_context():
        now = clock.now()
        user = users.create_user(username=login, email=login if "@" in login else f"{login}@example.com",
                                 name=name, password_hash=users.hash_password(PASSWORD), role_name=CUSTOMER)
        account = signup.create_account(name=name, now=now)
        db.session.add(AccountMember(account_id=account.id, user_id=user.id, is_owner=True, created_at=now))
        consents.record(user_id=user.id, choices={"terms": True, "privacy": True}, at=now, source="signup")
        db.session.add(SenderNumber(account_id=account.id, number=phone, owner_name=name, method="signup",
                                    is_signup=True, status="approved", requested_at=now, reviewed_at=now))
        if kind == "corporate":
            account.kind = "corporate"
            account.company_name = name
            account.brn = "2208112341"
        db.session.commit()
        customer = Customer(login=login, password=PASSWORD, user_id=user.id, account_id=account.id, phone=phone)
    if cash or points:
        fund(app, customer.account_id, cash=cash, points=points)
    return customer


def fund(app, account_id: int, *, cash: int = 0, points: int = 0) -> None:
    """Top up and grant points through the wallet (filled in by the wallet capability)."""
    from tests.support import money
    money.fund(app, account_id, cash=cash, points=points)


def make_staff(app, role: str, login: str | None = None) -> tuple[str, str]:
    login = login or f"{role.lower()}{next(_seq)}"
    with app.app_context():
        users.create_user(username=login, email=f"{login}@megabird.test", name=role,
                          password_hash=users.hash_password(PASSWORD), role_name=role)
        db.session.commit()
    return login, PASSWORD


def approve_optout_number(app, account_id: int, number: str) -> int:
    """An own 080 number approved for the account (SND-09), through the service: the
    request with a document, then an operator's approval. Returns its id."""
    with app.app_context():
        now = clock.now()
        item = optout_numbers.request_number(account_id=account_id, number=number, document=("080.pdf", PDF),
                                             note=None, now=now)
        optout_numbers.decide_number(item.id, approve=True, actor=None, now=now)
        return item.id


def optout_code(app, account_id: int) -> str:
    """The account's 인증코드 on the shared 080 number (SND-09)."""
    with app.app_context():
        return db.session.get(Account, account_id).optout_code


def approve_channel(app, account_id: int, search_id: str = "@shop", admin_phone: str = "01022223344") -> int:
    """A Kakao channel of a corporate account (SND-07), its admin verified (as the sign-up
    sender number of make_customer is), then approved by an operator through the service
    (which records the sender key). Returns its id."""
    with app.app_context():
        now = clock.now()
        channel = KakaoChannel(account_id=account_id, search_id=search_id, admin_phone=admin_phone, verified_at=now,
                               status="requested", requested_at=now)
        db.session.add(channel)
        db.session.commit()
        kakao_channels.decide_channel(channel.id, approve=True, actor=None, now=now)
        return channel.id


def apply_targeting(app, account_id: int, channel_id: int, *, status: str = "requested", friend_count: int = 60_000,
                    reason: str = "수신 동의 증빙이 확인되지 않습니다.") -> int:
    """A Brand Message targeting (M/N) application of the channel (KFT-02) through the
    service — a PDF business document and a PNG consent evidence —, then decided by an
    operator when `status` is approved or rejected. Returns its id."""
    with app.app_context():
        now = clock.now()
        item = kakao_targeting.apply(account_id=account_id, channel_id=channel_id, friend_count=friend_count,
                                     business_document=("사업자등록증명원.pdf", PDF),
                                     consent_document=("수신동의.png", png()), now=now)
        if status in ("approved", "rejected"):
            kakao_targeting.decide(item.id, approve=status == "approved", actor=None, now=now,
                                   reason=reason if status == "rejected" else None)
        return item.id


#: a valid AlimTalk template as the form and the API write it (KAT-01)
TEMPLATE_FIELDS = {"name": "주문 안내", "message_type": "BA", "emphasis_type": "NONE",
                   "content": "#{고객명}님, 주문하신 상품(주문번호 #{주문번호})이 발송되었습니다.",
                   "buttons": [{"type": "WL", "name": "배송 조회", "url_mobile": "https://shop.example.com/o/#{주문번호}"}]}


def make_template(app, account_id: int, channel_id: int, *, status: str = "saved", **fields) -> int:
    """An AlimTalk template through the service, moved to `status` the way people do:
    requested by the customer, started and decided by an operator (the sandbox's reviewer).
    Returns its id."""
    with app.app_context():
        now = clock.now()
        raw = {**TEMPLATE_FIELDS, "channel": channel_id, **fields}
        template = alimtalk_templates.create_template(account_id=account_id, actor=None, raw=raw,
                                                      request_review=status != "saved", now=now)
        if status in ("in_review", "approved", "rejected"):
            alimtalk_templates.start_review(template.id, actor=None, now=now)
        if status in ("approved", "rejected"):
            alimtalk_templates.decide(template.id, approve=status == "approved", actor=None, now=now,
                                      reason="변수 사용이 가이드와 맞지 않습니다." if status == "rejected" else None)
        return template.id


def make_friendtalk_template(app, account_id: int, *, name: str = "겨울 세일", text: str = "#[이름]님, 겨울 세일을 시작합니다.",
                             buttons=None, image: tuple[str, bytes] | None = None, wide: bool = False) -> int:
    """A saved 친구톡 content (KFT-01) through the service; returns its id."""
    with app.app_context():
        return friendtalk_templates.create_template(account_id=account_id, name=name, text=text, buttons=buttons,
                                                    image=image, wide=wide, now=clock.now()).id
