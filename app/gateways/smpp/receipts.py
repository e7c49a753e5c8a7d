"""What comes back over SMPP (10-gateway.md GW-03): a delivery receipt's fields, the keys
under which its message was stored, and the raw result code (app/domain/results.py) it
means. Pure: the deliver_sm itself is decoded by the `smpp34` library.

We store `normalize_id(submit_sm_resp.message_id)`; SMSCs write the same id in receipts
in decimal where they answered in hex, in upper case or zero-padded, so `lookup_keys`
gives every form it may have been stored under. The fields come from the TLVs first,
then from the SMPP 3.4 Appendix B text
`id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:…`
whose dates are KST."""
from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Mapping
from typing import Any, NamedTuple

from app.clock import KST, UTC
from app.domain.results import RAW_CODES

RECEIPTED_MESSAGE_ID = 0x001E
MESSAGE_STATE = 0x0427
NETWORK_ERROR_CODE = 0x0423
USER_MESSAGE_REFERENCE = 0x0204

MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV",
                  6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}

OTHER_CODE = "3099"
# "STAT" or "STAT:ERR" -> raw result code; None: not final yet, wait for the next receipt.
DEFAULT_RESULT_MAP: dict[str, str | None] = {
    "DELIVRD": "0000",
    "EXPIRED": "3001",        # power off
    "UNDELIV": "3006",
    "UNDELIV:027": "3002",    # absent subscriber (음영)
    "UNDELIV:001": "3004",    # unknown subscriber
    "UNDELIV:034": "3007",    # message error
    "REJECTD": "3003",        # spam, refused
    "REJECTD:080": "3005",    # 080 opt-out
    "DELETED": OTHER_CODE,
    "UNKNOWN": OTHER_CODE,
    "ENROUTE": None,
    "ACCEPTD": None,
}


class Receipt(NamedTuple):
    message_id: str | None
    stat: str | None
    err: str | None               # 3 digits when numeric
    done_at: dt.datetime | None   # UTC, aware
    submit_at: dt.datetime | None
    text: str | None
    user_reference: int | None


def normalize_id(value: str) -> str:
    """A message id as we store it: no surrounding blanks or NULs, lower case, no
    leading zeros ("0" stays "0")."""
    value = value.strip(string.whitespace + "\x00").lower()
    return value.lstrip("0") or value[:1]


def lookup_keys(receipt_id: str) -> list[str]:
    """The stored keys a receipt's id may stand for, its own form first: an id of decimal
    digits may have been answered in hex, one of hex digits in decimal."""
    exact = normalize_id(receipt_id)
    if not exact:
        return []
    keys = [exact]
    if all(char in string.digits for char in exact):
        keys.append(format(int(exact), "x"))
    if all(char in string.hexdigits for char in exact):
        keys.append(str(int(exact, 16)))
    return list(dict.fromkeys(keys))


def _err3(err: str) -> str:
    err = err.strip().upper()
    return f"{int(err):03d}" if err.isdigit() and err.isascii() else err


_FIELDS = re.compile(r"\b(id|sub|dlvrd|submit\s*date|done\s*date|stat|err|text):", re.IGNORECASE)


def _text_fields(short_message: bytes) -> dict[str, str]:
    """The Appendix B text's fields by key ("id", "submitdate", ..., case and blanks
    ignored); `text` is the rest of the message."""
    body = short_message.decode("utf-8", errors="replace")
    found = list(_FIELDS.finditer(body))
    fields: dict[str, str] = {}
    for match, following in zip(found, [*found[1:], None]):
        key = "".join(match.group(1).lower().split())
        if key == "text":
            fields[key] = body[match.end():].rstrip("\x00")
            break
        words = body[match.end():following.start() if following else len(body)].split()
        fields.setdefault(key, words[0] if words else "")
    return fields


def _kst_date(value: str | None) -> dt.datetime | None:
    """YYMMDDhhmm[ss] in KST, as aware UTC; None when absent or not a date."""
    if not value or not re.fullmatch(r"\d{10}(\d{2})?", value):
        return None
    try:
        local = dt.datetime.strptime(value, "%y%m%d%H%M%S" if len(value) == 12 else "%y%m%d%H%M")
    except ValueError:
        return None
    return local.replace(tzinfo=KST).astimezone(UTC)


def parse(short_message: bytes, tlvs: Mapping[int, bytes]) -> Receipt:
    """A delivery receipt's fields: the TLVs first, what they lack from the text."""
    fields = _text_fields(short_message)
    message_id = tlvs.get(RECEIPTED_MESSAGE_ID, b"").split(b"\x00", 1)[0].decode("utf-8", errors="replace")
    state = tlvs.get(MESSAGE_STATE, b"")
    stat = MESSAGE_STATES.get(state[0]) if len(state) == 1 else None
    network = tlvs.get(NETWORK_ERROR_CODE, b"")
    err = f"{int.from_bytes(network[1:], 'big'):03d}" if len(network) == 3 else None
    reference = tlvs.get(USER_MESSAGE_REFERENCE, b"")
    return Receipt(
        message_id=message_id.strip() or fields.get("id") or None,
        stat=stat or (fields.get("stat") or "").upper() or None,
        err=err or (_err3(fields["err"]) if fields.get("err") else None),
        done_at=_kst_date(fields.get("donedate")),
        submit_at=_kst_date(fields.get("submitdate")),
        text=fields.get("text"),
        user_reference=int.from_bytes(reference, "big") if len(reference) == 2 else None,
    )


def _table_key(key: str) -> str:
    stat, colon, err = str(key).strip().upper().partition(":")
    return f"{stat.strip()}:{_err3(err)}" if colon else stat.strip()


def result_table(setting: Mapping[str, Any] | str | None) -> dict[str, str | None]:
    """DEFAULT_RESULT_MAP with the configured SMPP_RESULT_MAP (a mapping or a JSON object)
    laid over it. A code that is not one of RAW_CODES is a ValueError."""
    if isinstance(setting, str):
        try:
            setting = json.loads(setting) if setting.strip() else {}
        except json.JSONDecodeError as error:
            raise ValueError(f"SMPP_RESULT_MAP is not valid JSON: {error}") from None
    if not isinstance(setting, Mapping | None):
        raise ValueError("SMPP_RESULT_MAP must be a JSON object of \"STAT\" or \"STAT:ERR\" to a result code")
    table = dict(DEFAULT_RESULT_MAP)
    for key, code in (setting or {}).items():
        if code is not None and (not isinstance(code, str) or code not in RAW_CODES):
            raise ValueError(f"SMPP_RESULT_MAP: {key!r} maps to {code!r}, which is not a raw result code")
        table[_table_key(key)] = code
    return table


def result_code(receipt: Receipt, table: Mapping[str, str | None]) -> str | None:
    """The raw result code a receipt means, "STAT:ERR" before "STAT"; None while the
    message is not final; an unknown or missing stat is 3099 (기타)."""
    if not receipt.stat:
        return OTHER_CODE
    stat = receipt.stat.strip().upper()
    if receipt.err:
        key = f"{stat}:{_err3(receipt.err)}"
        if key in table:
            return table[key]
    return table.get(stat, OTHER_CODE)
