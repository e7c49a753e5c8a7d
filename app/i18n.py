"""Translations: the UI is written in Korean (the msgids are the manual's labels) and
app/translations/en holds the English catalog. A catalog is compiled at start-up when
its .mo is missing or older than its .po, so no setup step can forget it."""
from __future__ import annotations

from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def ensure_compiled(root: Path = TRANSLATIONS) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in root.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)
