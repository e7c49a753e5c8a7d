"""Excel exports written with constant memory (openpyxl write_only) to a temp file and
streamed to the browser. Every text cell is neutralised against formula injection."""
from __future__ import annotations

import os
import tempfile
from typing import Iterable

from flask import after_this_request, send_file
from openpyxl import Workbook

from app.domain.spreadsheet import safe_cell

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(path: str, *, title: str, headers: list[str], rows: Iterable[Iterable]) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    count = 0
    for row in rows:
        # after safe_cell no text starts with "=", so openpyxl stores every string as text
        sheet.append([safe_cell(value) for value in row])
        count += 1
    workbook.save(path)
    return count


def xlsx_response(*, filename: str, title: str, headers: list[str], rows: Iterable[Iterable]):
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="mb-export-")
    os.close(handle)
    write_xlsx(path, title=title, headers=headers, rows=rows)

    @after_this_request
    def _cleanup(response):
        response.call_on_close(lambda: os.path.exists(path) and os.unlink(path))
        return response

    return send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name=filename, max_age=0)
