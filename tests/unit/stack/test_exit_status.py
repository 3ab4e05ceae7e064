"""One table of exit statuses: every error class, the task edge and the README read it."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from invoke.exceptions import Exit

from mocks import control
from replica.core import errors
from replica.data import errors as data_errors
from replica.core.exit_status import ExitStatus
from replica.gate import errors as gate_errors
from replica.commands import mocks as mocks_command
from replica.tasks.reporting import reported

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_table_is_the_enum():
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", readme, re.MULTILINE)
    assert [(int(code), meaning) for code, meaning in rows] == [
        (status.value, status.meaning) for status in ExitStatus]


@pytest.mark.parametrize("error_class, status", [
    (errors.ConfigError, ExitStatus.CONFIG), (errors.PortBusyError, ExitStatus.CONFIG),
    (errors.EngineError, ExitStatus.ENGINE), (errors.ImageBuildError, ExitStatus.ENGINE),
    (errors.StackNotUpError, ExitStatus.STACK), (errors.StackUnhealthyError, ExitStatus.STACK),
    (data_errors.DataError, ExitStatus.DATA), (data_errors.TruncatedDumpError, ExitStatus.DATA),
    (data_errors.NoFixturesError, ExitStatus.DATA),
    (data_errors.SnapshotError, ExitStatus.CONFIG), (data_errors.RemoteDatabaseError, ExitStatus.CONFIG),
    (gate_errors.GateError, ExitStatus.GATE_ITEM), (gate_errors.BaselineError, ExitStatus.GATE_ITEM),
    (gate_errors.ResultsNotWritableError, ExitStatus.CONFIG),
    (errors.UserInterrupt, ExitStatus.INTERRUPTED), (errors.StagingError, ExitStatus.INTERNAL),
])
def test_each_error_exits_with_its_status(error_class, status):
    @reported
    def task():
        raise error_class("what went wrong")
    with pytest.raises(Exit) as stopped:
        task()
    assert stopped.value.code == status


def test_a_data_failure_and_a_gate_item_that_cannot_run_are_told_apart():
    assert gate_errors.GateError.exit_code != data_errors.DataError.exit_code


@pytest.mark.parametrize("raised, status", [
    (control.MockUnreachableError("cannot reach http://127.0.0.1:1: refused"), ExitStatus.STACK),
    (control.MockRequestError(400, "unknown fault"), ExitStatus.CONFIG),
])
def test_a_mock_that_cannot_be_reached_or_refuses_says_which(raised, status):
    def call():
        raise raised
    with pytest.raises(errors.StagingError) as caught:
        mocks_command._call(call)
    assert caught.value.exit_code == status


def _literal_exit_codes(path: Path) -> list[str]:
    """`Exit(code=<number>)` and `exit_code = <number>`: statuses written as bare numbers."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.keyword) and node.arg == "code" and isinstance(node.value, ast.Constant):
            found.append(f"{path.name}:{node.value.lineno} code={node.value.value}")
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "exit_code" for t in node.targets)):
            found.append(f"{path.name}:{node.lineno} exit_code={node.value.value}")
    return found


def test_no_exit_status_is_a_bare_number():
    literals = [hit for path in sorted((ROOT / "replica").rglob("*.py")) for hit in _literal_exit_codes(path)]
    assert literals == []
