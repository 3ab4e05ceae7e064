"""The pieces of pg_dump's plain-text format the sanitizer and the leak check read."""
from __future__ import annotations

import re

COPY_HEADER = re.compile(rb"^COPY ([^ ]+) \((.*)\) FROM stdin;\r?\n$")
COPY_END = (b"\\.\n", b"\\.\r\n", b"\\.")
CREATE_TABLE = re.compile(rb"^CREATE (?:UNLOGGED )?TABLE ([^ ]+) \($")
COLUMN_LINE = re.compile(rb'^    ("(?:[^"]|"")+"|[^ ]+) ')
INSERT_START = b"INSERT INTO "
_NAME = r'(?:"(?:[^"]|"")+"|[^ ."]+)'
SET_DEFAULT = re.compile(  # on the statement with its whitespace collapsed
    rf"^ALTER TABLE (?:ONLY )?({_NAME}(?:\.{_NAME})?) ALTER COLUMN ({_NAME}) SET DEFAULT ")
DUMP_BANNER = b"-- PostgreSQL database dump"
DUMP_COMPLETE = b"-- PostgreSQL database dump complete"
VERSION_LINE = re.compile(rb"^-- Dumped (from database|by pg_dump) version (\d+)(?:\.(\d+))?")
NULL = b"\\N"
_ESCAPES = {ord("b"): b"\b", ord("f"): b"\f", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t",
            ord("v"): b"\v", ord("\\"): b"\\"}
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)


def identifiers(text: str) -> list[str]:
    """Split a comma-separated list of SQL identifiers, unquoting "quoted" ones."""
    names, current, quoted = [], [], False
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            if quoted and text[i + 1:i + 2] == '"':
                current.append('"')
                i += 1
            else:
                quoted = not quoted
        elif c == "," and not quoted:
            names.append("".join(current).strip())
            current = []
        else:
            current.append(c)
        i += 1
    names.append("".join(current).strip())
    return [n for n in names if n]


def unquote(name: str) -> str:
    """Return a possibly quoted identifier (or schema.table) without its quotes."""
    return ".".join(part.strip('"').replace('""', '"') for part in name.split("."))


def _unescape(match: re.Match) -> bytes:
    code = match.group(1)
    if code[:1] == b"x" and len(code) > 1:  # a lone "\x" is an "x", as PostgreSQL reads it
        return bytes([int(code[1:], 16)])
    if b"0" <= code[:1] <= b"7":  # octal; "\8" and "\9" are plain digits
        return bytes([int(code, 8) & 0xFF])
    return _ESCAPES.get(code[0], code)


def decode_copy(field: bytes) -> bytes:
    """Return the value a COPY text field stands for (backslash escapes resolved)."""
    return _ESCAPE.sub(_unescape, field) if b"\\" in field else field


def encode_copy(value: bytes) -> bytes:
    """Escape a value for a COPY text field."""
    return (value.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def version_of(line: bytes) -> tuple[str, int] | None:
    """Return ("pg_dump"|"database", major) for a `-- Dumped ... version` header line."""
    match = VERSION_LINE.match(line)
    if not match:
        return None
    return ("pg_dump" if match.group(1) == b"by pg_dump" else "database"), int(match.group(2))


def column_name(line: bytes) -> str | None:
    """Return the column a CREATE TABLE body line defines (None for constraints)."""
    match = COLUMN_LINE.match(line)
    if not match or match.group(1) in (b"CONSTRAINT", b"CHECK", b"UNIQUE", b"PRIMARY",
                                        b"FOREIGN", b"EXCLUDE", b"LIKE"):
        return None
    return unquote(match.group(1).decode())
