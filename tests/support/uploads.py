"""Files to upload in tests: real images and PDFs, and the broken kinds (SEC-04)."""
from __future__ import annotations

import io

from PIL import Image


def png(size=(40, 40), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg(size=(40, 40), color=(30, 200, 30), quality=85) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200

BAD_DOCUMENTS = [
    ("renamed.png", EXE, "형식이 아니거나"),
    ("renamed.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "형식이 아니거나"),
    ("empty.png", b"", "첨부"),
    ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10) + b"\n%%EOF", "10MB"),
    ("corrupt.png", png()[:60], "손상된"),
    ("corrupt.jpg", jpeg()[:40], "손상된"),
    ("corrupt.pdf", b"%PDF-1.4\n no end of file marker", "손상된"),
    ("doc.gif", b"GIF89a" + b"\x00" * 50, "jpg, jpeg, png, pdf"),
    ("doc.png", jpeg(), "일치하지"),
]


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)
