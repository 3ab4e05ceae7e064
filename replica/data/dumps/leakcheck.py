"""Scan a sanitized dump for values of the original's sensitive columns: in its rows and in the
literals of every other statement, as a whole value or inside a longer one."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import BinaryIO

from ..fakes import STAGING_PASSWORD_HASH, WORDS
from .policy import Policy
from .reader import STATEMENT, rows

MIN_LENGTH = 4  # shorter values ("ok", "Al") are not identifying and match by chance
INSIDE_MIN = 8  # a value is looked for inside longer text from this length ...
INSIDE_WORDS = 3  # ... when it is at most this many words (an email, a name, a username)
SHOWN = 20
PUBLIC_VALUE = STAGING_PASSWORD_HASH.encode()  # the documented staging password: not a secret
PUBLIC_WORDS = {w.encode() for w in WORDS}  # fake text is made of these: no value of them alone
# Words, on both sides alike: split at spaces and at the punctuation around an embedded value
# (brackets, quotes, commas, "=" of options, ":" of casts); ". ! ? '" are left out, so that
# bob@corp.example. ending a sentence is bob@corpexample, as the value is. One translate and one
# split, both in C: the scan runs this on every value of the output.
_SEPARATORS = b""" \t\n\r\v\f,;()<>[]{}"`|=:"""
_LEFT_OUT = b".!?'"
_NORMAL = bytes.maketrans(_SEPARATORS, b" " * len(_SEPARATORS))


@dataclass
class Leak:
    """A value of the output equal to a sensitive value of the input (the value itself withheld)."""

    table: str
    column: str
    line: int
    source: str  # table.column it came from in the input

    @property
    def where(self) -> str:
        """Name where it is: table.column, or the kind of statement whose literal holds it."""
        return f"the {self.column} statement" if self.table == STATEMENT else f"{self.table}.{self.column}"


@dataclass
class Report:
    """How many sensitive values were looked for, how many output values scanned, leaks found."""

    sensitive: int = 0
    scanned: int = 0
    leaks: list[Leak] = field(default_factory=list)
    total_leaks: int = 0
    by_column: dict[str, int] = field(default_factory=dict)


def _key(value: bytes) -> bytes:
    return hashlib.blake2b(value, digest_size=12).digest()


def words(value: bytes) -> list[bytes]:
    """Split a value into words the way an embedded value is found (see _SEPARATORS)."""
    return value.translate(_NORMAL, _LEFT_OUT).split()


class Secrets:
    """Digests (not values) of the sensitive values, whole and as runs of words, with where each
    came from."""

    def __init__(self) -> None:
        self.whole: dict[bytes, str] = {}
        self.inside: dict[bytes, str] = {}
        self.anchors: set[int] = set()  # hash() of their words: most values are ruled out by it

    def __len__(self) -> int:
        return len(self.whole)

    def add(self, value: bytes, origin: str) -> None:
        if len(value) < MIN_LENGTH or value == PUBLIC_VALUE:
            return
        self.whole.setdefault(_key(value), origin)
        if len(value) >= INSIDE_MIN:
            found = words(value)
            if 0 < len(found) <= INSIDE_WORDS and not PUBLIC_WORDS.issuperset(found):
                self.inside.setdefault(_key(b" ".join(found)), origin)
                self.anchors.update(map(hash, found))

    def find(self, value: bytes) -> str | None:
        """Return where a sensitive value equal to value, or inside it, came from (else None)."""
        if len(value) < MIN_LENGTH:
            return None
        origin = self.whole.get(_key(value))
        if origin or len(value) < INSIDE_MIN or not self.anchors:
            return origin
        found = words(value)
        if self.anchors.isdisjoint(map(hash, found)):
            return None
        for i, word in enumerate(found):
            if hash(word) in self.anchors:  # every run of up to INSIDE_WORDS words through it
                for start in range(max(0, i - INSIDE_WORDS + 1), i + 1):
                    for end in range(i + 1, min(len(found), start + INSIDE_WORDS) + 1):
                        origin = self.inside.get(_key(b" ".join(found[start:end])))
                        if origin:
                            return origin
        return None


def sensitive_values(source: BinaryIO, policy: Policy) -> Secrets:
    """Collect every non-kept value of the input's rows."""
    found = Secrets()
    actions: dict[tuple, list[str]] = {}
    for table, columns, values, _ in rows(source):
        key = (table, tuple(columns))
        if key not in actions:
            actions[key] = [r.action for r in policy.rules_for(table, columns)]
        for column, action, value in zip(columns, actions[key], values):
            if action != "keep" and value is not None:
                found.add(value, f"{table}.{column}")
    return found


def check(source: BinaryIO, output: BinaryIO, policy: Policy) -> Report:
    """Compare every value of output, rows and statement literals, against the input's
    sensitive values."""
    return scan(sensitive_values(source, policy), output)


def scan(secret: Secrets, output: BinaryIO) -> Report:
    """Compare every value of output, rows and statement literals, against known sensitive values."""
    report = Report(sensitive=len(secret))
    for table, columns, values, line in rows(output, literals=True):
        for column, value in zip(columns, values):
            report.scanned += 1
            if value is not None and (origin := secret.find(value)):
                report.total_leaks += 1
                leak = Leak(table, column, line, origin)
                report.by_column[leak.where] = report.by_column.get(leak.where, 0) + 1
                if len(report.leaks) < SHOWN:
                    report.leaks.append(leak)
    return report
