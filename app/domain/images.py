"""MMS image checks on upload (SMS-14): JPEG by content, ≤ 300 KB, ≤ 1500×1500 px, 1–3."""
from __future__ import annotations

import io
from dataclasses import dataclass

from app.errors import ValidationError

MAX_IMAGES = 3
MAX_IMAGE_BYTES = 300 * 1024
MAX_SIDE = 1500


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    width: int
    height: int


MAX_PIXELS = 40_000_000       # a decompression bomb is refused before it is decoded


def read_image(data: bytes, formats: tuple[str, ...]) -> tuple[str, int, int] | None:
    """(format, width, height) of an image Pillow decodes whole in one of `formats`
    ("JPEG", "PNG"), or None for anything else (another format, a broken file, too many
    pixels). Every image check reads its upload through here."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            width, height = img.size
            if kind not in formats or width * height > MAX_PIXELS:
                return None
            img.load()
    except Exception:        # Pillow raises many kinds for a broken file: each is "not an image"
        return None
    return kind, width, height


def check_mms_image(data: bytes, *, field: str = "이미지첨부", index: int | None = None) -> CheckedImage:
    where = f"{index}번째 이미지: " if index else ""
    if not data:
        raise ValidationError(f"{where}빈 파일은 첨부할 수 없습니다.", field=field, code="invalid_image")
    if not data.startswith(b"\xff\xd8\xff"):
        raise ValidationError(f"{where}jpg/jpeg 파일만 첨부 가능합니다.", field=field, code="invalid_image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(f"{where}이미지는 각 300KB 이하만 첨부 가능합니다 (현재 {len(data) // 1024}KB).",
                              field=field, code="image_too_large")
    read = read_image(data, ("JPEG",))
    if read is None:
        raise ValidationError(f"{where}손상된 이미지 파일입니다.", field=field, code="invalid_image")
    _kind, width, height = read
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValidationError(f"{where}최대 크기 1500*1500px 이하 파일만 첨부 가능합니다 (현재 {width}*{height}px).",
                              field=field, code="image_too_large")
    return CheckedImage(data, width, height)


def check_image_count(count: int, field: str = "이미지첨부") -> None:
    if count > MAX_IMAGES:
        raise ValidationError("이미지는 최대 3장까지 첨부할 수 있습니다.", field=field, code="too_many_images")
