"""Excel exports written with constant memory (openpyxl write_only) to a temp file and
streamed to the browser. Every text cell is neutralised against formula injection. The
temp file of an inline export has no name on disk (unlinked as it is made), so nothing
with customers' data is left behind, however the response ends."""
from __future__ import annotations

import tempfile
from typing import Iterable

from flask import send_file
from openpyxl import Workbook

from app.domain.spreadsheet import safe_cell

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(path, *, title: str, headers: list[str], rows: Iterable[Iterable]) -> int:
    return write_workbook(path, [(title, headers, rows)])


def write_workbook(path, sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> int:
    """Sheets of (title, headers, rows), each written as it comes; the rows written in all."""
    workbook = Workbook(write_only=True)
    count = 0
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(headers)
        try:
            for row in rows:
                # after safe_cell no text starts with "=", so openpyxl stores every string as text
                sheet.append([safe_cell(value) for value in row])
                count += 1
        except BaseException:       # the rows refused (nothing chosen, a foreign id): close the sheet's writer
            try:
                sheet.close()
            except Exception:       # pragma: no cover - already broken; the first error is the one to raise
                pass
            raise
    workbook.save(path)
    return count


def xlsx_response(*, filename: str, title: str, headers: list[str], rows: Iterable[Iterable]):
    return workbook_response(filename=filename, sheets=[(title, headers, rows)])


def workbook_response(*, filename: str, sheets):
    target = tempfile.TemporaryFile(prefix="mb-export-", suffix=".xlsx")
    try:
        write_workbook(target, sheets)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return send_file(target, mimetype=XLSX_MIME, as_attachment=True, download_name=filename, max_age=0)
