"""A PDF's text read back as a person's tools read it: pdftotext (poppler-utils, installed by
scripts/test), or pypdf where a development machine lacks it. Control characters (wkhtmltopdf's
subset fonts read a space as a control character) and runs of white space are taken as one space."""
from __future__ import annotations

import io
import re
import shutil
import subprocess


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                              check=True, timeout=60).stdout.decode()
    else:                                   # pragma: no cover - scripts/test installs poppler-utils
        from pypdf import PdfReader
        text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(re.sub(r"[\x00-\x1f]", " ", text).split())
