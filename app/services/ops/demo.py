"""Demo data (ACC-09): one login per role, two customers with sender numbers, money and
the consents a sign-up records (kim also has a 잔액 부족 알림), so that every page has
something to show — kim's ads use the shared 무료거부 080 number with kim's 인증코드,
megazone has an own approved 080 number (SND-09), the Kakao channel @megabird with an approved
and a rejected AlimTalk template (KAT-03), and 세금계산서 매월 자동 발행 to its tax contact (TAX-01;
its cash is a bank-transfer credit, so its sends are invoiced). Idempotent: running it again resets the
demo passwords and adds only what is missing."""
from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash
from sqlalchemy import select

from app.domain import sms
from app.domain.brn import brn_check_digit
from app.domain.recipients import Recipient
from app.domain.sms_plan import SmsRequest
from app import gateways
from app.extensions import db
from app.models import (Account, AccountMember, AlimtalkTemplate, Contact, ContactGroup, KakaoChannel, LowBalanceAlert,
                        MessageTemplate, OptoutNumber, Send, SenderNumber)
from app.security.roles import ADMIN, CUSTOMER, FINANCE, OPERATOR
from app.services.accounts import api_keys, consents, signup, users
from app.services.billing import customer as billing_customer
from app.services.kakao import templates as alimtalk_templates
from app.services.sending import acceptance, dispatch, lifecycle, reports
from app.services.shared.uow import transaction
from app.services.wallet import ledger, low_balance

DEMO_BRN = "220811234" + str(brn_check_digit("220811234"))
DEMO_OPTOUT = "0801234567"

STAFF = [("admin", "관리자", ADMIN), ("operator", "운영자", OPERATOR), ("finance", "재무담당", FINANCE)]
CUSTOMERS = {
    "kim": {"name": "김민지", "kind": "individual", "cap": None, "phone": "01021133451",
            "extra_senders": [], "cash": 100_000, "points": 1_000},
    "megazone": {"name": "메가존", "kind": "corporate", "cap": 1_000_000, "phone": "01021133452",
                 "extra_senders": [("0212345678", "company"), ("15881234", "company")],
                 "cash": 10_000_000, "points": 50_000},
}

LOGINS = [login for login, _, _ in STAFF] + list(CUSTOMERS)


def _passwords_file() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "demo_passwords.json"


def demo_password(login: str) -> str:
    """Random per instance (issue 13): generated once, kept in <instance>/demo_passwords.json
    (readable by its owner only), so that no two installs share the demo logins' passwords."""
    path = _passwords_file()
    known = json.loads(path.read_text()) if path.exists() else {}
    if login not in known:
        known[login] = f"mb-{secrets.token_urlsafe(9)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1))
        tmp.chmod(0o600)
        tmp.replace(path)
    return known[login]


def still_demo_password(user) -> bool:
    """True while the person has not changed the demo password of this login."""
    return bool(user.password) and check_password_hash(user.password, demo_password(user.username))


def demo_logins() -> list[str]:
    """The demo logins whose password is still the demo one, as `seed-demo` prints them."""
    sm = current_app.appbuilder.sm
    lines = []
    for login, role in [(login, role) for login, _, role in STAFF] + [(login, CUSTOMER) for login in CUSTOMERS]:
        user = sm.find_user(username=login)
        if user is not None:
            shown = demo_password(login) if still_demo_password(user) else "(changed)"
            lines.append(f"login={login} password={shown} role={role}")
    return lines


def _ensure_user(login: str, name: str, role_name: str):
    """The demo login, created with its demo password; an existing one keeps the password
    its person set (never reset over it)."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=login)
    if user is None:
        user = users.create_user(username=login, email=f"{login}@megabird.test", name=name,
                                 password_hash=users.hash_password(demo_password(login)), role_name=role_name)
    else:
        user.active = True
        role = sm.find_role(role_name)
        if role not in user.roles:
            user.roles.append(role)
    db.session.flush()
    return user


def _ensure_account(user, spec: dict, now: dt.datetime) -> Account:
    member = db.session.scalar(select(AccountMember).where(AccountMember.user_id == user.id))
    if member is not None:
        account = member.account
    else:
        account = signup.create_account(name=spec["name"], now=now)
        db.session.add(AccountMember(account_id=account.id, user_id=user.id, is_owner=True, created_at=now))
    if spec["cap"]:
        account.daily_cap = spec["cap"]
    if spec["kind"] == "corporate" and not account.is_corporate:
        account.kind = "corporate"
        account.display_name = "메가존(주)"
        account.brn = DEMO_BRN
        account.company_name = "메가존(주)"
        account.representative = "홍길동"
        account.business_address = "서울특별시 강남구 논현로85길 46"
        account.business_type = "서비스"
        account.business_item = "소프트웨어"
        account.api_status = "approved"
    if spec["kind"] == "corporate":
        # an own 080 number, approved (SND-09), the account's default for its ads
        own = db.session.scalar(select(OptoutNumber).where(OptoutNumber.account_id == account.id,
                                                           OptoutNumber.number == DEMO_OPTOUT))
        if own is None:
            db.session.add(OptoutNumber(account_id=account.id, number=DEMO_OPTOUT, note="데모 자체 080 번호",
                                        status="approved", requested_at=now, reviewed_at=now))
        account.optout_number = DEMO_OPTOUT
    senders = [(spec["phone"], "personal", True)] + [(n, t, False) for n, t in spec["extra_senders"]]
    for number, owner_type, is_signup in senders:
        exists = db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account.id,
                                                              SenderNumber.number == number))
        if exists is None:
            db.session.add(SenderNumber(account_id=account.id, number=number, owner_name=spec["name"],
                                        owner_type=owner_type, method="signup" if is_signup else "document",
                                        is_signup=is_signup, status="approved", requested_at=now,
                                        reviewed_at=now))
    if spec["kind"] == "corporate":
        channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account.id,
                                                               KakaoChannel.search_id == "@megabird"))
        if channel is None:
            db.session.add(KakaoChannel(account_id=account.id, search_id="@megabird", admin_phone=spec["phone"],
                                        verified_at=now, status="approved", requested_at=now, reviewed_at=now,
                                        sender_key=_demo_sender_key()))
    db.session.flush()
    return account


def _demo_sender_key() -> str:
    """@megabird's sender key: the sandbox's, or the one configured for a dealer (the local
    dealer of `GATEWAY_KAKAO=nhn LOCAL_DEALER=1 scripts/start` registers it under that key)."""
    if gateways.configured("kakao") and current_app.config.get("GATEWAY_KAKAO") == "nhn":
        return gateways.get_gateway("kakao").channel_sender_key("@megabird")
    return "SANDBOX-@megabird"


#: megazone's 세금계산서 settings (TAX-01): 매월 자동 발행 to its tax contact
DEMO_TAX_SETTINGS = {"issue": "auto", "contact_name": "홍길동", "contact_email": "tax@megabird.test",
                     "contact_phone": "02-1234-5678", "request_note": "매월 메시지 발송 이용료"}


def _ensure_tax_invoice_settings(account: Account, now: dt.datetime) -> None:
    """매월 자동 발행 with a contact, through the page's own service, while the account has no
    tax contact (an account whose person has set one keeps it, and their 발행 여부)."""
    if not account.tax_contact_email:
        billing_customer.save_settings(account_id=account.id, form=DEMO_TAX_SETTINGS, actor=None, now=now)


def _ensure_money(login: str, account: Account, spec: dict, now: dt.datetime) -> None:
    """The demo balances, credited once (the keys make a second run a no-op)."""
    ledger.topup(account.id, spec["cash"], key=f"demo:{login}:topup", now=now, memo="데모 충전")
    ledger.grant_points(account.id, spec["points"], reason="데모 포인트", key=f"demo:{login}:points", now=now)


def _ensure_consents(login: str, user, now: dt.datetime) -> None:
    """The consents of a sign-up (ACC-01), recorded once: megazone also agreed to marketing."""
    if not consents.current(user.id):
        consents.record(user_id=user.id, choices={"terms": True, "privacy": True, "marketing": login == "megazone"},
                        at=now, source="demo")


def _ensure_low_balance_alert(account: Account, now: dt.datetime) -> None:
    """kim is told by SMS and e-mail below 10,000 won (set once; a change made since stays)."""
    if db.session.get(LowBalanceAlert, account.id) is None:
        low_balance.configure(account_id=account.id, enabled=True, threshold=10_000, by_sms=True, by_email=True,
                              now=now)


DEMO_CONTACTS = [("홍길동", "01023450001", "골드"), ("김영희", "01023450002", "실버"), ("이철수", "01023450003", "골드"),
                 ("박민수", "01023450090", "브론즈"), ("최지우", "01023450094", "실버")]


def _ensure_address_book(account: Account, now: dt.datetime) -> None:
    group = db.session.scalar(select(ContactGroup).where(ContactGroup.account_id == account.id,
                                                         ContactGroup.name == "고객사1"))
    if group is None:
        group = ContactGroup(account_id=account.id, name="고객사1", created_at=now)
        db.session.add(group)
        db.session.flush()
        for name, phone, grade in DEMO_CONTACTS:
            db.session.add(Contact(account_id=account.id, group_id=group.id, name=name, phone=phone, var1=grade,
                                   created_at=now))
    if db.session.scalar(select(MessageTemplate.id).where(MessageTemplate.account_id == account.id)) is None:
        db.session.add(MessageTemplate(account_id=account.id, name="등급 안내", title="[메가존] 회원 등급 안내",
                                       body="#[이름]님, 이번 달 회원 등급은 #[1]입니다. 감사합니다.", created_at=now,
                                       updated_at=now))


#: megazone's AlimTalk templates on @megabird (09-api.md: one approved with #{고객명}, #{주문번호}
#: and a web-link button, so that AlimTalk can be sent at once; 06-kakao.md: one rejected, its
#: reason in the review history). (fields, the reviewer's reason or None for an approval)
DEMO_TEMPLATES = [
    ({"name": "주문 발송 안내", "message_type": "BA", "emphasis_type": "NONE", "category": "006001",
      "content": "#{고객명}님, 주문하신 상품이 발송되었습니다.\n주문번호: #{주문번호}\n배송 조회는 아래 버튼을 눌러주세요.",
      "buttons": [{"type": "WL", "name": "배송 조회", "url_mobile": "https://shop.megazone.example/orders/#{주문번호}",
                   "url_pc": "https://shop.megazone.example/orders/#{주문번호}"}]}, None),
    ({"name": "주말 특가 쿠폰 안내", "message_type": "BA", "emphasis_type": "NONE",
      "content": "#{고객명}님께만 드리는 주말 특가 쿠폰! 지금 바로 사용하세요."},
     "광고성 내용(특가, 쿠폰)은 알림톡으로 보낼 수 없습니다. 주문·배송 등 정보성 내용으로 고치거나 친구톡으로 보내주세요."),
]


def _ensure_alimtalk_templates(account: Account, customer, now: dt.datetime) -> None:
    """megazone's templates, made as people make them: the customer saves and requests
    each, the demo operator starts the review and decides it (the sandbox's reviewer).
    A template of the same name is left as it is. Where a dealer reviews (not the
    sandbox), the templates wait for its review."""
    channel = db.session.scalar(select(KakaoChannel).where(KakaoChannel.account_id == account.id,
                                                           KakaoChannel.search_id == "@megabird"))
    operator = current_app.appbuilder.sm.find_user(username="operator")
    for fields, reason in DEMO_TEMPLATES:
        if db.session.scalar(select(AlimtalkTemplate.id).where(AlimtalkTemplate.account_id == account.id,
                                                               AlimtalkTemplate.name == fields["name"])):
            continue
        template = alimtalk_templates.create_template(account_id=account.id, actor=customer,
                                                      raw={**fields, "channel": channel.id}, request_review=True,
                                                      now=now)
        if alimtalk_templates.reviewed_by_operators():
            alimtalk_templates.start_review(template.id, actor=operator, now=now)
            alimtalk_templates.decide(template.id, approve=reason is None, actor=operator, now=now, reason=reason)


def _ensure_sends(accounts: dict[str, Account], now: dt.datetime) -> None:
    """A few completed sends, run through the real pipeline (the sandbox answers at once
    when the clock is moved past its report delay)."""
    created = []
    sends = [
        ("megazone", "#[이름]님, 이번 달 회원 등급은 #[1]입니다. 감사합니다.", None),
        ("megazone", "[메가존] 12월 정기 점검 안내\n12월 10일 02:00~04:00 서비스 점검이 있습니다. "
                     "이용에 참고 부탁드립니다. 항상 메가존을 이용해주셔서 감사합니다. " * 2, None),
        ("kim", "안녕하세요, 김민지입니다. 내일 모임 잊지 마세요!", ["01023450011", "01023450012", "01023450097"])]
    ads = [("kim", "이번 주말 공방 클래스 20% 할인! 선착순 10명.", ["01023450021", "01023450094"])]
    if not sms.in_night_window(now):     # no ad at night (SMS-06): a run in the day adds it
        sends += ads
    for login, body, phones in sends:
        account = accounts[login]
        is_ad = (login, body, phones) in ads     # the shared 080 number with kim's 인증코드; 94 calls it
        if db.session.scalar(select(Send.id).where(Send.account_id == account.id, Send.body == body)):
            continue
        sender = db.session.scalar(select(SenderNumber.number).where(SenderNumber.account_id == account.id,
                                                                     SenderNumber.status == "approved"))
        people = ([Recipient(p, n, {"1": g}, i + 1) for i, (n, p, g) in enumerate(DEMO_CONTACTS)] if phones is None
                  else [Recipient(p, None, {}, i + 1) for i, p in enumerate(phones)])
        result = acceptance.accept(SmsRequest(account_id=account.id, sender=sender, body=body, recipients=people,
                                              group_names=["고객사1"] if phones is None else [], is_ad=is_ad,
                                              ad_company="김민지공방" if is_ad else None), now=now)
        created.append(result.send.id)
    for send_id in created:
        dispatch.dispatch_send(send_id, now_fn=lambda: now)
    if created:
        reports.poll_reports(now + dt.timedelta(minutes=1))
        lifecycle.settle(now + dt.timedelta(minutes=1))


def seed(now: dt.datetime) -> list[str]:
    lines = []
    with transaction():
        for login, name, role in STAFF:
            _ensure_user(login, name, role)
        accounts: dict[str, Account] = {}
        for login, spec in CUSTOMERS.items():
            user = _ensure_user(login, spec["name"], CUSTOMER)
            accounts[login] = _ensure_account(user, spec, now)
            if spec["kind"] == "corporate":
                _ensure_tax_invoice_settings(accounts[login], now)
            _ensure_consents(login, user, now)
            _ensure_money(login, accounts[login], spec, now)
        lines += demo_logins()
    _key, plaintext = api_keys.create(account_id=accounts["megazone"].id, name="데모 키", now=now,
                                      plaintext=api_keys.demo_key())
    lines.append(f"api_key={plaintext}")
    with transaction():
        _ensure_address_book(accounts["megazone"], now)
        _ensure_low_balance_alert(accounts["kim"], now)
        _ensure_alimtalk_templates(accounts["megazone"], current_app.appbuilder.sm.find_user(username="megazone"),
                                   now)
    _ensure_sends(accounts, now)
    return lines
