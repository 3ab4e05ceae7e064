"""Report errors once, at the edge, with a next step and the error's exit code; never a traceback."""
from __future__ import annotations

import functools

from invoke.exceptions import Exit

from ..core import console
from ..core.errors import ConfigError, StagingError, describe_os_error
from ..core.exit_status import ExitStatus
from ..stack.settings import DEBUG_VARIABLE, Settings, debug_enabled, from_environment



def reported(function):
    """Turn an exception raised inside a task into one clear message and its exit code.

    StagingErrors carry their own code. An OSError (a read-only or missing path) is the user's
    environment: a configuration error naming the path. Anything else is a bug of ours: one line
    saying so, the traceback only with STAGING_DEBUG=1.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (Exit, SystemExit):
            raise
        except StagingError as error:
            _fail(str(error), error.hint, error.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", None, ExitStatus.INTERRUPTED)
        except OSError as error:
            if error.filename is None:
                _unexpected(error)
            _fail(describe_os_error(error), "check the path and its permissions", ExitStatus.CONFIG)
        except Exception as error:  # noqa: BLE001 - the edge: a bug must still be one line
            _unexpected(error)
    return wrapper


def settings_for(name: str | None) -> Settings:
    """Return settings from the environment, for the replica named by --name if given."""
    try:
        return from_environment().with_name(name)
    except StagingError as error:
        _fail(str(error), error.hint, error.exit_code)


def _fail(message: str, hint: str | None, code: int):
    console.failure(message, hint)
    raise Exit(code=code) from None


def _unexpected(error: Exception):
    if debug_enabled():
        raise error
    _fail(f"unexpected {type(error).__name__}: {_first_line(error)}",
          f"a bug in the tooling: re-run with {DEBUG_VARIABLE}=1 for the traceback and report it",
          ExitStatus.INTERNAL)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"
