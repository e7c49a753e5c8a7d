"""How a value reads in a staff list or detail page (FAB's `formatters_columns`), the same
way the customer pages write it: won as 30,000원, KST times, phone and business numbers
with hyphens, labels instead of codes. Every formatter shows nothing for an empty value
(the widgets, app/templates/appbuilder/general/widgets/, blank a None too)."""
from __future__ import annotations

from typing import Callable, Mapping

from app.web import app_filters


def _blank_none(format_value: Callable) -> Callable:
    def cell(value, *args):
        return "" if value is None else format_value(value, *args)
    return cell


@_blank_none
def won(value) -> str:
    """30000 -> 30,000원"""
    return f"{app_filters('won')(value)}원"


@_blank_none
def won_delta(value) -> str:
    """A ledger movement with its sign: +30,000원, -1,000원, 0원."""
    return f"{int(value):+,}원" if value else "0원"


@_blank_none
def points(value) -> str:
    """1000 -> 1,000P"""
    return f"{app_filters('won')(value)}P"


@_blank_none
def points_delta(value) -> str:
    return f"{int(value):+,}P" if value else "0P"


@_blank_none
def count(value) -> str:
    """1000 -> 1,000건"""
    return f"{app_filters('won')(value)}건"


@_blank_none
def number(value) -> str:
    """1000 -> 1,000"""
    return app_filters("won")(value)


@_blank_none
def kst(value) -> str:
    return app_filters("kst")(value)


@_blank_none
def kst_seconds(value) -> str:
    return app_filters("kst")(value, "%Y-%m-%d %H:%M:%S")


@_blank_none
def phone(value) -> str:
    return app_filters("phone")(value)


@_blank_none
def brn(value) -> str:
    return app_filters("brn")(value)


def label(mapping: Mapping[str, str]) -> Callable:
    """A code shown by its Korean label (the code itself when the table lacks it)."""
    return _blank_none(lambda value: mapping.get(value, value))


def yes_no(value) -> str:
    return "" if value is None else ("예" if value else "아니오")
