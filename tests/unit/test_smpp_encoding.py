"""submit_sm's fields for Korean texts (10-gateway.md GW-03): the data_coding, the UDH
concatenation that never cuts a character, and the SMSC side that reads it back."""
import random

import pytest

from app.gateways.smpp import encoding
from app.gateways.smpp.encoding import KSC5601, OCTETS, UCS2, UDHI, Segment


def arrived(segments: list[Segment]) -> str:
    """What an SMSC makes of the segments, checked one by one as it would."""
    parts = []
    for segment in segments:
        assert len(segment.short_message) <= OCTETS
        udh, payload = encoding.split_udh(segment.short_message, segment.esm_class)
        assert "\ufffd" not in encoding.decode(payload, segment.data_coding)   # each part whole
        parts.append((udh, payload, segment.data_coding))
    random.Random(len(parts)).shuffle(parts)
    return encoding.reassemble(parts)


@pytest.mark.parametrize("text, coding", [
    ("", KSC5601),
    ("Hello, world! 123", KSC5601),
    ("안녕하세요 [광고] 010-1234-5678 ★€", KSC5601),
    ("똠", UCS2),                      # UHC extension syllable, not in KS X 1001
    ("햏 ok", UCS2),
    ("좋아요 😀", UCS2),                # emoji: outside CP949 altogether
])
def test_data_coding_is_ks_c_5601_only_when_every_character_is_in_ks_x_1001(text, coding):
    assert encoding.data_coding_for(text) == coding


def test_encode_writes_euc_kr_or_utf16_and_refuses_a_make_up_sequence():
    assert encoding.encode("가A", KSC5601) == b"\xb0\xa1A"
    assert encoding.encode("가😀", UCS2) == "가😀".encode("utf-16-be")
    with pytest.raises(ValueError, match="KS X 1001"):
        encoding.encode("똠", KSC5601)           # euc_kr would write 8 octets
    with pytest.raises(ValueError, match="0x00"):
        encoding.encode("a", 0x00)


def test_ascii_goes_as_one_ks_c_5601_segment():
    assert encoding.segments("Hello", ref=7) == [Segment(b"Hello", 0, KSC5601)]


def test_empty_text_is_one_empty_segment():
    assert encoding.segments("", ref=1) == [Segment(b"", 0, KSC5601)]


def test_seventy_korean_characters_fit_one_segment():
    text = "가" * 70
    assert encoding.segments(text, ref=1) == [Segment(b"\xb0\xa1" * 70, 0, KSC5601)]


def test_seventy_one_korean_characters_go_as_two_concatenated_segments():
    segments = encoding.segments("가" * 71, ref=9)
    assert [s.short_message[:6] for s in segments] == [b"\x05\x00\x03\x09\x02\x01", b"\x05\x00\x03\x09\x02\x02"]
    assert [len(s.short_message) - 6 for s in segments] == [134, 8]
    assert {(s.esm_class, s.data_coding) for s in segments} == {(UDHI, KSC5601)}
    assert arrived(segments) == "가" * 71


def test_a_uhc_syllable_sends_the_whole_text_as_ucs2():
    segments = encoding.segments("똠방각하", ref=1)
    assert segments == [Segment("똠방각하".encode("utf-16-be"), 0, UCS2)]


def test_ucs2_fits_seventy_characters_and_splits_at_sixty_seven():
    assert len(encoding.segments("똠" * 70, ref=1)) == 1
    segments = encoding.segments("똠" * 71, ref=1)
    assert [len(s.short_message) - 6 for s in segments] == [134, 8]     # 67 + 4 characters
    assert arrived(segments) == "똠" * 71


def test_an_emoji_surrogate_pair_is_never_split():
    text = "똠" * 66 + "😀" + "끝끝끝"      # 142 octets: 132, then a 4-octet pair that does not fit
    segments = encoding.segments(text, ref=1)
    assert [len(s.short_message) - 6 for s in segments] == [132, 10]
    assert segments[1].short_message[6:] == "😀끝끝끝".encode("utf-16-be")
    for n in range(60, 80):
        assert arrived(encoding.segments("😀" * n, ref=n)) == "😀" * n


def test_a_korean_character_is_never_split_after_odd_ascii():
    text = "a" + "가" * 70                # 141 octets: 1 + 66*2 fills 133, the next would be 135
    segments = encoding.segments(text, ref=1)
    assert [len(s.short_message) - 6 for s in segments] == [133, 8]
    assert arrived(segments) == text


@pytest.mark.parametrize("alphabet", ["a가", "a가 1나\n", "a가똠", "가😀b"])
def test_mixed_texts_of_every_length_round_trip_in_segments_of_at_most_140_octets(alphabet):
    rng = random.Random(alphabet)
    for length in range(1, 401):
        text = "".join(rng.choice(alphabet) for _ in range(length))
        segments = encoding.segments(text, ref=length)
        assert all(len(s.short_message) <= OCTETS for s in segments)
        assert len({s.data_coding for s in segments}) == 1
        if len(segments) > 1:
            assert all(len(s.short_message) > 6 for s in segments)
        assert arrived(segments) == text, (alphabet, length)


def test_a_2000_byte_lms_text_goes_in_15_segments():
    text = encoding.wire_text("가나다라" * 249 + "abc", "공지")      # 4 + 1 + 1,992 + 3 = 2,000 octets
    assert len(encoding.encode(text, KSC5601)) == 2000
    segments = encoding.segments(text, ref=300)
    assert len(segments) == 15
    assert [s.short_message[3:6] for s in segments] == [bytes([44, 15, seq]) for seq in range(1, 16)]
    assert arrived(segments) == text
    assert arrived(segments).split("\n", 1)[0] == "공지"


def test_ref_wraps_at_256():
    assert encoding.segments("가" * 71, ref=256)[0].short_message[3] == 0
    assert encoding.segments("가" * 71, ref=511)[0].short_message[3] == 255


def test_more_than_255_segments_is_refused():
    assert len(encoding.segments("a" * 134 * 255, ref=1)) == 255
    with pytest.raises(ValueError, match="256 segments"):
        encoding.segments("a" * (134 * 255 + 1), ref=1)


@pytest.mark.parametrize("title, expected", [
    ("공지", "공지\n본문"),
    (None, "본문"),
    ("", "본문"),
    ("  ", "본문"),
])
def test_wire_text_puts_an_lms_title_on_the_first_line(title, expected):
    assert encoding.wire_text("본문", title) == expected


def test_split_udh_reads_both_concatenation_headers_and_skips_others():
    assert encoding.split_udh(b"\x05\x00\x03\x2a\x03\x02abc", UDHI) == ((42, 3, 2), b"abc")
    assert encoding.split_udh(b"\x06\x08\x04\x01\x02\x03\x01abc", UDHI) == ((258, 3, 1), b"abc")
    # a port element (IEI 0x05) before the concatenation element
    assert encoding.split_udh(b"\x0b\x05\x04\x0b\x84\x23\xf0\x00\x03\x07\x02\x01x", UDHI) == ((7, 2, 1), b"x")
    assert encoding.split_udh(b"\x04\x05\x02\x0b\x84x", UDHI) == (None, b"x")
    assert encoding.split_udh(b"\x05\x00\x03\x2a\x03\x02abc", 0) == (None, b"\x05\x00\x03\x2a\x03\x02abc")
    assert encoding.split_udh(b"", UDHI) == (None, b"")
    with pytest.raises(ValueError):
        encoding.split_udh(b"\x09\x00\x03", UDHI)
    with pytest.raises(ValueError):
        encoding.split_udh(b"\x03\x00\x03\x01x", UDHI)


def test_decode_reads_each_coding_and_never_raises_on_bad_octets():
    assert encoding.decode(b"\xb0\xa1A", KSC5601) == "가A"
    assert encoding.decode("😀".encode("utf-16-be"), UCS2) == "😀"
    assert encoding.decode(b"hi\xff", 0x01) == "hi\ufffd"
    assert encoding.decode(b"caf\xe9", 0x00) == "café"
    assert encoding.decode(b"caf\xe9", 0x03) == "café"
    assert "\ufffd" in encoding.decode(b"\xb0", KSC5601)
    assert "\ufffd" in encoding.decode(b"\x00", UCS2)
    with pytest.raises(ValueError):
        encoding.decode(b"x", 0x04)


def test_reassemble_refuses_anything_but_one_whole_message():
    def part(segment):
        return (*encoding.split_udh(segment.short_message, segment.esm_class), segment.data_coding)

    one, two = encoding.segments("가" * 71, ref=1)
    assert encoding.reassemble([part(two), part(one)]) == "가" * 71
    for parts in ([part(one)], [], [part(one), part(one)],
                  [part(one), (None, b"x", KSC5601)],
                  [part(one), ((2, 2, 2), part(two)[1], KSC5601)],
                  [part(one), ((1, 2, 2), part(two)[1], UCS2)]):
        with pytest.raises(ValueError):
            encoding.reassemble(parts)
