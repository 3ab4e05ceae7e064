"""Report StagingErrors once, at the edge, with a next step and the error's exit code."""
from __future__ import annotations

import functools

from invoke.exceptions import Exit

from .. import console
from ..errors import StagingError
from ..settings import Settings, from_environment


def reported(function):
    """Turn a StagingError raised inside a task into one clear message and its exit code."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StagingError as error:
            console.failure(str(error), error.hint)
            raise Exit(code=error.exit_code) from None
        except KeyboardInterrupt:
            console.failure("interrupted")
            raise Exit(code=130) from None
    return wrapper


def settings_for(name: str | None) -> Settings:
    """Return settings from the environment, for the replica named by --name if given."""
    try:
        return from_environment().with_name(name)
    except StagingError as error:
        console.failure(str(error), error.hint)
        raise Exit(code=error.exit_code) from None
