"""Delivery receipts over SMPP (10-gateway.md GW-03): the id in whatever form the SMSC
writes it reaches the key we stored, TLVs before the Appendix B text, KST dates as UTC,
and stat/err through the configurable table to megabird's raw result codes."""
import datetime as dt
import json

import pytest
import smpp34

from app.domain.results import RAW_CODES
from app.gateways.smpp import receipts
from app.gateways.smpp.receipts import DEFAULT_RESULT_MAP, Receipt, lookup_keys, normalize_id

UTC = dt.UTC
TEXT = (b"id:0000A1B2 sub:001 dlvrd:001 submit date:2612021200 done date:2612021205 "
        b"stat:DELIVRD err:000 text:\xec\x95\x88\xeb\x85\x95 id:ffff stat:x")


def receipt(**fields) -> Receipt:
    return Receipt(**{**dict.fromkeys(Receipt._fields), **fields})


def test_the_tlv_tags_are_the_librarys():
    assert receipts.RECEIPTED_MESSAGE_ID == smpp34.TLV_RECEIPTED_MESSAGE_ID
    assert receipts.MESSAGE_STATE == smpp34.TLV_MESSAGE_STATE
    assert receipts.NETWORK_ERROR_CODE == smpp34.TLV_NETWORK_ERROR_CODE
    assert receipts.USER_MESSAGE_REFERENCE == smpp34.TLV_USER_MESSAGE_REFERENCE


@pytest.mark.parametrize("value, expected", [
    ("A1B2", "a1b2"), (" 00a1b2\x00", "a1b2"), ("000", "0"), ("0", "0"), ("\x00", ""), ("", ""),
    ("0012345", "12345"),
])
def test_normalize_id(value, expected):
    assert normalize_id(value) == expected


@pytest.mark.parametrize("stored_as, receipt_says", [
    ("a1b2", "A1B2"),                  # upper case
    ("a1b2", "0000a1b2"),              # zero-padded
    ("a1b2", "a1b2\x00"),              # NUL-terminated
    ("a1b2", "41394"),                 # answered in hex, receipted in decimal
    ("3039", "12345"),                 # hex of digits only
    ("12345", "3039"),                 # answered in decimal, receipted in hex
    ("12345", "0000012345"),
    ("ff", "255"),
    ("255", "FF"),
])
def test_every_form_of_an_id_reaches_its_stored_key(stored_as, receipt_says):
    assert stored_as == normalize_id(stored_as)
    assert stored_as in lookup_keys(receipt_says)


def test_lookup_keys_put_the_exact_form_first_without_duplicates():
    assert lookup_keys("0012345") == ["12345", "3039", "74565"]
    assert lookup_keys("A1B2") == ["a1b2", "41394"]
    assert lookup_keys("msg-7") == ["msg-7"]
    assert lookup_keys("0") == ["0"]
    assert lookup_keys("1") == ["1"]
    assert lookup_keys(" \x00") == []


def test_a_text_receipt_gives_every_field_with_kst_dates_in_utc():
    got = receipts.parse(TEXT, {})
    assert got == Receipt(message_id="0000A1B2", stat="DELIVRD", err="000",
                          done_at=dt.datetime(2026, 12, 2, 3, 5, tzinfo=UTC),
                          submit_at=dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
                          text="안녕 id:ffff stat:x", user_reference=None)
    assert got.done_at.utcoffset() == dt.timedelta(0)
    assert "a1b2" in lookup_keys(got.message_id)


def test_the_text_keys_are_case_insensitive_and_dates_may_carry_seconds():
    got = receipts.parse(b"ID:7 SUB:001 DLVRD:000 Submit Date:2601010000 Done Date:260101000059 "
                         b"Stat:undeliv Err:27 Text:", {})
    assert (got.message_id, got.stat, got.err, got.text) == ("7", "UNDELIV", "027", "")
    assert got.submit_at == dt.datetime(2025, 12, 31, 15, 0, tzinfo=UTC)     # across the year in UTC
    assert got.done_at == dt.datetime(2025, 12, 31, 15, 0, 59, tzinfo=UTC)


def test_tlvs_come_before_the_text():
    got = receipts.parse(TEXT, {0x001E: b"A1B3\x00", 0x0427: bytes([5]), 0x0423: b"\x03\x00\x1b",
                                0x0204: b"\x01\x02"})
    assert (got.message_id, got.stat, got.err, got.user_reference) == ("A1B3", "UNDELIV", "027", 258)
    assert got.done_at == dt.datetime(2026, 12, 2, 3, 5, tzinfo=UTC)        # only the text has dates


def test_tlvs_alone_are_a_receipt():
    got = receipts.parse(b"", {0x001E: b"ff\x00", 0x0427: bytes([2])})
    assert got == receipt(message_id="ff", stat="DELIVRD")


@pytest.mark.parametrize("state, stat", sorted(receipts.MESSAGE_STATES.items()))
def test_each_message_state(state, stat):
    assert receipts.parse(b"", {0x0427: bytes([state])}).stat == stat


def test_malformed_tlvs_leave_the_text_to_fill_in():
    got = receipts.parse(b"id:9 stat:EXPIRED err:1",
                         {0x001E: b"\x00", 0x0427: bytes([99]), 0x0423: b"\x01", 0x0204: b"\x01"})
    assert (got.message_id, got.stat, got.err, got.user_reference) == ("9", "EXPIRED", "001", None)


def test_missing_parts_are_none():
    assert receipts.parse(b"stat:DELIVRD", {}) == receipt(stat="DELIVRD")
    assert receipts.parse(b"", {}) == receipt()
    got = receipts.parse(b"id: sub:001 done date:2613011200 submit date:26120 stat: err:", {})
    assert got == receipt()                        # empty fields, month 13, a short date


def test_garbage_bytes_do_not_raise():
    got = receipts.parse(b"\xff\xfe id:\xc3\x28ab stat:DELIVRD text:\x80\x81", {0x0427: b"\xff"})
    assert got.stat == "DELIVRD"
    assert got.message_id == "\ufffd(ab"
    assert got.text == "\ufffd\ufffd"
    assert receipts.parse(bytes(range(256)), {0x001E: b"\xff\xfe\x00"}).message_id == "\ufffd\ufffd"


def test_the_default_table_names_only_raw_codes():
    assert all(code is None or code in RAW_CODES for code in DEFAULT_RESULT_MAP.values())
    assert receipts.result_table(None) == DEFAULT_RESULT_MAP
    assert receipts.result_table("") == DEFAULT_RESULT_MAP
    assert receipts.result_table({}) == DEFAULT_RESULT_MAP


@pytest.mark.parametrize("stat, err, code", [
    ("DELIVRD", "000", "0000"),
    ("EXPIRED", None, "3001"),
    ("UNDELIV", "027", "3002"),
    ("UNDELIV", "27", "3002"),
    ("UNDELIV", "001", "3004"),
    ("UNDELIV", "034", "3007"),
    ("UNDELIV", "999", "3006"),
    ("UNDELIV", None, "3006"),
    ("REJECTD", "080", "3005"),
    ("REJECTD", "001", "3003"),
    ("DELETED", None, "3099"),
    ("UNKNOWN", None, "3099"),
    ("ENROUTE", None, None),
    ("ACCEPTD", "000", None),
    ("delivrd", None, "0000"),
    ("GONE", "001", "3099"),            # a stat we do not know
    (None, "001", "3099"),              # no stat at all
])
def test_result_codes_stat_err_first_then_stat(stat, err, code):
    assert receipts.result_code(receipt(stat=stat, err=err), DEFAULT_RESULT_MAP) == code


def test_a_parsed_receipt_maps_through_the_table():
    table = receipts.result_table(None)
    assert receipts.result_code(receipts.parse(b"id:1 stat:UNDELIV err:27", {}), table) == "3002"
    tlvs = {0x001E: b"1\x00", 0x0427: bytes([8]), 0x0423: b"\x03\x00\x50"}
    assert receipts.result_code(receipts.parse(b"", tlvs), table) == "3005"


@pytest.mark.parametrize("setting", [
    {"undeliv:1": "3010", "Rejectd": None, "EXPIRED:5": "3006"},
    json.dumps({"undeliv:1": "3010", "Rejectd": None, "EXPIRED:5": "3006"}),
])
def test_the_configured_table_lays_over_the_default(setting):
    table = receipts.result_table(setting)
    assert table == {**DEFAULT_RESULT_MAP, "UNDELIV:001": "3010", "REJECTD": None, "EXPIRED:005": "3006"}
    assert receipts.result_code(receipt(stat="UNDELIV", err="001"), table) == "3010"
    assert receipts.result_code(receipt(stat="REJECTD", err="080"), table) == "3005"
    assert receipts.result_code(receipt(stat="REJECTD"), table) is None
    assert receipts.result_code(receipt(stat="EXPIRED", err="5"), table) == "3006"
    assert DEFAULT_RESULT_MAP["UNDELIV:001"] == "3004"             # the default is untouched


@pytest.mark.parametrize("setting, message", [
    ({"UNDELIV:027": "9999"}, "'UNDELIV:027' maps to '9999'"),
    ('{"DELIVRD": 0}', "'DELIVRD' maps to 0"),
    ('{"DELIVRD": "0000",}', "not valid JSON"),
    ('["DELIVRD"]', "JSON object"),
    ("nonsense", "not valid JSON"),
])
def test_a_bad_table_is_refused_in_english(setting, message):
    with pytest.raises(ValueError, match=message):
        receipts.result_table(setting)
