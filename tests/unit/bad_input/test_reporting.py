"""The edge where tasks turn exceptions into exit codes: never a traceback."""
from __future__ import annotations

import pytest
from invoke.exceptions import Exit

from replica.core.errors import ConfigError, StackNotUpError
from replica.tasks.reporting import reported


def raising(error):
    @reported
    def task():
        raise error
    return task


@pytest.mark.parametrize("error, code, words", [
    (ConfigError("bad flag", hint="fix it"), 2, "bad flag"),
    (StackNotUpError("replica 'x' is not up"), 4, "not up"),
    (PermissionError(13, "Permission denied", "/sys/out.sql"), 2, "/sys/out.sql: Permission denied"),
    (ConnectionRefusedError(111, "Connection refused"), 70, "unexpected ConnectionRefusedError"),
    (ValueError("first line\nsecond line"), 70, "unexpected ValueError: first line"),
    (KeyboardInterrupt(), 130, "interrupted"),
], ids=["config", "not-up", "path", "no-path", "bug", "ctrl-c"])
def test_every_exception_becomes_one_message_and_a_code(error, code, words, capsys, monkeypatch):
    monkeypatch.delenv("STAGING_DEBUG", raising=False)
    with pytest.raises(Exit) as stopped:
        raising(error)()
    err = capsys.readouterr().err
    assert stopped.value.code == code and words in err
    assert "Traceback" not in err and "second line" not in err


def test_staging_debug_shows_the_traceback_of_a_bug(monkeypatch):
    monkeypatch.setenv("STAGING_DEBUG", "1")
    with pytest.raises(ValueError):
        raising(ValueError("a bug"))()
