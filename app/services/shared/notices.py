"""What megabird tells a customer on its own: a notice in the portal (알림, the list behind
the header's unread count) and an e-mail to the account's owner.

A use case adds both to its own transaction (`post`), so they exist exactly when the event
they tell about committed — a review decided (`review_decided`, called by
`shared/reviews.decide` for every queue), a balance that fell below its alert threshold
(`wallet/low_balance`). The e-mail is handed to the mail server after the commit by a job
enqueued by its dotted name; the tick delivers what is left pending (a lost enqueue, Redis
down). Each e-mail is claimed by a conditional UPDATE (`pending → sending`) before it is
sent, so a job run twice, or two at once, sends it once; a failure puts it back for the
next run, up to MAX_ATTEMPTS. A worker killed between the claim and the mail server leaves
it `sending`: at most once, as the service's own SMS (`system_messages`)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from sqlalchemy import func, select, update

from app import clock
from app.domain.brn import format_brn
from app.domain.korean import josa
from app.domain.numbers import format_number
from app.extensions import db
from app.models import Account, AccountMember, AccountNotice, MailOutbox, SenderNumber, StoredFile, User
from app.security.tenancy import get_owned
from app.services.shared import background, files, mail, paging, uow

log = logging.getLogger(__name__)

DELIVERY_JOB = "app.jobs.notices.deliver_mail"
MAX_ATTEMPTS = 5
PER_PAGE = 20


# --- whom to tell -------------------------------------------------------------------------------------------

def owner_email(account_id: int) -> str | None:
    """The e-mail of the account's owner (the login that signed up)."""
    return db.session.scalar(select(User.email).join(AccountMember, AccountMember.user_id == User.id)
                             .where(AccountMember.account_id == account_id, AccountMember.is_owner.is_(True))
                             .order_by(AccountMember.id).limit(1))


def owner_phone(account_id: int) -> str | None:
    """The mobile number verified at sign-up (the account's first sender number)."""
    return db.session.scalar(select(SenderNumber.number).where(
        SenderNumber.account_id == account_id, SenderNumber.is_signup.is_(True),
        SenderNumber.status == "approved").order_by(SenderNumber.id).limit(1))


# --- writing ------------------------------------------------------------------------------------------------

def post(*, account_id: int, kind: str, title: str, body: str, now: dt.datetime, link: str | None = None,
         email: bool = True) -> AccountNotice:
    """A notice for the account and, when `email`, the same text by e-mail to its owner.
    Runs in the caller's transaction; the e-mail goes out after it has committed."""
    notice = AccountNotice(account_id=account_id, kind=kind, title=title, body=body, link=link, created_at=now)
    db.session.add(notice)
    db.session.flush()
    to = owner_email(account_id) if email else None
    if to:
        queue_mail(recipient=to, subject=f"[megabird] {title}", body=_mail_body(account_id, body, now),
                   account_id=account_id, notice_id=notice.id, now=now)
    return notice


def queue_mail(*, recipient: str, subject: str, body: str, now: dt.datetime, account_id: int | None = None,
               notice_id: int | None = None, attachment_file_id: int | None = None) -> MailOutbox:
    """Add an e-mail (with a stored file attached, if any) to the caller's transaction; its
    delivery is enqueued once it has committed."""
    row = MailOutbox(recipient=recipient, subject=subject, body=body, account_id=account_id,
                     notice_id=notice_id, state="pending", attempts=0, created_at=now,
                     attachment_file_id=attachment_file_id)
    db.session.add(row)
    uow.after_commit(lambda: background.enqueue("default", DELIVERY_JOB), key=DELIVERY_JOB)
    return row


def _mail_body(account_id: int, body: str, now: dt.datetime) -> str:
    name = db.session.scalar(select(Account.display_name).where(Account.id == account_id)) or "고객"
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return (f"안녕하세요, {name}님. megabird입니다.\n\n{body}\n\n"
            f"알림 일시: {clock.to_kst(now):%Y-%m-%d %H:%M} (한국 시간)\n"
            f"알림 목록: {base}/notices/\n\n"
            "본 메일은 발신 전용입니다. 궁금한 점은 고객센터로 문의해주세요.\n")


# --- delivering ---------------------------------------------------------------------------------------------

def deliver_pending(now: dt.datetime, limit: int = 200) -> int:
    """Claim pending e-mails one by one (each at most once), send them, record the
    outcome. Commits (a job and a task of the tick). Returns how many were sent."""
    ids = list(db.session.scalars(select(MailOutbox.id).where(MailOutbox.state == "pending")
                                  .order_by(MailOutbox.id).limit(limit)))
    db.session.commit()
    sent = 0
    for mail_id in ids:
        claimed = db.session.execute(update(MailOutbox).where(MailOutbox.id == mail_id, MailOutbox.state == "pending")
                                     .values(state="sending", attempts=MailOutbox.attempts + 1))
        db.session.commit()
        if claimed.rowcount != 1:
            continue            # another job has it
        row = db.session.get(MailOutbox, mail_id)
        recipient, subject, body, attempts = row.recipient, row.subject, row.body, row.attempts
        attached = db.session.get(StoredFile, row.attachment_file_id) if row.attachment_file_id else None
        attachments = ([(attached.original_name, files.path_of(attached).read_bytes(), attached.content_type)]
                       if attached else [])
        db.session.commit()     # no transaction open while the mail server is slow
        try:
            mail.send(to=recipient, subject=subject, body=body, attachments=attachments)
        except Exception as exc:  # the server refused or is down: the next run tries again
            log.warning("mail %s to %s failed (attempt %s): %s", mail_id, recipient, attempts, exc)
            db.session.execute(update(MailOutbox).where(MailOutbox.id == mail_id).values(
                state="failed" if attempts >= MAX_ATTEMPTS else "pending", last_error=str(exc)[:500]))
        else:
            db.session.execute(update(MailOutbox).where(MailOutbox.id == mail_id)
                               .values(state="sent", sent_at=now, last_error=None))
            sent += 1
        db.session.commit()
    return sent


# --- reading (the portal) -----------------------------------------------------------------------------------

def unread_count(account_id: int) -> int:
    return int(db.session.scalar(select(func.count(AccountNotice.id)).where(
        AccountNotice.account_id == account_id, AccountNotice.read_at.is_(None))) or 0)


def recent(account_id: int, limit: int = 5) -> list[AccountNotice]:
    return list(db.session.scalars(select(AccountNotice).where(AccountNotice.account_id == account_id)
                                   .order_by(AccountNotice.id.desc()).limit(limit)))


def page_of(account_id: int, page: int) -> tuple[list[AccountNotice], int]:
    return paging.paginate(select(AccountNotice).where(AccountNotice.account_id == account_id),
                           AccountNotice.id.desc(), page=page, per_page=PER_PAGE)


def mark_read(*, account_id: int, notice_id, now: dt.datetime) -> AccountNotice:
    """One notice of the account read (another account's id: NotFound)."""
    with uow.transaction():
        notice = get_owned(AccountNotice, notice_id, account_id)
        if notice.read_at is None:
            notice.read_at = now
    return notice


def mark_all_read(*, account_id: int, now: dt.datetime) -> int:
    with uow.transaction():
        result = db.session.execute(update(AccountNotice).where(
            AccountNotice.account_id == account_id, AccountNotice.read_at.is_(None)).values(read_at=now))
    return result.rowcount


# --- review decisions (every queue of shared/reviews) ------------------------------------------------------

@dataclass(frozen=True)
class Reviewed:
    """How a queue's decision reads to the customer."""
    subject: Callable[[object], str]             # the item, as the sentence names it
    approved: Callable[[object], str]            # what approval lets the customer do now
    link: str                                    # the portal page of the item
    rejected: str = "반려 사유를 확인하고 내용을 고쳐 다시 신청해주세요."


#: object_type (as reviews.decide audits it) -> its wording; a queue not listed tells nothing
REVIEWED: dict[str, Reviewed] = {
    "sender_number": Reviewed(
        subject=lambda item: f"발신번호 {format_number(item.number)} 등록",
        approved=lambda item: "이제 이 번호로 문자를 보낼 수 있습니다.",
        rejected="반려 사유를 확인하고 서류를 보완해 다시 신청해주세요.",
        link="SenderView.index"),
    "kakao_channel": Reviewed(
        subject=lambda item: f"카카오 채널 {item.search_id} 등록",
        approved=lambda item: "이제 이 채널로 알림톡과 친구톡을 보낼 수 있습니다.",
        link="SenderView.index"),
    "kakao_targeting": Reviewed(
        subject=lambda item: f"카카오 채널 {item.channel.search_id}의 타겟팅(M/N) 신청",
        approved=lambda item: ("이제 이 채널의 친구톡(브랜드 메시지)을 채널 친구가 아닌 마케팅 수신 동의자(M/N)에게도 보낼 수 "
                               "있습니다. M/N 발송에는 승인된 자체 080 수신거부 번호가 필요합니다."),
        rejected="채널 상세에서 반려 사유를 확인하고 서류를 보완해 다시 신청해주세요.",
        link="SenderView.index"),
    "alimtalk_template": Reviewed(
        subject=lambda item: f"알림톡 템플릿 '{item.name}'({item.code}) 등록",
        approved=lambda item: "이제 이 템플릿으로 알림톡을 보낼 수 있습니다.",
        rejected="템플릿 상세의 검수 이력에서 반려 사유를 확인하고, 템플릿을 수정해 다시 등록 요청해주세요.",
        link="AlimtalkTemplateView.index"),
    "corporate_conversion": Reviewed(
        subject=lambda item: "기업전환 신청",
        approved=lambda item: (f"{josa(item.company_name, '으로/로')} 기업회원 전환이 완료되었습니다. 이제 카카오톡 "
                               "비즈메시지, 세금계산서, API 사용 신청과 사용자 초대를 이용할 수 있습니다."),
        link="MyPageView.conversion"),
    "company_change_request": Reviewed(
        subject=lambda item: "기업정보 변경 신청",
        approved=lambda item: (f"새 사업자 등록 정보가 반영되었습니다 (상호: {item.company_name}, 사업자등록번호: "
                               f"{format_brn(item.brn)}). 마이페이지 > 기업정보와 이후 준비되는 세금계산서에 새 정보가 "
                               "쓰입니다."),
        rejected="마이페이지 > 기업정보에서 반려 사유를 확인하고, 내용을 고쳐 새 사업자등록증과 함께 다시 신청해주세요. "
                 "그때까지는 기존 사업자 등록 정보가 그대로 쓰입니다.",
        link="MyPageView.company"),
    "api_use_application": Reviewed(
        subject=lambda item: "API 사용 신청",
        approved=lambda item: "마이페이지 > API 사용 신청에서 API 키를 만들어 연동을 시작할 수 있습니다.",
        link="MyPageView.api_use"),
}


def review_decided(*, object_type: str, item, approved: bool, reason: str | None, now: dt.datetime) -> None:
    """A notice and an e-mail saying how the customer's request was decided, with the
    reason of a rejection. Runs in the transaction of the decision."""
    wording = REVIEWED.get(object_type)
    account_id = getattr(item, "account_id", None)
    if wording is None or account_id is None:
        return
    subject = wording.subject(item)
    outcome = "승인되었습니다" if approved else "반려되었습니다"
    title = f"{josa(subject, '이/가')} {outcome}"
    if approved:
        body = f"요청하신 {josa(subject, '이/가')} {outcome}.\n{wording.approved(item)}"
    else:
        body = f"요청하신 {josa(subject, '이/가')} {outcome}.\n반려 사유: {reason}\n{wording.rejected}"
    post(account_id=account_id, kind=f"review:{object_type}", title=title, body=body, link=wording.link, now=now)
