"""The pages: portal/ for customers, staff/ for operators, finance staff and admins (the
permission axis), base.py for what they share; menu.py registers them and builds the
menus."""
from __future__ import annotations

from app.security.tenancy import current_account, current_account_id


def has_account() -> bool:
    return current_account_id(required=False) is not None


def has_individual_account() -> bool:
    """기업전환 is offered to individual accounts only."""
    return has_account() and not current_account().is_corporate


def has_corporate_account() -> bool:
    """기업정보 (ACC-12) is a corporate account's page."""
    return has_account() and current_account().is_corporate


# Menu links (add_link) have no view of their own: the resource that grants them.
MENU_LINK_RESOURCES = {
    "Conversion": "Portal",
    "CompanyInfo": "Portal",
    "ApiUse": "Portal",
    "Statement": "Portal",
    "Reservations": "Portal",
    "CashRefund": "Portal",
}
