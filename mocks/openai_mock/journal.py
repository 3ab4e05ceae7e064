"""The journal: the last N requests and responses, readable over `/_mock/journal`."""

from __future__ import annotations

from collections import deque


class Journal:
    """A bounded, ordered record of exchanges; the oldest entries drop off first."""

    def __init__(self, size: int) -> None:
        self._entries: deque[dict] = deque(maxlen=size)
        self._seq = 0

    def record(self, entry: dict) -> None:
        """Append one exchange, numbering it."""
        self._seq += 1
        entry["seq"] = self._seq
        self._entries.append(entry)

    def entries(self, path: str | None = None, limit: int | None = None) -> list[dict]:
        """Return entries oldest first, optionally only those under `path` and only the last `limit`."""
        found = [e for e in self._entries if path is None or e["path"].startswith(path)]
        return found[-limit:] if limit else found

    def clear(self) -> int:
        """Forget every entry and return how many there were."""
        count = len(self._entries)
        self._entries.clear()
        return count
