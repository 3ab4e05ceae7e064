"""Scan a sanitized dump for values of the original's sensitive columns."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import BinaryIO

from .fakes import STAGING_PASSWORD_HASH
from .policy import Policy
from .reader import rows

MIN_LENGTH = 4  # shorter values ("ok", "Al") are not identifying and match by chance
SHOWN = 20
PUBLIC_VALUE = STAGING_PASSWORD_HASH.encode()  # the documented staging password: not a secret


@dataclass
class Leak:
    """A value of the output equal to a sensitive value of the input (the value itself withheld)."""

    table: str
    column: str
    line: int
    source: str  # table.column it came from in the input


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


def sensitive_values(source: BinaryIO, policy: Policy) -> dict[bytes, str]:
    """Return digest → table.column for every non-kept value of the input (digests, not values)."""
    found: dict[bytes, str] = {}
    actions: dict[tuple, list[str]] = {}
    for table, columns, values, _ in rows(source):
        key = (table, tuple(columns))
        if key not in actions:
            actions[key] = [r.action for r in policy.rules_for(table, columns)]
        for column, action, value in zip(columns, actions[key], values):
            if (action != "keep" and value is not None and len(value) >= MIN_LENGTH
                    and value != PUBLIC_VALUE):
                found.setdefault(_key(value), f"{table}.{column}")
    return found


def check(source: BinaryIO, output: BinaryIO, policy: Policy) -> Report:
    """Compare every value of output against the input's sensitive values."""
    secret = sensitive_values(source, policy)
    report = Report(sensitive=len(secret))
    for table, columns, values, line in rows(output):
        for column, value in zip(columns, values):
            report.scanned += 1
            if value is not None and len(value) >= MIN_LENGTH and (origin := secret.get(_key(value))):
                report.total_leaks += 1
                where = f"{table}.{column}"
                report.by_column[where] = report.by_column.get(where, 0) + 1
                if len(report.leaks) < SHOWN:
                    report.leaks.append(Leak(table, column, line, origin))
    return report
