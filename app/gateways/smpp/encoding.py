"""What goes in submit_sm's fields for a Korean text (10-gateway.md GW-03), and how the
SMSC side reads it back. Pure: the PDU itself is always the `smpp34` library's.

data_coding 0x0E (KS C 5601) when every character is in KS X 1001 (ASCII included), else
UCS2 (0x08, UTF-16-BE). A text over 140 octets goes as a concatenated message: each
segment carries the 6-octet UDH `05 00 03 ref total seq` and at most 134 octets of text,
and a character (an ASCII byte, a 2-byte KS C 5601 character, a UTF-16 surrogate pair)
never straddles two segments, so each segment decodes on its own."""
from __future__ import annotations

from typing import NamedTuple

KSC5601 = 0x0E
UCS2 = 0x08
UDHI = 0x40          # esm_class: short_message starts with a user data header
OCTETS = 140         # short_message's room
MAX_SEGMENTS = 255

_UDH_LENGTH = 6      # 05 00 03 ref total seq
_IEI_CONCAT_8 = 0x00
_IEI_CONCAT_16 = 0x08

Parts = tuple[int, int, int]   # (ref, total, seq)


class Segment(NamedTuple):
    short_message: bytes
    esm_class: int
    data_coding: int


def _ksx1001(char: str) -> bytes | None:
    """`char` in KS C 5601, or None when KS X 1001 has no code for it. Python's euc_kr
    writes a syllable outside KS X 1001 (UHC's '똠') as an 8-octet make-up sequence that
    handsets do not show: only 1 (ASCII) or 2 octets count."""
    try:
        octets = char.encode("euc_kr")
    except UnicodeEncodeError:
        return None
    return octets if len(octets) <= 2 else None


def data_coding_for(text: str) -> int:
    """KSC5601 when every character of `text` is in KS X 1001, else UCS2."""
    if text.isascii() or all(_ksx1001(char) is not None for char in text):
        return KSC5601
    return UCS2


def _units(text: str, coding: int) -> list[bytes]:
    """`text` encoded one character at a time: the pieces a segment may not cut."""
    if coding == UCS2:
        return [char.encode("utf-16-be") for char in text]
    if coding != KSC5601:
        raise ValueError(f"unsupported data_coding 0x{coding:02X}")
    units = []
    for char in text:
        octets = _ksx1001(char)
        if octets is None:
            raise ValueError(f"{char!r} is not in KS X 1001: send it as UCS2")
        units.append(octets)
    return units


def encode(text: str, coding: int) -> bytes:
    """`text` as short_message octets in `coding` (KSC5601 or UCS2)."""
    return b"".join(_units(text, coding))


def segments(text: str, *, ref: int) -> list[Segment]:
    """submit_sm's short_message, esm_class and data_coding for each part of `text`; `ref`
    (taken modulo 256) ties the parts of one concatenated message together."""
    coding = data_coding_for(text)
    units = _units(text, coding)
    if sum(map(len, units)) <= OCTETS:
        return [Segment(b"".join(units), 0, coding)]
    room = OCTETS - _UDH_LENGTH
    payloads: list[bytes] = []
    current = b""
    for unit in units:
        if len(current) + len(unit) > room:
            payloads.append(current)
            current = b""
        current += unit
    payloads.append(current)
    if len(payloads) > MAX_SEGMENTS:
        raise ValueError(f"text needs {len(payloads)} segments, more than {MAX_SEGMENTS}")
    total = len(payloads)
    return [Segment(bytes([5, _IEI_CONCAT_8, 3, ref & 0xFF, total, seq]) + payload, UDHI, coding)
            for seq, payload in enumerate(payloads, start=1)]


def wire_text(text: str, title: str | None) -> str:
    """What an LMS carries over SMPP: its title as the first line, when it has one."""
    return f"{title}\n{text}" if title and title.strip() else text


# ── SMSC side: what arrived ─────────────────────────────────────────────────

def split_udh(short_message: bytes, esm_class: int) -> tuple[Parts | None, bytes]:
    """((ref, total, seq) or None, payload) of one short_message. Reads the 8-bit (IEI 0x00)
    and 16-bit (IEI 0x08) concatenation elements and skips any other; a header longer
    than the message is a ValueError."""
    if not esm_class & UDHI or not short_message:
        return None, short_message
    header_end = 1 + short_message[0]
    if header_end > len(short_message):
        raise ValueError("user data header longer than short_message")
    header, payload = short_message[1:header_end], short_message[header_end:]
    parts: Parts | None = None
    at = 0
    while at + 2 <= len(header):
        iei, length = header[at], header[at + 1]
        data = header[at + 2:at + 2 + length]
        if len(data) != length:
            raise ValueError("truncated information element in the user data header")
        if iei == _IEI_CONCAT_8 and length == 3:
            parts = (data[0], data[1], data[2])
        elif iei == _IEI_CONCAT_16 and length == 4:
            parts = ((data[0] << 8) | data[1], data[2], data[3])
        at += 2 + length
    return parts, payload


def decode(payload: bytes, data_coding: int) -> str:
    """Text of `payload`; undecodable octets become U+FFFD. Unknown codings: ValueError."""
    if data_coding == KSC5601:
        return payload.decode("euc_kr", errors="replace")
    if data_coding == UCS2:
        return payload.decode("utf-16-be", errors="replace")
    if data_coding == 0x01:                     # IA5 (ASCII)
        return payload.decode("ascii", errors="replace")
    if data_coding in (0x00, 0x03):             # SMSC default (best effort), Latin-1
        return payload.decode("latin-1")
    raise ValueError(f"unsupported data_coding 0x{data_coding:02X}")


def reassemble(parts: list[tuple[Parts | None, bytes, int]]) -> str:
    """The text of one message from its segments, each `(split_udh(...)[0], payload,
    data_coding)`, in any order. A set that is not one whole message is a ValueError."""
    if len(parts) == 1 and parts[0][0] is None:
        return decode(parts[0][1], parts[0][2])
    if any(udh is None for udh, _, _ in parts):
        raise ValueError("a segment without a concatenation header among several")
    headers = {(udh[0], udh[1]) for udh, _, _ in parts if udh}
    codings = {coding for _, _, coding in parts}
    ordered = sorted(parts, key=lambda part: part[0][2] if part[0] else 0)
    seqs = [udh[2] for udh, _, _ in ordered if udh]
    if len(headers) != 1 or len(codings) != 1 or seqs != list(range(1, next(iter(headers))[1] + 1)):
        raise ValueError("segments are not the whole of one message")
    return decode(b"".join(payload for _, payload, _ in ordered), codings.pop())
