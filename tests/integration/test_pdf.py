"""render_pdf (07-dashboard-stats.md STA-03): one function, two engines. WeasyPrint (the
default) writes Korean text in NanumGothic and an SVG chart as vectors; pdfkit/wkhtmltopdf
where the machine has it (skipped with the reason where it does not, as on Debian 13); an
unknown engine and a missing binary are refused plainly; nothing is fetched from outside."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.services.shared import pdf
from tests.support.pdftext import pdf_text

PAGE = """<!doctype html><html lang="ko"><head><meta charset="utf-8"><style>
body { font-family: NanumGothic, sans-serif; } h1 { font-size: 18pt; }</style></head>
<body><h1>문자발송 통계</h1><p>성공 1,234건 · 실패 56건 · 성공률 95.7%</p>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><circle cx="50" cy="50" r="40" fill="#2a6"/></svg>
<img src="https://example.com/tracker.png"></body></html>"""


text_of = pdf_text


def fonts(data: bytes) -> set[str]:
    return {name.split(b"+")[-1].decode() for name in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", data)}


def test_sta03_weasyprint_writes_korean_in_nanumgothic(app):
    with app.app_context():
        data = pdf.render_pdf(PAGE, compress=False)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert any(f.startswith(pdf.KOREAN_FONT) for f in fonts(data)), fonts(data)
    text = text_of(data)
    assert "문자발송 통계" in text and "성공률 95.7%" in text, text
    assert b"/Subtype /Image" not in data          # the external image was not fetched
    with app.app_context():
        assert len(pdf.render_pdf(PAGE)) < len(data)      # compressed by default


@pytest.mark.skipif(shutil.which("wkhtmltopdf") is None,
                    reason="wkhtmltopdf is not installed (archived upstream, absent from Debian 13)")
def test_sta03_pdfkit_engine_where_wkhtmltopdf_exists(app):
    app.config["PDF_ENGINE"] = "wkhtmltopdf"        # the spec's name for the pdfkit engine
    try:
        with app.app_context():
            data = pdf.render_pdf(PAGE)
    finally:
        app.config["PDF_ENGINE"] = "weasyprint"
    assert data.startswith(b"%PDF-")
    assert "문자발송 통계" in text_of(data)


def test_sta03_only_files_below_the_static_folder_are_read(app, tmp_path):
    from tests.support.uploads import png
    outside = tmp_path / "secret.png"
    outside.write_bytes(png((40, 40)))
    inside = Path(app.static_folder) / "pdf-test-inside.png"
    inside.write_bytes(png((40, 40)))
    try:
        with app.app_context():
            refused = pdf.render_pdf(f'<img src="{outside.as_uri()}">', compress=False)
            taken = pdf.render_pdf('<img src="pdf-test-inside.png">', compress=False)
    finally:
        inside.unlink()
    assert b"/Subtype /Image" not in refused
    assert b"/Subtype /Image" in taken


def test_sta03_an_unknown_or_missing_engine_is_refused_plainly(app, monkeypatch):
    app.config["PDF_ENGINE"] = "prince"
    try:
        with app.app_context(), pytest.raises(pdf.PdfEngineUnavailable) as refused:
            pdf.render_pdf(PAGE)
    finally:
        app.config["PDF_ENGINE"] = "weasyprint"
    assert "PDF_ENGINE=prince" in str(refused.value)
    monkeypatch.setenv("PATH", "/nonexistent")       # the machine without wkhtmltopdf
    with app.app_context(), pytest.raises(pdf.PdfEngineUnavailable) as refused:
        pdf.render_pdf(PAGE, engine="pdfkit")
    assert "wkhtmltopdf" in str(refused.value)
