"""Files to upload in tests: real images and PDFs, and the broken kinds (SEC-04)."""
from __future__ import annotations

import io
import zipfile

from PIL import Image


def png(size=(40, 40), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg(size=(40, 40), color=(30, 200, 30), quality=85) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def pdf(pages: int = 1) -> bytes:
    """A real PDF as a scanner app writes one: a JPEG per page (Pillow's PDF writer)."""
    buf = io.BytesIO()
    first, *rest = [Image.new("RGB", (120, 170), (250, 250, 245 - i)) for i in range(pages)]
    first.save(buf, "PDF", resolution=100, save_all=True, append_images=rest)
    return buf.getvalue()


PDF = pdf()
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


def shared_string_bomb(size=1_000_000, rows=300) -> bytes:
    """An xlsx whose one long shared string fills `rows` cells (SEC-04)."""
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>휴대폰번호</t></si><si><t>이름</t></si><si><t>' + "A" * size + '</t></si></sst>',
    }
    rows_xml = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>0102345{i:04d}</t></is></c><c r="B{i}" t="s"><v>2</v></c></row>'
        for i in range(2, rows + 2))
    files["xl/worksheets/sheet1.xml"] = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                                         + rows_xml + '</sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()
