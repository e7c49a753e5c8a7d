"""타겟팅 (M/N) 신청 (06-kakao.md KFT-02): a Brand Message goes to the channel's friends
(`I`) unless the channel is marked eligible for `M`/`N` — people who are not its friends
but consented to marketing. The customer applies on the channel's page (a business-
verification document, the channel's friend count — Kakao asks for at least 50,000 —, the
consent evidence; the files checked by their content and stored as a sender number's
are, SND-04); an operator approves or rejects with a reason through the one review state
machine (app/services/shared/reviews.py: locked, audited, the customer told). A rejected
application is sent again with new files, which replace the old.

    (none: 미신청) ──apply──► requested (심사중) ──review──► approved (승인)
                                   ▲                └──────► rejected (반려) ──apply──┐
                                   └──────────────────────────────────────────────────┘

The send pipeline asks one question: `targeting_choices(account_id, channel_id)` —
`("I",)`, or `("I", "M", "N")` when the channel's application is approved and the account
has a registered 080 opt-out number (an own number an operator approved:
app/services/accounts/optout_codes.approved_own; the service's shared number is not
registered to anyone)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain import kakao_targeting as rules
from app.domain.files import check_document
from app.domain.korean import josa
from app.errors import Conflict, InvalidState, ValidationError
from app.extensions import db
from app.models import KakaoChannel, KakaoTargetingApplication
from app.models.sender import TARGETING_STATUS_LABELS
from app.security.tenancy import get_owned
from app.services.accounts import access, optout_codes
from app.services.shared import files, reviews
from app.services.shared.uow import transaction

__all__ = ["STATUS_LABELS", "BUSINESS_LABEL", "CONSENT_LABEL", "FRIEND_COUNT_LABEL", "TargetingState",
           "application_of", "state_of", "apply", "decide", "approve", "reject", "is_targeting_approved",
           "targeting_choices", "discard"]

STATUS_LABELS = TARGETING_STATUS_LABELS
BUSINESS_LABEL = rules.BUSINESS_FIELD
CONSENT_LABEL = rules.CONSENT_FIELD
FRIEND_COUNT_LABEL = rules.FRIEND_COUNT_FIELD
BUSINESS_KIND = "targeting_business"
CONSENT_KIND = "targeting_consent"
OBJECT_TYPE = "kakao_targeting"


@dataclass(frozen=True)
class TargetingState:
    """What the channel's page shows of its targeting: the application (None: 미신청),
    whether the customer may apply now, and what a Brand Message of the channel may target."""
    application: KakaoTargetingApplication | None
    channel_approved: bool
    has_optout_number: bool
    choices: tuple[str, ...]

    @property
    def status(self) -> str | None:
        return self.application.status if self.application is not None else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def can_apply(self) -> bool:
        return self.channel_approved and self.status in (None, "rejected")


def _application(channel_id: int, *, for_update: bool = False) -> KakaoTargetingApplication | None:
    stmt = select(KakaoTargetingApplication).where(KakaoTargetingApplication.channel_id == channel_id)
    return db.session.scalar(stmt.with_for_update() if for_update else stmt)


def application_of(account_id: int, channel_id) -> KakaoTargetingApplication | None:
    """The channel's application, None when there is none; NotFound for another account's
    channel. Reads only."""
    channel = get_owned(KakaoChannel, channel_id, account_id)
    return _application(channel.id)


def state_of(account_id: int, channel_id) -> TargetingState:
    """The channel page's section (NotFound for another account's channel). Reads only."""
    channel = get_owned(KakaoChannel, channel_id, account_id)
    application = _application(channel.id)
    has_080 = bool(optout_codes.approved_own(account_id))
    eligible = _approved(channel, application)
    return TargetingState(application, channel.status == "approved", has_080,
                          rules.choices(eligible=eligible, has_optout_number=has_080))


def _required_file(document: tuple[str, bytes] | None, label: str):
    filename, data = document or ("", b"")
    if not filename and not data:
        raise ValidationError(f"{josa(label, '을/를')} 첨부해주세요.", field=label, code="required")
    return filename, data, check_document(filename, data, field=label)


def apply(*, account_id: int, channel_id, friend_count, business_document: tuple[str, bytes] | None,
          consent_document: tuple[str, bytes] | None, now: dt.datetime) -> KakaoTargetingApplication:
    """The customer applies for M/N on an approved channel of its own (or again after a
    rejection): every field is checked before anything is written — 친구 수 at least
    50,000, both files jpg/png/pdf by their content —; the application waits in the
    operators' queue. Opens its transaction (joins the caller's)."""
    access.check_kakao_allowed(account_id, field=rules.FRIEND_COUNT_FIELD)
    count = rules.friend_count(friend_count)
    checked = [(BUSINESS_KIND, *_required_file(business_document, BUSINESS_LABEL)),
               (CONSENT_KIND, *_required_file(consent_document, CONSENT_LABEL))]
    with transaction():
        channel = get_owned(KakaoChannel, channel_id, account_id, for_update=True)
        if channel.status != "approved":
            raise InvalidState("등록완료된 카카오 채널만 타겟팅(M/N)을 신청할 수 있습니다. 채널 승인 후 신청해주세요.",
                               code="channel_not_approved")
        item = _application(channel.id, for_update=True)
        if item is not None and item.status == "requested":
            raise Conflict("이 채널의 타겟팅(M/N) 신청을 이미 심사하고 있습니다. 심사 결과를 기다려주세요.",
                           code="targeting_requested")
        if item is not None and item.status == "approved":
            raise Conflict("이 채널은 이미 타겟팅(M/N)이 승인되었습니다.", code="targeting_approved")
        stale = [item.business_document, item.consent_document] if item is not None else []
        item = item or KakaoTargetingApplication(account_id=account_id, channel_id=channel.id)
        item.friend_count = count
        stored = {kind: files.store(account_id=account_id, kind=kind, filename=filename, data=data, checked=check,
                                    now=now)
                  for kind, filename, data, check in checked}
        item.business_document = stored[BUSINESS_KIND]
        item.consent_document = stored[CONSENT_KIND]
        reviews.request_again(item, now)
        db.session.add(item)
        files.delete(stale)          # a rejected application sent again: its new files replace the old
    return item


def decide(application_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None
           ) -> KakaoTargetingApplication:
    """An operator approves (M/N open once the account also has a registered 080 number)
    or rejects with a reason the customer sees; audited, the customer told. Opens its
    transaction (joins the caller's)."""
    def refuse_unapproved_channel(item: KakaoTargetingApplication) -> None:
        if item.channel.status != "approved":
            raise InvalidState("채널이 등록완료 상태가 아니라 승인할 수 없습니다. 반려해주세요.", code="channel_not_approved")

    with transaction():
        return reviews.decide(KakaoTargetingApplication, application_id, approve=approve, actor=actor, now=now,
                              reason=reason, object_type=OBJECT_TYPE, on_approve=refuse_unapproved_channel)


def approve(application_id, *, actor, now: dt.datetime) -> KakaoTargetingApplication:
    """`decide(approve=True)`: the channel becomes eligible for M/N."""
    return decide(application_id, approve=True, actor=actor, now=now)


def reject(application_id, *, actor, now: dt.datetime, reason: str | None) -> KakaoTargetingApplication:
    """`decide(approve=False)`: the reason is required (반려 사유) and shown to the customer."""
    return decide(application_id, approve=False, actor=actor, now=now, reason=reason)


def _approved(channel: KakaoChannel, application: KakaoTargetingApplication | None) -> bool:
    return channel.status == "approved" and application is not None and application.status == "approved"


def is_targeting_approved(channel: KakaoChannel) -> bool:
    """Whether an operator marked the (approved) channel eligible for M/N. Reads only."""
    return _approved(channel, _application(channel.id))


def targeting_choices(account_id: int, channel_id: int) -> tuple[str, ...]:
    """The targets a Brand Message of this channel may use now: ("I",), or ("I", "M", "N")
    when the channel's application is approved and the account has a registered (approved
    own) 080 opt-out number. NotFound for another account's channel. Reads only, in the
    caller's transaction when there is one."""
    channel = get_owned(KakaoChannel, channel_id, account_id)
    return rules.choices(eligible=is_targeting_approved(channel),
                         has_optout_number=bool(optout_codes.approved_own(account_id)))


def discard(channel: KakaoChannel) -> None:
    """The channel's application and its files go with it (the channel is being deleted).
    Runs in the caller's transaction; the bytes are removed once it has committed."""
    item = _application(channel.id)
    if item is None:
        return
    stale = [item.business_document, item.consent_document]
    db.session.delete(item)
    files.delete(stale)
