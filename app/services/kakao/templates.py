"""알림톡 템플릿 관리 (06-kakao.md KAT-01..05): templates of an approved channel, written
by the customer, reviewed by Kakao — played by megabird's operators while the sandbox is
the Kakao gateway (10-gateway.md), or by a dealer's reviewer through `submit_template` /
`template_status` — and the one state machine both go through:

    saved ─request─▶ requested ─start─▶ in_review ─approve─▶ approved ─(a year unused)─▶ dormant
      ▲                 │                  └─reject─▶ rejected        ◀──reactivate──┘
      └──── edit ───────┼──────────────────────────────┘ (edit, request again; at a dealer, a
                        │                                    comment on it: Kakao reviews it again)
                        approved / dormant ─block (staff)─▶ blocked ─unblock─▶ where it was

Every step is a line of the template's history (검수 이력: who, when, state, comment), and
every staff step an audit entry. Only `approved` templates send (`sendable`)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.domain import alimtalk
from app.domain import text as rules
from app.domain.korean import N_, josa
from app.domain.files import CheckedFile
from app.errors import Conflict, InvalidState, NotFound, UpstreamUnavailable, ValidationError
from app.extensions import db
from app.gateways import configured, get_gateway
from app.gateways.base import TemplateSubmission
from app.models import Account, AlimtalkTemplate, AlimtalkTemplateEvent, KakaoChannel
from app.models.kakao import TEMPLATE_STATUS_LABELS, TEMPLATE_STATUSES
from app.security.tenancy import MAX_ID, get_owned, owned
from app.services.accounts import access
from app.services.shared import audit, background, files, notices
from app.services.shared.paging import paginate
from app.services.shared.steps import Steps
from app.services.shared.uow import after_commit, transaction

log = logging.getLogger(__name__)
STATUS_LABELS = TEMPLATE_STATUS_LABELS
STATUSES = TEMPLATE_STATUSES
EDITABLE = ("saved", "rejected")
DELETABLE = ("saved", "requested", "rejected")
REQUESTABLE = ("saved", "rejected")
DORMANT_AFTER = dt.timedelta(days=365)
MAX_COMMENT = 1000
SUBMIT_JOB = "app.jobs.kakao.submit_templates"
#: steps of higher capabilities run in the transaction that decided a review or blocked a
#: template: (template, now) — a `template.reviewed` webhook
AFTER_REVIEW = Steps("a template review was decided")
#: the lines of the history megabird writes itself, which the pages show in their reader's
#: language (a person's comment or reason is shown as written)
EDITED = N_("템플릿을 수정했습니다.")
REACTIVATED = N_("휴면을 해제했습니다.")
UNBLOCKED = N_("차단을 해제했습니다.")
WENT_DORMANT = N_("1년 동안 발송에 쓰이지 않아 휴면 상태가 되었습니다.")
REJECTED_BY_KAKAO = N_("카카오 검수 결과 반려되었습니다.")
REVIEWED_AGAIN = N_("문의가 카카오에 전달되어 다시 검수합니다.")
SYSTEM_COMMENTS = frozenset({EDITED, REACTIVATED, UNBLOCKED, WENT_DORMANT, REJECTED_BY_KAKAO, REVIEWED_AGAIN})


# --- reading -------------------------------------------------------------------------------------------------

def list_templates(account_id: int, *, channel_id=None, status: str | None = None, query: str | None = None,
                   page: int = 1, per_page: int = 10) -> tuple[list[AlimtalkTemplate], int]:
    """KAT-04: the account's templates, newest first, filtered by channel, state and a
    search over code, title and content."""
    stmt = _filtered(owned(AlimtalkTemplate, account_id), channel_id=channel_id, status=status, query=query)
    return paginate(stmt, AlimtalkTemplate.created_at.desc(), AlimtalkTemplate.id.desc(), page=page,
                    per_page=per_page)


def _filtered(stmt, *, channel_id=None, status: str | None = None, query: str | None = None):
    if channel_id not in (None, ""):
        try:
            channel = int(channel_id)
        except (TypeError, ValueError):
            channel = 0
        if not 0 < channel <= MAX_ID:       # SQLite raises OverflowError beyond 64 bits
            raise ValidationError("채널명을 목록에서 선택해주세요.", field="채널명", code="invalid_choice")
        stmt = stmt.where(AlimtalkTemplate.channel_id == channel)
    if status not in (None, ""):
        if status not in STATUSES:
            raise ValidationError("템플릿 상태를 목록에서 선택해주세요.", field="템플릿 상태", code="invalid_choice")
        stmt = stmt.where(AlimtalkTemplate.status == status)
    words = " ".join(str(query or "").split())[:100]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(AlimtalkTemplate.code.ilike(pattern, escape="\\"),
                              AlimtalkTemplate.name.ilike(pattern, escape="\\"),
                              AlimtalkTemplate.content.ilike(pattern, escape="\\")))
    return stmt


def get_template(account_id: int, template_id, *, for_update: bool = False) -> AlimtalkTemplate:
    return get_owned(AlimtalkTemplate, template_id, account_id, for_update=for_update)


def get_by_code(account_id: int, code) -> AlimtalkTemplate:
    if not isinstance(code, str) or not 0 < len(code) <= alimtalk.MAX_CODE:
        raise NotFound("템플릿을 찾을 수 없습니다.")
    row = db.session.scalar(owned(AlimtalkTemplate, account_id).where(AlimtalkTemplate.code == code))
    if row is None:
        raise NotFound("템플릿을 찾을 수 없습니다.")
    return row


def approved_templates(account_id: int, channel_id: int | None = None) -> list[AlimtalkTemplate]:
    """What the 알림톡 compose page offers."""
    stmt = owned(AlimtalkTemplate, account_id).where(AlimtalkTemplate.status == "approved")
    if channel_id is not None:
        stmt = stmt.where(AlimtalkTemplate.channel_id == channel_id)
    return list(db.session.scalars(stmt.order_by(AlimtalkTemplate.name, AlimtalkTemplate.id)))


def channel_choices(account_id: int) -> list[KakaoChannel]:
    """The list's 채널명 filter: the account's approved channels and any channel its
    templates are on."""
    used = select(AlimtalkTemplate.channel_id).where(AlimtalkTemplate.account_id == account_id)
    return list(db.session.scalars(select(KakaoChannel).where(
        KakaoChannel.account_id == account_id,
        or_(KakaoChannel.status == "approved", KakaoChannel.id.in_(used))).order_by(KakaoChannel.search_id,
                                                                                    KakaoChannel.id)))


def sendable(template: AlimtalkTemplate) -> bool:
    return template.status == "approved"


def history(template: AlimtalkTemplate) -> list[AlimtalkTemplateEvent]:
    return list(template.events)


def as_form(template: AlimtalkTemplate) -> dict:
    """The template as the form (and the API) writes it."""
    return {"channel_id": template.channel_id, "name": template.name, "message_type": template.message_type,
            "emphasis_type": template.emphasis_type, "content": template.content, "extra": template.extra or "",
            "emphasis_title": template.emphasis_title or "", "emphasis_subtitle": template.emphasis_subtitle or "",
            "item_header": template.item_header or "", "items": template.items, "security": template.security,
            "category": template.category or "", "buttons": template.buttons,
            "quick_replies": template.quick_replies}


#: who a line of the history names outside megabird (the API): the reviewer is Kakao,
#: whoever plays it, and never a staff member by name
PUBLIC_ACTORS = {"customer": "customer", "staff": "kakao", "kakao": "kakao", "system": "system"}


def public_history(template: AlimtalkTemplate) -> list[tuple[AlimtalkTemplateEvent, str]]:
    """Each line of the history with who did it as the customer may read it: a staff
    member reviewing or replying is Kakao (the sandbox's reviewer); a staff member's 차단
    and 차단 해제 is megabird itself, "system"."""
    lines, state = [], None
    for event in template.events:
        actor = PUBLIC_ACTORS.get(event.actor_kind, "system")
        if event.actor_kind == "staff" and event.kind == "state" and "blocked" in (event.status, state):
            actor = "system"
        if event.kind == "state":
            state = event.status
        lines.append((event, actor))
    return lines


def to_api(template: AlimtalkTemplate, *, with_history: bool = False) -> dict:
    """API-07: the template as the integration API answers it (times in KST, ISO-8601)."""
    def iso(value):
        return clock.to_kst(value).isoformat() if value else None
    body = {"code": template.code, "channel": template.channel.search_id if template.channel else None,
            "title": template.name, "state": template.status, "state_label": template.status_label,
            "message_type": template.message_type, "emphasis_type": template.emphasis_type,
            "content": template.content, "extra": template.extra, "emphasis_title": template.emphasis_title,
            "emphasis_subtitle": template.emphasis_subtitle, "item_header": template.item_header,
            "items": template.items, "security": template.security, "category": template.category,
            "variables": template.variables, "buttons": template.buttons, "quick_replies": template.quick_replies,
            "reject_reason": template.reject_reason, "created_at": iso(template.created_at),
            "updated_at": iso(template.updated_at), "requested_at": iso(template.requested_at),
            "reviewed_at": iso(template.reviewed_at)}
    if with_history:
        body["history"] = [{"at": iso(e.at), "kind": e.kind, "state": e.status, "actor": actor, "comment": e.comment}
                           for e, actor in public_history(template)]
    return body


# --- the customer's steps ------------------------------------------------------------------------------------

def _channel(account_id: int, channel) -> KakaoChannel:
    """An approved channel of the account, by id or by its '@' search id."""
    stmt = select(KakaoChannel).where(KakaoChannel.account_id == account_id)
    if isinstance(channel, str) and channel.strip().startswith("@"):
        stmt = stmt.where(KakaoChannel.search_id == channel.strip())
    else:
        try:
            stmt = stmt.where(KakaoChannel.id == int(channel))
        except (TypeError, ValueError):
            raise ValidationError("발신 채널 ID를 선택해주세요.", field="발신 채널 ID", code="required") from None
    row = db.session.scalar(stmt)
    if row is None or row.status != "approved":
        raise ValidationError("발신 채널 ID는 발신정보관리에서 등록완료된 카카오 채널이어야 합니다.", field="발신 채널 ID",
                              code="channel_not_approved")
    return row


def _new_code(account_id: int, now: dt.datetime) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    for _ in range(20):
        code = f"MB{now:%y%m%d}" + "".join(secrets.choice(alphabet) for _ in range(6))
        taken = db.session.scalar(select(AlimtalkTemplate.id).where(AlimtalkTemplate.account_id == account_id,
                                                                    AlimtalkTemplate.code == code))
        if taken is None:
            return code
    raise Conflict("템플릿 코드를 만들지 못했습니다. 잠시 후 다시 시도해주세요.", field="템플릿 코드", code="code_exhausted")


def _event(template: AlimtalkTemplate, *, status: str | None = None, actor, actor_kind: str, now: dt.datetime,
           comment: str | None = None, kind: str = "state") -> None:
    template.events.append(AlimtalkTemplateEvent(
        at=now, kind=kind, status=status or template.status, actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None), comment=comment))


def _apply(template: AlimtalkTemplate, draft: alimtalk.TemplateDraft) -> None:
    template.name = draft.name
    template.message_type = draft.message_type
    template.emphasis_type = draft.emphasis_type
    template.content = draft.content
    template.extra = draft.extra
    template.emphasis_title = draft.emphasis_title
    template.emphasis_subtitle = draft.emphasis_subtitle
    template.item_header = draft.item_header
    template.items_json = json.dumps([item.__dict__ for item in draft.items], ensure_ascii=False)
    template.security = draft.security
    template.category = draft.category
    template.buttons_json = json.dumps([b.as_dict() for b in draft.buttons], ensure_ascii=False)
    template.quick_replies_json = json.dumps([b.as_dict() for b in draft.quick_replies], ensure_ascii=False)
    template.variables_json = json.dumps(list(draft.variables), ensure_ascii=False)


def _image(template: AlimtalkTemplate, draft: alimtalk.TemplateDraft, image, *, account_id: int,
           now: dt.datetime) -> None:
    """이미지형 needs its image: a new upload, or the one it already has."""
    if draft.emphasis_type != "IMAGE":
        if template.image_file is not None:
            old = template.image_file
            template.image_file = None
            files.delete([old])
        return
    if image is None or not image[1]:
        if template.image_file is None:
            raise ValidationError("이미지형 템플릿은 강조 이미지를 첨부해주세요 (jpg/png, 800×400px 권장).", field="image",
                                  code="required")
        return
    filename, data = image
    kind, width, height = alimtalk.check_emphasis_image(data)
    content_type = "image/png" if kind == "png" else "image/jpeg"
    old = template.image_file
    template.image_file = files.store(account_id=account_id, kind="alimtalk_image", filename=filename or f"image.{kind}",
                                      data=data, checked=CheckedFile(content_type, "png" if kind == "png" else "jpg", width, height),
                                      now=now)
    if old is not None:
        files.delete([old])


def create_template(*, account_id: int, actor, raw: dict, image=None, request_review: bool = False,
                    now: dt.datetime) -> AlimtalkTemplate:
    """저장 (or 저장 및 등록 요청): a new template of an approved channel. Nothing is
    saved when any field is refused."""
    access.check_kakao_allowed(account_id, field="발신 채널 ID")
    if not isinstance(raw, dict):
        raise ValidationError("템플릿은 객체여야 합니다.", field="body", code="invalid_type")
    with transaction():
        channel = _channel(account_id, raw.get("channel"))
        draft = alimtalk.check_template(raw)
        template = AlimtalkTemplate(account_id=account_id, channel_id=channel.id, code=_new_code(account_id, now),
                                    status="saved", created_at=now, updated_at=now)
        _apply(template, draft)
        _image(template, draft, image, account_id=account_id, now=now)
        db.session.add(template)
        _event(template, actor=actor, actor_kind="customer", now=now)
        if request_review:
            _request(template, actor=actor, now=now)
        db.session.flush()
    return template


def require_editable(template: AlimtalkTemplate) -> None:
    """Only saved or rejected templates can be edited (KAT-03); the edit page asks too."""
    if template.status not in EDITABLE:
        raise InvalidState(f"{STATUS_LABELS[template.status]} 상태의 템플릿은 수정할 수 없습니다. "
                           "저장됨 또는 반려됨 상태에서만 수정할 수 있습니다.", field="템플릿 상태")


def update_template(*, account_id: int, template_id, actor, raw: dict, image=None, request_review: bool = False,
                    now: dt.datetime) -> AlimtalkTemplate:
    """Edit a saved or rejected template (KAT-03); a rejected one goes back to 저장됨 until
    it is requested again."""
    access.check_kakao_available()
    if not isinstance(raw, dict):
        raise ValidationError("템플릿은 객체여야 합니다.", field="body", code="invalid_type")
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        require_editable(template)
        channel = _channel(account_id, raw.get("channel", template.channel_id))
        draft = alimtalk.check_template(raw)
        template.channel_id = channel.id
        _apply(template, draft)
        _image(template, draft, image, account_id=account_id, now=now)
        template.updated_at = now
        template.status = "saved"
        _event(template, actor=actor, actor_kind="customer", now=now, comment=EDITED)
        if request_review:
            _request(template, actor=actor, now=now)
    return template


def _request(template: AlimtalkTemplate, *, actor, now: dt.datetime) -> None:
    if template.status not in REQUESTABLE:
        raise InvalidState(f"{STATUS_LABELS[template.status]} 상태의 템플릿은 등록 요청할 수 없습니다.", field="템플릿 상태")
    if template.channel is not None and template.channel.status != "approved":
        raise InvalidState("발신 채널이 등록완료 상태가 아니어서 등록 요청할 수 없습니다.", field="발신 채널 ID")
    template.status = "requested"
    template.requested_at = now
    template.submitted_at = None
    template.review_started_at = None
    template.reviewed_at = None
    template.reviewed_by_id = None
    template.reject_reason = None
    _event(template, actor=actor, actor_kind="customer", now=now)
    after_commit(lambda: background.enqueue("default", SUBMIT_JOB), key="alimtalk-submit")


def request_review(*, account_id: int, template_id, actor, now: dt.datetime) -> AlimtalkTemplate:
    """등록 요청 (again, for a rejected template after its edit)."""
    access.check_kakao_available()
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        _request(template, actor=actor, now=now)
    return template


def delete_template(*, account_id: int, template_id, now: dt.datetime) -> None:
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        if template.status not in DELETABLE:
            raise InvalidState(f"{STATUS_LABELS[template.status]} 상태의 템플릿은 삭제할 수 없습니다. "
                               "저장됨, 등록요청, 반려됨 상태에서만 삭제할 수 있습니다.", field="템플릿 상태")
        image = template.image_file
        db.session.delete(template)
        if image is not None:
            files.delete([image])


def add_comment(*, account_id: int, template_id, actor, comment, now: dt.datetime) -> AlimtalkTemplate:
    """The customer's inquiry on a rejected template (Kakao's 문의 thread)."""
    text = rules.required(comment, "문의 내용", max_length=MAX_COMMENT)
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        if template.status != "rejected":
            raise InvalidState("반려된 템플릿에만 문의를 남길 수 있습니다.", field="템플릿 상태")
        _event(template, actor=actor, actor_kind="customer", now=now, comment=text, kind="comment")
    return template


def reactivate(*, account_id: int, template_id, actor, now: dt.datetime) -> AlimtalkTemplate:
    """휴면 해제: a dormant template sends again (its year starts anew)."""
    with transaction():
        template = get_template(account_id, template_id, for_update=True)
        if template.status != "dormant":
            raise InvalidState("휴면 상태의 템플릿만 휴면 해제할 수 있습니다.", field="템플릿 상태")
        template.status = "approved"
        template.last_used_at = now
        _event(template, actor=actor, actor_kind="customer", now=now, comment=REACTIVATED)
    return template


def mark_used(template_id: int, now: dt.datetime) -> None:
    """A send used the template: its dormancy year starts again. Runs in the caller's
    transaction."""
    db.session.execute(update(AlimtalkTemplate).where(AlimtalkTemplate.id == template_id)
                       .values(last_used_at=now), execution_options={"synchronize_session": False})


# --- the reviewer's steps (KAT-05) -----------------------------------------------------------------------

def _locked(template_id) -> AlimtalkTemplate:
    try:
        pk = int(template_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    template = db.session.scalar(select(AlimtalkTemplate).where(AlimtalkTemplate.id == pk).with_for_update())
    if template is None:
        raise NotFound()
    return template


QUEUE_STATUSES = ("requested", "in_review")
#: the states staff may block, or unblock (KAT-03)
BLOCKABLE = ("approved", "dormant")


def review_queue(*, page: int = 1, per_page: int = 25) -> tuple[list[AlimtalkTemplate], int]:
    """The operators' queue: requested and in-review templates of every account, the
    oldest request first."""
    stmt = (select(AlimtalkTemplate).where(AlimtalkTemplate.status.in_(QUEUE_STATUSES))
            .options(selectinload(AlimtalkTemplate.account), selectinload(AlimtalkTemplate.channel)))
    return paginate(stmt, AlimtalkTemplate.requested_at.asc(), AlimtalkTemplate.id.asc(), page=page,
                    per_page=per_page)


def all_templates(*, account_id=None, status: str | None = None, query: str | None = None, page: int = 1,
                  per_page: int = 25) -> tuple[list[AlimtalkTemplate], int]:
    """Every account's templates for staff, newest first, filtered as KAT-04 filters
    (state, a search over code, title and content) and by account."""
    stmt = select(AlimtalkTemplate).options(selectinload(AlimtalkTemplate.account),
                                            selectinload(AlimtalkTemplate.channel))
    if account_id not in (None, ""):
        try:
            pk = int(account_id)
        except (TypeError, ValueError):
            pk = 0
        if not 0 < pk <= MAX_ID:
            raise ValidationError("계정을 목록에서 선택해주세요.", field="계정", code="invalid_choice")
        stmt = stmt.where(AlimtalkTemplate.account_id == pk)
    stmt = _filtered(stmt, status=status, query=query)
    return paginate(stmt, AlimtalkTemplate.created_at.desc(), AlimtalkTemplate.id.desc(), page=page,
                    per_page=per_page)


def accounts_with_templates() -> list[tuple[int, str]]:
    """(id, name) of the accounts that have templates: the staff list's account filter."""
    return [(row.id, row.display_name) for row in db.session.execute(
        select(Account.id, Account.display_name).where(
            Account.id.in_(select(AlimtalkTemplate.account_id))).order_by(Account.display_name, Account.id))]


def get_for_staff(template_id) -> AlimtalkTemplate:
    """Any account's template, for the staff pages."""
    try:
        pk = int(template_id)
    except (TypeError, ValueError):
        raise NotFound("템플릿을 찾을 수 없습니다.") from None
    template = db.session.get(AlimtalkTemplate, pk) if 0 < pk <= MAX_ID else None
    if template is None:
        raise NotFound("템플릿을 찾을 수 없습니다.")
    return template


def reviewed_by_operators() -> bool:
    """Whether megabird's operators play Kakao's reviewer (the sandbox) or a dealer's
    reviewer decides (its results come through `sync_reviews`). With no Kakao gateway
    (GATEWAY_KAKAO=none) no dealer will decide: the operators may still answer what waits."""
    return not configured("kakao") or get_gateway("kakao").reviews_templates_by_operators


def _dealer():
    """The Kakao gateway when a dealer reviews the templates (not the operators), else None
    (operators review, or there is no Kakao gateway to ask)."""
    if not access.kakao_available():
        return None
    gateway = get_gateway("kakao")
    return None if gateway.reviews_templates_by_operators else gateway


def _require_operator_review() -> None:
    if not reviewed_by_operators():
        raise InvalidState("카카오 비즈메시지 딜러가 검수하는 템플릿입니다. 검수 결과는 딜러에게서 받아옵니다.")


def _snapshot(template: AlimtalkTemplate) -> dict:
    return {"status": template.status, "code": template.code}


def _audit(template: AlimtalkTemplate, action: str, before: dict, *, actor, now, reason=None) -> None:
    audit.record(actor=actor, action=action, object_type="alimtalk_template", object_id=template.id,
                 account_id=template.account_id, before=before, after=_snapshot(template), reason=reason, now=now)


def start_review(template_id, *, actor, now: dt.datetime, actor_kind: str = "staff") -> AlimtalkTemplate:
    """검수 시작: requested → in_review (a POST; opening the template changes nothing)."""
    with transaction():
        if actor_kind == "staff":
            _require_operator_review()
        template = _locked(template_id)
        # a dealer's reviewer takes a rejected template up again after the customer's comment
        again = actor_kind == "kakao" and template.status == "rejected"
        if template.status != "requested" and not again:
            raise InvalidState("등록요청 상태의 템플릿만 검수를 시작할 수 있습니다. 목록을 새로고침해주세요.")
        before = _snapshot(template)
        template.status = "in_review"
        template.review_started_at = now
        template.reviewed_by_id = getattr(actor, "id", None)
        _event(template, actor=actor, actor_kind=actor_kind, now=now, comment=REVIEWED_AGAIN if again else None)
        _audit(template, "start_review", before, actor=actor, now=now)
    return template


def decide(template_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None,
           actor_kind: str = "staff") -> AlimtalkTemplate:
    """승인 or 반려 (with its reason) of a template in review; the customer sees it at once
    (the state, the reason in 검수 이력, a notice and an e-mail)."""
    if not approve:
        reason = rules.required(reason, "반려 사유", max_length=MAX_COMMENT)
    with transaction():
        if actor_kind == "staff":
            _require_operator_review()
        template = _locked(template_id)
        if template.status != "in_review":
            raise InvalidState("검수중인 템플릿만 승인하거나 반려할 수 있습니다. 먼저 검수 시작을 눌러주세요."
                               if template.status == "requested" else
                               "이미 처리된 템플릿입니다. 목록을 새로고침해주세요.")
        before = _snapshot(template)
        template.status = "approved" if approve else "rejected"
        template.reject_reason = None if approve else reason
        template.reviewed_at = now
        template.reviewed_by_id = getattr(actor, "id", None)
        if approve:
            template.last_used_at = now
        _event(template, actor=actor, actor_kind=actor_kind, now=now, comment=None if approve else reason)
        _audit(template, "approve" if approve else "reject", before, actor=actor, now=now, reason=reason)
        notices.review_decided(object_type="alimtalk_template", item=template, approved=approve, reason=reason,
                               now=now)
        AFTER_REVIEW(template, now)
    return template


def staff_comment(template_id, *, actor, comment, now: dt.datetime) -> AlimtalkTemplate:
    """The reviewer's reply in the template's thread."""
    text = rules.required(comment, "답변 내용", max_length=MAX_COMMENT)
    with transaction():
        template = _locked(template_id)
        _event(template, actor=actor, actor_kind="staff", now=now, comment=text, kind="comment")
        _audit(template, "comment", _snapshot(template), actor=actor, now=now, reason=text)
    return template


def block(template_id, *, actor, reason, now: dt.datetime) -> AlimtalkTemplate:
    """차단 by staff: an approved or dormant template stops sending."""
    reason = rules.required(reason, "차단 사유", max_length=MAX_COMMENT)
    with transaction():
        template = _locked(template_id)
        if template.status not in ("approved", "dormant"):
            raise InvalidState("등록완료 또는 휴면 상태의 템플릿만 차단할 수 있습니다.")
        before = _snapshot(template)
        template.blocked_from = template.status
        template.status = "blocked"
        _event(template, actor=actor, actor_kind="staff", now=now, comment=reason)
        _audit(template, "block", before, actor=actor, now=now, reason=reason)
        notices.post(account_id=template.account_id, kind="alimtalk_template:block",
                     title=f"{josa(f'알림톡 템플릿 {template.code}', '이/가')} 차단되었습니다",
                     body=f"알림톡 템플릿 '{template.name}'({template.code})의 발송이 차단되었습니다.\n사유: {reason}",
                     link="AlimtalkTemplateView.index", now=now)
        AFTER_REVIEW(template, now)
    return template


def unblock(template_id, *, actor, reason=None, now: dt.datetime) -> AlimtalkTemplate:
    reason = rules.optional(reason, "차단 해제 사유", max_length=MAX_COMMENT)
    with transaction():
        template = _locked(template_id)
        if template.status != "blocked":
            raise InvalidState("차단된 템플릿만 차단 해제할 수 있습니다.")
        before = _snapshot(template)
        template.status = template.blocked_from or "approved"
        template.blocked_from = None
        _event(template, actor=actor, actor_kind="staff", now=now, comment=reason or UNBLOCKED)
        _audit(template, "unblock", before, actor=actor, now=now, reason=reason)
    return template


def waiting_count() -> int:
    return db.session.scalar(select(func.count(AlimtalkTemplate.id)).where(
        AlimtalkTemplate.status.in_(("requested", "in_review")))) or 0


# --- the tick and the jobs -------------------------------------------------------------------------------

def mark_dormant(now: dt.datetime, *, batch: int = 500) -> int:
    """Nightly: approved templates unused for a year become 휴면. Commits per batch."""
    cutoff = now - DORMANT_AFTER
    done = 0
    while True:
        ids = list(db.session.scalars(select(AlimtalkTemplate.id).where(
            AlimtalkTemplate.status == "approved",
            func.coalesce(AlimtalkTemplate.last_used_at, AlimtalkTemplate.reviewed_at,
                          AlimtalkTemplate.created_at) < cutoff).limit(batch)))
        if not ids:
            db.session.commit()
            return done
        for template in db.session.scalars(select(AlimtalkTemplate).where(
                AlimtalkTemplate.id.in_(ids), AlimtalkTemplate.status == "approved").with_for_update()):
            template.status = "dormant"
            _event(template, actor=None, actor_kind="system", now=now, comment=WENT_DORMANT)
            done += 1
        db.session.commit()


def submit_requested(now: dt.datetime, *, batch: int = 100) -> int:
    """Hand requested templates to the Kakao gateway once (the sandbox takes them into
    the operators' queue; a dealer gets its registration request). Safe to run twice:
    only templates not yet submitted are taken. Commits per template. Without a Kakao
    gateway (issue 20) they wait, unsubmitted, for one."""
    if not access.kakao_available():
        return 0
    gateway = get_gateway("kakao")
    done = 0
    ids = list(db.session.scalars(select(AlimtalkTemplate.id).where(
        AlimtalkTemplate.status == "requested", AlimtalkTemplate.submitted_at.is_(None)).limit(batch)))
    db.session.commit()
    for template_id in ids:
        template = db.session.scalar(select(AlimtalkTemplate).where(
            AlimtalkTemplate.id == template_id, AlimtalkTemplate.status == "requested",
            AlimtalkTemplate.submitted_at.is_(None)).with_for_update())
        if template is None:
            db.session.commit()
            continue
        try:
            refused = gateway.submit_template(submission(template))
        except UpstreamUnavailable as error:       # the dealer cannot take it now: the next run tries
            db.session.rollback()
            log.warning("template %s not handed to the Kakao gateway now: %s", template_id, error)
            continue
        template.submitted_at = now
        db.session.commit()
        if refused is not None and refused.status == "rejected":
            start_review(template_id, actor=None, now=now, actor_kind="kakao")
            decide(template_id, approve=False, actor=None, now=now, reason=refused.comment or REJECTED_BY_KAKAO,
                   actor_kind="kakao")
        done += 1
    return done


def forward_comments(now: dt.datetime, *, batch: int = 100) -> int:
    """A customer's comment on a rejected template to a dealer's reviewer, once (Kakao's
    문의 thread: the dealer reviews the template again). Nothing to do while operators review
    (they read the thread in their queue), nor without a Kakao gateway. Commits per comment."""
    gateway = _dealer()
    if gateway is None:
        return 0
    rows = db.session.execute(
        select(AlimtalkTemplateEvent.id, AlimtalkTemplateEvent.comment, AlimtalkTemplate.code, KakaoChannel.sender_key)
        .join(AlimtalkTemplate, AlimtalkTemplate.id == AlimtalkTemplateEvent.template_id)
        .join(KakaoChannel, KakaoChannel.id == AlimtalkTemplate.channel_id)
        .where(AlimtalkTemplateEvent.kind == "comment", AlimtalkTemplateEvent.actor_kind == "customer",
               AlimtalkTemplateEvent.forwarded_at.is_(None), AlimtalkTemplate.status == "rejected",
               AlimtalkTemplate.submitted_at.is_not(None))
        .order_by(AlimtalkTemplateEvent.id).limit(batch)).all()
    db.session.commit()
    done = 0
    for event_id, comment, code, sender_key in rows:
        # claimed before the call, so that two runs at once hand it over once
        claimed = db.session.execute(update(AlimtalkTemplateEvent).where(
            AlimtalkTemplateEvent.id == event_id, AlimtalkTemplateEvent.forwarded_at.is_(None)).values(forwarded_at=now))
        db.session.commit()
        if not claimed.rowcount:
            continue
        try:
            gateway.submit_comment(sender_key, code, comment)
        except UpstreamUnavailable as error:       # not handed over: the next run tries again
            db.session.execute(update(AlimtalkTemplateEvent).where(AlimtalkTemplateEvent.id == event_id)
                               .values(forwarded_at=None))
            db.session.commit()
            log.warning("comment %s not handed to the Kakao gateway now: %s", event_id, error)
            continue
        done += 1
    return done


def sync_reviews(now: dt.datetime, *, batch: int = 100) -> int:
    """A dealer's review results into the state machine (nothing to do while operators
    review, or without a Kakao gateway). Commits per template."""
    gateway = _dealer()
    if gateway is None:
        return 0
    moved = 0
    # a rejected template whose comment went to the reviewer after its rejection is asked too
    commented = (select(AlimtalkTemplateEvent.id).where(
        AlimtalkTemplateEvent.template_id == AlimtalkTemplate.id, AlimtalkTemplateEvent.forwarded_at.is_not(None),
        AlimtalkTemplateEvent.at >= AlimtalkTemplate.reviewed_at).exists())
    rows = db.session.execute(select(AlimtalkTemplate.id, AlimtalkTemplate.account_id, AlimtalkTemplate.code,
                                     KakaoChannel.sender_key)
                              .outerjoin(KakaoChannel, KakaoChannel.id == AlimtalkTemplate.channel_id).where(
        AlimtalkTemplate.status.in_(("requested", "in_review")) | ((AlimtalkTemplate.status == "rejected") & commented),
        AlimtalkTemplate.submitted_at.is_not(None)).order_by(AlimtalkTemplate.submitted_at, AlimtalkTemplate.id)
        .limit(batch)).all()
    db.session.commit()
    for row in rows:
        result = gateway.template_status(row.code, account_id=row.account_id, sender_key=row.sender_key)
        if result is None:
            continue
        template = db.session.get(AlimtalkTemplate, row.id)
        if template.status == "rejected" and result.status == "rejected":
            continue                      # the comment has not been taken up yet
        if result.status == "in_review" and template.status in ("requested", "rejected"):
            start_review(row.id, actor=None, now=result.at or now, actor_kind="kakao")
            moved += 1
        elif result.status in ("approved", "rejected"):
            if template.status in ("requested", "rejected"):
                start_review(row.id, actor=None, now=result.at or now, actor_kind="kakao")
            decide(row.id, approve=result.status == "approved", actor=None, now=result.at or now,
                   reason=result.comment or REJECTED_BY_KAKAO, actor_kind="kakao")
            moved += 1
    return moved


def submission(template: AlimtalkTemplate):
    """What a gateway gets for review (GW-01 `submit_template`)."""
    return TemplateSubmission(
        code=template.code, account_id=template.account_id,
        sender_key=template.channel.sender_key if template.channel else None, name=template.name,
        message_type=template.message_type, emphasis_type=template.emphasis_type, content=template.content,
        extra=template.extra, emphasis_title=template.emphasis_title, emphasis_subtitle=template.emphasis_subtitle,
        item_header=template.item_header, items=tuple(template.items), security=template.security,
        category=template.category, buttons=tuple(template.buttons), quick_replies=tuple(template.quick_replies),
        image_file_id=template.image_file_id,
        image=files.path_of(template.image_file).read_bytes() if template.image_file_id else None)
