"""PDF 다운로드 (07-dashboard-stats.md STA-03; the tax invoice copies of 08 use it too): one
function, `render_pdf(html) -> bytes`, with two engines chosen by PDF_ENGINE —

- `weasyprint` (the default): maintained, installed by pip, needs only Pango from the system;
  it renders the page's own HTML and CSS, Korean text in NanumGothic (fonts-nanum);
- `pdfkit` (or `wkhtmltopdf`): wkhtmltopdf through pdfkit, the design card's choice; wkhtmltopdf is archived
  upstream and missing from Debian 13, so it is optional — `available()` says whether it is.

Charts go in as SVG drawn beforehand (kaleido), never as scripts: neither engine runs
plotly.js. The HTML must not fetch anything from the network: relative URLs resolve against
`base_url` (the app's static folder), nothing else is fetched."""
from __future__ import annotations

import shutil
from pathlib import Path

from flask import current_app

ENGINES = ("weasyprint", "pdfkit")
#: the spec's name for the second engine, taken as well
ALIASES = {"wkhtmltopdf": "pdfkit"}
#: the font the templates name first; fonts-nanum installs it (scripts/start, scripts/test)
KOREAN_FONT = "NanumGothic"


class PdfEngineUnavailable(RuntimeError):
    """PDF_ENGINE names an engine this machine cannot run (a configuration error)."""


def engine_name() -> str:
    name = str(current_app.config.get("PDF_ENGINE") or "weasyprint").strip().lower()
    name = ALIASES.get(name, name)
    if name not in ENGINES:
        raise PdfEngineUnavailable(f"PDF_ENGINE={name}: weasyprint 또는 pdfkit 중 하나여야 합니다.")
    return name


def available(name: str) -> bool:
    """Whether an engine can run here (pdfkit needs the wkhtmltopdf binary)."""
    if name == "pdfkit":
        return shutil.which("wkhtmltopdf") is not None
    return name == "weasyprint"


def _static_only(static: Path):
    """WeasyPrint's fetcher for a report: only file URLs below the static folder (the CSS and
    the fonts it names); anything else — the network above all — is not fetched."""
    from weasyprint.urls import URLFetcher

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://") and Path(url[len("file://"):].split("?")[0]).resolve().is_relative_to(static):
                return super().fetch(url, headers)
            raise ValueError(f"not fetched: {url}")

    return StaticOnly(allowed_protocols=("file",), allow_redirects=False)


def render_pdf(html: str, *, engine: str | None = None, compress: bool = True) -> bytes:
    """The HTML as a PDF (A4, the page's own margins from its CSS)."""
    name = ALIASES.get(engine, engine) if engine else engine_name()
    if name not in ENGINES:
        raise PdfEngineUnavailable(f"알 수 없는 PDF 엔진입니다: {name}")
    if not available(name):
        raise PdfEngineUnavailable("pdfkit 엔진에 필요한 wkhtmltopdf가 설치되어 있지 않습니다 (PDF_ENGINE=weasyprint를 "
                                   "쓰거나 wkhtmltopdf를 설치해주세요).")
    if name == "pdfkit":
        import pdfkit
        options = {"encoding": "UTF-8", "page-size": "A4", "quiet": "", "disable-javascript": "",
                   "disable-local-file-access": "", "no-outline": ""}
        return pdfkit.from_string(html, False, options=options)
    from weasyprint import HTML
    static = Path(current_app.static_folder).resolve()
    return HTML(string=html, base_url=static.as_uri() + "/",
                url_fetcher=_static_only(static)).write_pdf(uncompressed_pdf=not compress)
