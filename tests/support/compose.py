"""Helpers for the compose, recipient-file, address-book, history and export tests:
the page's JSON calls as compose.js makes them, real xlsx/csv files, the real worker
and the tick at pinned times, and reading pages and spreadsheets."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
# the worker, the tick and the reads are the pipeline tests' own (one copy of each)
from tests.support.pipeline import (KST, NOW, add_sender_number, balance, count, kst, phones,  # noqa: F401
                                    set_daily_cap as raise_daily_cap, set_sender_status, tick, work)
from tests.support.pipeline import run_to_completion as complete  # noqa: F401
from tests.support.factories import approve_channel
from tests.support.web import logged_in

JSON = {"Accept": "application/json"}
SECOND, MINUTE, HOUR, DAY = (dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1),
                             dt.timedelta(days=1))
PRICES = {"SMS": 20, "LMS": 50, "MMS": 150}      # the default price plan


# --- fixtures the page tests share (each module makes its own `customer`, with its money) ------------------

@pytest.fixture(autouse=True)
def pinned():
    """The clock at NOW: 12:00 KST on a Friday (ads allowed, far from midnight)."""
    with clock.frozen(NOW):
        yield


@pytest.fixture
def channel_id(app, customer):
    """An approved Kakao channel (@shop) of the module's customer (the Kakao compose pages)."""
    return approve_channel(app, customer.account_id, "@shop")


@pytest.fixture
def client(app, customer):
    """The module's customer, logged in through the real form."""
    return logged_in(app, customer.login, customer.password)


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


# --- reading ------------------------------------------------------------------------------------------------

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

def revoke_sender_number(app, account_id: int, number: str) -> None:
    """An operator takes a number's approval away (no service for it yet)."""
    set_sender_status(app, account_id, number, "rejected")
