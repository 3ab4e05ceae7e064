"""Errors of the data tooling, each with the next step for the user."""
from __future__ import annotations

from ..core.errors import ConfigError, StagingError
from ..core.exit_status import ExitStatus


class DataError(StagingError):
    """A database operation on the replica's data failed."""

    exit_code = ExitStatus.DATA


class NoFixturesError(DataError):
    """A reset was asked for before any fixtures were loaded (seed once; later resets reuse them)."""


class RemoteDatabaseError(ConfigError):
    """A destructive task was pointed at a database that is not this machine's replica."""


class PolicyError(ConfigError):
    """The sanitizer policy file cannot be used as written."""


class UnclassifiedColumnError(PolicyError):
    """A column in the dump has no rule in the policy (the sanitizer fails closed)."""

    def __init__(self, table: str, column: str, policy_path: str = "the policy"):
        super().__init__(
            f"column {table}.{column} is not classified in {policy_path}",
            hint=f"add `{column}: keep|fake <kind>|hash|null|drop` under `{table}:` in "
                 f"{policy_path}; nothing was written")
        self.table = table
        self.column = column


class DumpError(DataError):
    """An input dump cannot be read."""


class DumpFormatError(DumpError):
    """The input is not a pg_dump plain-text or custom-format dump."""


class DumpLineTooLongError(DumpError):
    """A line or statement is longer than the readers hold in memory at once."""

    def __init__(self, what: str, limit: int):
        super().__init__(f"{what} is longer than {limit >> 20} MiB, the most the sanitizer and "
                         "the leak check hold in memory at once (so their memory stays flat)",
                         hint="leave that table's data out (pg_dump --exclude-table-data=TABLE) "
                              "and load it another way; nothing was written")


class TruncatedDumpError(DumpError):
    """The dump ends early or a row is malformed."""


class DumpVersionError(DumpError):
    """The dump comes from a newer PostgreSQL than the replica runs."""


class OutputError(ConfigError):
    """The sanitized dump cannot be written where the user asked."""


class SnapshotError(DataError):
    """A snapshot name is unusable or unknown."""

    exit_code = ExitStatus.CONFIG


class FixtureError(ConfigError):
    """A fixture scale or seed cannot be used."""


class SourceError(DataError):
    """The source of a refresh cannot be reached or dumped."""


class SourceRefusedError(ConfigError):
    """The source of a refresh could be changed by its role, or is the replica's own database."""


class LeakFoundError(DataError):
    """The leak check found a sensitive value of the source in the sanitized stream."""

    exit_code = ExitStatus.LEAKS
