"""Recipient files (SMS-04): xlsx (read with python-calamine) and csv (UTF-8 or CP949),
columns 이름, 휴대폰번호, 변수1–변수4, up to 100,000 rows. Every row is checked; the
report names the row (as the spreadsheet numbers it), the number and the reason.
Pure: bytes in, rows out."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.domain.recipients import Recipient, RecipientList, Rejected, clean
from app.errors import ValidationError

MAX_ROWS = 100_000
MAX_FILE_BYTES = 30 * 1024 * 1024
FIELD = "파일"
PHONE_HEADERS = ("휴대폰번호", "휴대폰 번호", "전화번호", "휴대폰", "수신번호", "phone", "mobile")
NAME_HEADERS = ("이름", "name", "성명")
VAR_HEADERS = {str(i): (f"변수{i}", f"변수 {i}", f"var{i}", f"#[{i}]") for i in range(1, 5)}
SAMPLE_HEADERS = ["이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4"]


@dataclass
class ParsedFile:
    recipients: list[Recipient]
    rejected: list[Rejected]
    duplicates: int
    total: int          # data rows read (blank rows not counted)


def _cell_text(value) -> str:
    """A cell as text. Spreadsheets store 01012345678 as the number 1012345678: the lost
    leading zero of a mobile number is put back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if text.startswith("1") and len(text) in (9, 10):
            text = "0" + text
        return text
    return str(value).strip()


def _columns(header: list) -> dict[str, int]:
    names = [_cell_text(h).replace("\ufeff", "").strip().lower() for h in header]
    found = {}
    for index, name in enumerate(names):
        if name in (h.lower() for h in PHONE_HEADERS) and "phone" not in found:
            found["phone"] = index
        elif name in NAME_HEADERS and "name" not in found:
            found["name"] = index
        else:
            for key, aliases in VAR_HEADERS.items():
                if name in (a.lower() for a in aliases) and key not in found:
                    found[key] = index
    if "phone" not in found:
        raise ValidationError("첫 줄(머리글)에 '휴대폰번호' 열이 필요합니다. 샘플파일을 내려받아 같은 형식으로 작성해주세요.",
                              field=FIELD, code="missing_phone_column")
    return found


def _rows_of_xlsx(data: bytes):
    from python_calamine import CalamineWorkbook
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        yield from sheet.iter_rows()
    except ValidationError:
        raise
    except Exception:
        raise ValidationError("엑셀 파일을 읽을 수 없습니다. 손상되었거나 xlsx 형식이 아닙니다.", field=FIELD,
                              code="unreadable_file") from None


def _rows_of_csv(data: bytes):
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("CSV 파일의 인코딩을 알 수 없습니다. UTF-8 또는 CP949(EUC-KR)로 저장해주세요.",
                              field=FIELD, code="unreadable_file")
    if "\x00" in text:
        raise ValidationError("CSV 파일을 읽을 수 없습니다 (이진 파일입니다).", field=FIELD, code="unreadable_file")
    yield from csv.reader(io.StringIO(text, newline=""))


def parse(filename: str, data: bytes, *, max_rows: int = MAX_ROWS) -> ParsedFile:
    if not data:
        raise ValidationError("빈 파일입니다.", field=FIELD, code="empty_file")
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError("파일은 30MB 이하여야 합니다.", field=FIELD, code="file_too_large")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise ValidationError("xlsx 파일이 아닙니다 (확장자와 내용이 다릅니다).", field=FIELD, code="unreadable_file")
        rows = _rows_of_xlsx(data)
    elif name.endswith(".csv"):
        rows = _rows_of_csv(data)
    else:
        raise ValidationError("수신자 파일은 xlsx 또는 csv만 가능합니다.", field=FIELD, code="invalid_file_type")

    header = None
    entries: list[Recipient] = []
    total = 0
    for row_number, row in enumerate(rows, start=1):
        if header is None:
            if not any(_cell_text(c) for c in row):
                continue
            header = _columns(list(row))
            continue
        cells = list(row)
        if not any(_cell_text(c) for c in cells):
            continue
        total += 1
        if total > max_rows:
            raise ValidationError(f"수신자 파일은 최대 {max_rows:,}행까지 가능합니다 ({row_number}행에서 초과).",
                                  field=FIELD, code="too_many_rows")

        def cell(key):
            index = header.get(key)
            return _cell_text(cells[index]) if index is not None and index < len(cells) else ""
        entries.append(Recipient(cell("phone"), cell("name") or None,
                                 {k: cell(k) for k in ("1", "2", "3", "4") if cell(k)}, row_number))
    if header is None:
        raise ValidationError("빈 파일입니다.", field=FIELD, code="empty_file")
    if total == 0:
        raise ValidationError("머리글만 있고 수신자가 없습니다.", field=FIELD, code="no_rows")
    cleaned: RecipientList = clean(entries, limit=max_rows)
    return ParsedFile(cleaned.recipients, cleaned.rejected, cleaned.duplicates, total)
