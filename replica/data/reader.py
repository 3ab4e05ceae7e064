"""Iterate the data rows of a plain-text dump: (table, columns, decoded values) per row."""
from __future__ import annotations

from typing import BinaryIO, Iterator

from . import dumpformat as fmt, inserts
from .errors import TruncatedDumpError
from .policy import qualify

Row = tuple[str, list[str], list[bytes | None], int]


def rows(stream: BinaryIO) -> Iterator[Row]:
    """Yield every row of every COPY block and INSERT statement, values decoded (None = NULL)."""
    created: dict[str, list[str]] = {}
    table = columns = None
    lines = enumerate(stream, 1)
    for n, line in lines:
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
            created[name] = _create_columns(lines)
        elif line.startswith(fmt.INSERT_START):
            yield from _insert_rows(line, n, lines, created)
    if table is not None:
        raise TruncatedDumpError(f"the dump ends inside the data of {table}")


def _create_columns(lines) -> list[str]:
    columns = []
    for _, line in lines:
        if line.startswith(b")"):
            break
        name = fmt.column_name(line)
        if name:
            columns.append(name)
    return columns


def _insert_rows(first: bytes, n: int, lines, created) -> Iterator[Row]:
    parts, quotes = [first], first.count(b"'")
    while not (quotes % 2 == 0 and parts[-1].rstrip().endswith(b";")):
        nxt = next(lines, None)
        if nxt is None:
            raise TruncatedDumpError(f"the dump ends inside the INSERT at line {n}")
        parts.append(nxt[1])
        quotes += nxt[1].count(b"'")
    stmt = inserts.parse(b"".join(parts).decode("utf-8", "surrogateescape"), n)
    table = qualify(fmt.unquote(stmt.table))
    columns = stmt.columns or created.get(table, [])
    for row in stmt.rows:
        values = [inserts.decode(t) for t in row]
        yield table, columns, [None if v is None else v.encode("utf-8", "surrogateescape")
                               for v in values], n
