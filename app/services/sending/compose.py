"""The 문자 발송 page's server side (04-sms.md): it turns what the page holds (typed
recipients, address-book picks, an uploaded recipients file, images) into one
`SmsRequest` for the accept service — no rule lives here that accept does not own —
quotes the confirmation dialog (SMS-11) and sends exactly once per compose token."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

from sqlalchemy import select

from app import clock
from app.domain import jsonbody, message_types, moments, recipient_files
from app.domain.files import CheckedFile
from app.domain.images import MAX_IMAGE_BYTES, MAX_IMAGES, check_image_count, check_mms_image
from app.domain import recipients as recipient_rules
from app.domain.recipients import Recipient
from app.errors import ValidationError
from app.extensions import db
from app.models import Account, RecipientUpload, StoredFile
from app.security.tenancy import get_owned
from app.services.contacts import address_book, sms_templates
from app.services.senders import sender_numbers
from app.services.sending import acceptance, selections
from app.services.shared import files, idempotency
from app.services.shared.uow import transaction
from app.services.wallet import ledger

MAX_TYPED = 1000  # numbers typed on the page; more come from a file or the address book


# --- recipient files (SMS-04) ------------------------------------------------------------------------------

def store_upload(*, account_id: int, filename: str, data: bytes, now: dt.datetime,
                 variables: tuple[str, ...] = ()) -> dict:
    """Parse and validate a recipients file; keep its valid rows for the send. With an
    AlimTalk template's `variables`, its columns are those variables (KAT-06)."""
    parsed = recipient_files.parse(filename, data, variables=variables)
    lines = "\n".join(json.dumps([r.phone, r.name, r.vars, r.row], ensure_ascii=False) for r in parsed.recipients)
    payload = lines.encode("utf-8")
    with transaction():
        row = files.store(account_id=account_id, kind="recipient_upload", filename=filename, data=payload,
                          checked=CheckedFile("application/x-ndjson", "jsonl"), now=now)
        db.session.flush()
        upload = RecipientUpload(account_id=account_id, filename=(filename or "file")[-255:], file_id=row.id,
                                 total_rows=parsed.total, valid_rows=len(parsed.recipients),
                                 report=json.dumps([r.to_dict() for r in parsed.rejected[:1000]],
                                                   ensure_ascii=False), created_at=now)
        db.session.add(upload)
    return {"upload_id": upload.id, "filename": upload.filename, "total": parsed.total,
            "valid": len(parsed.recipients), "duplicates": parsed.duplicates,
            "rejected_count": len(parsed.rejected),
            "rejected": [{"row": r.row, "phone": r.phone, "reason": r.reason} for r in parsed.rejected[:100]],
            "preview": [{"phone": r.phone, "name": r.name, "vars": r.vars} for r in parsed.recipients[:5]],
            "has_variables": any(r.vars for r in parsed.recipients[:1000]), "ignored_columns": parsed.ignored}


DRAFT_KEPT = dt.timedelta(days=7)
#: images a compose page attached before its send are stored as `<page>_draft` (mms_draft,
#: friendtalk_draft): a send keeps its own copy, the draft goes after DRAFT_KEPT
DRAFT_KIND_PATTERN = "%\\_draft"


def purge_drafts(now: dt.datetime) -> int:
    """The tick, nightly: recipient files and attached images of the compose pages are
    kept a week for the send that uses them (a send keeps its own copies), then deleted
    with their bytes: customers' recipient lists are not kept without end."""
    cutoff = now - DRAFT_KEPT
    with transaction():
        uploads = db.session.scalars(select(RecipientUpload).where(RecipientUpload.created_at < cutoff)).all()
        stored = [upload.file for upload in uploads]
        stored += db.session.scalars(select(StoredFile).where(StoredFile.kind.like(DRAFT_KIND_PATTERN, escape="\\"),
                                                              StoredFile.created_at < cutoff)).all()
        for upload in uploads:
            db.session.delete(upload)
        files.delete(stored)
    return len(stored)


def upload_recipients(account_id: int, upload_id) -> list[Recipient]:
    upload = get_owned(RecipientUpload, upload_id, account_id)
    text = files.path_of(upload.file).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        phone, name, values, row = json.loads(line)
        out.append(Recipient(phone, name, values, row))
    return out


def sample_file() -> bytes:
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "수신자"
    sheet.append(recipient_files.SAMPLE_HEADERS)
    sheet.append(["홍길동", "010-2345-6789", "A등급", "2026-12-01", "", ""])
    sheet.append(["김영희", "010-3456-7890", "B등급", "2026-12-02", "", ""])
    for column in "ABCDEF":
        sheet.column_dimensions[column].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- images (SMS-14) ----------------------------------------------------------------------------------------

def store_image(*, account_id: int, filename: str, data: bytes, now: dt.datetime) -> dict:
    checked = check_mms_image(data)
    with transaction():
        row = files.store(account_id=account_id, kind="mms_draft", filename=filename or "image.jpg", data=data,
                          checked=CheckedFile("image/jpeg", "jpg", checked.width, checked.height), now=now)
        db.session.flush()
    return {"image_id": row.id, "width": checked.width, "height": checked.height, "size": len(data),
            "name": row.original_name}


def _images(account_id: int, image_ids) -> list[tuple[str, bytes]]:
    ids = list(image_ids or [])
    check_image_count(len(ids))
    out = []
    for image_id in ids:
        row = get_owned(StoredFile, image_id, account_id)
        # a 친구톡 포토's image comes with 문자로 재발송하기 when it meets SMS-14 (checked again by the plan)
        if row.kind not in ("mms_draft", "mms_image", "friendtalk_image"):
            raise ValidationError("이미지를 찾을 수 없습니다. 다시 첨부해주세요.", field="이미지첨부", code="invalid_image")
        out.append((row.original_name, files.path_of(row).read_bytes()))
    return out


# --- the request ---------------------------------------------------------------------------------------------

def schedule_of(payload: dict) -> dt.datetime | None:
    """예약시간 설정 as a compose page posts it (use_schedule, scheduled_at in KST)."""
    if not payload.get("use_schedule"):
        return None
    text = _text(payload, "scheduled_at", "예약시간").strip()
    if not text:
        raise ValidationError("예약 시간을 선택해주세요.", field="예약시간", code="required")
    return moments.parse_moment(text, "예약시간")      # KST unless it names its offset, as the API reads it


def _text(payload: dict, key: str, label: str) -> str:
    return jsonbody.field(payload, key, str, name=label, label=label) or ""


def _list(payload: dict, key: str, label: str) -> list:
    return jsonbody.field(payload, key, list, name=label, label=label) or []


def _typed_recipient(item, position: int) -> Recipient:
    parsed = jsonbody.recipient(item, 0)
    if parsed is None:
        raise ValidationError(f"{position}번째 수신자의 형식이 올바르지 않습니다 (번호, 이름, 변수).", field="수신자",
                              code="invalid_type")
    # an emptied variable field of the page is no value (the send then names the row)
    return Recipient(parsed.phone, parsed.name or None, {k: v for k, v in parsed.vars.items() if v}, 0)


def check_typed(payload: dict) -> dict:
    """Numbers as they are typed on the page, checked as the send will check them (SMS-04),
    so that a refused one never becomes a recipient chip: {"accepted": [{phone, normalized}],
    "rejected": [{phone, reason}]}."""
    if not isinstance(payload, dict):
        raise ValidationError("요청 형식이 올바르지 않습니다.", field="수신자", code="invalid_json")
    typed = [str(item) for item in _list(payload, "numbers", "수신자")]
    if len(typed) > MAX_TYPED:
        raise ValidationError(f"직접 입력한 수신자는 {MAX_TYPED:,}명까지입니다. 더 많은 수신자는 파일로 불러와주세요.",
                              field="수신자", code="too_many_recipients")
    accepted, rejected = [], []
    for raw in typed:
        checked = recipient_rules.clean([Recipient(raw, None, {}, 1)], limit=1)
        if checked.recipients:
            accepted.append({"phone": raw.strip(), "normalized": checked.recipients[0].phone})
        else:
            rejected.append({"phone": raw.strip(), "reason": checked.rejected[0].reason})
    return {"accepted": accepted, "rejected": rejected}


def _resent(account_id: int, source) -> list[Recipient]:
    """재발송 of more recipients than the page lists: {send_id, status: [...], category: [...]}
    names a past send's messages by result; they are read from that send (RES-03), a
    Kakao send's with their values moved to the SMS text's #[1]..#[4] (KRS-03)."""
    if not source:
        return []
    if not isinstance(source, dict) or not source.get("send_id"):
        raise ValidationError("재발송 대상의 형식이 올바르지 않습니다.", field="재발송", code="invalid")
    flt = selections.parse_message_filter(_list(source, "status", "상태"), _list(source, "category", "분류"))
    if not flt.chosen:
        raise ValidationError("재발송할 결과를 선택해주세요.", field="재발송", code="required")
    return list(selections.recipients(account_id, source["send_id"], flt, as_sms=True))


def listed_recipients(account_id: int, payload: dict, *, more=None) -> tuple[list[Recipient], list[str]]:
    """The recipients a compose page lists with #[이름], #[1]..#[4] values (SMS-04, SMS-12):
    typed, the address book's groups and contacts, the uploaded file, then what `more()` reads, each
    numbered as the person sees them (the n-th recipient of the list); and the names of
    the groups used. The 문자 and 친구톡 pages post them alike."""
    typed = _list(payload, "recipients", "수신자")
    if len(typed) > MAX_TYPED:
        raise ValidationError(f"직접 입력한 수신자는 {MAX_TYPED:,}명까지입니다. 더 많은 수신자는 파일로 불러와주세요.",
                              field="수신자", code="too_many_recipients")
    recipients = [_typed_recipient(item, position) for position, item in enumerate(typed, start=1)]
    book, group_names = address_book.recipients_from(account_id, group_ids=_list(payload, "group_ids", "주소록 그룹"),
                                                 contact_ids=_list(payload, "contact_ids", "주소록 연락처"))
    recipients += book
    if payload.get("upload_id"):
        recipients += upload_recipients(account_id, payload["upload_id"])
    if more is not None:
        recipients += more()
    return [Recipient(r.phone, r.name, r.vars, i) for i, r in enumerate(recipients, start=1)], group_names


def build_request(account_id: int, payload: dict) -> acceptance.SmsRequest:
    if not isinstance(payload, dict):
        raise ValidationError("요청 형식이 올바르지 않습니다.", field="요청", code="invalid_json")
    recipients, group_names = listed_recipients(account_id, payload,
                                                  more=lambda: _resent(account_id, payload.get("resend")))
    template_id = payload.get("template_id") or None
    if template_id:
        template_id = sms_templates.get(account_id, template_id).id
    return acceptance.SmsRequest(
        account_id=account_id, sender=_text(payload, "sender", "발신번호"), body=_text(payload, "body", "내용"),
        recipients=recipients, title=_text(payload, "title", "제목") or None, is_ad=bool(payload.get("is_ad")),
        ad_company=_text(payload, "ad_company", "업체명"), ad_optout=_text(payload, "ad_optout", "무료거부 번호"),
        scheduled_at=schedule_of(payload), images=_images(account_id, _list(payload, "image_ids", "이미지첨부")),
        group_names=group_names, template_id=template_id,
        source="web", row_label="{}번째 수신자")


def quote(account_id: int, payload: dict, now: dt.datetime) -> dict:
    """What the confirmation dialog shows (SMS-11); refuses exactly as sending would."""
    request = build_request(account_id, payload)
    plan = acceptance.plan(request, now)
    sender_numbers.approved_number(account_id, request.sender)    # as accept() checks them, before the dialog opens
    account = db.session.get(Account, account_id)
    acceptance.admit(account, len(plan.recipients), now)
    pricing = acceptance.price(account, plan, now, request.scheduled_at)     # as accept() will hold
    unit, hold, blocked, repeated = pricing.unit, pricing.hold, pricing.blocked, pricing.repeated
    count = len(plan.recipients)
    balance = ledger.balance(account_id)
    return {"type": plan.msg_type, "unit_price": unit, "recipients": count, "hold": hold,
            "cash": balance.cash, "points": balance.points, "remaining": balance.total - hold,
            "enough": balance.total >= hold, "scheduled_at": clock.to_kst(request.scheduled_at).strftime(
                "%Y-%m-%d %H:%M") if request.scheduled_at else None,
            "duplicates": plan.duplicates, "optouts": len(blocked), "duplicate_sends": len(repeated),
            "expected_duplicate_sends": pricing.expected_repeats,
            "sendable": count - len(blocked) - len(repeated),
            "rejected_count": len(plan.rejected),
            "rejected": [r.to_dict() for r in plan.rejected[:20]], "bytes": plan.longest_bytes,
            "title_dropped": bool(request.title) and plan.title is None}


def send(account_id: int, payload: dict, now: dt.datetime) -> acceptance.AcceptResult | dict:
    """Send once per compose token: a double click, a resubmitted form or a second tab
    with the same page get the first answer back (a dict) instead of a second send."""
    return once_per_token(account_id, payload, now, scope="web",
                          accept=lambda: acceptance.accept(build_request(account_id, payload), now=now))


def once_per_token(account_id: int, payload: dict, now: dt.datetime, *, scope: str, accept):
    """A compose page's 발송하기 (every channel's): `accept()` once per compose token and
    the payload it came with, dispatch enqueued after its commit; the same token again
    gets the first answer back (a dict)."""
    token = str(payload.get("compose_token") or "").strip() if isinstance(payload, dict) else ""
    if not (8 <= len(token) <= 64):
        raise ValidationError("페이지를 새로고침한 후 다시 시도해주세요.", field="요청", code="missing_token")
    body = json.dumps({k: v for k, v in payload.items() if k != "compose_token"}, sort_keys=True,
                      ensure_ascii=False, default=str).encode()
    result = idempotency.once(
        account_id, idempotency.Key(f"{scope}:{token}", hashlib.sha256(body).hexdigest()), accept,
        lambda accepted: (201, accepted.to_api(), accepted.send.id), now=now, field="요청",
        message="이미 발송한 화면입니다. 새로 작성하려면 페이지를 새로고침해주세요.")
    if isinstance(result, idempotency.Replay):
        return result.body
    acceptance.enqueue_dispatch(result.send)
    return result


def accepted_message(answer: dict) -> str:
    """What the detail page says after 발송하기 (issue 12): count, type, the held amount,
    the schedule, and what was left out."""
    when = ""
    if answer.get("scheduled_at"):
        when = clock.to_kst(clock.parse_iso(answer["scheduled_at"])).strftime("%Y-%m-%d %H:%M") + " 예약 발송으로 "
    text = (f"{message_types.label(answer['type'])} {answer['recipients']:,}건을 {when}접수했습니다. "
            f"발송 금액 {answer['hold']:,}원을 선차감했으며, 실패한 건은 결과 확정 후 돌려드립니다.")
    skipped = answer.get("duplicate_sends", 0) + answer.get("optouts", 0)
    if skipped:
        text += f" 수신거부·중복 발송 {skipped:,}건은 보내지 않으며 요금이 없습니다."
    return text


__all__ = ["accepted_message", "once_per_token", "check_typed", "listed_recipients", "schedule_of", "store_upload", "upload_recipients", "sample_file", "store_image", "build_request", "quote", "send",
           "MAX_IMAGES", "MAX_IMAGE_BYTES"]
