"""A dump read as lines or as big chunks of whole lines, with push-back and a line counter."""
from __future__ import annotations

from typing import BinaryIO

from .compiled import copyrows
from ..errors import DumpLineTooLongError

CHUNK = 1 << 20
MAX_LINE = 64 << 20  # longer lines are refused: a reader holds at most one line (and a chunk)


class LineSource:
    """Read a binary stream line by line, or in ~1 MiB chunks that end on a line boundary."""

    def __init__(self, raw: BinaryIO, max_line: int = MAX_LINE):
        self.raw = raw
        self.max_line = max_line
        self.pending = b""  # data pushed back, read before raw, from self.at on
        self.at = 0
        self.line_no = 0

    def __iter__(self) -> "LineSource":
        return self

    def __next__(self) -> bytes:
        if self.at < len(self.pending):  # lines are sliced out: the rest is not copied each time
            end = self.pending.find(b"\n", self.at) + 1 or len(self.pending)
            line, self.at = self.pending[self.at:end], end
        else:
            line = self.raw.readline(self.max_line + 1)
            if not line:
                raise StopIteration
            if len(line) > self.max_line:
                raise DumpLineTooLongError(f"line {self.line_no + 1}", self.max_line)
        self.line_no += 1
        return line

    def chunk(self, size: int = CHUNK) -> bytes:
        """Return up to about size bytes of whole lines (b"" at the end of the input)."""
        data = self._take_pending()
        if len(data) < size:
            data += self.raw.read(size - len(data))
        if data and not data.endswith(b"\n"):
            rest = self.raw.readline(self.max_line + 1)
            if len(rest) > self.max_line:
                at = self.line_no + data.count(b"\n") + 1
                raise DumpLineTooLongError(f"line {at}", self.max_line)
            data += rest
        return data

    def unread(self, data: bytes) -> None:
        """Push back data (whole lines, not yet counted) to be read again."""
        self.pending = data + self._take_pending() if self.at < len(self.pending) else data
        self.at = 0

    def count(self, data: bytes) -> None:
        """Count the lines of a chunk as consumed."""
        self.line_no += data.count(b"\n")

    def _take_pending(self) -> bytes:
        data = self.pending[self.at:] if self.at else self.pending
        self.pending, self.at = b"", 0
        return data


def split_rows(data: bytes) -> tuple[bytes, bytes | None, bytes, int]:
    """Split a chunk of COPY data at its end marker: (rows, marker line or None, rest, newlines
    in rows). One compiled pass when it is built: a dump's size is mostly these chunks."""
    if copyrows is None:
        rows, marker, rest = split_block(data)
        return rows, marker, rest, rows.count(b"\n")
    at, newlines = copyrows.scan(data)
    if at < 0:
        return data, None, b"", newlines
    end = min(at + 3, len(data))
    return data[:at], data[at:end], data[end:], newlines


def split_block(data: bytes) -> tuple[bytes, bytes | None, bytes]:
    """Split a chunk of COPY data at its end marker: (rows, marker line or None, rest)."""
    if data.startswith(b"\\.\n") or data == b"\\.":
        at = 0
    else:
        found = data.find(b"\n\\.\n")
        if found < 0:
            if data.endswith(b"\n\\."):
                return data[:-2], b"\\.", b""
            return data, None, b""
        at = found + 1
    end = min(at + 3, len(data))
    return data[:at], data[at:end], data[end:]
