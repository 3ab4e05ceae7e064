"""The few pieces of PostgreSQL's wire protocol the proxy needs: startup packets and errors."""
from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP_BYTES = 10_000  # PostgreSQL's own limit on a startup packet


class ProtocolError(Exception):
    """The client sent something that is not a PostgreSQL startup packet."""


@dataclass(frozen=True)
class StartupPacket:
    """The first packet of a connection: its 4-byte code (request or protocol version) and bytes."""

    code: int
    raw: bytes

    @property
    def kind(self) -> str:
        return {SSL_REQUEST: "ssl", GSSENC_REQUEST: "gssenc", CANCEL_REQUEST: "cancel"}.get(
            self.code, "startup")


async def read_startup(reader: asyncio.StreamReader) -> StartupPacket | None:
    """Read one startup-phase packet; None when the client closed before sending a byte."""
    try:
        header = await reader.readexactly(8)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("connection closed inside a startup packet") from None
    length, code = struct.unpack("!II", header)
    if not 8 <= length <= MAX_STARTUP_BYTES:
        raise ProtocolError(f"invalid startup packet length {length}")
    try:
        body = await reader.readexactly(length - 8)
    except asyncio.IncompleteReadError:
        raise ProtocolError("connection closed inside a startup packet") from None
    return StartupPacket(code, header + body)


def error_response(sqlstate: str, message: str, detail: str = "",
                   severity: str = "FATAL") -> bytes:
    """Encode an ErrorResponse ('E') message as a server would send it."""
    fields = [("S", severity), ("V", severity), ("C", sqlstate), ("M", message)]
    if detail:
        fields.append(("D", detail))
    body = b"".join(code.encode() + value.encode() + b"\0" for code, value in fields) + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class MessageScanner:
    """Find message boundaries in one direction of a session's stream, after the startup packet.

    Every message there is a type byte and a 4-byte length; chunks may split them anywhere, so
    the scanner keeps the unfinished header and how much of the current body is left to skip.
    """

    def __init__(self) -> None:
        self._pending = b""  # the start of a header cut by a chunk boundary
        self._skip = 0       # bytes of the current message still to pass over

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """Return (type, status) for each message that starts here; status is b"" but for 'Z'."""
        data, pos, found = self._pending + chunk, 0, []
        self._pending = b""
        while pos < len(data):
            if self._skip:
                step = min(self._skip, len(data) - pos)
                self._skip, pos = self._skip - step, pos + step
                continue
            if len(data) - pos < 5 or (data[pos:pos + 1] == b"Z" and len(data) - pos < 6):
                self._pending = data[pos:]  # a ReadyForQuery's status byte is needed too
                break
            kind, length = data[pos:pos + 1], struct.unpack("!I", data[pos + 1:pos + 5])[0]
            found.append((kind, data[pos + 5:pos + 6] if kind == b"Z" else b""))
            self._skip = length + 1
        return found
