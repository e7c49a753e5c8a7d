"""Cell values for exports (RES-05, SEC-05): a text cell that a spreadsheet would read as
a formula gets a leading apostrophe."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
