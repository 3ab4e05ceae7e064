"""Run the smoke suite as a subprocess (as CI and the runbook do) and map its tests to checklist items."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..core import console
from ..core import system_packages
from ..core.errors import ConfigError
from .checklist import FAILED, PASSED, SKIPPED, Checklist

SUITE = "tests/e2e/test_01_smoke_tests.py"
TIMEOUT_S = 300
# The plugins the suite uses, loaded by name with setuptools' autoload off: the venv also holds the
# integration tiers' plugins (hypothesis, langsmith, faker), whose imports cost each of the gate's
# pytest processes ~2 s of CPU (seconds of wall time at load) and which the suite never calls.
PLUGINS = ("pytest_base_url.plugin", "pytest_playwright.pytest_playwright", "pytest_timeout",
           "tests.e2e.plugin")
ENVIRONMENT = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
# The suite's own error-sink check: a gate that reads the sink itself once k6 is done too
# (validate's `sentry` step, a superset in time) leaves it out, and the 1.5 s it waits.
SINK_CHECK = f"{SUITE}::test_no_errors_captured_during_the_run"


def command(base_url: str, sink_url: str | None, run_dir: Path, marks: str | None = None,
            ignore_hosts=(), sink_checked_after: bool = False) -> list[str]:
    """Build the pytest command line for the smoke suite (marks: only the tests pytest -m selects;
    ignore_hosts: hosts whose error events belong to other apps reporting to the same sink;
    sink_checked_after: the caller reads the sink itself afterwards, so the suite's check is left out).

    `--confcutdir`: the suite's own conftest only; the ones above it are the unit and integration
    tiers' (tests/conftest.py imports the whole app: ~1.4 s of CPU a run, for nothing here)."""
    plugins = [arg for name in PLUGINS for arg in ("-p", name)]
    cmd = [sys.executable, "-m", "pytest", *plugins, "--confcutdir", str(Path(SUITE).parent), SUITE,
           "-q", "-rfEs",
           "-p", "no:cacheprovider", "--base-url", base_url,
           "--gate-report", str(run_dir / "smoke.json"), "--junitxml", str(run_dir / "smoke-junit.xml")]
    ignored = [arg for host in ignore_hosts for arg in ("--sink-ignore-host", host)]
    return (cmd + (["--sink-url", sink_url, *ignored] if sink_url else [])
            + (["--deselect", SINK_CHECK] if sink_checked_after else [])
            + (["-m", marks] if marks else []))


def ensure_browser() -> None:
    """Install Debian's chromium for the suite's browser checks if missing (CHROMIUM_BINARY: that one)."""
    if os.environ.get("CHROMIUM_BINARY"):
        return
    try:
        system_packages.ensure(system_packages.BROWSER_BINARIES)
    except ConfigError as error:  # the browser checks then fail, saying so; the rest still runs
        console.warning(f"{error}: the smoke suite's browser checks will fail ({error.hint})")


def run(root: Path, base_url: str, sink_url: str | None, run_dir: Path,
        replica: str | None = None, marks: str | None = None, ignore_hosts=(),
        env: dict[str, str] | None = None, sink_checked_after: bool = False) -> tuple[int, Path]:
    """Run the suite; keep its output in smoke.log; return pytest's exit code and the log path.

    replica: the replica's name, so the suite finds its state (error sink, fault profiles);
    ignore_hosts, sink_checked_after: as command()'s; env: more of the suite's environment (the
    gate's fixture users)."""
    ensure_browser()
    log_path = run_dir / "smoke.log"
    env = {**os.environ, **ENVIRONMENT, **({"STAGING_NAME": replica} if replica else {}), **(env or {})}
    with log_path.open("w") as log:
        try:
            code = subprocess.run(command(base_url, sink_url, run_dir, marks, ignore_hosts,
                                          sink_checked_after), cwd=root,
                                  stdout=log, env=env,
                                  stderr=subprocess.STDOUT, timeout=TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            log.write(f"\nsmoke suite still running after {TIMEOUT_S} s; stopped\n")
            code = -1
    return code, log_path


def record(checklist: Checklist, keys: list[str], exit_code: int, run_dir: Path, log_path: Path) -> None:
    """Turn smoke.json into results for `keys`; no report at all fails every key with pytest's tail."""
    report = run_dir / "smoke.json"
    tests = json.loads(report.read_text())["tests"] if report.is_file() else []
    if not tests:
        tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
        for key in keys:
            checklist.record(key, FAILED, f"smoke suite ran no test (pytest exit {exit_code}): {tail}")
        return
    for key in keys:
        mine = [t for t in tests if key in t["checklist"]]
        checklist.record(key, *verdict(mine), sum(t["seconds"] for t in mine))


def verdict(tests: list[dict]) -> tuple[str, str]:
    """Return (result, evidence) of a set of smoke tests: the first failure, else how many passed."""
    if not tests:
        return FAILED, "no smoke test covers this item"
    failed = [t for t in tests if t["outcome"] == "failed"]
    if failed:
        first = failed[0]
        name = first["test"].split("::")[-1]
        return FAILED, f"{len(failed)}/{len(tests)} failed: {name}: {first['message']}"
    skipped = [t for t in tests if t["outcome"] == "skipped"]
    if len(skipped) == len(tests):
        return SKIPPED, f"skipped: {skipped[0]['message']}"
    return PASSED, f"{len(tests) - len(skipped)}/{len(tests)} tests passed"
