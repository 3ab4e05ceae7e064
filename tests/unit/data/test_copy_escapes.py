"""COPY text escapes are read as PostgreSQL's COPY FROM reads them."""
from __future__ import annotations

import pytest

from replica.data.dumps.dumpformat import decode_copy, encode_copy


@pytest.mark.parametrize("field, value", [
    (b"plain", b"plain"),
    (b"tab\\there", b"tab\there"),
    (b"\\b\\f\\n\\r\\t\\v\\\\", b"\b\f\n\r\t\v\\"),
    (b"\\x41\\x4a\\x4", b"AJ\x04"),
    (b"\\x4g", b"\x04g"),
    (b"\\x", b"x"),            # no hex digit: PostgreSQL keeps the x
    (b"\\xz", b"xz"),
    (b"\\101\\7\\0\\777", b"A\x07\x00\xff"),  # octal, at most 3 digits, low 8 bits
    (b"\\q", b"q"),            # any other escaped byte stands for itself
    (b"\\8\\9", b"89"),        # not octal digits: themselves
    (b"end\\", b"end\\"),      # a lone trailing backslash stays
])
def test_escapes_decode_as_postgresql_reads_them(field, value):
    assert decode_copy(field) == value


def test_encoding_then_decoding_gives_the_value_back():
    value = b"a\tb\nc\\d\re"
    assert decode_copy(encode_copy(value)) == value
