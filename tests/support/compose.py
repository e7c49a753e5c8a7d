"""Helpers for the compose, recipient-file, address-book, history and export tests:
the page's JSON calls as compose.js makes them, real xlsx/csv files, the real worker
and the tick at pinned times, and reading pages and spreadsheets."""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import uuid
import zipfile

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services import periodic
from tests.support.jobs import run_worker

#: 12:00 KST on a Friday: outside the night window for ads, far from midnight.
NOW = dt.datetime(2026, 11, 27, 3, 0)
KST = dt.timezone(dt.timedelta(hours=9))
JSON = {"Accept": "application/json"}
SECOND, MINUTE, HOUR, DAY = (dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1),
                             dt.timedelta(days=1))
PRICES = {"SMS": 20, "LMS": 50, "MMS": 150}      # the default price plan
_block = itertools.count(5000)


def kst(*args) -> dt.datetime:
    """A KST wall-clock time as naive UTC."""
    return dt.datetime(*args, tzinfo=KST).astimezone(dt.timezone.utc).replace(tzinfo=None)


def phones(*endings: int) -> list[str]:
    """Distinct valid mobile numbers (digits only) ending in the given two digits: the
    sandbox's magic numbers (10-gateway.md GW-02)."""
    block = next(_block)
    return [f"010{block:04d}{i:02d}{int(e):02d}" for i, e in enumerate(endings)]


def hyphenated(number: str) -> str:
    return f"{number[:3]}-{number[3:-4]}-{number[-4:]}"


# --- files --------------------------------------------------------------------------------------------------

def xlsx(rows, *, title: str = "수신자") -> bytes:
    """A real xlsx written by openpyxl; ints stay numbers, '=...' strings become formulas."""
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def big_xlsx(header, rows) -> bytes:
    """openpyxl's write-only mode, for many rows."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("수신자")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def rewrite_part(data: bytes, part: str, content: bytes) -> bytes:
    """The same xlsx with one part replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item.filename, content if item.filename == part else source.read(item.filename))
    return out.getvalue()


def deflate_bomb_xlsx(megabytes: int) -> bytes:
    """A valid-looking xlsx whose sheet inflates to `megabytes` MB of whitespace (a zip
    bomb: the file itself is a few hundred KB). Written in chunks, not held in memory."""
    base = xlsx([["이름", "휴대폰번호"], ["가", "010-2345-6789"]])
    source = zipfile.ZipFile(io.BytesIO(base))
    sheet = source.read("xl/worksheets/sheet1.xml")
    head, tail = sheet.split(b"<sheetData>", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(item.filename, source.read(item.filename))
                continue
            info = zipfile.ZipInfo(item.filename)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as stream:
                stream.write(head + b"<sheetData>")
                blank = b" " * (1 << 20)
                for _ in range(megabytes):
                    stream.write(blank)
                stream.write(tail)
    return out.getvalue()


def far_cell_xlsx() -> bytes:
    """A 5 KB xlsx with one more cell at XFD1048576: a reader that allocates the sheet's
    extent asks for 17 billion cells."""
    base = xlsx([["이름", "휴대폰번호"], ["가", "010-2345-6789"]])
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    return rewrite_part(base, "xl/worksheets/sheet1.xml", sheet.replace(b"</sheetData>", far))


def read_xlsx(data: bytes) -> list[list]:
    """Every row of the first sheet, as openpyxl (what Excel would show) reads it."""
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def xlsx_cells(data: bytes):
    """Every cell of the first sheet (value and data_type)."""
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [cell for row in sheet.iter_rows() for cell in row]


def upload(client, data: bytes, name: str, url: str = "/sms/recipients/upload", field: str = "file"):
    return client.post(url, data={field: (io.BytesIO(data), name)}, content_type="multipart/form-data",
                       headers=JSON)


# --- the compose page's calls (app/static/js/compose.js payload()) ---------------------------------------------

def payload(customer, recipients=(), **changes) -> dict:
    body = {"sender": customer.phone, "use_schedule": False, "scheduled_at": "", "template_id": None,
            "title": "", "body": "[메가버드] 주문하신 상품이 발송되었습니다.", "is_ad": False, "ad_company": "",
            "ad_optout": "", "image_ids": [], "recipients": [r if isinstance(r, dict) else {"phone": r}
                                                             for r in recipients],
            "contact_ids": [], "group_ids": [], "upload_id": None, "compose_token": uuid.uuid4().hex}
    body.update(changes)
    return body


def quote(client, customer, recipients=(), **changes):
    return client.post("/sms/quote", json=payload(customer, recipients, **changes), headers=JSON)


def send(client, customer, recipients=(), **changes):
    return client.post("/sms/send", json=payload(customer, recipients, **changes), headers=JSON)


def sent(client, customer, recipients=(), **changes) -> int:
    """Send and return the new send's id (the answer must be 201)."""
    response = send(client, customer, recipients, **changes)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["send_id"])


def error_of(response) -> dict:
    body = response.get_json()
    assert body and "error" in body, (response.status_code, response.get_data(as_text=True)[:300])
    return body["error"]


# --- the worker and the tick ----------------------------------------------------------------------------------

def tick(app, now: dt.datetime) -> dict:
    with app.app_context():
        return periodic.tick(now)


def work(app, now: dt.datetime = NOW) -> None:
    """The real RQ worker (SimpleWorker, burst) with the clock pinned at `now`."""
    with clock.frozen(now):
        run_worker(app)


def complete(app, start: dt.datetime = NOW) -> None:
    """Dispatch at `start`, then ticks for the 5-second reports, the 30-minute ones and
    the 49-hour timeout: every send accepted at `start` ends completed."""
    work(app, start)
    for later in (10 * SECOND, 31 * MINUTE, 50 * HOUR):
        tick(app, start + later)


# --- reading ------------------------------------------------------------------------------------------------

def count(app, model, *conditions) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(model).where(*conditions))
        db.session.commit()
        return int(value or 0)


def rows(app, model, *conditions, order_by=None) -> list[dict]:
    """Rows as plain dicts of their columns."""
    with app.app_context():
        order = [order_by] if order_by is not None else list(model.__table__.primary_key.columns)
        out = [{c.key: getattr(r, c.key) for c in model.__table__.columns}
               for r in db.session.scalars(select(model).where(*conditions).order_by(*order))]
        db.session.commit()
        return out


def one(app, model, *conditions) -> dict:
    found = rows(app, model, *conditions)
    assert len(found) == 1, found
    return found[0]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell of each row of the table with that id (header included)."""
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, flags=re.S)
    assert match, f"no table #{table_id}"
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        out.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return out


def breakdown(html: str) -> dict[str, int]:
    """결과값 상세내역: the count shown for each status and category key."""
    return {key: int(value.replace(",", "")) for key, value in
            re.findall(r'<td class="count" data-key="([a-z_0-9]+)">([\d,]+)건</td>', html)}


def prefilled_recipients(html: str) -> list[dict]:
    """What the compose page hands compose.js to prefill (재발송하기)."""
    match = re.search(r"prefillRecipients: (\[.*?\]),\n", html, flags=re.S)
    assert match, "no prefillRecipients on the page"
    return json.loads(match.group(1))


def html_unescape(text: str) -> str:
    import html
    return html.unescape(text)


# --- money, senders, staff ----------------------------------------------------------------------------------

def balance(app, account_id: int) -> tuple[int, int]:
    """(cash, points)"""
    from app.services import wallet
    with app.app_context():
        result = wallet.balance(account_id)
        db.session.commit()
        return result.cash, result.points


def add_sender_number(app, account_id: int, number: str) -> None:
    """A second approved sender number, as an approved phone verification leaves it."""
    from app.models import SenderNumber
    with app.app_context():
        now = clock.now()
        db.session.add(SenderNumber(account_id=account_id, number=number, owner_name="담당자", method="phone",
                                    is_signup=False, status="approved", requested_at=now, reviewed_at=now))
        db.session.commit()


def revoke_sender_number(app, account_id: int, number: str) -> None:
    """An operator takes a number's approval away (no service for it yet)."""
    from app.models import SenderNumber
    with app.app_context():
        sender = db.session.scalar(select(SenderNumber).where(SenderNumber.account_id == account_id,
                                                              SenderNumber.number == number))
        sender.status = "rejected"
        db.session.commit()


def raise_daily_cap(app, account_id: int, cap: int) -> None:
    """ACC-10 through the service, by an operator."""
    from app.services import accounts
    from tests.support.factories import make_staff
    login, _ = make_staff(app, "Operator")
    with app.app_context():
        actor = app.appbuilder.sm.find_user(username=login)
        accounts.set_daily_cap(account_id=account_id, cap=cap, actor=actor, reason="테스트", now=clock.now())
        db.session.commit()
