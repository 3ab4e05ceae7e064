"""A dump read as lines or as big chunks of whole lines, with push-back and a line counter."""
from __future__ import annotations

from typing import BinaryIO

CHUNK = 1 << 20


class LineSource:
    """Read a binary stream line by line, or in ~1 MiB chunks that end on a line boundary."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.pending = b""  # data pushed back, read before raw
        self.line_no = 0

    def __iter__(self) -> "LineSource":
        return self

    def __next__(self) -> bytes:
        if self.pending:
            end = self.pending.find(b"\n") + 1 or len(self.pending)
            line, self.pending = self.pending[:end], self.pending[end:]
        else:
            line = self.raw.readline()
            if not line:
                raise StopIteration
        self.line_no += 1
        return line

    def chunk(self, size: int = CHUNK) -> bytes:
        """Return up to about size bytes of whole lines (b"" at the end of the input)."""
        data, self.pending = self.pending, b""
        if len(data) < size:
            data += self.raw.read(size - len(data))
        if data and not data.endswith(b"\n"):
            data += self.raw.readline()
        return data

    def unread(self, data: bytes) -> None:
        """Push back data (whole lines, not yet counted) to be read again."""
        self.pending = data + self.pending

    def count(self, data: bytes) -> None:
        """Count the lines of a chunk as consumed."""
        self.line_no += data.count(b"\n")


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
