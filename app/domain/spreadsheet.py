"""Cell values for exports (RES-05, SEC-05): a text cell that a spreadsheet would read as
a formula gets a leading apostrophe, and the control characters that xlsx cannot hold
(a name typed or uploaded with one) are dropped instead of failing the whole file."""
from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    if isinstance(value, str):
        if _ILLEGAL.search(value):      # first: "\x01=HYPERLINK(…)" must not start with "=" afterwards
            value = _ILLEGAL.sub("", value)
        if value.startswith(FORMULA_STARTS):
            value = "'" + value
    return value
