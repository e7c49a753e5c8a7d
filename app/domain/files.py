"""Content checks for uploaded documents and images (SND-04, SMS-14, SEC-07, SEC-04).
The file's name is never trusted: the type comes from its bytes; an image is decoded,
a PDF's structure parsed (no PDF library is installed: `_pdf_structure_ok`)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from app.errors import ValidationError

DOCUMENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # far above any scan; refuses decompression bombs


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The content type our uploads may have, from the magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    return name.rsplit(".", 1)[1] if "." in name else ""


def _check_image(data: bytes, field: str) -> tuple[int, int]:
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError("이미지 크기가 너무 큽니다.", field=field, code="invalid_file")
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # verify() does not decode pixels; a truncated file fails here
    except ValidationError:
        raise
    except Exception:
        raise ValidationError("손상된 이미지 파일입니다. 파일을 확인한 후 다시 첨부해주세요.",
                              field=field, code="invalid_file") from None
    return width, height


_PDF_HEADER = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)[\s%]")
_STARTXREF = re.compile(rb"startxref\s+(\d{1,10})\s*%%EOF")
_XREF_SUBSECTION = re.compile(rb"\s*(\d{1,10})[ \t]+(\d{1,10})[ \t]*(?:\r\n|\r|\n)")
_XREF_ENTRY = re.compile(rb"(\d{10})[ ]+(\d{5})[ ]+([nf])(?=\s)\s*")
_TRAILER = re.compile(rb"\s*trailer\s*<<")
_OBJECT = re.compile(rb"(\d{1,10})\s+(\d{1,5})\s+obj\b")
_ROOT = re.compile(rb"/Root\s+(\d{1,10})\s+(\d{1,5})\s+R\b")
_XREF_TYPE = re.compile(rb"/Type\s*/XRef\b")
PDF_TAIL = 2048          # %%EOF and the last startxref are this near the end


def _pdf_structure_ok(data: bytes) -> bool:
    """The skeleton every reader needs, checked by parsing (SEC-04): a `%PDF-1.x` or
    `%PDF-2.0` header; the last `startxref` near the end pointing at a cross-reference
    section — a classic `xref` table (its entries well formed, then a trailer naming
    /Root, whose object is where the table says when the table lists it) or an
    `N G obj` cross-reference stream (/Type /XRef, naming /Root) —; and objects
    (`obj … endobj`). Not a full parser: the content streams are not decoded.
    Incremental updates and linearized files have their last section at `startxref`."""
    if not _PDF_HEADER.match(data):
        return False
    tail_start = max(0, len(data) - PDF_TAIL)
    found = list(_STARTXREF.finditer(data, tail_start))
    if not found:
        return False
    at = int(found[-1].group(1))
    if at >= len(data):
        return False
    while at < len(data) and data[at:at + 1] in b" \t\r\n\x00\x0c":
        at += 1
    if not (_OBJECT.search(data) and b"endobj" in data):
        return False
    if data.startswith(b"xref", at):
        return _classic_xref_ok(data, at + 4)
    stream = _OBJECT.match(data, at)
    if not stream:
        return False
    head_end = data.find(b"stream", stream.end())
    head = data[stream.end():head_end if head_end >= 0 else stream.end()]
    return bool(head_end >= 0 and _XREF_TYPE.search(head) and _ROOT.search(head))


def _classic_xref_ok(data: bytes, at: int) -> bool:
    entries: dict[int, tuple[int, int, bytes]] = {}
    most = len(data) // 20 + 1
    while (section := _XREF_SUBSECTION.match(data, at)) is not None:
        first, count = int(section.group(1)), int(section.group(2))
        if count > most:
            return False
        at = section.end()
        for number in range(first, first + count):
            entry = _XREF_ENTRY.match(data, at)
            if entry is None:
                return False
            entries[number] = (int(entry.group(1)), int(entry.group(2)), entry.group(3))
            at = entry.end()
    trailer = _TRAILER.match(data, at)
    if not entries or trailer is None:
        return False
    end = data.find(b"startxref", trailer.end())
    root = _ROOT.search(data, trailer.end(), end if end >= 0 else len(data))
    if root is None:
        return False
    number, generation = int(root.group(1)), int(root.group(2))
    listed = entries.get(number)
    if listed is None or listed[2] != b"n":
        return True             # listed by an earlier section of an incremental update
    target = _OBJECT.match(data, listed[0] + _leading_space(data, listed[0]))
    return bool(target and (int(target.group(1)), int(target.group(2))) == (number, generation))


def _leading_space(data: bytes, at: int) -> int:
    skipped = 0
    while data[at + skipped:at + skipped + 1] in (b" ", b"\t", b"\r", b"\n"):
        skipped += 1
    return skipped


def _check_pdf(data: bytes, field: str) -> None:
    if not _pdf_structure_ok(data):
        raise ValidationError("손상된 PDF 파일입니다. 파일을 확인한 후 다시 첨부해주세요.",
                              field=field, code="invalid_file")


def check_document(filename: str, data: bytes, *, field: str) -> CheckedFile:
    """A document (jpg/jpeg/png/pdf, ≤ 10 MB) checked by its content."""
    if not data:
        raise ValidationError("빈 파일은 첨부할 수 없습니다.", field=field, code="invalid_file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError("첨부파일은 10MB 이하만 가능합니다.", field=field, code="file_too_large")
    extension = _extension(filename)
    if extension not in DOCUMENT_TYPES:
        raise ValidationError("첨부파일은 jpg, jpeg, png, pdf 만 허용됩니다.", field=field,
                              code="invalid_file_type")
    actual = sniff(data)
    if actual is None or actual != DOCUMENT_TYPES[extension]:
        raise ValidationError("파일 내용이 jpg, jpeg, png, pdf 형식이 아니거나 확장자와 일치하지 않습니다.",
                              field=field, code="invalid_file_type")
    if actual == "application/pdf":
        _check_pdf(data, field)
        return CheckedFile(actual, extension)
    width, height = _check_image(data, field)
    return CheckedFile(actual, extension, width, height)
