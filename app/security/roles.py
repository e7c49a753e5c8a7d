"""Roles are data (ACC-03): each role is a set of coarse resources. Every view names
its resource with `class_permission_name`, and all of a view's methods and actions
share one permission, `can_access` (see app/views/base.py). `flask megabird init`
syncs these roles into FAB's tables; FAB's Admin role keeps every permission.
"""
from __future__ import annotations

CUSTOMER = "Customer"
OPERATOR = "Operator"
FINANCE = "Finance"
ADMIN = "Admin"
STAFF_ROLES = frozenset({OPERATOR, FINANCE, ADMIN})

ACCESS = "access"  # the one method permission of our views: FAB stores it as can_access

# Resources (class_permission_name of views).
PORTAL = "Portal"              # every customer page
STAFF_HOME = "StaffHome"       # staff dashboard
OPERATIONS = "Operations"      # operator queues and customer care
AUDIT = "Audit"                # the audit log
FINANCE_AREA = "FinanceArea"   # invoices and finance exports
SANDBOX = "Sandbox"            # the carriers' traffic: the sandbox's outbox, the SMSC's receipts
JOBS = "Jobs"                  # RQ queues and failed jobs
PRICING = "Pricing"            # price plans
LEDGER = "Ledger"              # any account's ledger (read-only)
STATISTICS = "Statistics"      # service-wide statistics (STA-05)

ROLE_RESOURCES: dict[str, frozenset[str]] = {
    CUSTOMER: frozenset({PORTAL}),
    OPERATOR: frozenset({STAFF_HOME, OPERATIONS, AUDIT, SANDBOX, LEDGER, STATISTICS}),
    FINANCE: frozenset({STAFF_HOME, FINANCE_AREA, AUDIT, LEDGER, STATISTICS}),
    # Admin: everything (FAB's AUTH_ROLE_ADMIN); listed for documentation and menus.
    ADMIN: frozenset({STAFF_HOME, OPERATIONS, AUDIT, FINANCE_AREA, SANDBOX, JOBS, PRICING, LEDGER, STATISTICS}),
}
