"""SND-04 / SEC-07: uploads are checked by content, not by name."""
import io

import pytest
from PIL import Image

from app.domain.files import check_document
from app.errors import ValidationError


def png_bytes(size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buf, "JPEG")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF", "10MB"),
])
def test_refused_documents(name, data, reason):
    with pytest.raises(ValidationError) as info:
        check_document(name, data, field="서류")
    assert reason in info.value.message and info.value.field == "서류"
