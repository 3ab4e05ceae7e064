"""Parse and rebuild pg_dump's INSERT statements (--inserts, --column-inserts, --rows-per-insert)."""
from __future__ import annotations

import re

from .dumpformat import identifiers, unquote
from ..errors import TruncatedDumpError

HEAD = re.compile(r'INSERT INTO ((?:"(?:[^"]|"")+"|[^ (]+)+) (?:\((.*?)\) )?VALUES\s*', re.DOTALL)


class Insert:
    """One INSERT statement: its table, optional column list, rows of raw SQL tokens, tail."""

    def __init__(self, table: str, columns: list[str] | None, rows: list[list[str]], tail: str):
        self.table = table
        self.columns = columns
        self.rows = rows
        self.tail = tail  # e.g. " ON CONFLICT DO NOTHING"

    def __repr__(self) -> str:
        return f"Insert({self.table!r}, {self.columns!r}, {len(self.rows)} rows, {self.tail!r})"

    def render(self) -> str:
        """Return the statement as SQL text (one row per line, as pg_dump writes them)."""
        cols = f" ({', '.join(quote_ident(c) for c in self.columns)})" if self.columns else ""
        rows = ",\n\t".join(f"({', '.join(row)})" for row in self.rows)
        return f"INSERT INTO {self.table}{cols} VALUES\n\t{rows}{self.tail};\n"


def quote_ident(name: str) -> str:
    """Quote an identifier when pg_dump would."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def read(first: bytes, n: int, lines, limit: int) -> bytes:
    """Return the INSERT statement that starts with line first (at line n), reading its other
    lines from lines; refuse one cut short by the end of input or longer than limit bytes."""
    from ..errors import DumpLineTooLongError

    parts, quotes, size = [first], first.count(b"'"), len(first)
    while not (quotes % 2 == 0 and parts[-1].rstrip().endswith(b";")):
        nxt = next(lines, None)
        if nxt is None:
            raise TruncatedDumpError(f"the dump ends inside the INSERT at line {n}: "
                                     "it is truncated", hint="take the dump again")
        parts.append(nxt)
        quotes += nxt.count(b"'")
        size += len(nxt)
        if size > limit:
            raise DumpLineTooLongError(f"the INSERT at line {n}", limit)
    return b"".join(parts)


def parse(text: str, line_no: int) -> Insert:
    """Parse one complete INSERT statement."""
    head = HEAD.match(text)
    if not head:
        raise TruncatedDumpError(f"line {line_no}: cannot read this INSERT statement")
    rows, pos = [], head.end()
    while True:
        if text[pos:pos + 1] != "(":
            raise TruncatedDumpError(f"line {line_no}: INSERT row does not start with '('")
        row, pos = _row(text, pos + 1, line_no)
        rows.append(row)
        rest = len(text[pos:]) - len(text[pos:].lstrip())
        pos += rest
        if text[pos:pos + 1] != ",":
            break
        pos += 1
        pos += len(text[pos:]) - len(text[pos:].lstrip())
    tail = text[pos:].rstrip()
    if not tail.endswith(";"):
        raise TruncatedDumpError(f"line {line_no}: INSERT statement does not end with ';'")
    columns = identifiers(head.group(2)) if head.group(2) else None
    return Insert(head.group(1), [unquote(c) for c in columns] if columns else None, rows,
                  (" " + tail[:-1].strip()) if tail[:-1].strip() else "")


def _row(text: str, pos: int, line_no: int) -> tuple[list[str], int]:
    """Read tokens from just after '(' to just after the matching ')'."""
    values, start, depth, n = [], pos, 0, len(text)
    while pos < n:
        c = text[pos]
        if c == "'":
            end = pos + 1
            while True:
                end = text.find("'", end)
                if end < 0:
                    raise TruncatedDumpError(f"line {line_no}: unterminated string in INSERT")
                if text[end + 1:end + 2] == "'":
                    end += 2
                    continue
                break
            pos = end + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif c in ",)" and depth == 0:
            values.append(text[start:pos].strip())
            if c == ")":
                return values, pos + 1
            start = pos + 1
        pos += 1
    raise TruncatedDumpError(f"line {line_no}: INSERT row is not closed")


def decode(token: str) -> str | None:
    """Return the value of a SQL literal token ('...' string, NULL, or a bare number/keyword)."""
    if token.upper() == "NULL":
        return None
    if token.startswith("'"):
        end = token.rfind("'")
        return token[1:end].replace("''", "'")
    return token


def literal(value: bytes | None) -> str:
    """Return a SQL literal for a fake value (fakes never contain quotes; escape anyway)."""
    if value is None:
        return "NULL"
    return "'" + value.decode("utf-8", "surrogateescape").replace("'", "''") + "'"
