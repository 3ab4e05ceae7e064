"""Iterate the values of a plain-text dump: the rows of its data and, when asked, the string
literals of its other statements (defaults, views, functions, comments, statistics...)."""
from __future__ import annotations

from typing import BinaryIO, Iterator

from . import dumpformat as fmt, inserts, statements
from ..errors import TruncatedDumpError
from .policy import qualify
from .source import LineSource

Row = tuple[str, list[str], list[bytes | None], int]
STATEMENT = "statement"  # the table of a row of literals; its columns name the statement's kind


def rows(stream: BinaryIO, literals: bool = False) -> Iterator[Row]:
    """Yield every row of every COPY block and INSERT statement, values decoded (None = NULL);
    with literals, also (STATEMENT, [kind, ...], [literal, ...], line) per other statement."""
    created: dict[str, list[str]] = {}
    table = columns = None
    lines = LineSource(stream)
    for line in lines:
        n = lines.line_no
        if table is not None:
            if line in fmt.COPY_END:
                table = None
                continue
            fields = line.rstrip(b"\n").split(b"\t")
            yield table, columns, [None if f == fmt.NULL else fmt.decode_copy(f) for f in fields], n
        elif line.startswith(b"COPY "):
            match = fmt.COPY_HEADER.match(line)
            if match:
                table = qualify(fmt.unquote(match.group(1).decode()))
                columns = [fmt.unquote(c) for c in fmt.identifiers(match.group(2).decode())]
        elif line.startswith(b"CREATE ") and fmt.CREATE_TABLE.match(line.rstrip(b"\r\n")):
            name = qualify(fmt.unquote(fmt.CREATE_TABLE.match(line.rstrip()).group(1).decode()))
            created[name], text = _create_columns(line, lines)
            if literals:
                yield from _literals(text, "create table", n)
        elif line.startswith(fmt.INSERT_START):
            yield from _insert_rows(line, n, lines, created)
        elif line.strip() and not line.startswith((b"--", b"\\")):
            text = statements.read(line, lines, lines.max_line, n).decode("utf-8", "surrogateescape")
            if literals:
                found = statements.kind(text)
                yield from _literals(text, found[1] if found else statements.head(text), n,
                                     arrays=found is not None and found[0] == statements.STATS)
    if table is not None:
        raise TruncatedDumpError(f"the dump ends inside the data of {table}")


def _literals(text: str, kind: str, n: int, arrays: bool = False) -> Iterator[Row]:
    """Yield the literals of a statement as one row (a function body's own literals too); with
    arrays (statistics: most common values, histogram bounds), each element of an array
    literal as a value of its own too."""
    found = statements.values(text)
    if arrays:
        found += [element for value in found for element in statements.array_elements(value)]
    values = [value.encode("utf-8", "surrogateescape") for value in found]
    if values:
        yield STATEMENT, [kind] * len(values), values, n


def _create_columns(first: bytes, lines: LineSource) -> tuple[list[str], str]:
    columns, parts = [], [first]
    for line in lines:
        parts.append(line)
        if line.startswith(b")"):
            if not line.rstrip().endswith(b";"):
                parts[-1] = statements.read(line, lines, lines.max_line, lines.line_no)
            break
        name = fmt.column_name(line)
        if name:
            columns.append(name)
    return columns, b"".join(parts).decode("utf-8", "surrogateescape")


def _insert_rows(first: bytes, n: int, lines: LineSource, created) -> Iterator[Row]:
    stmt = inserts.parse(inserts.read(first, n, lines, lines.max_line)
                         .decode("utf-8", "surrogateescape"), n)
    table = qualify(fmt.unquote(stmt.table))
    columns = stmt.columns or created.get(table, [])
    for row in stmt.rows:
        values = [inserts.decode(t) for t in row]
        yield table, columns, [None if v is None else v.encode("utf-8", "surrogateescape")
                               for v in values], n
