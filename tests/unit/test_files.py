"""SND-04 / SEC-07: uploads are checked by content, not by name; SEC-04: a PDF by its
structure (header, startxref, cross-reference section, trailer naming /Root, objects)."""
import io
import shutil
import struct
import subprocess
import zlib

import pytest
from PIL import Image

from app.domain.files import check_document
from app.errors import ValidationError
from tests.support.uploads import pdf


def png_bytes(size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buf, "JPEG")
    return buf.getvalue()


PDF = pdf()


@pytest.mark.parametrize("name,data,ctype", [
    ("cert.png", png_bytes(), "image/png"), ("cert.JPG", jpeg_bytes(), "image/jpeg"),
    ("cert.jpeg", jpeg_bytes(), "image/jpeg"), ("cert.pdf", PDF, "application/pdf"),
])
def test_accepted_documents(name, data, ctype):
    assert check_document(name, data, field="서류").content_type == ctype


@pytest.mark.parametrize("name,data,reason", [
    ("evil.jpg", b"MZ\x90\x00" + b"\x00" * 100, "형식이 아니거나"),        # a renamed executable
    ("evil.pdf", b"\x7fELF" + b"\x00" * 100, "형식이 아니거나"),
    ("empty.png", b"", "빈 파일"),
    ("cert.gif", b"GIF89a" + b"\x00" * 10, "jpg, jpeg, png, pdf"),
    ("cert", png_bytes(), "jpg, jpeg, png, pdf"),
    ("cert.png", jpeg_bytes(), "일치하지"),                                  # wrong extension
    ("broken.png", png_bytes()[:40], "손상된"),
    ("broken.jpg", jpeg_bytes()[:30], "손상된"),
    ("broken.pdf", b"%PDF-1.4\n garbage without end", "손상된"),
    ("fake.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "손상된"),      # the old check took it
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF", "10MB"),
])
def test_refused_documents(name, data, reason):
    with pytest.raises(ValidationError) as info:
        check_document(name, data, field="서류")
    assert reason in info.value.message and info.value.field == "서류"


# --- SEC-04: a PDF is checked by its structure, not by its first and last bytes ----------------------------

def _offsets_pdf(objects: list[bytes], *, version: bytes = b"1.4", eol: bytes = b"\n") -> bytes:
    """A classic PDF built by hand with a correct cross-reference table."""
    out = b"%PDF-" + version + eol + b"%\xe2\xe3\xcf\xd3" + eol
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + eol + body + eol + b"endobj" + eol
    xref = len(out)
    out += b"xref" + eol + b"0 %d" % (len(objects) + 1) + eol + b"0000000000 65535 f\r\n"
    out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
    out += b"trailer" + eol + b"<< /Size %d /Root 1 0 R >>" % (len(objects) + 1) + eol
    return out + b"startxref" + eol + b"%d" % xref + eol + b"%%EOF" + eol


CATALOG = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
           b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]


def xref_stream_pdf(*, catalog_in_object_stream: bool = False) -> bytes:
    """PDF 1.5 as Acrobat and scanning apps write it: a cross-reference stream (and the
    catalog inside a compressed object stream)."""
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    rows = [(0, 0, 65535)]
    if catalog_in_object_stream:
        inner = b"1 0 " + CATALOG[0]
        packed = zlib.compress(inner)
        offsets = {}
        offsets[4] = len(out)
        out += (b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
                % len(packed)) + packed + b"\nendstream\nendobj\n"
        rows.append((2, 4, 0))
        bodies = {2: CATALOG[1], 3: CATALOG[2]}
    else:
        offsets, bodies = {}, {1: CATALOG[0], 2: CATALOG[1], 3: CATALOG[2]}
    for number, body in bodies.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    for number in range(1 if not catalog_in_object_stream else 2, 4):
        rows.append((1, offsets[number], 0))
    rows.append((1, offsets[4], 0) if catalog_in_object_stream else (0, 0, 0))     # object 4: the object stream
    xref_at = len(out)
    rows.append((1, xref_at, 0))          # the cross-reference stream itself, object 5
    table = zlib.compress(b"".join(struct.pack(">BIH", *row) for row in rows))
    out += (b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % len(table)) + table + b"\nendstream\nendobj\n"
    return out + b"startxref\n%d\n%%%%EOF\n" % xref_at


def wkhtmltopdf_pdf() -> bytes:
    """The project's renderer (pdfkit and wkhtmltopdf, requirements.txt), with Korean."""
    if shutil.which("wkhtmltopdf") is None:
        pytest.skip("wkhtmltopdf is not installed")
    import pdfkit
    return pdfkit.from_string("<html><meta charset='utf-8'><body><h1>사업자등록증</h1><p>메가버드</p></body></html>",
                              False, options={"quiet": ""})


def chromium_pdf(tmp_path) -> bytes:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    out = tmp_path / "page.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={out}",
                    "data:text/html;charset=utf-8,<h1>%EC%95%88%EB%85%95 megabird</h1>"],
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out.read_bytes()


def incremental_update_pdf() -> bytes:
    """A PDF edited after it was written: a second xref section with /Prev."""
    buf = io.BytesIO(pdf())
    buf.seek(0, io.SEEK_END)
    Image.new("L", (60, 60), 80).save(buf, "PDF", append=True)
    return buf.getvalue()


def _accepted(data: bytes) -> bool:
    try:
        return check_document("doc.pdf", data, field="사업자등록증").content_type == "application/pdf"
    except ValidationError as error:
        assert error.field == "사업자등록증" and error.code in ("invalid_file", "invalid_file_type")
        return False


@pytest.mark.parametrize("make", [
    lambda tmp: pdf(), lambda tmp: pdf(pages=3), lambda tmp: incremental_update_pdf(),
    lambda tmp: wkhtmltopdf_pdf(), chromium_pdf,
    lambda tmp: xref_stream_pdf(), lambda tmp: xref_stream_pdf(catalog_in_object_stream=True),
    lambda tmp: _offsets_pdf(CATALOG), lambda tmp: _offsets_pdf(CATALOG, eol=b"\r\n"),
    lambda tmp: _offsets_pdf(CATALOG, version=b"2.0"),
    lambda tmp: _offsets_pdf(CATALOG) + b"\r\n\x00\x00\n",       # padding after %%EOF
], ids=["scan (Pillow)", "scan of 3 pages", "incremental update", "wkhtmltopdf", "chromium", "xref stream",
        "object stream", "hand-built", "CRLF", "PDF 2.0", "padded"])
def test_real_pdfs_are_accepted(make, tmp_path):
    assert _accepted(make(tmp_path))


def _with(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1
    head, _, rest = data.rpartition(old)
    return head + new + rest


def _startxref_to(data: bytes, offset: int) -> bytes:
    head, _, tail = data.rpartition(b"startxref")
    number = tail.split()[0]
    return head + b"startxref" + tail.replace(number, b"%d" % offset, 1)


REAL = _offsets_pdf(CATALOG)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize("data,why", [
    (REAL[: len(REAL) // 2], "cut in half"),
    (REAL[: REAL.rindex(b"%%EOF")], "cut before %%EOF"),
    (REAL[: REAL.rindex(b"trailer")] + b"startxref\n%d\n%%%%EOF\n" % REAL.index(b"xref"), "cut in its trailer"),
    (b"%PDF-1.4\n" + HTML + b"\n%%EOF\n", "HTML with a PDF header"),
    (b"%PDF-1.4\n" + HTML + b"\nstartxref\n0\n%%EOF\n", "HTML whose startxref points at its header"),
    (b"%PDF-1.4\n1 0 obj <<>> endobj\n" + HTML + b"\nstartxref\n9\n%%EOF\n", "startxref at an object, no XRef"),
    (_startxref_to(REAL, len(REAL) + 100), "startxref beyond the end"),
    (_startxref_to(REAL, 40), "startxref into the middle of an object"),
    (_with(REAL, b"/Root 1 0 R", b"/Info 1 0 R"), "a trailer without /Root"),
    (_with(REAL, b"%010d 00000 n\r\n" % REAL.index(b"1 0 obj"), b"%010d 00000 n\r\n" % 3),
     "the catalog is not where the table says"),
    (_with(REAL, b"0000000000 65535 f\r\n", b"0000000000 65535 q\r\n"), "a malformed xref entry"),
    (b"%PDF-9.9" + REAL[8:], "an unknown version"),
    (_with(xref_stream_pdf(), b"/Type /XRef", b"/Type /Page"), "a stream that is no xref stream"),
    (_with(xref_stream_pdf(), b"/Root 1 0 R", b""), "an xref stream without /Root"),
])
def test_broken_or_fake_pdfs_are_refused(data, why):
    with pytest.raises(ValidationError) as info:
        check_document("doc.pdf", data, field="사업자등록증")
    assert "손상된 PDF" in info.value.message and info.value.field == "사업자등록증", why


def test_a_jpeg_renamed_pdf_is_refused_by_its_type():
    with pytest.raises(ValidationError) as info:
        check_document("scan.pdf", jpeg_bytes(), field="사업자등록증")
    assert "형식이 아니거나" in info.value.message and info.value.field == "사업자등록증"


def test_every_real_pdf_cut_short_is_refused():
    """A truncated upload, at every 7th byte of a real scan: none passes."""
    data = pdf()
    assert all(not _accepted(data[:end]) for end in range(9, len(data) - 6, 7))
