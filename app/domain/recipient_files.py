"""Recipient files (SMS-04): xlsx (read with python-calamine) and csv (UTF-8 or CP949),
columns 이름, 휴대폰번호, 변수1–변수4, up to 100,000 rows. Every row is checked; the
report names the row (as the spreadsheet numbers it), the number and the reason.
Pure: bytes in, rows out."""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from xml.sax.saxutils import unescape

from app.domain.recipients import Recipient, RecipientList, Rejected, clean
from app.errors import ValidationError

MAX_ROWS = 100_000
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_UNZIPPED_BYTES = 150 * 1024 * 1024   # an xlsx's parts, decompressed (zip bombs)
MAX_CELLS = 3_000_000                    # a sheet's extent (last row × last column), see _check_xlsx
FIELD = "파일"
PHONE_HEADERS = ("휴대폰번호", "휴대폰 번호", "전화번호", "휴대폰", "수신번호", "phone", "mobile")
NAME_HEADERS = ("이름", "name", "성명", "성함", "고객명", "수신자명", "받는사람")
VAR_HEADERS = {str(i): (f"변수{i}", f"변수 {i}", f"var{i}", f"#[{i}]") for i in range(1, 5)}
SAMPLE_HEADERS = ["이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4"]


@dataclass
class ParsedFile:
    recipients: list[Recipient]
    rejected: list[Rejected]
    duplicates: int
    total: int          # data rows read (blank rows not counted)
    ignored: list[str] = field(default_factory=list)   # header cells that name no column we read


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell_text(value, *, phone: bool = False) -> str:
    """A cell as text. Spreadsheets store 01012345678 as the number 1012345678: in the
    phone column the lost leading zero of a mobile number is put back (a variable such as
    an amount stays as it is). Control characters (a cell may hold `&#1;`) are dropped:
    they would reach the message text and the exports."""
    if isinstance(value, Formula):
        value = value.cached
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if phone and text.startswith("1") and len(text) in (9, 10):
            text = "0" + text
        return text
    text = str(value)
    return (_CONTROL.sub("", text) if _CONTROL.search(text) else text).strip()


def _columns(header: list, ignored: list[str] | None = None, variables: tuple[str, ...] = ()) -> dict[str, int]:
    """{phone|name|1..4: column index}; header cells it cannot place go to `ignored` (the
    upload report names them, so that a 고객명 column is not dropped unseen). With an
    AlimTalk template's `variables`, a column headed `#{변수}` (or the bare name) is that
    variable's (key `var:변수`, before 이름), and `번호` is the phone column (KAT-06)."""
    names = [_cell_text(h).replace("\ufeff", "").strip().lower() for h in header]
    wanted = {}
    for variable in variables:
        wanted.setdefault(f"#{{{variable}}}".lower(), variable)
        wanted.setdefault(variable.lower(), variable)
    phones = tuple(h.lower() for h in PHONE_HEADERS) + (("번호",) if variables else ())
    found = {}
    for index, name in enumerate(names):
        if name in wanted and f"var:{wanted[name]}" not in found and name not in phones:
            found[f"var:{wanted[name]}"] = index
        elif name in phones and "phone" not in found:
            found["phone"] = index
        elif name in NAME_HEADERS and "name" not in found:
            found["name"] = index
        else:
            for key, aliases in VAR_HEADERS.items():
                if name in (a.lower() for a in aliases) and key not in found:
                    found[key] = index
                    break
            else:
                if name and ignored is not None:
                    ignored.append(_cell_text(header[index])[:30])
    if "phone" not in found:
        raise ValidationError("첫 줄(머리글)에 '휴대폰번호' 열이 필요합니다. 샘플파일을 내려받아 같은 형식으로 작성해주세요.",
                              field=FIELD, code="missing_phone_column")
    return found


_FAST_CELL = re.compile(rb'<c r="[A-Z]+([0-9]+)"')       # as Excel and openpyxl write cells
_FAST_COLUMN = re.compile(rb'<c r="([A-Z]+)')
_FAST_ROW = re.compile(rb'<row r="([0-9]+)"')
_CELL_TAG = re.compile(rb'<(?:\w+:)?c[\s/>]')                # every cell, however written
_ROW_TAG = re.compile(rb'<(?:\w+:)?row[\s/>]')
_ANY_TAG = re.compile(rb'<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)')
_REF = re.compile(rb'\br\s*=\s*["\']([A-Z]*)([0-9]+)["\']')
_OPEN_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*[^/]>$')
_FORMULA = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)<)')
_MAX_TAG = 1 << 20
# A cell's text: Excel itself holds at most 32,767 characters in one (4 bytes each at most
# in the XML); and the text a sheet decodes to — a shared string is stored once but copied
# into every cell that uses it — stays within a budget, so that a 6 KB file whose one 1 MB
# string fills 300 rows cannot take gigabytes (SEC-04).
MAX_CELL_CHARS = 32_767
MAX_CELL_BYTES = MAX_CELL_CHARS * 4
MAX_DECODED_BYTES = 64 * 1024 * 1024
_SHARED_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt="s"[^>]*>\s*<(?:\w+:)?v>\s*([0-9]+)\s*<')
_SI_TAG = re.compile(rb'<(/?)(?:\w+:)?si(?=[\s>/])[^>]*?(/?)>')


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters[:8]:
        number = number * 26 + ch - 64
    return number


def _unreadable() -> ValidationError:
    return ValidationError("엑셀 파일을 읽을 수 없습니다. 손상되었거나 xlsx 형식이 아닙니다.", field=FIELD,
                           code="unreadable_file")


class _Extent:
    """The last row and column of one worksheet, measured block by block."""

    def __init__(self):
        self.last_row = self.last_col = self.row = self.position = 0
        self.formulas: dict[tuple[int, int], str] = {}
        self.shared: Counter = Counter()       # shared string index -> cells that use it

    def feed(self, block: bytes) -> None:
        if b't="s"' in block:
            self.shared.update(map(int, _SHARED_REF.findall(block)))
        cells, rows = _FAST_CELL.findall(block), _FAST_ROW.findall(block)
        if len(cells) == len(_CELL_TAG.findall(block)) and len(rows) == len(_ROW_TAG.findall(block)):
            if cells:
                self.last_row = max(self.last_row, max(map(int, cells)))
                self.last_col = max(self.last_col, max(map(_column_number, set(_FAST_COLUMN.findall(block)))))
            if rows:
                self.last_row = max(self.last_row, max(map(int, rows)))
        else:
            # other spellings, or cells without a reference (placed by their position in the row)
            for kind, attributes in _ANY_TAG.findall(block):
                ref = _REF.search(attributes)
                if kind == b"row":
                    self.row = int(ref.group(2)) if ref else self.row + 1
                    self.position = 0
                else:
                    self.position = _column_number(ref.group(1)) if ref and ref.group(1) else self.position + 1
                    self.last_col = max(self.last_col, self.position)
                    if ref and ref.group(1):
                        self.last_row = max(self.last_row, int(ref.group(2)))
                self.last_row = max(self.last_row, self.row)
        if b"<f" in block or b":f" in block:
            for col, row, text in _FORMULA.findall(block):
                self.formulas[(int(row), _column_number(col))] = "=" + unescape(text.decode("utf-8", "replace"),
                                                                                {"&quot;": '"', "&apos;": "'"})

    @property
    def cells(self) -> int:
        return self.last_row * self.last_col


class _SharedStrings:
    """The size in bytes of each shared string (xl/sharedStrings.xml), read as it streams."""

    def __init__(self):
        self.sizes: list[int] = []
        self.offset = 0          # of `carry` in the part
        self.carry = b""
        self.start: int | None = None

    def feed(self, chunk: bytes) -> None:
        block = self.carry + chunk
        end = block.rfind(b">") + 1
        for match in _SI_TAG.finditer(block, 0, end):
            if match.group(2):                          # <si/>
                self.sizes.append(0)
            elif not match.group(1):
                self.start = self.offset + match.end()
            elif self.start is not None:
                self.sizes.append(self.offset + match.start() - self.start)
                self.start = None
        self.offset += end
        self.carry = block[end:]
        if len(self.carry) > _MAX_TAG:
            raise _unreadable()


def _check_text_budget(shared: _SharedStrings, sheets: list[_Extent]) -> None:
    used = Counter()
    for extent in sheets:
        used.update(extent.shared)
    total = 0
    for index, cells in used.items():
        size = shared.sizes[index] if index < len(shared.sizes) else 0
        if size > MAX_CELL_BYTES:
            raise ValidationError(f"한 칸의 글자가 엑셀 한도({MAX_CELL_CHARS:,}자)보다 많습니다. 긴 내용을 지운 뒤 다시 "
                                  "저장해주세요.", field=FIELD, code="cell_too_long")
        total += size * cells
    if total > MAX_DECODED_BYTES:
        raise ValidationError(f"파일의 글자 수가 너무 많습니다 (여러 칸에 반복된 긴 내용 포함 {MAX_DECODED_BYTES // 2 ** 20}MB "
                              "초과). 필요한 열만 남겨 다시 저장해주세요.", field=FIELD, code="file_too_large")


def _check_extent(extent: _Extent) -> None:
    if extent.cells > MAX_CELLS:
        raise ValidationError(f"시트의 범위가 너무 큽니다 ({extent.last_row:,}행 × {extent.last_col:,}열). 수신자 파일은 "
                              f"최대 {MAX_ROWS:,}행까지 가능합니다. 빈 행과 열을 지운 뒤 다시 저장해주세요.", field=FIELD,
                              code="too_many_rows")


def _check_xlsx(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Before python-calamine sees the file: it allocates a sheet's whole extent (last row ×
    last column) at once and aborts the process when that fails — a 5 KB file with one cell
    at XFD1048576 asks for 512 GB — and it decompresses the parts in memory. So read every
    part here, streaming, with the decompressed size capped, and measure each worksheet.
    Returns each worksheet's formulas: {part: {(row, column): "=..."}} (1-based)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if "xl/workbook.xml" not in archive.namelist():
            raise _unreadable()
        total = 0
        formulas: dict[str, dict[tuple[int, int], str]] = {}
        shared, sheets = _SharedStrings(), []
        for part in archive.infolist():
            sheet = part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")
            strings = part.filename.lower() == "xl/sharedstrings.xml"
            extent, carry = _Extent(), b""
            with archive.open(part) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_UNZIPPED_BYTES:
                        raise ValidationError(f"압축을 푼 파일 크기가 너무 큽니다 ({MAX_UNZIPPED_BYTES // 2 ** 20}MB 초과). "
                                              "필요한 열만 남겨 다시 저장해주세요.", field=FIELD, code="file_too_large")
                    if strings:
                        shared.feed(chunk)
                    if not sheet:
                        continue
                    block = carry + chunk
                    # whole tags only, a cell with its formula: cut after a closing tag
                    cut = max(block.rfind(b"</c>") + 4, block.rfind(b"</row>") + 6, block.rfind(b"/>") + 2)
                    if cut < 6:
                        cut = block.rfind(b">") + 1
                        tag = block.rfind(b"<", 0, cut)
                        if cut and tag >= 0 and _OPEN_CELL.match(block, tag, cut):
                            cut = tag
                    extent.feed(block[:cut])
                    carry = block[cut:] if b"<" in block[cut:] else b""
                    if len(carry) > _MAX_TAG:
                        raise _unreadable()
                    _check_extent(extent)
            if sheet:
                extent.feed(carry)
                _check_extent(extent)
                formulas[part.filename] = extent.formulas
                sheets.append(extent)
        _check_text_budget(shared, sheets)
        return formulas
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
        raise _unreadable() from None


def _first_sheet_formulas(data: bytes, formulas: dict) -> dict[tuple[int, int], str]:
    """The formulas of the sheet calamine reads (the workbook's first)."""
    if len(formulas) <= 1:
        return next(iter(formulas.values()), {})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        first = re.search(rb'<(?:\w+:)?sheet\s[^>]*?\b(?:\w+:)?id="([^"]+)"', archive.read("xl/workbook.xml"))
        rels = archive.read("xl/_rels/workbook.xml.rels")
        for rel in re.findall(rb"<Relationship\s[^>]*>", rels):
            if first and re.search(rb'\bId="%s"' % re.escape(first.group(1)), rel):
                target = re.search(rb'\bTarget="([^"]+)"', rel).group(1).decode().lstrip("/")
                return formulas.get(target if target.startswith("xl/") else "xl/" + target, {})
    except Exception:
        pass
    return formulas.get("xl/worksheets/sheet1.xml", {})


def _rows_of_xlsx(data: bytes):
    """Rows as calamine reads them (from row 1); a cell holding a formula comes as
    Formula("=...") so that the phone column can refuse it."""
    from python_calamine import CalamineWorkbook
    formulas = _first_sheet_formulas(data, _check_xlsx(data))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        first_col = (sheet.start or (0, 0))[1]
        by_row: dict[int, list[tuple[int, str]]] = {}
        for (r, c), text in formulas.items():
            by_row.setdefault(r, []).append((c - 1 - first_col, text))
        for row_number, row in enumerate(sheet.iter_rows(), start=1):
            if row_number in by_row:
                row = list(row)
                for index, text in by_row[row_number]:
                    if 0 <= index < len(row):
                        row[index] = Formula(text, row[index])
            yield row
    except ValidationError:
        raise
    except Exception:
        raise _unreadable() from None


class Formula(str):
    """A cell holding a formula: its text ("=...") and the value the file saved for it
    (empty when the writer computed none). Never a phone number."""

    def __new__(cls, text: str, cached=None):
        formula = super().__new__(cls, text)
        formula.cached = cached
        return formula


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
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:           # a field over csv's limit (131,072 characters), or a broken quote
            raise ValidationError(f"CSV {reader.line_num:,}행을 읽을 수 없습니다: 한 칸이 너무 길거나 따옴표가 맞지 않습니다 "
                                  f"(한 칸은 최대 {csv.field_size_limit():,}자).", field=FIELD,
                                  code="unreadable_file") from None
        yield row


def parse(filename: str, data: bytes, *, max_rows: int = MAX_ROWS, variables: tuple[str, ...] = ()) -> ParsedFile:
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
    ignored: list[str] = []
    entries: list[Recipient] = []
    formula_rows: list[Rejected] = []
    total = 0
    for row_number, row in enumerate(rows, start=1):
        if header is None:
            if not any(_cell_text(c) for c in row):
                continue
            header = _columns(list(row), ignored, tuple(variables))
            continue
        cells = list(row)
        phone_cell = cells[header["phone"]] if header["phone"] < len(cells) else None
        if not any(_cell_text(c) for c in cells) and not isinstance(phone_cell, Formula):
            continue
        total += 1
        if total > max_rows:
            raise ValidationError(f"수신자 파일은 최대 {max_rows:,}행까지 가능합니다 ({row_number}행에서 초과).",
                                  field=FIELD, code="too_many_rows")

        def cell(key):
            index = header.get(key)
            return _cell_text(cells[index], phone=key == "phone") if index is not None and index < len(cells) else ""
        if isinstance(phone_cell, Formula):
            formula_rows.append(Rejected(row_number, str(phone_cell)[:100],
                                         "휴대폰번호 칸에 수식이 있습니다. 수식 대신 번호를 값으로 입력해주세요."))
            continue
        values = {k: cell(k) for k in ("1", "2", "3", "4") if cell(k)}
        if variables:            # an AlimTalk file: the values by the template's variable names
            values = {v: cell(f"var:{v}") for v in variables if cell(f"var:{v}")}
        entries.append(Recipient(cell("phone"), cell("name") or None, values, row_number))
    if header is None:
        raise ValidationError("빈 파일입니다.", field=FIELD, code="empty_file")
    if total == 0:
        raise ValidationError("머리글만 있고 수신자가 없습니다.", field=FIELD, code="no_rows")
    # an AlimTalk file keeps a number once per rendered message (KAT-07b): the plan decides
    cleaned: RecipientList = clean(entries, limit=max_rows, by_number=not variables)
    rejected = sorted(cleaned.rejected + formula_rows, key=lambda r: r.row) if formula_rows else cleaned.rejected
    return ParsedFile(cleaned.recipients, rejected, cleaned.duplicates, total, ignored)
