"""Content checks for uploaded documents and images (SND-04, SMS-14, SEC-07).
The file's name is never trusted: the type comes from its bytes."""
from __future__ import annotations

import io
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


def _check_pdf(data: bytes, field: str) -> None:
    tail = data[-2048:]
    if b"%%EOF" not in tail:
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
