"""Turn what sentry-sdk sends into event dicts: decompress, then split envelopes into items."""

from __future__ import annotations

import base64
import json
import zlib

try:  # sentry-sdk compresses with brotli whenever the `brotli` module is importable in the app
    import brotli
except ImportError:  # pragma: no cover - brotli is in mocks/requirements.txt
    brotli = None

MAX_DECODED_BYTES = 50 * 1024 * 1024


class DecodeError(ValueError):
    """The body cannot be decoded as a Sentry envelope or event."""


def decompress(body: bytes, encoding: str, limit: int = MAX_DECODED_BYTES) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate, br or none), refusing output over `limit` bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = zlib.MAX_WBITS | 16 if encoding != "deflate" else zlib.MAX_WBITS
        return _inflate(body, wbits, limit)
    if encoding == "br":
        if brotli is None:
            raise DecodeError("brotli body received but the brotli module is not installed")
        try:
            out = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)
        except brotli.error as exc:
            raise DecodeError(f"invalid brotli body: {exc}") from None
        return _capped(out, limit)
    raise DecodeError(f"unsupported Content-Encoding {encoding!r}")


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """Inflate zlib/gzip data without ever holding more than `limit` bytes."""
    try:
        out = zlib.decompressobj(wbits).decompress(body, limit + 1)
    except zlib.error as exc:
        raise DecodeError(f"invalid compressed body: {exc}") from None
    return _capped(out, limit)


def _capped(out: bytes, limit: int) -> bytes:
    """Return `out`, or fail if decompression exceeded the cap."""
    if len(out) > limit:
        raise DecodeError(f"decompressed body exceeds {limit} bytes")
    return out


def parse_envelope(data: bytes) -> tuple[dict, list[tuple[dict, bytes]]]:
    """Split an envelope into its header and its (item header, payload) pairs."""
    header_line, _, rest = data.partition(b"\n")
    header = _json_object(header_line, "envelope header")
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item_header = _json_object(line, "item header")
        length = item_header.get("length")
        if isinstance(length, int) and length >= 0:
            if length > len(rest):
                raise DecodeError("item length runs past the end of the envelope")
            payload, rest = rest[:length], rest[length:]
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((item_header, payload))
    return header, items


def parse_store_body(data: bytes) -> dict:
    """Read a legacy /store/ body: JSON, or the old base64(zlib(JSON)) form."""
    stripped = data.strip()
    if not stripped.startswith(b"{"):
        try:
            stripped = _inflate(base64.b64decode(stripped, validate=True), zlib.MAX_WBITS, MAX_DECODED_BYTES)
        except (ValueError, DecodeError):
            raise DecodeError("store body is neither JSON nor base64-encoded zlib") from None
    return _json_object(stripped, "event")


def _json_object(raw: bytes, what: str) -> dict:
    """Parse `raw` as a JSON object or raise DecodeError naming `what`."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise DecodeError(f"{what} is not valid JSON") from None
    except RecursionError:
        raise DecodeError(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise DecodeError(f"{what} is not a JSON object")
    return value


def payload_json(payload: bytes) -> dict:
    """Parse an item payload as a JSON object."""
    return _json_object(payload, "item payload")
