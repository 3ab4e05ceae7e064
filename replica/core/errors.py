"""The errors the tooling raises where a problem is known; tasks report them once, at the edge."""
from .exit_status import ExitStatus


class StagingError(Exception):
    """A failure the user can act on: a message, a next step, and an exit code."""

    exit_code = ExitStatus.INTERNAL

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class ConfigError(StagingError):
    """A setting, env file or flag is wrong."""

    exit_code = ExitStatus.CONFIG


class EnvFileError(ConfigError):
    """A line of an env profile file cannot be used."""

    def __init__(self, path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


class PortBusyError(ConfigError):
    """A port the replica wants to publish is taken by something else."""


class UnknownServiceError(ConfigError):
    """A service name that the stack does not have."""


class EngineError(StagingError):
    """No usable container engine, or it failed."""

    exit_code = ExitStatus.ENGINE


class ComposeError(EngineError):
    """`docker compose` failed."""


class ImageBuildError(EngineError):
    """A base or service image could not be built."""


class StackUnhealthyError(StagingError):
    """A service of the stack exited or turned unhealthy."""

    exit_code = ExitStatus.STACK


class StackNotUpError(StagingError):
    """The command needs a running stack and there is none."""

    exit_code = ExitStatus.STACK


def not_up(replica: str, hint: str = "run `invoke staging.up` first") -> StackNotUpError:
    """The one "not up" error: every command that needs the replica up says it in these words."""
    return StackNotUpError(f"replica {replica!r} is not up here", hint=hint)


class UserInterrupt(StagingError):
    """The user pressed Ctrl-C (exit 130, as a shell reports SIGINT)."""

    exit_code = ExitStatus.INTERRUPTED


def describe_os_error(error: OSError) -> str:
    """Say in one line which path failed and why (no errno noise)."""
    path = error.filename if error.filename is not None else None
    reason = error.strerror or str(error)
    return f"{path}: {reason}" if path else reason
