"""What the compose-page browser tests share: a customer made through the services,
logged in through the real form, on the 문자 발송 page; the byte-case table; images."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

from playwright.sync_api import expect

from app.extensions import db
from app.models import Account
from tests.e2e.conftest import login
from tests.support.factories import Customer, approve_optout_number, make_customer

BYTE_CASES = json.loads((Path(__file__).resolve().parents[2] / "app" / "domain" / "data" / "byte_cases.json")
                        .read_text(encoding="utf-8"))["cases"]
OPTOUT = "0801234567"


def open_compose(app, page, *, cash: int = 0, points: int = 0, optout: str | None = None) -> Customer:
    """A new customer (approved signup sender number), logged in, on /sms/ with its script ready."""
    customer = make_customer(app, cash=cash, points=points)
    if optout:                       # an own 080 number, approved (SND-09), as the account's default
        approve_optout_number(app, customer.account_id, optout)
        with app.app_context():
            db.session.get(Account, customer.account_id).optout_number = optout
            db.session.commit()
    login(page, customer.login, customer.password)
    goto_compose(page)
    return customer


def goto_compose(page) -> None:
    page.goto("/sms/")
    expect(page.locator("h1")).to_have_text("문자 발송")
    page.wait_for_function("window.MB && window.MB.bytes && window.MB_COMPOSE")


def counter(page):
    return page.locator("#byte-count")


def msg_type(page):
    return page.locator("#msg-type")


def recipients_xlsx(path: Path, rows, header=("이름", "휴대폰번호", "변수1")) -> Path:
    """A recipients file as the sample has it (SMS-04), written with openpyxl."""
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def jpeg_file(path: Path, size=(120, 80), noise: bool = False, quality: int = 85) -> Path:
    """A real JPEG; `noise` makes it incompressible (a few hundred KB at 700×700)."""
    from PIL import Image
    image = (Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise
             else Image.new("RGB", size, (30, 120, 200)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    path.write_bytes(buffer.getvalue())
    return path


def png_file(path: Path, size=(40, 40)) -> Path:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def quoted(page, path: str) -> dict:
    """발송하기 pressed: the quote the page asked `path` for (its confirm dialog's figures)."""
    with page.expect_response(f"**{path}") as answer:
        page.click("#send-open")
    return answer.value.json()


def expect_kakao_confirm(page, quote: dict, kakao_type: str, fallback_type: str) -> None:
    """The Kakao pages' two-column confirm dialog (KAT-08) shows the server's quote: 구분
    카카오톡 | 대체문자 with 유형 and 요금, 발송 시각 (immediate), 수신자, the hold, 잔여 금액."""
    shown = {"confirm-kakao-type": kakao_type, "confirm-kakao-price": f"{quote['kakao_price']}원",
             "confirm-fallback-type": fallback_type, "confirm-fallback-price": f"{quote['fallback_price']}원",
             "confirm-schedule": "즉시 발송", "confirm-recipients": f"{quote['recipients']}명",
             "confirm-hold": f"{quote['hold']:,}원", "confirm-remaining": f"{quote['remaining']:,}"}
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-table th")).to_have_text(["구분", "카카오톡", "대체문자", "유형", "요금"])
    for element, text in shown.items():
        expect(page.locator(f"#{element}")).to_have_text(text)
