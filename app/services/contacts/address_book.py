"""주소록 (SMS-12): groups and contacts (name, number, variables 1–4, memo), search,
Excel/CSV import and Excel export, and recipients for a send."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select

from app.domain import recipient_files
from app.domain import text as rules
from app.domain.numbers import digits_in, normalize_mobile
from app.domain.recipients import Recipient
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.models import Contact, ContactGroup
from app.security.tenancy import get_owned
from app.services.shared.paging import paginate
from app.services.shared.uow import transaction

PER_PAGE = 20
EXPORT_HEADERS = ["그룹", "이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4", "메모"]


# --- groups ----------------------------------------------------------------------------------------------

def groups(account_id: int) -> list[tuple[ContactGroup, int]]:
    """(group, number of contacts), by name."""
    counts = select(Contact.group_id, func.count(Contact.id).label("n")).where(
        Contact.account_id == account_id).group_by(Contact.group_id).subquery()
    rows = db.session.execute(select(ContactGroup, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.group_id == ContactGroup.id)
                              .where(ContactGroup.account_id == account_id).order_by(ContactGroup.name))
    return [(g, int(n)) for g, n in rows]


def first_members(account_id: int) -> dict[int, Contact]:
    """The first contact of each group, as a send would take them (the compose preview)."""
    firsts = select(func.min(Contact.id)).where(Contact.account_id == account_id,
                                                Contact.group_id.is_not(None)).group_by(Contact.group_id)
    return {c.group_id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(firsts)))}


def _group_name(value) -> str:
    return rules.required(value, "그룹 이름", max_length=50)


def create_group(*, account_id: int, name: str, now: dt.datetime) -> ContactGroup:
    name = _group_name(name)
    with transaction():
        if db.session.scalar(select(ContactGroup.id).where(ContactGroup.account_id == account_id,
                                                            ContactGroup.name == name)):
            raise Conflict("같은 이름의 그룹이 이미 있습니다.", field="그룹 이름", code="duplicate_group")
        group = ContactGroup(account_id=account_id, name=name, created_at=now)
        db.session.add(group)
    return group


def rename_group(*, account_id: int, group_id, name: str) -> ContactGroup:
    name = _group_name(name)
    with transaction():
        group = get_owned(ContactGroup, group_id, account_id, for_update=True)
        clash = db.session.scalar(select(ContactGroup.id).where(ContactGroup.account_id == account_id,
                                                                ContactGroup.name == name, ContactGroup.id != group.id))
        if clash:
            raise Conflict("같은 이름의 그룹이 이미 있습니다.", field="그룹 이름", code="duplicate_group")
        group.name = name
    return group


def delete_group(*, account_id: int, group_id) -> None:
    """Deletes the group and its contacts."""
    with transaction():
        group = get_owned(ContactGroup, group_id, account_id, for_update=True)
        db.session.execute(delete(Contact).where(Contact.group_id == group.id))
        db.session.delete(group)


# --- contacts -----------------------------------------------------------------------------------------------

def search(account_id: int, *, group_id=None, query: str | None = None, page: int = 1,
           per_page: int = PER_PAGE) -> tuple[list[Contact], int]:
    stmt = select(Contact).where(Contact.account_id == account_id)
    if group_id not in (None, ""):
        group = get_owned(ContactGroup, group_id, account_id)
        stmt = stmt.where(Contact.group_id == group.id)
    query = (query or "").strip()
    if query:
        digits = digits_in(query)
        conditions = [Contact.name.like(f"%{query}%"), Contact.memo.like(f"%{query}%")]
        if digits:
            conditions.append(Contact.phone.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conditions))
    return paginate(stmt, Contact.name, Contact.id, page=page, per_page=per_page)


def get_contact(account_id: int, contact_id) -> Contact:
    return get_owned(Contact, contact_id, account_id)


def _contact_fields(form) -> dict:
    return {
        "name": rules.optional(form.get("name"), "이름", max_length=50),
        "phone": normalize_mobile(form.get("phone")),
        **{f"var{i}": rules.optional(form.get(f"var{i}"), f"변수{i}", max_length=200) for i in range(1, 5)},
        "memo": rules.optional(form.get("memo"), "메모", max_length=200),
    }


def _refuse_duplicate(group_id: int, phone: str, exclude: int | None = None) -> None:
    stmt = select(Contact.id).where(Contact.group_id == group_id, Contact.phone == phone)
    if exclude:
        stmt = stmt.where(Contact.id != exclude)
    if db.session.scalar(stmt):
        raise Conflict("이 그룹에 같은 번호가 이미 있습니다.", field="휴대폰번호", code="duplicate_contact")


def add_contact(*, account_id: int, group_id, form, now: dt.datetime) -> Contact:
    fields = _contact_fields(form)
    with transaction():
        group = get_owned(ContactGroup, group_id, account_id)
        _refuse_duplicate(group.id, fields["phone"])
        contact = Contact(account_id=account_id, group_id=group.id, created_at=now, **fields)
        db.session.add(contact)
    return contact


def update_contact(*, account_id: int, contact_id, group_id, form) -> Contact:
    fields = _contact_fields(form)
    with transaction():
        contact = get_owned(Contact, contact_id, account_id, for_update=True)
        group = get_owned(ContactGroup, group_id, account_id)
        _refuse_duplicate(group.id, fields["phone"], exclude=contact.id)
        contact.group_id = group.id
        for key, value in fields.items():
            setattr(contact, key, value)
    return contact


def delete_contacts(*, account_id: int, contact_ids) -> int:
    ids = []
    for value in contact_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    with transaction():
        result = db.session.execute(delete(Contact).where(Contact.account_id == account_id, Contact.id.in_(ids)))
    return result.rowcount or 0


def import_file(*, account_id: int, group_id, filename: str, data: bytes, now: dt.datetime) -> dict:
    """Adds the file's valid rows to the group; numbers already in the group are skipped."""
    parsed = recipient_files.parse(filename, data)
    with transaction():
        group = get_owned(ContactGroup, group_id, account_id)
        existing = set(db.session.scalars(select(Contact.phone).where(Contact.group_id == group.id)))
        rows = [{"account_id": account_id, "group_id": group.id, "name": (r.name or None) and r.name[:50],
                 "phone": r.phone, "var1": r.vars.get("1"), "var2": r.vars.get("2"), "var3": r.vars.get("3"),
                 "var4": r.vars.get("4"), "memo": None, "created_at": now}
                for r in parsed.recipients if r.phone not in existing]
        for start in range(0, len(rows), 5000):
            db.session.execute(Contact.__table__.insert(), rows[start:start + 5000])
    return {"added": len(rows), "skipped": len(parsed.recipients) - len(rows), "duplicates": parsed.duplicates,
            "rejected": [r.to_dict() for r in parsed.rejected[:200]], "rejected_count": len(parsed.rejected),
            "total": parsed.total}


def export_rows(account_id: int, group_id=None):
    stmt = select(Contact, ContactGroup.name).join(ContactGroup, ContactGroup.id == Contact.group_id) \
        .where(Contact.account_id == account_id)
    if group_id not in (None, ""):
        stmt = stmt.where(Contact.group_id == get_owned(ContactGroup, group_id, account_id).id)
    for contact, group_name in db.session.execute(stmt.order_by(ContactGroup.name, Contact.name)
                                                  .execution_options(yield_per=1000)):
        yield [group_name, contact.name or "", contact.phone, contact.var1 or "", contact.var2 or "",
               contact.var3 or "", contact.var4 or "", contact.memo or ""]


# --- recipients for a send ---------------------------------------------------------------------------------------

def recipients_from(account_id: int, *, group_ids=(), contact_ids=()) -> tuple[list[Recipient], list[str]]:
    """(recipients, names of the groups used) for a send (SMS-12: the send records them)."""
    recipients: list[Recipient] = []
    names: list[str] = []
    group_ids = _ints(group_ids, "그룹")
    contact_ids = _ints(contact_ids, "연락처")
    for group_id in group_ids:
        group = get_owned(ContactGroup, group_id, account_id)
        names.append(group.name)
        for c in db.session.scalars(select(Contact).where(Contact.group_id == group.id).order_by(Contact.id)):
            recipients.append(Recipient(c.phone, c.name, c.variables(), len(recipients) + 1))
    for start in range(0, len(contact_ids), 1000):
        chunk = contact_ids[start:start + 1000]
        found = {c.id: c for c in db.session.scalars(select(Contact).where(Contact.account_id == account_id,
                                                                           Contact.id.in_(chunk)))}
        missing = [i for i in chunk if i not in found]
        if missing:
            raise ValidationError("주소록에서 찾을 수 없는 연락처가 있습니다. 주소록을 다시 불러와주세요.", field="주소록",
                                  code="not_found")
        for contact_id in chunk:
            c = found[contact_id]
            recipients.append(Recipient(c.phone, c.name, c.variables(), len(recipients) + 1))
    return recipients, names


def _ints(values, label: str) -> list[int]:
    out = []
    for value in values or ():
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError(f"{label} 값이 올바르지 않습니다.", field="주소록", code="invalid") from None
    return out
