"""Helpers for the platform-foundation integration tests (accounts, roles, queues,
audit): real documents made with Pillow, the 기업전환 form, staff logins, reading
flashes, sidebars and rows."""
from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from tests.support.factories import make_customer, make_staff
from tests.support.web import logged_in, text_of

#: 123-45-6789 with its check digit 1 (weights 1,3,7,1,3,7,1,3,5: 165 + 45//10 = 169 -> 1)
VALID_BRN = "123-45-67891"
WRONG_CHECK_DIGIT_BRN = "123-45-67890"

CONVERSION_FORM = {
    "brn": VALID_BRN,
    "company_name": "주식회사 우정",
    "representative": "우정민",
    "business_address": "서울특별시 강남구 테헤란로 123",
    "business_type": "서비스",
    "business_item": "소프트웨어 개발",
    "tax_contact_name": "김세무",
    "tax_contact_email": "tax@ujung.example.com",
    "tax_contact_phone": "02-555-1234",
}


def png_bytes(size=(64, 48), color=(20, 120, 200)) -> bytes:
    """A real PNG image (decodes with Pillow)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF (Pillow writes it)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


def apply_conversion(client, *, filename: str = "사업자등록증.png", data: bytes | None = None,
                     omit_file: bool = False, **changes):
    """POST the 기업전환 form as multipart with a certificate (a real PNG by default)."""
    form = {**CONVERSION_FORM, **changes}
    if not omit_file:
        form["certificate"] = (io.BytesIO(png_bytes() if data is None else data), filename)
    return client.post("/mypage/conversion", data=form, content_type="multipart/form-data")


def customer_client(app, **kwargs):
    """(Customer, a test client logged in as that customer)."""
    customer = make_customer(app, **kwargs)
    return customer, logged_in(app, customer.login, customer.password)


def staff_client(app, role: str, login: str | None = None):
    """(login, a test client logged in with that staff role)."""
    login, password = make_staff(app, role, login)
    return login, logged_in(app, login, password)


def follow(client, response):
    """GET the page a redirect points to (flashed messages show there)."""
    assert response.status_code in (301, 302, 303), response.status_code
    return client.get(response.headers["Location"])


def count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def rows(app, model, *conditions, order_by=None) -> list:
    """Rows as detached plain dicts of their columns (usable outside the app context)."""
    with app.app_context():
        order = [order_by] if order_by is not None else list(model.__table__.primary_key.columns)
        stmt = select(model).where(*conditions).order_by(*order)
        return [{c.key: getattr(r, c.key) for c in model.__table__.columns}
                for r in db.session.scalars(stmt)]


def uploaded_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


#: Customer routes outside the Portal views (ACC-07): downloads and invitations.
EXTRA_CUSTOMER_ENDPOINTS = ("FileView.download", "InvitationView.accept")


def customer_endpoints(app) -> dict[str, object]:
    """endpoint -> url_map rule of every customer route: the views whose
    class_permission_name is 'Portal', plus FileView.download and InvitationView."""
    from app.security.roles import PORTAL
    portal = {view.endpoint for view in app.appbuilder.baseviews if view.class_permission_name == PORTAL}
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in portal or rule.endpoint in EXTRA_CUSTOMER_ENDPOINTS}


def sidebar_links(response) -> set[str]:
    """The hrefs of the left menu of a page."""
    html = response.get_data(as_text=True)
    nav = re.search(r'<nav class="mb-sidebar".*?</nav>', html, flags=re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(0))) if nav else set()


def flashed(response) -> str:
    """The text of the flashed alerts on a page."""
    html = response.get_data(as_text=True)
    alerts = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, flags=re.S)
    return " ".join(" ".join(re.sub(r"<[^>]+>", " ", a).split()) for a in alerts).replace("&times;", "").strip()


__all__ = ["VALID_BRN", "WRONG_CHECK_DIGIT_BRN", "CONVERSION_FORM", "png_bytes", "pdf_bytes",
           "apply_conversion", "customer_client", "staff_client", "follow", "count", "rows",
           "uploaded_files", "customer_endpoints", "sidebar_links", "flashed", "text_of"]
